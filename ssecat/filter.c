/*
 * filter.c: which events ssecat shows, and which one ends it.
 *
 * --types keeps the events of the listed types; --until names the event
 * that meets the stop condition, by type or by a regular expression on
 * its data.  The values are checked here when the command line is read
 * (opts.c calls in); counting and stopping are stream.c's business.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ssecat.h"

#define UNTIL_DATA_PREFIX	"data~"

int
filter_set_types(struct opts *o, const char *arg)
{
	const char	*p;
	size_t		 n;

	for (p = arg;; p += n + 1) {
		n = strcspn(p, ",");
		if (n == 0)
			return msg_usage("bad --types '%s': expected "
			    "TYPE[,TYPE...] without empty names", arg);
		if (p[n] == '\0')
			break;
	}
	o->types = arg;
	return 0;
}

int
filter_is_shown(const struct opts *o, const char *type)
{
	const char	*p;
	size_t		 n, len = strlen(type);

	if (o->types == NULL)
		return 1;
	for (p = o->types;; p += n + 1) {
		n = strcspn(p, ",");
		if (n == len && strncmp(p, type, n) == 0)
			return 1;
		if (p[n] == '\0')
			return 0;
	}
}

int
filter_set_until(struct opts *o, const char *arg)
{
	size_t	plen = strlen(UNTIL_DATA_PREFIX);
	char	err[128];
	int	rc;

	if (o->until_re_set) {
		regfree(&o->until_re);
		o->until_re_set = 0;
	}
	o->until_type = NULL;
	if (strncmp(arg, UNTIL_DATA_PREFIX, plen) != 0) {
		if (*arg == '\0')
			return msg_usage("bad --until '': expected an event "
			    "type or data~REGEX");
		o->until_type = arg;
		return 0;
	}
	if ((rc = regcomp(&o->until_re, arg + plen,
	    REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &o->until_re, err, sizeof(err));
		return msg_usage("bad --until '%s': %s", arg, err);
	}
	o->until_re_set = 1;
	return 0;
}

int
filter_is_last(const struct opts *o, const struct sse_event *ev)
{
	regmatch_t	m;

	if (o->until_type != NULL)
		return strcmp(ev->type, o->until_type) == 0;
	if (!o->until_re_set)
		return 0;
	/*
	 * Data may hold a NUL: search it all, not up to the first one.
	 * REG_STARTEND is not POSIX, but glibc and the BSDs have it.
	 */
#ifdef REG_STARTEND
	m.rm_so = 0;
	m.rm_eo = (regoff_t)ev->datalen;
	return regexec(&o->until_re, ev->data, 1, &m, REG_STARTEND) == 0;
#else
	(void)m;	/* musl: up to the first NUL only */
	return regexec(&o->until_re, ev->data, 0, NULL, 0) == 0;
#endif
}

void
filter_free(struct opts *o)
{
	if (o->until_re_set)
		regfree(&o->until_re);
	o->until_re_set = 0;
}

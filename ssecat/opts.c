/*
 * opts.c: the command line of ssecat.
 *
 * Every option is one entry in opt_defs[]; getopt_long's tables and
 * --help are both built from it, so they cannot drift apart.  Values are
 * checked here, once: stream.c trusts struct opts.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ssecat.h"

/* Values of the options that have no short letter. */
enum {
	OPT_TOKEN = 0x100,
	OPT_TOKEN_FILE,
	OPT_LAST_ID,
	OPT_STATE,
	OPT_TYPES,
	OPT_UNTIL,
	OPT_DATA_JSON,
	OPT_TIMEOUT,
	OPT_MAX_RETRIES,
	OPT_BACKOFF_MAX,
	OPT_IDLE_TIMEOUT,
	OPT_FORMAT,
	OPT_JSON,
	OPT_INSECURE,
	OPT_CACERT,
	OPT_VERSION,
};

/* What the command line asks for besides following a stream. */
enum { ACT_RUN, ACT_HELP, ACT_VERSION };

/* How an option's value is stored at off in struct opts. */
enum opt_kind {
	ARG_FLAG,		/* int, set to 1 */
	ARG_STR,		/* const char *, the argument itself */
	ARG_HDRVAL,		/* the same, sent in a header: no line break */
	ARG_LONG,		/* long, at least min */
	ARG_SECS,		/* int64_t ms; zero allowed when min is 0 */
	ARG_FUNC,		/* set() does it */
};

struct opt_def {
	const char	*name;
	int		 val;		/* short letter, or OPT_* */
	const char	*arg;		/* its name in --help; NULL: none */
	const char	*help;
	enum opt_kind	 kind;
	size_t		 off;
	long		 min;
	/* ARG_FUNC: 0, or -1 after reporting a usage error. */
	int		(*set)(struct opts *, int *, const char *);
};

static int	opt_header(struct opts *, int *, const char *);
static int	opt_format(struct opts *, int *, const char *);
static int	opt_json(struct opts *, int *, const char *);
static int	opt_types(struct opts *, int *, const char *);
static int	opt_until(struct opts *, int *, const char *);
static int	opt_help(struct opts *, int *, const char *);
static int	opt_version(struct opts *, int *, const char *);

#define OFF(field)	offsetof(struct opts, field)

/* Every option, in the order --help lists them. */
static const struct opt_def opt_defs[] = {
	{ "header", 'H', "'NAME: VALUE'", "add a request header (repeatable)",
	    .kind = ARG_FUNC, .set = opt_header },
	{ "token", OPT_TOKEN, "TOKEN", "send Authorization: Bearer TOKEN",
	    .kind = ARG_HDRVAL, .off = OFF(token) },
	{ "token-file", OPT_TOKEN_FILE, "FILE",
	    "send the token on the first line of FILE",
	    .kind = ARG_STR, .off = OFF(token_file) },
	{ "last-event-id", OPT_LAST_ID, "ID",
	    "resume after event ID (wins over --state)",
	    .kind = ARG_HDRVAL, .off = OFF(last_id) },
	{ "state", OPT_STATE, "FILE",
	    "keep the last id in FILE and resume from it",
	    .kind = ARG_STR, .off = OFF(state) },
	{ "types", OPT_TYPES, "TYPE,...", "show only events of these types",
	    .kind = ARG_FUNC, .set = opt_types },
	{ "count", 'n', "N", "exit 0 once N events are printed",
	    .kind = ARG_LONG, .off = OFF(count), .min = 1 },
	{ "until", OPT_UNTIL, "PATTERN",
	    "exit 0 after an event of type PATTERN or data~RE",
	    .kind = ARG_FUNC, .set = opt_until },
	{ "timeout", OPT_TIMEOUT, "SECONDS",
	    "exit 4 after SECONDS (fractions allowed)",
	    .kind = ARG_SECS, .off = OFF(timeout_ms), .min = 1 },
	{ "max-retries", OPT_MAX_RETRIES, "N",
	    "exit 3 after N failed reconnects in a row",
	    .kind = ARG_LONG, .off = OFF(max_retries), .min = 0 },
	{ "backoff-max", OPT_BACKOFF_MAX, "SECONDS",
	    "longest wait before a reconnect (default 60)",
	    .kind = ARG_SECS, .off = OFF(backoff_max_ms), .min = 0 },
	{ "idle-timeout", OPT_IDLE_TIMEOUT, "SECONDS",
	    "reconnect when no byte arrives for SECONDS",
	    .kind = ARG_SECS, .off = OFF(idle_ms), .min = 1 },
	{ "format", OPT_FORMAT, "FORMAT",
	    "data (the default), raw (as received) or json",
	    .kind = ARG_FUNC, .set = opt_format },
	{ "json", OPT_JSON, NULL, "same as --format json",
	    .kind = ARG_FUNC, .set = opt_json },
	{ "data-json", OPT_DATA_JSON, NULL,
	    "print data as compact JSON (skip non-JSON)",
	    .kind = ARG_FLAG, .off = OFF(data_json) },
	{ "quiet", 'q', NULL, "no output, no notes: errors and exit status",
	    .kind = ARG_FLAG, .off = OFF(quiet) },
	{ "verbose", 'v', NULL, "show request and response headers on stderr",
	    .kind = ARG_FLAG, .off = OFF(verbose) },
	{ "insecure", OPT_INSECURE, NULL,
	    "do not verify the server's TLS certificate",
	    .kind = ARG_FLAG, .off = OFF(insecure) },
	{ "cacert", OPT_CACERT, "FILE", "trust the CA certificates in FILE",
	    .kind = ARG_STR, .off = OFF(cacert) },
	{ "help", 'h', NULL, "show this help and exit",
	    .kind = ARG_FUNC, .set = opt_help },
	{ "version", OPT_VERSION, NULL, "show the version and exit",
	    .kind = ARG_FUNC, .set = opt_version },
};
#define NOPTS	(sizeof(opt_defs) / sizeof(opt_defs[0]))

static const char *const format_names[] = {
	[OUT_DATA] = "data",
	[OUT_RAW] = "raw",
	[OUT_JSON] = "json",
};
#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

/* A header line may not carry a line break: it would forge another. */
static int
has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int
header_is(const char *h, const char *name)
{
	size_t	n = strlen(name);

	return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

int
opts_has_header(const struct opts *o, const char *name)
{
	const struct curl_slist	*l;

	for (l = o->headers; l != NULL; l = l->next)
		if (header_is(l->data, name))
			return 1;
	return 0;
}

static int
opt_header(struct opts *o, int *act, const char *arg)
{
	struct curl_slist	*l;
	const char		*colon, *v;

	(void)act;
	colon = strchr(arg, ':');
	if (colon == NULL || colon == arg || has_line_break(arg) ||
	    strcspn(arg, " \t") < (size_t)(colon - arg))
		return msg_usage("bad header '%s': expected 'Name: value'",
		    arg);
	/*
	 * The id to resume from is the parser's business: it changes as
	 * events arrive, so it cannot be a fixed header.
	 */
	if (header_is(arg, "Last-Event-ID")) {
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		o->last_id = v;
		return 0;
	}
	if ((l = curl_slist_append(o->headers, arg)) == NULL) {
		msg_warn("out of memory");
		return -1;
	}
	o->headers = l;
	return 0;
}

/* A whole number >= min for option name; -1 after a usage error. */
static int
parse_long(const char *name, const char *arg, long min, long *vp)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || errno != 0 || v < min)
		return msg_usage("bad --%s '%s': expected a whole number "
		    "of at least %ld", name, arg, min);
	*vp = v;
	return 0;
}

/*
 * Seconds, fractions allowed, into milliseconds; zero only when allowed.
 * Up to ten years: enough for anything, far from int64 overflow.
 */
static int
parse_seconds(const char *name, const char *arg, int zero_ok, int64_t *msp)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < 0 || (v == 0 && !zero_ok) || v > 10 * 365 * 86400.0)
		return msg_usage("bad --%s '%s': expected %s number of "
		    "seconds", name, arg, zero_ok ? "a" : "a positive");
	*msp = (int64_t)(v * 1000 + 0.5);
	/* 0.0001 s is a wish for "very soon", not for "never". */
	if (*msp == 0 && v > 0)
		*msp = 1;
	return 0;
}

/* Store arg as d says; 0, or -1 after a usage error. */
static int
opt_set(struct opts *o, int *act, const struct opt_def *d, const char *arg)
{
	char	*field = (char *)o + d->off;

	switch (d->kind) {
	case ARG_FLAG:
		*(int *)(void *)field = 1;
		return 0;
	case ARG_HDRVAL:
		if (has_line_break(arg))
			return msg_usage("bad --%s: it holds a line break",
			    d->name);
		/* FALLTHROUGH */
	case ARG_STR:
		*(const char **)(void *)field = arg;
		return 0;
	case ARG_LONG:
		return parse_long(d->name, arg, d->min, (long *)(void *)field);
	case ARG_SECS:
		return parse_seconds(d->name, arg, d->min == 0,
		    (int64_t *)(void *)field);
	case ARG_FUNC:
		break;
	}
	return d->set(o, act, arg);
}

/* Names match exactly or by a unique prefix, as long options do. */
static int
opt_format(struct opts *o, int *act, const char *arg)
{
	size_t	i, len = strlen(arg);
	int	found = -1;

	(void)act;
	for (i = 0; i < NFORMATS && len > 0; i++) {
		if (strncmp(arg, format_names[i], len) != 0)
			continue;
		if (format_names[i][len] == '\0') {
			found = (int)i;
			break;
		}
		found = found == -1 ? (int)i : -2;
	}
	if (found < 0)
		return msg_usage("unknown --format '%s' (one of: data, raw, "
		    "json)", arg);
	o->format = (enum out_format)found;
	return 0;
}

static int
opt_json(struct opts *o, int *act, const char *arg)
{
	(void)act;
	(void)arg;
	o->format = OUT_JSON;
	return 0;
}

static int
opt_types(struct opts *o, int *act, const char *arg)
{
	(void)act;
	return filter_set_types(o, arg);
}

static int
opt_until(struct opts *o, int *act, const char *arg)
{
	(void)act;
	return filter_set_until(o, arg);
}

static int
opt_help(struct opts *o, int *act, const char *arg)
{
	(void)o;
	(void)arg;
	*act = ACT_HELP;
	return 0;
}

static int
opt_version(struct opts *o, int *act, const char *arg)
{
	(void)o;
	(void)arg;
	*act = ACT_VERSION;
	return 0;
}

static void
opts_help(void)
{
	char	 left[64];
	size_t	 i;

	printf("usage: ssecat [OPTIONS] URL\n"
	    "Print the events of a Server-Sent Events stream, reconnecting "
	    "as needed.\n\n");
	for (i = 0; i < NOPTS; i++) {
		const struct opt_def	*d = &opt_defs[i];

		snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
		    d->val < 0x100 ? '-' : ' ',
		    d->val < 0x100 ? d->val : ' ',
		    d->val < 0x100 ? ',' : ' ', d->name,
		    d->arg != NULL ? " " : "", d->arg != NULL ? d->arg : "");
		printf("  %-30s%s\n", left, d->help);
	}
	printf("\nExit status: 0 -n or --until met, or stream ended by 204, "
	    "1 usage error,\n2 fatal HTTP status, 3 gave up reconnecting, "
	    "4 --timeout reached,\n130/143 interrupted by SIGINT/SIGTERM.\n");
}

static void
opts_version(void)
{
	printf("ssecat %s (%s)\n", PACKAGE_VERSION, curl_version());
}

/*
 * Check the URL now, so a typo is a usage error and not an endless
 * reconnect loop, and keep curl's normalised form (scheme added).
 */
static int
opts_url(struct opts *o, const char *arg)
{
	CURLU	*u;
	char	*scheme = NULL, shown[1024];
	int	 rc = -1;

	/* Not even a usage error may put a token in a CI log. */
	request_url_shown(shown, sizeof(shown), arg);
	if ((u = curl_url()) == NULL) {
		msg_warn("out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, arg,
	    CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		msg_usage("bad URL '%s'", shown);
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0) {
		msg_usage("bad URL '%s': only http and https are spoken",
		    shown);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &o->url, 0) != CURLUE_OK) {
		msg_usage("bad URL '%s'", shown);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/*
 * Why getopt_long refused a long option, arg ("--name[=value]"): with
 * opterr 0, glibc leaves it to be found out again.  -1 after the message.
 */
static int
opts_refused_long(const char *arg)
{
	const char	*name = arg + 2;
	char		 names[256] = "";
	size_t		 i, len = strcspn(name, "="), n = 0, found = 0;

	for (i = 0; i < NOPTS && len > 0; i++) {
		if (strncmp(opt_defs[i].name, name, len) != 0)
			continue;
		found = i;
		if (opt_defs[i].name[len] == '\0') {
			n = 1;
			break;
		}
		n++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s--%s", n > 1 ? ", " : "", opt_defs[i].name);
	}
	if (n > 1)
		return msg_usage("ambiguous option --%.*s: could be %s",
		    (int)len, name, names);
	if (n == 1 && name[len] == '=')
		return msg_usage("option --%s takes no value",
		    opt_defs[found].name);
	return msg_usage("unknown option %s", arg);
}

/*
 * Report what getopt_long refused: c is ':' for a missing value, '?'
 * for the rest.  optopt is the letter of a short option; for a long
 * one, 0 or the option's value (a letter too for -H, -n...).  The
 * argument at optind - 1 is the long option, but not always the short
 * one: in "-xq", 'x' is refused before optind moves past "-xq".  -1.
 */
static int
opts_refused(int c, char *argv[])
{
	char		 letter[3] = { '-', (char)optopt, '\0' };
	const char	*arg = argv[optind - 1];
	size_t		 i;

	if (c == ':')
		return msg_usage("option %s needs a value",
		    strncmp(arg, "--", 2) == 0 ? arg : letter);
	for (i = 0; i < NOPTS && opt_defs[i].val != optopt; i++)
		;
	/* An unknown letter; a known one was refused as a long option. */
	if (optopt != 0 && i == NOPTS)
		return msg_usage("unknown option %s", letter);
	return opts_refused_long(arg);
}

int
opts_parse(struct opts *o, int argc, char *argv[], int *exitp)
{
	struct option	 lopts[NOPTS + 1];
	char		 shorts[2 * NOPTS + 2], *sp = shorts;
	size_t		 i;
	int		 c, act = ACT_RUN;

	memset(o, 0, sizeof(*o));
	o->max_retries = -1;
	o->backoff_max_ms = 60 * 1000;
	*exitp = CAT_EXIT_USAGE;

	/* Leading ':' so that a missing value is ours to report. */
	*sp++ = ':';
	for (i = 0; i < NOPTS; i++) {
		lopts[i].name = opt_defs[i].name;
		lopts[i].has_arg = opt_defs[i].arg != NULL ?
		    required_argument : no_argument;
		lopts[i].flag = NULL;
		lopts[i].val = opt_defs[i].val;
		if (opt_defs[i].val < 0x100) {
			*sp++ = (char)opt_defs[i].val;
			if (opt_defs[i].arg != NULL)
				*sp++ = ':';
		}
	}
	memset(&lopts[NOPTS], 0, sizeof(lopts[NOPTS]));
	*sp = '\0';

	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (c == ':' || c == '?')
			return opts_refused(c, argv);
		for (i = 0; i < NOPTS && opt_defs[i].val != c; i++)
			;
		if (i == NOPTS || opt_set(o, &act, &opt_defs[i], optarg) == -1)
			return -1;
	}

	*exitp = CAT_EXIT_OK;
	if (act == ACT_HELP) {
		opts_help();
		return -1;
	}
	if (act == ACT_VERSION) {
		opts_version();
		return -1;
	}
	*exitp = CAT_EXIT_USAGE;
	if (optind == argc)
		return msg_usage("missing URL");
	if (argc - optind > 1)
		return msg_usage("one URL only: unexpected '%s'",
		    argv[optind + 1]);
	if (o->format == OUT_RAW && o->data_json)
		return msg_usage("--data-json does not go with --format raw");
	/*
	 * The stream is decoded as UTF-8, so no id received is anything
	 * else, and --json could not print one that is.
	 */
	if (o->last_id != NULL && !utf8_is_valid(o->last_id,
	    strlen(o->last_id)))
		return msg_usage("bad --last-event-id: not UTF-8");
	if (opts_url(o, argv[optind]) == -1 || state_load(o) == -1)
		return -1;
	return 0;
}

void
opts_free(struct opts *o)
{
	curl_slist_free_all(o->headers);
	o->headers = NULL;
	curl_free(o->url);
	o->url = NULL;
	free(o->token_buf);
	o->token_buf = NULL;
	free(o->state_id);
	o->state_id = NULL;
	filter_free(o);
}

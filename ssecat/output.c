/*
 * output.c: one event on stdout, in the format the user chose.
 *
 * Each event is flushed as soon as it is written: ssecat sits in pipes
 * (ssecat URL | jq), and an event held in a buffer is an event late.
 * What counts as an event, and its id, is the parser's business.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ssecat.h"

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left), or 0
 * with *badp set to how many bytes form its maximal ill-formed subpart:
 * the run that the WHATWG decoder turns into one U+FFFD.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, size_t *badp)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		*badp = 1;
		return 0;
	}
	for (i = 1; i < need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*badp = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/*
 * A JSON string of s.  jansson refuses invalid UTF-8, and an event must
 * not vanish for that: the bad bytes become U+FFFD, as in a browser.
 * NULL when out of memory.
 */
static json_t *
json_text(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	json_t			*j;
	char			*fixed;
	size_t			 i = 0, o = 0, n, bad;

	if ((j = json_stringn(s, len)) != NULL)
		return j;
	/* Each bad byte grows into at most three. */
	if (len > (SIZE_MAX - 1) / 3 || (fixed = malloc(3 * len + 1)) == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_seq(u + i, len - i, &bad)) > 0) {
			memcpy(fixed + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += bad;
		}
	}
	j = json_stringn(fixed, o);
	free(fixed);
	return j;
}

static int
output_json(const struct sse_event *ev)
{
	json_t	*obj = NULL, *id, *type, *data;
	int	 rc = -1;

	id = json_text(ev->id, strlen(ev->id));
	type = json_text(ev->type, strlen(ev->type));
	data = json_text(ev->data, ev->datalen);
	if (id == NULL || type == NULL || data == NULL ||
	    (obj = json_object()) == NULL) {
		json_decref(id);
		json_decref(type);
		json_decref(data);
		errno = ENOMEM;
		goto out;
	}
	/* set_new takes each reference even when it fails: call all three. */
	if ((json_object_set_new(obj, "id", id) |
	    json_object_set_new(obj, "event", type) |
	    json_object_set_new(obj, "data", data)) != 0) {
		errno = ENOMEM;
		goto out;
	}
	if (json_dumpf(obj, stdout, JSON_COMPACT) == -1 ||
	    putchar('\n') == EOF)
		goto out;
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

int
output_event(enum out_format fmt, const struct sse_event *ev)
{
	int	rc = 0;

	switch (fmt) {
	case OUT_DATA:
		if (fwrite(ev->data, 1, ev->datalen, stdout) != ev->datalen ||
		    putchar('\n') == EOF)
			rc = -1;
		break;
	case OUT_RAW:
		if (fwrite(ev->raw, 1, ev->rawlen, stdout) != ev->rawlen)
			rc = -1;
		break;
	case OUT_JSON:
		rc = output_json(ev);
		break;
	}
	if (fflush(stdout) == EOF)
		rc = -1;
	return rc;
}

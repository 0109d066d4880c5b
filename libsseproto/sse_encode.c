/*
 * sse_encode.c: one event to its SSE wire text.
 *
 * The encoder owns only the framing: which lines an event becomes.  It
 * never allocates except in sse_encode_alloc(), and it refuses (rather
 * than repairs) an id or event type that would break the framing, since
 * silently mangling an id would make Last-Event-ID resumption miss events.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

#define DATA_PREFIX	"data: "

int
sse_field_is_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 0;
	}
	return 1;
}

/*
 * Append the line "name: value LF" at *off, or only count it when out is
 * NULL, so that sse_encode_len() and sse_encode() cannot disagree.
 */
static void
put_line(char *out, size_t *off, const char *name, const char *value,
    size_t len)
{
	size_t n = strlen(name);

	if (out != NULL) {
		memcpy(out + *off, name, n);
		out[*off + n] = ':';
		out[*off + n + 1] = ' ';
		if (len > 0)	/* value may be NULL (empty data) */
			memcpy(out + *off + n + 2, value, len);
		out[*off + n + 2 + len] = '\n';
	}
	*off += n + 2 + len + 1;
}

/*
 * Frame m into out (or only measure it when out is NULL).  Every CR, LF or
 * CRLF in data ends a "data:" line, so the parser's rules give the data
 * back with LF line breaks.
 */
static ssize_t
encode(char *out, const struct sse_msg *m)
{
	char retry[32];
	const char *line, *end, *p;
	size_t off = 0, idlen = 0, evlen = 0;

	if (m == NULL || (m->data == NULL && m->datalen > 0))
		return SSE_EINVAL;
	/* Each data byte may cost a whole "data: " line: keep off in range. */
	if (m->datalen > SSIZE_MAX / (sizeof(DATA_PREFIX) + 1) - 256)
		return SSE_EINVAL;
	if (m->id != NULL) {
		idlen = strlen(m->id);
		if (!sse_field_is_valid(m->id, idlen))
			return SSE_EBADFIELD;
	}
	if (m->event != NULL) {
		evlen = strlen(m->event);
		if (!sse_field_is_valid(m->event, evlen))
			return SSE_EBADFIELD;
	}

	if (idlen > 0)
		put_line(out, &off, "id", m->id, idlen);
	if (evlen > 0)
		put_line(out, &off, "event", m->event, evlen);
	if (m->retry >= 0) {
		snprintf(retry, sizeof(retry), "%ld", m->retry);
		put_line(out, &off, "retry", retry, strlen(retry));
	}

	line = m->data;
	end = m->data + m->datalen;
	for (;;) {
		for (p = line; p < end && *p != '\r' && *p != '\n'; p++)
			;
		put_line(out, &off, "data", line, p - line);
		if (p == end)
			break;
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		line = p + 1;
	}

	if (out != NULL)
		out[off] = '\n';
	off++;
	return off;
}

ssize_t
sse_encode_len(const struct sse_msg *m)
{
	return encode(NULL, m);
}

ssize_t
sse_encode(char *buf, size_t size, const struct sse_msg *m)
{
	ssize_t n;

	if ((n = encode(NULL, m)) < 0)
		return n;
	if (buf == NULL || (size_t)n > size)
		return SSE_EINVAL;
	return encode(buf, m);
}

int
sse_encode_alloc(const struct sse_msg *m, char **outp, size_t *lenp)
{
	char *buf;
	ssize_t n;

	if ((n = encode(NULL, m)) < 0)
		return n;
	if ((buf = malloc(n)) == NULL)
		return SSE_ENOMEM;
	encode(buf, m);
	*outp = buf;
	*lenp = n;
	return 0;
}

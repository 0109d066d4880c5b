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
 * Where a frame goes: out[0..size), or nowhere when out is NULL (then
 * only off counts), so that sse_encode_len() and sse_encode() cannot
 * disagree.
 */
struct enc {
	char	*out;
	size_t	 size;
	size_t	 off;
};

/* Append the line "name: value LF"; -1 when it does not fit in out. */
static int
put_line(struct enc *e, const char *name, const char *value, size_t len)
{
	size_t n = strlen(name), need = n + 2 + len + 1;
	char *o;

	if (e->out != NULL) {
		if (need > e->size - e->off)
			return -1;
		o = e->out + e->off;
		memcpy(o, name, n);
		o[n] = ':';
		o[n + 1] = ' ';
		if (len > 0)	/* value may be NULL (empty data) */
			memcpy(o + n + 2, value, len);
		o[n + 2 + len] = '\n';
	}
	e->off += need;
	return 0;
}

/*
 * Where the line starting at p ends: its first CR or LF, or end.  *lf
 * is the first LF at or after p once known (end: none), kept between
 * calls so that a run of CRs before one LF does not search for it again:
 * memchr() instead of a loop over the bytes, each byte read at most twice.
 */
static const char *
line_end(const char *p, const char *end, const char **lf)
{
	const char *cr;

	if (p == end)
		return end;
	if (*lf == NULL || *lf < p) {
		*lf = memchr(p, '\n', end - p);
		if (*lf == NULL)
			*lf = end;
	}
	cr = memchr(p, '\r', *lf - p);
	return cr != NULL ? cr : *lf;
}

/*
 * Frame m into out[0..size) in one pass, or only measure it when out is
 * NULL.  Every CR, LF or CRLF in data ends a "data:" line, so the
 * parser's rules give the data back with LF line breaks.  The fields are
 * checked before anything is written; SSE_EINVAL as soon as a line does
 * not fit.
 */
static ssize_t
encode(char *out, size_t size, const struct sse_msg *m)
{
	struct enc e = { out, size, 0 };
	char retry[32];
	const char *line, *end, *p, *lf = NULL;
	size_t idlen = 0, evlen = 0;

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

	if (idlen > 0 && put_line(&e, "id", m->id, idlen) != 0)
		return SSE_EINVAL;
	if (evlen > 0 && put_line(&e, "event", m->event, evlen) != 0)
		return SSE_EINVAL;
	if (m->retry >= 0) {
		snprintf(retry, sizeof(retry), "%ld", m->retry);
		if (put_line(&e, "retry", retry, strlen(retry)) != 0)
			return SSE_EINVAL;
	}

	line = m->data;
	end = m->data + m->datalen;
	for (;;) {
		p = line_end(line, end, &lf);
		if (put_line(&e, "data", line, p - line) != 0)
			return SSE_EINVAL;
		if (p == end)
			break;
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		line = p + 1;
	}

	if (out != NULL) {
		if (e.off == size)
			return SSE_EINVAL;
		out[e.off] = '\n';
	}
	return e.off + 1;
}

ssize_t
sse_encode_len(const struct sse_msg *m)
{
	return encode(NULL, 0, m);
}

ssize_t
sse_encode(char *buf, size_t size, const struct sse_msg *m)
{
	ssize_t n;

	/* A NULL buf would mean "measure": judge m first, as with a buf. */
	if (buf == NULL)
		return (n = encode(NULL, 0, m)) < 0 ? n : SSE_EINVAL;
	return encode(buf, size, m);
}

int
sse_encode_alloc(const struct sse_msg *m, char **outp, size_t *lenp)
{
	char *buf;
	ssize_t n;

	if ((n = encode(NULL, 0, m)) < 0)
		return n;
	if ((buf = malloc(n)) == NULL)
		return SSE_ENOMEM;
	encode(buf, n, m);
	*outp = buf;
	*lenp = n;
	return 0;
}

/*
 * sse_parse.c: the incremental SSE parser.
 *
 * It follows the WHATWG "interpret an event stream" rules on bytes: the
 * BOM is skipped once, lines end in CR, LF or CRLF, a blank line
 * dispatches.  It does not decode UTF-8; the caller gets the bytes.
 *
 * The parser keeps only what a chunk boundary forces it to keep: the
 * part of the event block (raw) that came in earlier chunks, whose tail
 * is the partial line.  Inside one chunk lines are found with memchr and
 * handed over in place, and an event whose block lies in one chunk is
 * reported with raw pointing into the caller's buffer, so a load
 * generator reading big chunks copies little more than the data itself.
 * A block may not grow past p->max bytes, however it is chunked: a
 * server that never ends a line or a block cannot take all our memory.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

static const char bom[] = "\xEF\xBB\xBF";
#define BOMLEN	3

/* A growable byte string, always NUL-terminated when p is not NULL. */
struct sse__buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/*
 * lastid is only ever set from idbuf or together with it, and idbuf
 * never shrinks, so idbuf always has room for lastid: the reset that
 * copies lastid back into idbuf cannot fail.
 */
struct sse_parser {
	struct sse_parser_cb	 cb;
	struct sse__buf		 raw;	/* the block, when it spans chunks */
	size_t			 linelen; /* raw's tail: the partial line */
	size_t			 max;	/* largest block accepted */
	struct sse__buf		 data;
	struct sse__buf		 type;
	struct sse__buf		 idbuf;	/* the spec's "last event ID buffer" */
	struct sse__buf		 lastid; /* set from idbuf at each blank line */
	size_t			 bomseen; /* BOM bytes matched at the start */
	int			 started; /* past the BOM check */
	int			 after_cr; /* last byte was a line-ending CR */
	int			 pending; /* blank line ended in that CR */
};

static int
buf_reserve(struct sse__buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (more > SIZE_MAX - b->len - 1)
		return SSE_ENOMEM;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap > 0 ? b->cap : 64;
	while (cap < b->len + more + 1)
		cap = cap > SIZE_MAX / 2 ? b->len + more + 1 : cap * 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return SSE_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int
buf_append(struct sse__buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return SSE_ENOMEM;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Make room for n bytes in all; the content is kept. */
static int
buf_fit(struct sse__buf *b, size_t n)
{
	return n > b->len ? buf_reserve(b, n - b->len) : 0;
}

/* Replace the content; on failure the old content is kept.  s may be b's. */
static int
buf_set(struct sse__buf *b, const char *s, size_t n)
{
	if (buf_fit(b, n) != 0)
		return SSE_ENOMEM;
	if (b->p == NULL)	/* n == 0 and never allocated */
		return 0;
	if (n > 0)
		memmove(b->p, s, n);
	b->len = n;
	b->p[n] = '\0';
	return 0;
}

static void
buf_clear(struct sse__buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static const char *
buf_str(const struct sse__buf *b)
{
	return b->p != NULL ? b->p : "";
}

struct sse_parser *
sse_parser_new(const struct sse_parser_cb *cb)
{
	struct sse_parser *p;

	if (cb == NULL)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cb = *cb;
	p->max = SSE_PARSER_MAX_BLOCK;
	return p;
}

void
sse_parser_free(struct sse_parser *p)
{
	if (p == NULL)
		return;
	free(p->raw.p);
	free(p->data.p);
	free(p->type.p);
	free(p->idbuf.p);
	free(p->lastid.p);
	free(p);
}

void
sse_parser_reset(struct sse_parser *p)
{
	buf_clear(&p->raw);
	p->linelen = 0;
	buf_clear(&p->data);
	buf_clear(&p->type);
	/*
	 * An id seen in a block that never ended is not in force.  idbuf
	 * has room for lastid (see struct sse_parser): this cannot fail.
	 */
	(void)buf_set(&p->idbuf, p->lastid.p, p->lastid.len);
	p->bomseen = 0;
	p->started = 0;
	p->after_cr = 0;
	p->pending = 0;
}

const char *
sse_parser_last_id(const struct sse_parser *p)
{
	return buf_str(&p->lastid);
}

/* Both buffers are grown before either changes: all or nothing. */
int
sse_parser_set_last_id(struct sse_parser *p, const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (buf_fit(&p->idbuf, n) != 0 || buf_fit(&p->lastid, n) != 0)
		return SSE_ENOMEM;
	(void)buf_set(&p->lastid, id, n);
	(void)buf_set(&p->idbuf, id, n);
	return 0;
}

void
sse_parser_set_max(struct sse_parser *p, size_t max)
{
	p->max = max;
}

/* 1 when the block so far, p->raw then blk up to end, is over p->max. */
static int
too_big(const struct sse_parser *p, const char *blk, const char *end)
{
	return p->raw.len > p->max || (size_t)(end - blk) > p->max - p->raw.len;
}

/*
 * A blank line ended the block whose bytes are p->raw followed by
 * chunk[0..rawlen).  The spec's "dispatch the event" steps, in order.
 */
static int
dispatch(struct sse_parser *p, const char *chunk, size_t rawlen)
{
	struct sse_event ev;
	int rc = 0;

	/*
	 * What can run out first: the rest of a block that spans chunks,
	 * then the last id.  On failure the event is not delivered and
	 * lastid keeps the id in force before this block.
	 */
	if (p->data.len > 0 && p->raw.len > 0 &&
	    buf_append(&p->raw, chunk, rawlen) != 0) {
		rc = SSE_ENOMEM;
		goto out;
	}
	if (buf_set(&p->lastid, p->idbuf.p, p->idbuf.len) != 0) {
		rc = SSE_ENOMEM;
		goto out;
	}
	if (p->data.len == 0)
		goto out;
	if (p->raw.len > 0) {
		ev.raw = p->raw.p;
		ev.rawlen = p->raw.len;
	} else {
		ev.raw = chunk;
		ev.rawlen = rawlen;
	}
	/* data always ends in the LF its last line added: drop it. */
	p->data.p[--p->data.len] = '\0';
	ev.id = buf_str(&p->lastid);
	ev.type = p->type.len > 0 ? p->type.p : "message";
	ev.data = p->data.p;
	ev.datalen = p->data.len;
	if (p->cb.on_event != NULL)
		p->cb.on_event(&ev, p->cb.arg);
out:
	buf_clear(&p->data);
	buf_clear(&p->type);
	buf_clear(&p->raw);
	return rc;
}

/* 1 when s holds one or more ASCII digits and nothing else. */
static int
parse_retry(const char *s, size_t n, unsigned long *msp)
{
	unsigned long ms = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		/* Saturate: a huge delay still means "wait very long". */
		if (ms > (ULONG_MAX - (s[i] - '0')) / 10)
			ms = ULONG_MAX;
		else
			ms = ms * 10 + (s[i] - '0');
	}
	*msp = ms;
	return 1;
}

/* One non-blank line, without its line end. */
static int
process_line(struct sse_parser *p, const char *s, size_t n)
{
	const char *colon, *val;
	size_t namelen, vlen;
	unsigned long ms;

	if (s[0] == ':') {
		if (p->cb.on_comment != NULL)
			p->cb.on_comment(s + 1, n - 1, p->cb.arg);
		return 0;
	}
	if ((colon = memchr(s, ':', n)) != NULL) {
		namelen = colon - s;
		val = colon + 1;
		vlen = n - namelen - 1;
		if (vlen > 0 && val[0] == ' ') {
			val++;
			vlen--;
		}
	} else {
		namelen = n;
		val = s + n;
		vlen = 0;
	}

	if (namelen == 4 && memcmp(s, "data", 4) == 0) {
		if (buf_append(&p->data, val, vlen) != 0 ||
		    buf_append(&p->data, "\n", 1) != 0)
			return SSE_ENOMEM;
	} else if (namelen == 5 && memcmp(s, "event", 5) == 0) {
		if (buf_set(&p->type, val, vlen) != 0)
			return SSE_ENOMEM;
	} else if (namelen == 2 && memcmp(s, "id", 2) == 0) {
		if (memchr(val, '\0', vlen) == NULL &&
		    buf_set(&p->idbuf, val, vlen) != 0)
			return SSE_ENOMEM;
	} else if (namelen == 5 && memcmp(s, "retry", 5) == 0) {
		if (parse_retry(val, vlen, &ms) && p->cb.on_retry != NULL)
			p->cb.on_retry(ms, p->cb.arg);
	}
	return 0;
}

/*
 * Parse buf[0..len), which follows the BOM check.  blk marks where the
 * current block starts in buf (or, when it began in an earlier chunk,
 * where its bytes not yet in p->raw start); whatever of the block is
 * still in buf when it runs out is saved in p->raw.  The size of the
 * block is checked at every line end and at the end of buf, before the
 * line is acted on, so the same calls are made however buf is chunked.
 */
static int
scan(struct sse_parser *p, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *blk = buf, *e, *line;
	const char *nl = NULL, *cr = NULL;
	size_t n;
	int rc = 0;

	while (s < end) {
		if (p->after_cr) {
			/* The LF of a CRLF split over two chunks. */
			if (*s == '\n')
				s++;
			p->after_cr = 0;
			if (p->pending) {
				p->pending = 0;
				if (too_big(p, blk, s)) {
					rc = SSE_ETOOBIG;
					goto out;
				}
				if ((rc = dispatch(p, blk, s - blk)) != 0)
					goto out;
				blk = s;
			}
			continue;
		}

		/*
		 * Remember the next CR and LF: re-searching for the one that
		 * is absent would make CR-only (or LF-only) input quadratic.
		 */
		if (nl == NULL || nl < s)
			nl = (nl = memchr(s, '\n', end - s)) != NULL ? nl : end;
		if (cr == NULL || cr < s)
			cr = (cr = memchr(s, '\r', nl - s)) != NULL ? cr : nl;
		e = cr < nl ? cr : nl;
		if (e == end) {
			/* Saved in p->raw below. */
			p->linelen += end - s;
			s = end;
			break;
		}
		if (too_big(p, blk, e + 1)) {
			rc = SSE_ETOOBIG;
			goto out;
		}

		if (p->linelen > 0) {
			/* Begun in an earlier chunk: join it up in raw. */
			if (buf_append(&p->raw, blk, e - blk) != 0) {
				rc = SSE_ENOMEM;
				goto out;
			}
			blk = e;
			n = p->linelen + (e - s);
			line = p->raw.p + p->raw.len - n;
			p->linelen = 0;
		} else {
			line = s;
			n = e - s;
		}
		s = e + 1;
		if (*e == '\r')
			p->after_cr = 1;

		if (n > 0) {
			if ((rc = process_line(p, line, n)) != 0)
				goto out;
		} else if (p->after_cr) {
			/* Wait for a possible LF: it belongs in raw. */
			p->pending = 1;
		} else {
			if ((rc = dispatch(p, blk, s - blk)) != 0)
				goto out;
			blk = s;
		}
	}
	if (too_big(p, blk, end))
		rc = SSE_ETOOBIG;
	else if (buf_append(&p->raw, blk, end - blk) != 0)
		rc = SSE_ENOMEM;
out:
	return rc;
}

int
sse_parser_feed(struct sse_parser *p, const char *buf, size_t len)
{
	size_t i;
	int rc = 0;

	if (len == 0)
		return 0;
	/* The BOM may come a byte at a time: match it before parsing. */
	if (!p->started) {
		for (i = 0; i < len && p->bomseen < BOMLEN; i++) {
			if (buf[i] != bom[p->bomseen])
				break;
			p->bomseen++;
		}
		if (p->bomseen == BOMLEN) {
			p->started = 1;
			buf += i;
			len -= i;
		} else if (i < len) {
			/* Not a BOM after all: its first bytes are text. */
			p->started = 1;
			if (p->bomseen > 0 &&
			    (rc = scan(p, bom, p->bomseen)) != 0)
				goto out;
			buf += i;
			len -= i;
		} else
			return 0;
	}
	rc = scan(p, buf, len);
out:
	if (rc != 0)
		sse_parser_reset(p);
	return rc;
}

int
sse_parser_end(struct sse_parser *p)
{
	int rc = 0;

	/* Only a blank line ended by the very last byte, a CR, waits. */
	if (p->pending)
		rc = dispatch(p, "", 0);
	sse_parser_reset(p);
	return rc;
}

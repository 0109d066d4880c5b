/*
 * event.c: ids, frames and events.  Nothing here knows about topics or
 * connections.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "loop.h"

#define CHUNK_HDR_MAX	18	/* 16 hex digits + CRLF */

static struct evid last_id;

int
evid_cmp(const struct evid *a, const struct evid *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

int
evid_is_zero(const struct evid *a)
{
	return a->ms == 0 && a->seq == 0;
}

static int
parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t	 i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*v = n;
	return 0;
}

int
evid_parse(const char *s, size_t len, struct evid *id)
{
	const char *dash = memchr(s, '-', len);

	if (dash == NULL)
		return -1;
	if (parse_u64(s, (size_t)(dash - s), &id->ms) == -1 ||
	    parse_u64(dash + 1, len - (size_t)(dash - s) - 1, &id->seq) == -1)
		return -1;
	return 0;
}

/*
 * Every publish formats an id, a chunk size and its answer, and
 * snprintf() showed in its profile.
 */
size_t
put_uint(char *buf, uint64_t v, unsigned base)
{
	char	tmp[20];
	size_t	n = 0, i;

	do
		tmp[n++] = "0123456789abcdef"[v % base];
	while ((v /= base) != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

void
evid_format(const struct evid *id, char buf[EVID_STRLEN])
{
	size_t n = put_uint(buf, id->ms, 10);

	buf[n++] = '-';
	n += put_uint(buf + n, id->seq, 10);
	buf[n] = '\0';
}

struct evid
evid_next(int64_t now_ms)
{
	uint64_t now = now_ms > 0 ? (uint64_t)now_ms : 0;

	/* A clock that steps back keeps the old ms and counts on. */
	if (now > last_id.ms) {
		last_id.ms = now;
		last_id.seq = 0;
	} else
		last_id.seq++;
	return last_id;
}

static struct frame *
frame_alloc(size_t textlen)
{
	struct frame	*f;
	char		 hex[CHUNK_HDR_MAX];
	size_t		 n;

	if (textlen > SIZE_MAX - CHUNK_HDR_MAX - 2 - sizeof(*f))
		return NULL;
	if ((f = malloc(sizeof(*f) + CHUNK_HDR_MAX + textlen + 2)) == NULL)
		return NULL;
	f->refs = 1;
	f->text = CHUNK_HDR_MAX;
	f->textlen = textlen;
	n = put_uint(hex, textlen, 16);
	hex[n++] = '\r';
	hex[n++] = '\n';
	f->hdr = f->text - n;
	memcpy(f->buf + f->hdr, hex, n);
	memcpy(f->buf + f->text + textlen, "\r\n", 2);
	return f;
}

struct frame *
frame_new(const char *text, size_t len)
{
	struct frame *f;

	if ((f = frame_alloc(len)) != NULL)
		memcpy(f->buf + f->text, text, len);
	return f;
}

struct frame *
frame_encode(const struct sse_msg *m, int *err)
{
	struct frame	*f;
	ssize_t		 len;

	if ((len = sse_encode_len(m)) < 0) {
		*err = (int)len;
		return NULL;
	}
	if ((f = frame_alloc((size_t)len)) == NULL) {
		*err = SSE_ENOMEM;
		return NULL;
	}
	if ((len = sse_encode(f->buf + f->text, (size_t)len, m)) < 0) {
		*err = (int)len;
		free(f);
		return NULL;
	}
	return f;
}

struct frame *
frame_ref(struct frame *f)
{
	f->refs++;
	return f;
}

void
frame_unref(struct frame *f)
{
	if (f != NULL && --f->refs == 0)
		free(f);
}

struct event *
event_new(const char *topic, const char *type, const char *data,
    size_t datalen, int *err)
{
	struct event	*ev;
	struct sse_msg	 m;
	size_t		 tlen = strlen(topic) + 1;
	size_t		 ylen = type != NULL && *type != '\0' ?
			    strlen(type) + 1 : 0;
	char		*p;

	/* Validate before taking an id: a refused event uses none. */
	if (ylen > 0 && !sse_field_is_valid(type, ylen - 1)) {
		*err = SSE_EBADFIELD;
		return NULL;
	}
	/* One block: the event, then its data, topic and type. */
	if (datalen > SIZE_MAX - sizeof(*ev) - tlen - ylen - 1 ||
	    (ev = calloc(1, sizeof(*ev) + datalen + 1 + tlen + ylen)) == NULL)
		goto nomem;
	ev->refs = 1;
	p = (char *)(ev + 1);
	ev->data = p;
	memcpy(p, data, datalen);
	p[datalen] = '\0';
	ev->datalen = datalen;
	p += datalen + 1;
	ev->topic = memcpy(p, topic, tlen);
	if (ylen > 0)
		ev->type = memcpy(p + tlen, type, ylen);
	ev->created = loop_wallclock();
	ev->id = evid_next(ev->created);
	evid_format(&ev->id, ev->idstr);

	m = (struct sse_msg){ .id = ev->idstr, .event = ev->type,
	    .data = ev->data, .datalen = datalen, .retry = -1 };
	if ((ev->frame = frame_encode(&m, err)) == NULL)
		goto fail;
	return ev;
nomem:
	*err = SSE_ENOMEM;
fail:
	event_unref(ev);
	return NULL;
}

struct frame *
event_typed_frame(struct event *ev)
{
	struct sse_msg	m;
	int		err;

	if (ev->type != NULL)
		return ev->frame;
	if (ev->typed == NULL) {
		m = (struct sse_msg){ .id = ev->idstr, .event = "notification",
		    .data = ev->data, .datalen = ev->datalen, .retry = -1 };
		ev->typed = frame_encode(&m, &err);
	}
	return ev->typed;
}

struct event *
event_ref(struct event *ev)
{
	ev->refs++;
	return ev;
}

void
event_unref(struct event *ev)
{
	if (ev == NULL || --ev->refs > 0)
		return;
	frame_unref(ev->frame);
	frame_unref(ev->typed);
	free(ev);
}

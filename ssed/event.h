/*
 * event.h: event ids, wire frames and published events.
 *
 * A frame is the wire text of one SSE message, encoded once and shared,
 * reference counted, by every subscriber it goes to.  Its buffer holds the
 * text wrapped as one HTTP/1.1 chunk ("<hex>\r\n" text "\r\n"), so a
 * chunked stream sends the whole buffer and an HTTP/1.0 stream sends the
 * text alone: one buffer, one send() either way.
 */
#ifndef SSED_EVENT_H
#define SSED_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <sseproto.h>

/* An event id: <unix-ms>-<seq>, ordered as the pair. */
struct evid {
	uint64_t	ms;
	uint64_t	seq;
};

#define EVID_STRLEN	48

int	 evid_cmp(const struct evid *, const struct evid *);
int	 evid_is_zero(const struct evid *);
/* 0, or -1 when s (len bytes) is not <digits>-<digits>. */
int	 evid_parse(const char *s, size_t len, struct evid *);
void	 evid_format(const struct evid *, char buf[EVID_STRLEN]);
/* v in base 10 or 16 at buf (20 bytes will do), no NUL; the length. */
size_t	 put_uint(char *buf, uint64_t v, unsigned base);
/*
 * The next id of the broker: strictly greater than every id handed out
 * before, even when the wall clock steps back.
 */
struct evid	 evid_next(int64_t now_ms);

struct frame {
	unsigned	 refs;
	size_t		 hdr;		/* offset of the chunk header */
	size_t		 text;		/* offset of the SSE text */
	size_t		 textlen;
	char		 buf[];
};

/* A frame holding text; NULL when out of memory. refs = 1. */
struct frame	*frame_new(const char *text, size_t len);
/* A frame holding the encoding of m; NULL and *err set on failure. */
struct frame	*frame_encode(const struct sse_msg *m, int *err);
struct frame	*frame_ref(struct frame *);
void		 frame_unref(struct frame *);

static inline const char *
frame_bytes(const struct frame *f, int chunked, size_t *len)
{
	if (chunked) {
		*len = f->text + f->textlen + 2 - f->hdr;
		return f->buf + f->hdr;
	}
	*len = f->textlen;
	return f->buf + f->text;
}

/* A published event.  History and in-flight lists hold references. */
struct event {
	unsigned	 refs;
	struct evid	 id;
	char		 idstr[EVID_STRLEN];
	int64_t		 created;	/* wall clock ms */
	char		*topic;		/* these three live in the */
	char		*type;		/* event's own allocation; */
	char		*data;		/* type NULL: untyped */
	size_t		 datalen;
	struct frame	*frame;		/* id, type, data */
	struct frame	*typed;		/* same with "event: notification"
					   when untyped; built on demand */
};

/* A new event with the next id; NULL with *err set on failure. */
struct event	*event_new(const char *topic, const char *type,
		    const char *data, size_t datalen, int *err);
struct event	*event_ref(struct event *);
/*
 * The frame for streams where every frame names its type (the per-user
 * stream): an untyped event is a "notification" there.  NULL when out of
 * memory.
 */
struct frame	*event_typed_frame(struct event *);
void		 event_unref(struct event *);

#endif

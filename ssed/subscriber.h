/*
 * subscriber.h: one open event stream.
 *
 * A subscriber follows one or more topics.  Once its front has flushed the
 * response head, the subscriber owns the socket: every event is written
 * with one send() of the event's shared frame, and only what the kernel
 * does not take is queued (bounded), to be flushed on EPOLLOUT.  A
 * subscriber that hangs up, passes its bound or stalls past the write
 * timeout is closed at once; it loses nothing, because it reconnects with
 * its last id and is replayed from history.
 *
 * The front (http_stream.c) creates the subscriber and hands it the
 * socket with sub_own(); from then on the subscriber ends the stream
 * itself (the last chunk, close) and tells the front through
 * ops->finish, which frees it.  A subscriber ended before it owns the
 * socket is ended by its front, which asks sub_is_active().
 */
#ifndef SSED_SUBSCRIBER_H
#define SSED_SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "event.h"
#include "loop.h"
#include "topic.h"

enum sub_state {
	SUB_STARTING,	/* the front still writes the response head */
	SUB_LIVE,
	SUB_CLOSING,	/* a last frame is queued; close when flushed */
	SUB_DONE,	/* ended; freed by its front */
};

enum sub_kind {
	SUB_UPDATES,	/* GET /sse/updates/{topic} */
	SUB_EVENTS,	/* GET /api/v1/client/events */
};

/* Event types of the per-user stream, as bits for the types= filter. */
#define SUB_TYPES(X)					\
	X(NOTIFICATION, 0x1, "notification")		\
	X(STATUS_UPDATE, 0x2, "status_update")		\
	X(ERROR, 0x4, "error")				\
	X(PING, 0x8, "ping")
enum {
#define X(name, bit, str) SUB_T_##name = (bit),
	SUB_TYPES(X)
#undef X
};
/* The bit of a type name (len bytes), or 0 when unknown. */
unsigned	 sub_type_bit(const char *name, size_t len);

struct sub;

struct sub_ops {
	/* The stream has ended and its socket is closed. */
	void	(*finish)(struct sub *);
};

struct qent {
	struct frame	*f;
	size_t		 off;
};

struct sub {
	/* What each delivery touches comes first: one cache line. */
	enum sub_state		 state;
	enum sub_kind		 kind;
	int			 owned;		/* we write the socket */
	int			 chunked;
	struct loop_io		 io;
	unsigned		 qlen;
	unsigned		 types;		/* SUB_EVENTS: SUB_T_* mask */
	uint64_t		 events_sent;
	uint64_t		 bytes_sent;
	struct evid		 last;		/* last id the client has */
	size_t			 qbytes;
	uint64_t		 round;		/* loop round of the last send() */

	uint64_t		 id;
	int			 clean;		/* when DONE: end cleanly */
	int			 reason;	/* enum close_reason, -1 */
	const struct sub_ops	*ops;
	void			*front;

	struct sublink		*links;
	unsigned		 nlinks;

	struct qent		*q;
	unsigned		 qhead, qcap;
	int64_t			 stalled_since;	/* monotonic ms, while stalled */

	char			*user;
	char			*client_id;
	char			*limit_key;	/* counted in ulimit.c */
	char			*label;		/* topics, for log lines */
	struct loop_timer	*expiry;	/* the token's exp */
	char			 remote[64];
	int64_t			 connected_at;	/* wall clock ms */
	int64_t			 connected_mono;

	LIST_ENTRY(sub)		 entry;		/* all subscribers */
	LIST_ENTRY(sub)		 sentry;	/* stalled ones */
	int			 stalled;
	LIST_ENTRY(sub)		 pentry;	/* pending ones */
	int			 pending;	/* queued for the round's end */
};

struct sub	*sub_new(enum sub_kind, const struct sub_ops *, void *front);
/* Follow n topics; 0 or -1 when out of memory. */
int		 sub_follow(struct sub *, struct topic **topics, unsigned n);
/* Queue a frame before the subscriber goes live (replay, errors). */
int		 sub_queue(struct sub *, struct frame *, int is_event);
/*
 * The frame of ev for s: the shared one, or the typed one on the per-user
 * stream; NULL when s filters ev out (types=) or, with *nomem set, when
 * memory runs out.
 */
struct frame	*sub_frame_for(struct sub *, struct event *, int *nomem);
/* Queue a retained event for a resuming subscriber; 0 or -1. */
int		 sub_replay_event(struct sub *, struct event *);
/*
 * Deliver a published event (fan-out): 1 when it was handed to the
 * stream (sent, queued, or the write found the stream gone), 0 when the
 * stream's type filter leaves it out or its frame could not be made.
 */
int		 sub_deliver(struct sub *, struct event *);
/*
 * Take over the socket fd (a duplicate the subscriber closes), after all
 * the front wrote on it was sent.  s->chunked is set before anything is
 * queued, so that queued bytes count the framing they are sent with.
 */
void		 sub_own(struct sub *, int fd);
/* Send an error event (code, message) then close cleanly. */
void		 sub_kick(struct sub *, const char *code, const char *message,
		    int reason);
/* Send last after what is queued, then end the stream cleanly. */
void		 sub_close_with(struct sub *, struct frame *last, int reason);
/* Close at once, dropping what is queued. */
void		 sub_abort(struct sub *, int reason);
/* Close every stream at once (the last step of a shutdown). */
void		 sub_abort_all(int reason);
void		 sub_free(struct sub *);
int		 sub_is_active(const struct sub *);
struct sub	*sub_first(void);
struct sub	*sub_find(uint64_t id);
/*
 * The frame of an error event for s, with a JSON body {code, message
 * [, extra_key: extra_val]}.  On the per-user stream it repeats the last
 * id the client has, so that every frame has an id and Last-Event-ID does
 * not move.
 */
struct frame	*sub_error_frame(const struct sub *s, const char *code,
		    const char *message, const char *extra_key,
		    const char *extra_val);
/* Write (or queue) a frame that is not an event: pings, hints. */
void		 sub_send_frame(struct sub *, struct frame *);
/* Close s with TOKEN_EXPIRED at unix time t (seconds); 0 or -1. */
int		 sub_set_expiry(struct sub *, int64_t t);
struct sub	*sub_stalled_first(void);

/* Heartbeats and write timeouts (sub_timers.c): started once by main. */
void		 sub_timers_start(void);
void		 sub_timers_stop(void);
void		 sub_stall_watch(void);
/* Close every subscriber (shutdown): retry hint then end of stream. */
void		 sub_close_all(int reason);

#endif

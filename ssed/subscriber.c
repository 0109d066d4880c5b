/*
 * subscriber.c: writing events to streams we own, bounded queues, and the
 * close paths (kick, hang-up, slow reader, write timeout, shutdown).
 *
 * Fan-out calls sub_deliver() once per subscriber per event.  The first
 * frame a stream gets in a loop round is one send() of the shared frame
 * and nothing else.  More frames for it in the same round (a batch
 * publish) wait on its "pending" queue and go out in writev() calls of
 * at most 64 frames or 64 KiB, the last one at the end of the round: a
 * batch of 1,000 events costs a stream about 17 system calls, not 1,000.  A stream whose socket refused bytes is
 * "stalled": its queue is bounded and written when the socket is
 * writable again.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "subscriber.h"
#include "ulimit.h"

#define FLUSH_IOV	64
#define PENDING_MAX	65536	/* bytes a stream holds back in one round */

/*
 * Every subscriber not yet freed; those with output their socket refused;
 * those with output held for the end of the loop round.
 */
static LIST_HEAD(, sub)	 subs = LIST_HEAD_INITIALIZER(subs);
static LIST_HEAD(, sub)	 stalled = LIST_HEAD_INITIALIZER(stalled);
static LIST_HEAD(, sub)	 pending = LIST_HEAD_INITIALIZER(pending);
static uint64_t		 next_id = 1;

static void	sub_io(struct loop_io *, uint32_t);
static void	sub_finish(struct sub *, int clean, int reason);
static int	q_flush(struct sub *);

struct sub *
sub_new(enum sub_kind kind, const struct sub_ops *ops, void *front)
{
	struct sub *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->id = next_id++;
	s->kind = kind;
	s->ops = ops;
	s->front = front;
	s->io.fd = -1;
	s->reason = -1;
	s->connected_at = loop_wallclock();
	s->connected_mono = loop_now();
	LIST_INSERT_HEAD(&subs, s, entry);
	broker.nsubs++;
	broker.stats.connections_total++;
	return s;
}

int
sub_follow(struct sub *s, struct topic **topics, unsigned n)
{
	unsigned i;

	if ((s->links = calloc(n, sizeof(*s->links))) == NULL)
		return -1;
	s->nlinks = n;
	for (i = 0; i < n; i++) {
		s->links[i].sub = s;
		topic_link(topics[i], &s->links[i]);
	}
	return 0;
}

static void
sub_unfollow(struct sub *s)
{
	unsigned i;

	for (i = 0; i < s->nlinks; i++)
		topic_unlink(&s->links[i]);
}

int
sub_is_active(const struct sub *s)
{
	return s->state == SUB_STARTING || s->state == SUB_LIVE;
}

struct sub *
sub_first(void)
{
	return LIST_FIRST(&subs);
}

struct sub *
sub_find(uint64_t id)
{
	struct sub *s;

	LIST_FOREACH(s, &subs, entry)
		if (s->id == id)
			return s;
	return NULL;
}

static void
stall_begin(struct sub *s)
{
	if (s->stalled)
		return;
	s->stalled = 1;
	s->stalled_since = loop_now();
	LIST_INSERT_HEAD(&stalled, s, sentry);
	if (s->owned)
		loop_mod(&s->io, EPOLLRDHUP | EPOLLOUT);
	sub_stall_watch();
}

struct sub *
sub_stalled_first(void)
{
	return LIST_FIRST(&stalled);
}

static void
stall_end(struct sub *s)
{
	if (!s->stalled)
		return;
	s->stalled = 0;
	LIST_REMOVE(s, sentry);
	if (s->owned && s->io.fd != -1)
		loop_mod(&s->io, EPOLLRDHUP);
}

/* Append f (from byte off) to the queue; -1 when out of memory. */
static int
q_append(struct sub *s, struct frame *f, size_t off)
{
	size_t len;

	if (s->qlen == s->qcap) {
		unsigned	 ncap = s->qcap ? s->qcap * 2 : 4, i;
		struct qent	*nq;

		if ((nq = calloc(ncap, sizeof(*nq))) == NULL)
			return -1;
		for (i = 0; i < s->qlen; i++)
			nq[i] = s->q[(s->qhead + i) % s->qcap];
		free(s->q);
		s->q = nq;
		s->qcap = ncap;
		s->qhead = 0;
	}
	s->q[(s->qhead + s->qlen) % s->qcap] = (struct qent){ frame_ref(f), off };
	s->qlen++;
	frame_bytes(f, s->chunked, &len);
	s->qbytes += len - off;
	return 0;
}

/* s holds bytes its socket refused (or has no socket yet): count them. */
static void
q_stalled(struct sub *s)
{
	stall_begin(s);
	if (s->qbytes > broker.stats.queue_high_water)
		broker.stats.queue_high_water = s->qbytes;
}

/* Queue f behind bytes the socket refused: written when it is writable. */
static int
q_push(struct sub *s, struct frame *f, size_t off)
{
	if (q_append(s, f, off) == -1)
		return -1;
	q_stalled(s);
	return 0;
}

static void
pend_del(struct sub *s)
{
	if (!s->pending)
		return;
	s->pending = 0;
	LIST_REMOVE(s, pentry);
}

/* Write the queue now; what the socket does not take waits for EPOLLOUT. */
static void
pend_flush(struct sub *s)
{
	pend_del(s);
	if (q_flush(s) == 0 && s->qlen > 0)
		q_stalled(s);
}

/* The end of a loop round: every pending stream gets one writev(). */
static void
pend_flush_all(void *arg)
{
	(void)arg;
	while (!LIST_EMPTY(&pending))
		pend_flush(LIST_FIRST(&pending));
}

static void
pend_add(struct sub *s)
{
	if (s->pending)
		return;
	if (LIST_EMPTY(&pending) && loop_defer(pend_flush_all, NULL) == -1) {
		pend_flush(s);		/* out of memory: write it now */
		return;
	}
	s->pending = 1;
	LIST_INSERT_HEAD(&pending, s, pentry);
}

static void
q_clear(struct sub *s)
{
	while (s->qlen > 0) {
		frame_unref(s->q[s->qhead].f);
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
	}
	free(s->q);
	s->q = NULL;
	s->qcap = s->qhead = 0;
	s->qbytes = 0;
	stall_end(s);
}

/*
 * Write as much of the queue as the socket takes.  Returns 0 (all or
 * part written) or -1 when the connection is gone (already aborted).
 */
static int
q_flush(struct sub *s)
{
	struct iovec	 iov[FLUSH_IOV];
	ssize_t		 n;
	unsigned	 i, cnt;

	while (s->qlen > 0) {
		cnt = s->qlen < FLUSH_IOV ? s->qlen : FLUSH_IOV;
		for (i = 0; i < cnt; i++) {
			struct qent	*e = &s->q[(s->qhead + i) % s->qcap];
			size_t		 len;
			const char	*p = frame_bytes(e->f, s->chunked, &len);

			iov[i].iov_base = (char *)p + e->off;
			iov[i].iov_len = len - e->off;
		}
		n = writev(s->io.fd, iov, (int)cnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			sub_abort(s, CLOSE_HANGUP);
			return -1;
		}
		s->bytes_sent += (uint64_t)n;
		broker.stats.bytes_sent += (uint64_t)n;
		s->qbytes -= (size_t)n;
		s->stalled_since = loop_now();
		for (i = 0; i < cnt && n > 0; i++) {
			struct qent *e = &s->q[s->qhead];

			if ((size_t)n < iov[i].iov_len) {
				e->off += (size_t)n;
				return 0;
			}
			n -= (ssize_t)iov[i].iov_len;
			frame_unref(e->f);
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
		}
	}
	stall_end(s);
	if (s->state == SUB_CLOSING)
		sub_finish(s, 1, -1);
	return 0;
}

/*
 * Send f now when it is the stream's first frame in this loop round and
 * nothing is queued; else queue it: pending (written at the end of the
 * round) while the socket takes what it is given, behind the refused
 * bytes (bounded: past the bound the reader is too slow) once it does not.
 */
void
sub_send_frame(struct sub *s, struct frame *f)
{
	uint64_t	 round = loop_round();
	const char	*p;
	size_t		 len;
	ssize_t		 n;

	if (s->owned && s->qlen == 0 && s->round != round) {
		s->round = round;
		p = frame_bytes(f, s->chunked, &len);
		do
			n = send(s->io.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				sub_abort(s, CLOSE_HANGUP);
				return;
			}
			n = 0;
		}
		s->bytes_sent += (uint64_t)n;
		broker.stats.bytes_sent += (uint64_t)n;
		if ((size_t)n < len && q_push(s, f, (size_t)n) == -1)
			sub_abort(s, CLOSE_NOMEM);
		return;
	}
	if (!s->owned || s->stalled) {
		if (s->owned && (s->qbytes > broker.cfg.queue_bytes ||
		    s->qlen >= broker.cfg.queue_events)) {
			sub_abort(s, CLOSE_SLOW);
			return;
		}
		if (q_push(s, f, 0) == -1)
			sub_abort(s, CLOSE_NOMEM);
		return;
	}
	if (q_append(s, f, 0) == -1) {
		sub_abort(s, CLOSE_NOMEM);
		return;
	}
	if (s->qlen >= FLUSH_IOV || s->qbytes >= PENDING_MAX)
		pend_flush(s);	/* a big batch: no need to hold it all */
	else
		pend_add(s);
}

int
sub_queue(struct sub *s, struct frame *f, int is_event)
{
	if (is_event)
		s->events_sent++;
	return q_push(s, f, 0);
}

int
sub_deliver(struct sub *s, struct event *ev)
{
	struct frame	*f;
	int		 nomem;

	if (!sub_is_active(s))
		return 0;
	if ((f = sub_frame_for(s, ev, &nomem)) == NULL) {
		if (nomem)
			sub_abort(s, CLOSE_NOMEM);
		return 0;
	}
	s->events_sent++;
	broker.stats.events_delivered++;
	s->last = ev->id;
	sub_send_frame(s, f);
	return 1;
}

int
sub_replay_event(struct sub *s, struct event *ev)
{
	struct frame	*f;
	int		 nomem;

	if ((f = sub_frame_for(s, ev, &nomem)) == NULL)
		return nomem ? -1 : 0;
	if (sub_queue(s, f, 1) == -1)
		return -1;
	s->last = ev->id;
	return 0;
}

void
sub_own(struct sub *s, int fd)
{
	uint32_t ev = EPOLLRDHUP;

	s->owned = 1;
	if (s->state == SUB_STARTING)
		s->state = SUB_LIVE;
	if (s->qlen > 0)
		ev |= EPOLLOUT;
	if (loop_add(&s->io, fd, ev, sub_io, s) == -1) {
		log_warn("%s: epoll add fd %d: %s", __func__, fd,
		    strerror(errno));
		close(fd);
		s->io.fd = -1;
		sub_abort(s, CLOSE_INTERNAL);
		return;
	}
	if (s->qlen > 0)
		q_flush(s);
	else if (s->state == SUB_CLOSING)
		sub_finish(s, 1, -1);
}

static void
expiry_cb(struct loop_timer *t)
{
	sub_kick(t->arg, "TOKEN_EXPIRED", "the token has expired: "
	    "reconnect with a new one", CLOSE_TOKEN_EXPIRED);
}

int
sub_set_expiry(struct sub *s, int64_t t)
{
	int64_t ms;

	if (t > INT64_MAX / 1000)	/* never, in practice */
		return 0;
	ms = t * 1000 - loop_wallclock();
	if (s->expiry == NULL &&
	    (s->expiry = calloc(1, sizeof(*s->expiry))) == NULL)
		return -1;
	s->expiry->cb = expiry_cb;
	s->expiry->arg = s;
	loop_timer_set(s->expiry, ms);
	return 0;
}

static void
sub_io(struct loop_io *io, uint32_t events)
{
	struct sub *s = io->arg;

	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		sub_abort(s, CLOSE_HANGUP);
		return;
	}
	if (events & EPOLLOUT)
		q_flush(s);
}

/*
 * The one way out: stop following topics, give back the socket and tell
 * the front, which ends the response and frees us later.  A subscriber
 * that has not gone live yet is finished by the front when it next asks
 * (http_stream.c checks the state before handing over the socket).
 */
/* No longer counted as a live stream: counts, limits, token timer. */
static void
sub_deactivate(struct sub *s)
{
	broker.nsubs--;
	if (s->limit_key != NULL)
		ulimit_release(s->limit_key);
	if (s->expiry != NULL)
		loop_timer_stop(s->expiry);
	sub_unfollow(s);
}

static void
sub_finish(struct sub *s, int clean, int reason)
{
	int fd;

	if (s->state == SUB_DONE)
		return;
	if (sub_is_active(s))
		sub_deactivate(s);
	if (s->reason < 0 && reason >= 0) {
		s->reason = reason;
		broker.stats.closed[reason]++;
	}
	s->state = SUB_DONE;
	s->clean = clean;
	fd = s->owned ? s->io.fd : -1;
	if (s->owned)
		loop_del(&s->io);	/* first: q_clear() has nothing to re-arm */
	pend_del(s);
	q_clear(s);
	if (!s->owned)
		return;
	/* A clean end of a chunked stream is its last chunk. */
	if (fd != -1 && clean && s->chunked)
		(void)send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (fd != -1)
		close(fd);
	s->ops->finish(s);
}

void
sub_abort(struct sub *s, int reason)
{
	sub_finish(s, 0, reason);
}

void
sub_abort_all(int reason)
{
	struct sub *s;

	/* Shutdown's last step: every socket a subscriber owns is closed. */
	LIST_FOREACH(s, &subs, entry)
		sub_finish(s, 0, reason);
}

void
sub_kick(struct sub *s, const char *code, const char *message, int reason)
{
	struct frame *f;

	if (!sub_is_active(s))
		return;
	f = sub_error_frame(s, code, message, NULL, NULL);
	sub_close_with(s, f, reason);
	frame_unref(f);
}

void
sub_close_with(struct sub *s, struct frame *last, int reason)
{
	if (!sub_is_active(s))
		return;
	sub_deactivate(s);
	s->reason = reason;
	broker.stats.closed[reason]++;
	s->state = SUB_CLOSING;
	/*
	 * The last frame goes out even past the bound; out of memory, the
	 * stream ends without it.  What is queued is still written first:
	 * q_flush() ends a closing stream once its queue is empty.
	 */
	if ((last == NULL || q_push(s, last, 0) == -1) && s->qlen == 0)
		sub_finish(s, 1, reason);
	else if (s->owned)
		q_flush(s);
}

void
sub_free(struct sub *s)
{
	if (s == NULL)
		return;
	if (s->state != SUB_DONE) {
		s->owned = 0;	/* the front is already ending it */
		sub_finish(s, 0, CLOSE_CLIENT);
	}
	LIST_REMOVE(s, entry);
	free(s->links);
	free(s->user);
	free(s->client_id);
	free(s->limit_key);
	free(s->label);
	free(s->expiry);
	free(s);
}

/*
 * pub.c: the publishers, on the main thread.  K connections, each with
 * one request in flight: POST /sse/notify/{topic} over HTTP keep-alive,
 * or publish frames (one event, or --batch events) on the control socket.
 * Requests are started at --rate events/s, or back to back (rate 0).
 * A publish counts once it is answered with success; each event it
 * carried then expects as many deliveries as the topic had streams when
 * it was sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sseload.h"

#define ERRORS_SHOWN	5

enum { PC_CONNECTING, PC_IDLE, PC_BUSY, PC_DEAD };

struct pub_conn {
	int		 fd;
	int		 state;
	char		*out;		/* the request being written */
	size_t		 outlen, outoff;
	char		*in;		/* the answer being read */
	size_t		 inlen, incap;
	uint64_t	 t_sent, expect, seq;
	uint32_t	 nev;
	struct sse_ctl_writer w;	/* control frames; HTTP uses http */
	char		*http;
	size_t		 httpcap;
};

static struct pub_conn	*pcs;
static struct pub_result *res;
static uint64_t		 next_ev;
static int		 ep = -1;

static void
pub_error(const char *what, const char *detail, size_t len)
{
	if (res->errors++ < ERRORS_SHOWN)
		fprintf(stderr, "sseload: publish: %s%s%.*s\n", what,
		    len ? ": " : "", (int)len, len ? detail : "");
}

static void
pc_close(struct pub_conn *pc)
{
	if (pc->state == PC_BUSY)
		pub_error("connection closed with a request in flight",
		    "", 0);
	if (pc->fd != -1)
		close(pc->fd);
	pc->fd = -1;
	pc->state = PC_DEAD;
}

/* A connection that could not be made: a publish error too. */
static void
pc_connect_failed(struct pub_conn *pc, int err)
{
	char what[256];

	snprintf(what, sizeof(what), "cannot connect to %s",
	    L.mode == MODE_PUB_CTL ? L.ctl_path : L.pub_url);
	pub_error(what, strerror(err), strlen(strerror(err)));
	pc_close(pc);
}

static int
pc_open(struct pub_conn *pc)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET |
	    EPOLLRDHUP };
	int ctl = L.mode == MODE_PUB_CTL, one = 1, rc;

	pc->state = PC_CONNECTING;
	if ((pc->fd = socket(ctl ? AF_UNIX : AF_INET, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	ev.data.ptr = pc;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, pc->fd, &ev) == -1)
		goto fail;
	if (ctl) {
		if (strlen(L.ctl_path) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		strcpy(sun.sun_path, L.ctl_path);
		rc = connect(pc->fd, (struct sockaddr *)&sun, sizeof(sun));
	} else {
		setsockopt(pc->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		rc = connect(pc->fd, (struct sockaddr *)&L.pub_sa,
		    sizeof(L.pub_sa));
	}
	if (rc == -1 && errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	if (rc == 0)
		pc->state = PC_IDLE;
	return 0;
fail:
	pc_connect_failed(pc, errno);
	return -1;
}

/* The HTTP request for event ev into pc->http. */
static int
http_build(struct pub_conn *pc, uint64_t ev, uint32_t topic)
{
	char name[256], path[1024], payload[PAYLOAD_MAX];
	size_t plen, need;
	int n;

	topic_name(name, sizeof(name), topic);
	url_expand(path, sizeof(path), L.pub_path, name);
	plen = payload_make(payload, sizeof(payload), ev, topic, mono_ns());
	need = plen + strlen(path) + 256;
	if (pc->httpcap < need) {
		free(pc->http);
		if ((pc->http = malloc(need)) == NULL)
			return -1;
		pc->httpcap = need;
	}
	n = snprintf(pc->http, pc->httpcap, "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", path,
	    L.pub_host, plen);
	if (n < 0 || (size_t)n + plen >= pc->httpcap)
		return -1;
	memcpy(pc->http + n, payload, plen);
	pc->out = pc->http;
	pc->outlen = (size_t)n + plen;
	return 0;
}

/* One publish frame holding pc->nev events from ev on. */
static int
ctl_build(struct pub_conn *pc, uint64_t ev)
{
	msgpack_packer *pk = &pc->w.pk;
	char name[256], payload[PAYLOAD_MAX];
	uint32_t i, topic;
	size_t plen;

	sse_ctl_writer_reset(&pc->w);
	sse_ctl_begin(&pc->w);
	sse_ctl_pack_request(pk, SSE_CTL_PUBLISH, ++pc->seq, 1);
	sse_ctl_pack_str(pk, "events");
	msgpack_pack_array(pk, pc->nev);
	for (i = 0; i < pc->nev; i++) {
		topic = (uint32_t)((ev + i) % L.ntopics);
		topic_name(name, sizeof(name), topic);
		plen = payload_make(payload, sizeof(payload), ev + i, topic,
		    mono_ns());
		msgpack_pack_map(pk, 2);
		sse_ctl_pack_str(pk, "topic");
		sse_ctl_pack_str(pk, name);
		sse_ctl_pack_str(pk, "data");
		sse_ctl_pack_strn(pk, payload, plen);
	}
	if (sse_ctl_end(&pc->w) != 0)
		return -1;
	pc->out = pc->w.sb.data;
	pc->outlen = pc->w.sb.size;
	return 0;
}

static void
pc_flush(struct pub_conn *pc)
{
	ssize_t w;

	while (pc->outoff < pc->outlen) {
		w = send(pc->fd, pc->out + pc->outoff, pc->outlen - pc->outoff,
		    MSG_NOSIGNAL);
		if (w == -1) {
			if (errno != EAGAIN)
				pc_close(pc);
			return;
		}
		pc->outoff += (size_t)w;
	}
}

static void
pc_send(struct pub_conn *pc)
{
	uint64_t ev = next_ev;
	uint32_t i, topic = (uint32_t)(ev % L.ntopics);

	pc->nev = L.mode == MODE_PUB_CTL ? L.batch : 1;
	if (L.events - ev < pc->nev)
		pc->nev = (uint32_t)(L.events - ev);
	pc->expect = 0;
	for (i = 0; i < pc->nev; i++)
		pc->expect += atomic_load(&L.tsubs[(ev + i) % L.ntopics]);
	if ((L.mode == MODE_PUB_CTL ? ctl_build(pc, ev) :
	    http_build(pc, ev, topic)) == -1) {
		pub_error("cannot build a request", "", 0);
		pc_close(pc);
		return;
	}
	next_ev += pc->nev;
	pc->outoff = 0;
	pc->inlen = 0;
	pc->t_sent = mono_ns();
	if (res->t_start == 0)
		res->t_start = pc->t_sent;
	pc->state = PC_BUSY;
	res->requests++;
	res->events_sent += pc->nev;
	pc_flush(pc);
}

static void
pc_acked(struct pub_conn *pc, uint64_t server_subs)
{
	uint64_t now = mono_ns();

	hist_add(&res->ack, (now - pc->t_sent) / 1000);
	res->acked++;
	res->events_acked += pc->nev;
	res->expected += pc->expect;
	res->server_subs += server_subs;
	res->t_end = now;
	pc->state = PC_IDLE;
}

/* A whole HTTP answer in pc->in?  1 handled, 0 not yet, -1 broken. */
static int
http_answer(struct pub_conn *pc)
{
	const char *end, *body, *s;
	int status, chunked;
	long clen;
	size_t hl;

	if ((end = memmem(pc->in, pc->inlen, "\r\n\r\n", 4)) == NULL)
		return 0;
	hl = (size_t)(end - pc->in) + 4;
	if (http_head_parse(pc->in, hl, &status, &clen, &chunked) == -1)
		return -1;
	body = pc->in + hl;
	if (chunked ? memmem(body, pc->inlen - hl, "\r\n0\r\n\r\n", 7) ==
	    NULL : clen < 0 || pc->inlen - hl < (size_t)clen)
		return clen < 0 && !chunked ? -1 : 0;
	if (status != 200) {
		pub_error("HTTP status", pc->in, strcspn(pc->in, "\r\n"));
		pc->state = PC_IDLE;
		return 1;
	}
	s = memmem(body, pc->inlen - hl, "\"subscribers\":", 14);
	pc_acked(pc, s != NULL ? strtoull(s + 14, NULL, 10) : 0);
	return 1;
}

/* A whole control reply in pc->in?  1 handled, 0 not yet, -1 broken. */
static int
ctl_answer(struct pub_conn *pc)
{
	msgpack_unpacked up;
	struct sse_ctl_reply rep;
	const msgpack_object *ids;
	uint64_t subs = 0;
	size_t flen;
	int rc;

	msgpack_unpacked_init(&up);
	rc = sse_ctl_frame_decode(pc->in, pc->inlen, SSE_CTL_MAX_FRAME, &up,
	    &flen);
	if (rc == SSE_EAGAIN) {
		rc = 0;
		goto out;
	}
	if (rc != 0 || (rc = sse_ctl_reply_parse(&up.data, &rep)) < 0 ||
	    rep.seq != pc->seq) {
		rc = -1;
		goto out;
	}
	if (rc == 1) {
		pub_error("daemon refused", rep.message, rep.messagelen);
		pc->state = PC_IDLE;
	} else if ((ids = sse_ctl_get(rep.result, "ids")) == NULL ||
	    ids->type != MSGPACK_OBJECT_ARRAY || ids->via.array.size !=
	    pc->nev) {
		pub_error("reply without one id per event", "", 0);
		pc->state = PC_IDLE;
	} else {
		sse_ctl_get_uint(rep.result, "subscribers", &subs);
		pc_acked(pc, subs);
	}
	rc = 1;
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}

static void
pc_read(struct pub_conn *pc)
{
	ssize_t r;
	char *p;
	int rc;

	for (;;) {
		if (pc->incap - pc->inlen < 4096) {
			if ((p = realloc(pc->in, pc->incap * 2 + 8192)) == NULL) {
				pc_close(pc);
				return;
			}
			pc->in = p;
			pc->incap = pc->incap * 2 + 8192;
		}
		r = recv(pc->fd, pc->in + pc->inlen, pc->incap - pc->inlen - 1,
		    0);
		if (r <= 0) {
			if (r == 0 || errno != EAGAIN)
				pc_close(pc);
			return;
		}
		if (pc->state != PC_BUSY)
			continue;	/* nothing asked: ignore */
		pc->inlen += (size_t)r;
		pc->in[pc->inlen] = '\0';
		rc = L.mode == MODE_PUB_CTL ? ctl_answer(pc) : http_answer(pc);
		if (rc == -1) {
			pub_error("malformed answer", "", 0);
			pc_close(pc);
			return;
		}
	}
}

static void
pc_event(struct pub_conn *pc, uint32_t events)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (pc->state == PC_CONNECTING) {
		if (getsockopt(pc->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
			err = errno;
		if (err != 0) {
			pc_connect_failed(pc, err);
			return;
		}
		if (events & EPOLLOUT)
			pc->state = PC_IDLE;
	}
	if (pc->state == PC_BUSY && (events & EPOLLOUT))
		pc_flush(pc);
	if (pc->state != PC_DEAD && (events & (EPOLLIN | EPOLLRDHUP |
	    EPOLLHUP | EPOLLERR)))
		pc_read(pc);
}

/*
 * Start idle connections whose next event is due; the ms until the next
 * one is due (-1: nothing to wait for, 100 at most).  Sets *busy and
 * *alive.
 */
static int
pub_pump(int *busy, int *alive)
{
	uint64_t now = mono_ns(), due;
	uint32_t k;
	int wait = -1;

	*busy = *alive = 0;
	for (k = 0; k < L.pub_conns; k++) {
		struct pub_conn *pc = &pcs[k];

		if (pc->state == PC_IDLE && next_ev < L.events) {
			due = res->t_start + (uint64_t)((double)next_ev * 1e9 /
			    (L.rate > 0 ? L.rate : 1e300));
			if (res->t_start == 0 || due <= now)
				pc_send(pc);
			else if (wait == -1 || (due - now) / 1000000 <
			    (uint64_t)wait)
				wait = (int)((due - now) / 1000000);
		}
		*busy += pc->state == PC_BUSY || pc->state == PC_CONNECTING;
		*alive += pc->state != PC_DEAD;
	}
	return wait == -1 || wait > 100 ? 100 : wait;
}

/*
 * Publish L.events events; fills *r.  0, or -1 when none could start:
 * no publisher connection could be made (or no memory, no epoll).
 */
int
pub_run(struct pub_result *r, uint64_t deadline)
{
	struct epoll_event evs[64];
	uint32_t k;
	int i, n, busy, alive = 1, wait, rc = -1;

	res = r;
	if ((pcs = calloc(L.pub_conns, sizeof(*pcs))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto out;
	for (k = 0; k < L.pub_conns; k++) {
		pcs[k].fd = -1;
		sse_ctl_writer_init(&pcs[k].w);
		pc_open(&pcs[k]);
	}
	while (!atomic_load(&L.stop) && mono_ns() < deadline) {
		wait = pub_pump(&busy, &alive);
		if (alive == 0 || (next_ev >= L.events && busy == 0))
			break;
		if ((n = epoll_wait(ep, evs, 64, wait)) == -1 && errno != EINTR)
			goto out;
		for (i = 0; i < n; i++)
			pc_event(evs[i].data.ptr, evs[i].events);
	}
	/* Every connection failed before a single request went out. */
	rc = alive == 0 && res->requests == 0 ? -1 : 0;
out:
	for (k = 0; pcs != NULL && k < L.pub_conns; k++) {
		if (pcs[k].fd != -1)
			close(pcs[k].fd);
		sse_ctl_writer_destroy(&pcs[k].w);
		free(pcs[k].in);
		free(pcs[k].http);
	}
	free(pcs);
	pcs = NULL;
	if (ep != -1)
		close(ep);
	ep = -1;
	return rc;
}

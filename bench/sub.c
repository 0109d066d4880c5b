/*
 * sub.c: subscriber threads.  Each owns an epoll and a slice of the
 * streams: it opens them (at most inflight_max handshakes at a time),
 * reads the response head, undoes chunking and feeds every byte to a
 * libsseproto parser per stream.  Each event is checked (type, an id
 * greater than the last one on the stream, the payload sseload wrote for
 * this stream's topic) and its latency taken from the payload's stamp.
 * The phases are sseload.c's; a thread only reads them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sseload.h"

#define HEAD_MAX	4096
#define READS_PER_WAKE	16
#define BAD_SHOWN	5

enum { SC_IDLE, SC_CONNECTING, SC_HEAD, SC_STREAM, SC_CLOSED };

static atomic_uint	bad_shown;
static atomic_uint	http_shown;

#define ADD(field, v)	atomic_fetch_add_explicit(&(field), (v), \
			    memory_order_relaxed)

static void
bad_event(struct sub_conn *c, const char *why, const struct sse_event *ev)
{
	ADD(c->w->bad, 1);
	if (atomic_fetch_add(&bad_shown, 1) < BAD_SHOWN)
		fprintf(stderr, "sseload: bad event on topic %" PRIu32
		    " (%s): id '%s' type '%s' data '%.80s'\n", c->topic, why,
		    ev->id, ev->type, ev->data);
}

/* "<ms>-<seq>", strictly above the last id on this stream. */
static int
id_check(struct sub_conn *c, const char *id)
{
	uint64_t ms, seq;
	int used = 0;

	if (sscanf(id, "%" SCNu64 "-%" SCNu64 "%n", &ms, &seq, &used) != 2 ||
	    id[used] != '\0')
		return -1;
	if (ms < c->last_ms || (ms == c->last_ms && seq <= c->last_seq &&
	    (ms | seq | c->last_ms | c->last_seq) != 0))
		return -1;
	c->last_ms = ms;
	c->last_seq = seq;
	return 0;
}

static void
on_event(const struct sse_event *ev, void *arg)
{
	struct sub_conn *c = arg;
	struct worker *w = c->w;
	uint64_t ts;

	if (atomic_load_explicit(&L.phase, memory_order_relaxed) < PH_PUB) {
		ADD(w->early, 1);
		return;
	}
	ADD(w->received, 1);
	if (w->t_first == 0)
		w->t_first = w->now_mono;
	w->t_last = w->now_mono;
	if (id_check(c, ev->id) == -1) {
		bad_event(c, "id missing or not increasing", ev);
		return;
	}
	if (strcmp(ev->type, "message") != 0) {
		bad_event(c, "type", ev);
		return;
	}
	if (L.any_data)
		return;
	if (payload_check(ev->data, ev->datalen, c->topic, &ts) == -1) {
		bad_event(c, "payload", ev);
		return;
	}
	hist_add(&w->lat, w->now_mono > ts ? (w->now_mono - ts) / 1000 : 0);
}

static void
on_comment(const char *text, size_t len, void *arg)
{
	struct sub_conn *c = arg;

	(void)text;
	(void)len;
	ADD(c->w->comments, 1);
}

static void
conn_close(struct sub_conn *c)
{
	struct worker *w = c->w;

	if (c->state == SC_CONNECTING || c->state == SC_HEAD) {
		w->inflight--;
		ADD(w->failed, 1);
	} else if (c->state == SC_STREAM) {
		ADD(w->dropped, 1);
		atomic_fetch_sub(&L.tsubs[c->topic], 1);
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->head);
	c->head = NULL;
	sse_parser_free(c->parser);
	c->parser = NULL;
	c->state = SC_CLOSED;
}

static int
parser_sink(void *arg, const char *p, size_t n)
{
	struct sub_conn *c = arg;

	return sse_parser_feed(c->parser, p, n) == 0 ? 0 : -1;
}

/* Body bytes; -1 when the stream ended or broke (then closed). */
static int
body_feed(struct sub_conn *c, const char *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if (c->chunked)
		rc = chunk_feed(&c->ch, p, n, parser_sink, c);
	else
		rc = parser_sink(c, p, n);
	if (rc != 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static void
conn_start(struct worker *w, struct sub_conn *c, uint32_t gi)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	int one = 1;

	c->w = w;
	c->topic = gi % L.ntopics;
	c->t_start = mono_ns();
	c->state = SC_CONNECTING;
	w->inflight++;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		if (errno == EMFILE || errno == ENFILE)
			fprintf(stderr, "sseload: socket: %s (lower -c or "
			    "raise ulimit -n)\n", strerror(errno));
		goto fail;
	}
	if (L.src_ips > 1) {
		src.sin_addr.s_addr = htonl(0x7f000001u + gi % L.src_ips);
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1)
			goto fail;
	}
	ev.data.u32 = (uint32_t)(c - w->c);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		goto fail;
	if (connect(c->fd, (struct sockaddr *)&L.sub_sa, sizeof(L.sub_sa)) ==
	    -1 && errno != EINPROGRESS)
		goto fail;
	return;
fail:
	conn_close(c);
}

/* Connected: send the request (it fits one send on a fresh socket). */
static void
conn_request(struct sub_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	char topic[256], path[1024], req[2048];
	int err = 0, n;
	socklen_t el = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err) {
		conn_close(c);
		return;
	}
	topic_name(topic, sizeof(topic), c->topic);
	url_expand(path, sizeof(path), L.sub_path, topic);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Accept: text/event-stream\r\n\r\n", path, L.sub_host);
	if (n <= 0 || (size_t)n >= sizeof(req) ||
	    send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n ||
	    (c->head = malloc(HEAD_MAX)) == NULL) {
		conn_close(c);
		return;
	}
	c->headlen = 0;
	c->state = SC_HEAD;
	ev.data.u32 = (uint32_t)(c - c->w->c);
	epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* The response head is in c->head; 0 when the stream is open. */
static int
conn_head_done(struct sub_conn *c, size_t headlen)
{
	struct sse_parser_cb cb = { .on_event = on_event,
	    .on_comment = on_comment, .arg = c };
	struct worker *w = c->w;
	int status;
	long clen;

	if (http_head_parse(c->head, headlen, &status, &clen,
	    &c->chunked) == -1 || status != 200) {
		if (atomic_fetch_add(&http_shown, 1) < BAD_SHOWN)
			fprintf(stderr, "sseload: subscriber got: %.*s\n",
			    (int)strcspn(c->head, "\r\n"), c->head);
		conn_close(c);
		return -1;
	}
	if ((c->parser = sse_parser_new(&cb)) == NULL) {
		conn_close(c);
		return -1;
	}
	w->inflight--;
	c->state = SC_STREAM;
	ADD(w->established, 1);
	atomic_fetch_add(&L.tsubs[c->topic], 1);
	hist_add(&w->conn_lat, (mono_ns() - c->t_start) / 1000);
	return 0;
}

static void
conn_read_head(struct sub_conn *c)
{
	char *end, *head;
	size_t hl, extra;
	ssize_t r;

	r = recv(c->fd, c->head + c->headlen, HEAD_MAX - 1 - c->headlen, 0);
	if (r <= 0) {
		if (r == 0 || errno != EAGAIN)
			conn_close(c);
		return;
	}
	c->headlen += (size_t)r;
	c->head[c->headlen] = '\0';
	if ((end = strstr(c->head, "\r\n\r\n")) == NULL) {
		if (c->headlen >= HEAD_MAX - 1)
			conn_close(c);
		return;
	}
	hl = (size_t)(end - c->head) + 4;
	if (conn_head_done(c, hl) == -1)
		return;
	head = c->head;
	c->head = NULL;
	extra = c->headlen - hl;
	c->w->now_mono = mono_ns();
	body_feed(c, head + hl, extra);
	free(head);
}

static void
conn_read(struct sub_conn *c)
{
	struct worker *w = c->w;
	ssize_t r;
	int i;

	for (i = 0; i < READS_PER_WAKE; i++) {
		if ((r = recv(c->fd, w->rbuf, sizeof(w->rbuf), 0)) <= 0) {
			if (r == 0 || errno != EAGAIN)
				conn_close(c);
			return;
		}
		w->now_mono = mono_ns();
		if (body_feed(c, w->rbuf, (size_t)r) == -1 ||
		    (size_t)r < sizeof(w->rbuf))
			return;
	}
}

static void
conn_event(struct sub_conn *c, uint32_t events)
{
	switch (c->state) {
	case SC_CONNECTING:
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_request(c);
		break;
	case SC_HEAD:
		conn_read_head(c);
		break;
	case SC_STREAM:
		conn_read(c);
		break;
	default:
		break;
	}
}

/* Open what the handshake budget allows; fail those that took too long. */
static void
connect_more(struct worker *w)
{
	uint64_t now, limit;
	uint32_t i;

	while (w->started < w->n && w->inflight < w->inflight_max) {
		conn_start(w, &w->c[w->started], w->first + w->started);
		w->started++;
	}
	now = mono_ns();
	if (now - w->last_scan > 100000000ull) {
		w->last_scan = now;
		limit = (uint64_t)(L.connect_timeout * 1e9);
		for (i = 0; i < w->started; i++)
			if ((w->c[i].state == SC_CONNECTING ||
			    w->c[i].state == SC_HEAD) &&
			    now - w->c[i].t_start > limit)
				conn_close(&w->c[i]);
	}
	if (w->started == w->n && w->inflight == 0)
		atomic_store(&w->connected, 1);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[256];
	int i, n, connected;

	while (!atomic_load(&L.stop) && atomic_load(&L.phase) != PH_END) {
		if (!(connected = atomic_load(&w->connected)))
			connect_more(w);
		n = epoll_wait(w->ep, ev, 256, connected ? 50 : 2);
		for (i = 0; i < n; i++)
			conn_event(&w->c[ev[i].data.u32], ev[i].events);
	}
	return NULL;
}

/* Split the streams over L.nthreads threads and start them; 0 or -1. */
int
workers_start(void)
{
	struct worker *w;
	uint32_t k, per;

	if ((L.w = calloc(L.nthreads, sizeof(*L.w))) == NULL)
		return -1;
	per = (L.inflight + L.nthreads - 1) / L.nthreads;
	for (k = 0; k < L.nthreads; k++) {
		w = &L.w[k];
		w->id = (int)k;
		w->first = (uint32_t)((uint64_t)L.nsubs * k / L.nthreads);
		w->n = (uint32_t)((uint64_t)L.nsubs * (k + 1) / L.nthreads) -
		    w->first;
		w->inflight_max = per > 0 ? per : 1;
		if ((w->c = calloc(w->n ? w->n : 1, sizeof(*w->c))) == NULL ||
		    (w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
		    pthread_create(&w->th, NULL, worker_main, w) != 0) {
			fprintf(stderr, "sseload: cannot start thread %u\n",
			    k);
			L.nthreads = k;	/* workers_join() waits for these */
			return -1;
		}
	}
	return 0;
}

void
workers_join(void)
{
	uint32_t k;

	for (k = 0; k < L.nthreads; k++)
		pthread_join(L.w[k].th, NULL);
}

/* The sum over threads of the counter at offset off in struct worker. */
uint64_t
workers_sum(size_t off)
{
	uint64_t n = 0;
	uint32_t k;

	for (k = 0; k < L.nthreads; k++)
		n += atomic_load((_Atomic uint64_t *)((char *)&L.w[k] + off));
	return n;
}

uint32_t
workers_sum32(size_t off)
{
	uint32_t n = 0, k;

	for (k = 0; k < L.nthreads; k++)
		n += atomic_load((_Atomic uint32_t *)((char *)&L.w[k] + off));
	return n;
}

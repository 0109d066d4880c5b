/*
 * ctl_client.c: ssectl's end of the control socket.
 *
 * Connects, writes one request frame (built with libsseproto's writer),
 * and reads frames until the reply with the request's seq.  Framing and
 * msgpack are libsseproto's; this file owns the socket, the read buffer
 * and turning failures into ssectl's exit status and one-line messages.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssectl.h"

#define CTL_READ_CHUNK	(64 * 1024)

volatile sig_atomic_t ctl_interrupted;

/* One line on stderr, unless the client is quiet (shell completion). */
static void __attribute__((format(printf, 2, 3)))
say(const struct ctl_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	fputs("ssectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ctl_client_init(struct ctl_client *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->fd = -1;
	c->timeout_ms = CTL_REPLY_TIMEOUT_MS;
	sse_ctl_writer_init(&c->w);
	msgpack_unpacked_init(&c->reply);
}

/*
 * Drop the connection and what was read from it; the next request
 * connects again.  Used after a tail, whose connection keeps receiving
 * events, and when the daemon went away.
 */
void
ctl_client_disconnect(struct ctl_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->roff = c->rlen = 0;
}

/*
 * Has the daemon closed the connection since the last reply (it was
 * restarted, say)?  Then it is dropped and 1 returned, so the caller can
 * say so and the next request connects afresh.
 */
int
ctl_client_is_stale(struct ctl_client *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char byte;

	if (c->fd == -1 || poll(&pfd, 1, 0) != 1)
		return 0;
	if (recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
		return 0;
	ctl_client_disconnect(c);
	return 1;
}

void
ctl_client_close(struct ctl_client *c)
{
	ctl_client_disconnect(c);
	sse_ctl_writer_destroy(&c->w);
	msgpack_unpacked_destroy(&c->reply);
	free(c->rbuf);
	c->rbuf = NULL;
	c->roff = c->rlen = c->rcap = 0;
}

/* Connect unless connected: 0, or CTL_EXIT_UNREACHABLE (message printed). */
int
ctl_client_connect(struct ctl_client *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(c->path);
	socklen_t slen;
	int fd = -1, rc = CTL_EXIT_UNREACHABLE;

	if (c->fd != -1)
		return CTL_EXIT_OK;
	if (len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(sun.sun_path, c->path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/*
	 * The path's own length: with all of sun_path, the NULs after it
	 * would be part of the name where the first byte is NUL (Linux's
	 * abstract sockets).
	 */
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	while (connect(fd, (struct sockaddr *)&sun, slen) == -1) {
		if (errno != EINTR)
			goto fail;
	}
	c->fd = fd;
	fd = -1;
	rc = CTL_EXIT_OK;
	goto out;
fail:
	say(c, "cannot connect to %s: %s (is ssed running?)", c->path,
	    strerror(errno));
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Start a request frame for op with nfields fields of its own, under a
 * new seq; the caller packs those fields on the packer returned, then
 * calls ctl_client_call.
 */
msgpack_packer *
ctl_client_request(struct ctl_client *c, int op, size_t nfields)
{
	sse_ctl_writer_reset(&c->w);
	sse_ctl_begin(&c->w);
	sse_ctl_pack_request(&c->w.pk, op, ++c->seq, nfields);
	return &c->w.pk;
}

/* The reply does not follow the schema: say so, as a broken exchange. */
int
ctl_bad_reply(const struct ctl_client *c, const char *what)
{
	say(c, "bad reply from ssed at %s: %s", c->path, what);
	return CTL_EXIT_UNREACHABLE;
}

static int
lost(struct ctl_client *c, const char *what)
{
	say(c, "connection to ssed at %s lost: %s", c->path, what);
	return CTL_EXIT_UNREACHABLE;
}

/* 0, or -1 with errno set (EPIPE when the daemon closed the socket). */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Make room for want more bytes after the unconsumed ones, moving them to
 * the front first.  Invalidates pointers into the buffer.
 */
static int
rbuf_reserve(struct ctl_client *c, size_t want)
{
	size_t cap;
	char *p;

	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	if (c->rcap - c->rlen >= want)
		return 0;
	cap = c->rcap > 0 ? c->rcap : CTL_READ_CHUNK;
	while (cap - c->rlen < want)
		cap *= 2;
	if ((p = realloc(c->rbuf, cap)) == NULL)
		return -1;
	c->rbuf = p;
	c->rcap = cap;
	return 0;
}

/*
 * Read more bytes into the buffer: 0, or a CTL_EXIT_* code with its
 * message printed (EOF, error, timeout, or out of memory: exit 1 as for
 * every local failure), or CTL_EXIT_INTERRUPTED,
 * silently, when a signal set ctl_interrupted.
 */
static int
rbuf_fill(struct ctl_client *c, size_t want)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (want < CTL_READ_CHUNK)
		want = CTL_READ_CHUNK;
	if (rbuf_reserve(c, want) == -1) {
		/* The rest of the reply would come before the next one. */
		ctl_client_disconnect(c);
		return ctl_nomem();
	}
	for (;;) {
		if (ctl_interrupted)
			return CTL_EXIT_INTERRUPTED;
		r = poll(&pfd, 1, c->timeout_ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return lost(c, strerror(errno));
		if (r == 0) {
			say(c, "no reply from ssed at %s within %d s",
			    c->path, c->timeout_ms / 1000);
			return CTL_EXIT_UNREACHABLE;
		}
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return lost(c, strerror(errno));
		if (n == 0)
			return lost(c, "ssed closed the connection");
		c->rlen += (size_t)n;
		return 0;
	}
}

/*
 * Read frames until one is the reply to seq; fill *rep from it.  A frame
 * for another seq (a stale reply) is skipped.  Returns 0 for a result,
 * CTL_EXIT_REFUSED for an error reply (not printed), or another CTL_EXIT_*
 * code with its message printed.
 */
static int
read_reply(struct ctl_client *c, struct sse_ctl_reply *rep)
{
	size_t avail, framelen, need;
	const unsigned char *h;
	int r, kind = 0;

	for (;;) {
		avail = c->rlen - c->roff;
		need = SSE_CTL_HDRLEN;
		if (avail >= SSE_CTL_HDRLEN) {
			h = (const unsigned char *)c->rbuf + c->roff;
			framelen = (size_t)h[0] << 24 | (size_t)h[1] << 16 |
			    (size_t)h[2] << 8 | h[3];
			if (framelen > SSE_CTL_MAX_FRAME)
				return ctl_bad_reply(c,
				    sse_strerror(SSE_ETOOBIG));
			need += framelen;
		}
		if (avail < need) {
			if ((r = rbuf_fill(c, need - avail)) != 0)
				return r;
			continue;
		}
		msgpack_unpacked_destroy(&c->reply);
		msgpack_unpacked_init(&c->reply);
		memset(rep, 0, sizeof(*rep));
		r = sse_ctl_frame_decode(c->rbuf + c->roff, avail,
		    SSE_CTL_MAX_FRAME, &c->reply, &framelen);
		if (r == 0)
			r = kind = sse_ctl_reply_parse(&c->reply.data, rep);
		if (r < 0)
			return ctl_bad_reply(c, sse_strerror(r));
		/* Consumed, but the bytes stay until the next read. */
		c->roff += framelen;
		/* seq 0: the daemon could not read ours (BAD_FRAME). */
		if (rep->seq == c->seq || rep->seq == 0)
			return kind == 1 ? CTL_EXIT_REFUSED : 0;
	}
}

/*
 * Send the request begun with ctl_client_request and wait for its reply.
 * Returns CTL_EXIT_OK with *result set (valid until the next request on
 * c), CTL_EXIT_REFUSED after printing the daemon's error (unless
 * mute_refused), CTL_EXIT_UNREACHABLE after printing why the exchange
 * failed, or CTL_EXIT_USAGE for a local failure (out of memory).
 */
int
ctl_client_call(struct ctl_client *c, const msgpack_object **result)
{
	int r;

	if ((r = sse_ctl_end(&c->w)) < 0) {
		say(c, "cannot build the request: %s", sse_strerror(r));
		return CTL_EXIT_USAGE;
	}
	if ((r = ctl_client_connect(c)) != 0)
		return r;
	if (write_all(c->fd, c->w.sb.data, c->w.sb.size) == -1) {
		/*
		 * The daemon may have closed after answering with an
		 * error (FRAME_TOO_LARGE): read it before giving up.
		 */
		if (errno != EPIPE && errno != ECONNRESET) {
			r = lost(c, strerror(errno));
			ctl_client_disconnect(c);
			return r;
		}
	}
	return ctl_client_next(c, result);
}

/*
 * Print the daemon's error, the last reply read, after what: "ssectl:
 * <what>CODE: message".  For a caller that set mute_refused to say
 * more about what was refused ("notify: line 3: ").
 */
void
ctl_client_refused(const struct ctl_client *c, const char *what)
{
	struct sse_ctl_reply rep;

	if (sse_ctl_reply_parse(&c->reply.data, &rep) != 1)
		return;
	say(c, "%s%.*s: %.*s", what, (int)rep.codelen, rep.code,
	    (int)rep.messagelen, rep.message);
}

/*
 * Wait for the next reply to the request in flight: the only one, or
 * one more of a streaming op (tail).  Same returns as ctl_client_call,
 * and CTL_EXIT_INTERRUPTED (silently) when ctl_interrupted was set; an
 * error reply is not printed when mute_refused is set.  The connection
 * is dropped when it broke, so the next request connects again.
 */
int
ctl_client_next(struct ctl_client *c, const msgpack_object **result)
{
	struct sse_ctl_reply rep;
	int r;

	r = read_reply(c, &rep);
	if (r == CTL_EXIT_REFUSED && !c->mute_refused)
		ctl_client_refused(c, "");
	if (r == CTL_EXIT_UNREACHABLE)
		ctl_client_disconnect(c);
	if (r != 0)
		return r;
	*result = rep.result;
	return CTL_EXIT_OK;
}

/* Send op with no fields of its own and wait for its result. */
int
ctl_call_simple(struct ctl_ctx *ctx, int op, const msgpack_object **result)
{
	ctl_client_request(&ctx->client, op, 0);
	return ctl_client_call(&ctx->client, result);
}

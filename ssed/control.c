/*
 * control.c: the control socket server.  Trusted local tools (ssectl)
 * publish, inspect and kick here; the ops live in ctl_*.c.  Peers are
 * checked with SO_PEERCRED: root, the daemon's own uid and members of
 * --control-group.  Each client has a read buffer and a write buffer; a
 * frame that cannot be parsed gets an error reply and the client is
 * closed after it, without disturbing anyone else.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker.h"
#include "control.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "subscriber.h"
#include "topic.h"

#define CTL_MAX_FRAME	SSE_CTL_MAX_REQUEST
/*
 * Past CTL_OUT_PAUSE unsent bytes a client's next request waits until the
 * output drains, so requests alone never queue more than that and one
 * reply (a frame is at most SSE_CTL_MAX_FRAME).  Only tail events can go
 * further; past CTL_MAX_OUT the client is taken as not reading.
 */
#define CTL_OUT_PAUSE	(1u * 1024 * 1024)
#define CTL_MAX_OUT	(SSE_CTL_MAX_FRAME + CTL_OUT_PAUSE + SSE_CTL_HDRLEN)
#define ACCEPT_PAUSE_MS	200	/* out of descriptors: accept again later */

static struct loop_io		 listen_io = { .fd = -1 };
static struct loop_timer	 listen_again;
static gid_t			 allowed_gid = (gid_t)-1;
static char			*listen_path;
static LIST_HEAD(, ctl_client)	 clients = LIST_HEAD_INITIALIZER(clients);
static unsigned			 nclients;

const char *
control_default_path(void)
{
	static char	 buf[256];
	const char	*xdg = getenv("XDG_RUNTIME_DIR");

	if (xdg != NULL && *xdg != '\0')
		snprintf(buf, sizeof(buf), "%s/ssed.sock", xdg);
	else if (geteuid() == 0)
		snprintf(buf, sizeof(buf), "/run/ssed/ssed.sock");
	else
		snprintf(buf, sizeof(buf), "/tmp/ssed-%u.sock",
		    (unsigned)geteuid());
	return buf;
}

unsigned
control_nclients(void)
{
	return nclients;
}

void
ctl_reply_error(struct ctl_client *c, uint64_t seq, const char *code,
    const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sse_ctl_begin(&c->w);
	sse_ctl_pack_error(&c->w.pk, seq, code, msg);
	sse_ctl_end(&c->w);
}

int
ctl_field_error(struct ctl_client *c, uint64_t seq, const char *field, int err)
{
	if (err == SSE_ENOMEM)
		ctl_reply_error(c, seq, "INTERNAL", "%s: out of memory", field);
	else
		ctl_reply_error(c, seq, "BAD_REQUEST", "%s: %s", field,
		    err == SSE_ENOENT ? "missing" : "wrong type");
	return -1;
}

int
ctl_topic_name_check(struct ctl_client *c, uint64_t seq, const char *name,
    size_t len)
{
	if (topic_name_is_valid(name, len))
		return 0;
	ctl_reply_error(c, seq, "INVALID_TOPIC", "topic names are 1-200 bytes "
	    "of A-Z a-z 0-9 . _ ~ : @ -");
	return -1;
}

msgpack_packer *
ctl_result_begin(struct ctl_client *c, uint64_t seq, size_t n)
{
	c->seq = seq;
	sse_ctl_begin(&c->w);
	sse_ctl_pack_result(&c->w.pk, seq, n);
	return &c->w.pk;
}

void
ctl_result_end(struct ctl_client *c)
{
	int err;

	if ((err = sse_ctl_end(&c->w)) != 0)
		ctl_reply_error(c, c->seq, "INTERNAL", "reply not sent: %s",
		    sse_strerror(err));
}

void
ctl_pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	sse_ctl_pack_str(pk, k);
	if (v == NULL)
		msgpack_pack_nil(pk);
	else
		sse_ctl_pack_str(pk, v);
}

void
ctl_pack_kv_strn(msgpack_packer *pk, const char *k, const char *v, size_t n)
{
	sse_ctl_pack_str(pk, k);
	sse_ctl_pack_strn(pk, v, n);
}

void
ctl_pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	sse_ctl_pack_str(pk, k);
	msgpack_pack_uint64(pk, v);
}

static const ctl_handler handlers[] = {
	[SSE_CTL_PUBLISH] = op_publish,
	[SSE_CTL_LIST] = op_list,
	[SSE_CTL_KICK] = op_kick,
	[SSE_CTL_STATS] = op_stats,
	[SSE_CTL_VERSION] = op_version,
	[SSE_CTL_TOPICS] = op_topics,
	[SSE_CTL_HISTORY] = op_history,
	[SSE_CTL_TAIL] = op_tail,
	[SSE_CTL_TOKEN] = op_token,
	[SSE_CTL_RELOAD] = op_reload,
	[SSE_CTL_SHOW] = op_show,
};

static void
dispatch(struct ctl_client *c, const msgpack_object *req)
{
	uint64_t	seq;
	int		op, err;

	err = sse_ctl_request_check(req, &op, &seq);
	switch (err) {
	case 0:
		break;
	case SSE_EVERSION:
		ctl_reply_error(c, seq, "VERSION_MISMATCH", "this ssed speaks "
		    "control protocol version %d", SSE_CTL_PROTO_VERSION);
		return;
	case SSE_EUNKNOWNOP:
		ctl_reply_error(c, seq, "UNKNOWN_OP", "unknown op (see "
		    "ssed-control(7))");
		return;
	default:
		ctl_reply_error(c, seq, "BAD_REQUEST", "a request is a map with "
		    "v, op and seq (see ssed-control(7))");
		return;
	}
	if ((size_t)op >= sizeof(handlers) / sizeof(handlers[0]) ||
	    handlers[op] == NULL) {
		ctl_reply_error(c, seq, "UNKNOWN_OP", "op %s is not served by "
		    "this ssed", sse_ctl_op_name(op));
		return;
	}
	handlers[op](c, req, seq);
}

static void
client_free(void *arg)
{
	struct ctl_client *c = arg;

	sse_ctl_writer_destroy(&c->w);
	free(c->rbuf);
	free(c);
}

/*
 * Close at once, dropping what is unsent.  The client is freed after this
 * round; until then it is marked closing, so that no more of its frames
 * are dispatched.
 */
static void
client_close(struct ctl_client *c)
{
	int fd = c->io.fd;

	if (fd == -1)
		return;
	c->closing = 1;
	ctl_tail_stop(c);
	loop_del(&c->io);
	close(fd);
	LIST_REMOVE(c, entry);
	nclients--;
	loop_defer(client_free, c);
}

static size_t
unsent(const struct ctl_client *c)
{
	return c->w.sb.size - c->woff;
}

/*
 * What to wait for: more requests unless the peer is done, is being
 * closed or has replies waiting past CTL_OUT_PAUSE; room for the output.
 */
static void
watch(struct ctl_client *c)
{
	uint32_t ev = 0;

	if (!c->closing && !c->eof && !c->paused)
		ev |= EPOLLIN;
	if (unsent(c) > 0)
		ev |= EPOLLOUT;
	loop_mod(&c->io, ev);
}

/* Output is left over: wait for EPOLLOUT, or close past the bound. */
static void
wait_out(struct ctl_client *c)
{
	if (unsent(c) > CTL_MAX_OUT) {
		log_warn("control client does not read its replies, closed");
		client_close(c);
	} else
		watch(c);
}

/* Send what the socket takes now; -1 when the client was closed. */
static int
write_some(struct ctl_client *c)
{
	while (c->woff < c->w.sb.size) {
		ssize_t n = send(c->io.fd, c->w.sb.data + c->woff,
		    c->w.sb.size - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(c);
			return -1;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->w.sb.size) {
		sse_ctl_writer_reset(&c->w);
		c->woff = 0;
	}
	return 0;
}

/* Write what is pending; close when done and asked to. */
static void
ctl_flush(struct ctl_client *c)
{
	if (write_some(c) == -1)
		return;
	if (unsent(c) == 0 && c->closing)
		client_close(c);
	else
		wait_out(c);
}

void
ctl_send_later(struct ctl_client *c)
{
	if (c->io.fd != -1)
		wait_out(c);
}

/*
 * Answer the whole frames in rbuf, in order, while the output is short
 * (else c->paused: the rest waits for EPOLLOUT).  Once the peer has shut
 * its side, the last reply is followed by the close.
 */
static void
client_dispatch(struct ctl_client *c)
{
	msgpack_unpacked	 u;
	size_t			 flen, off = 0;
	int			 rc;

	c->paused = 0;
	msgpack_unpacked_init(&u);
	while (!c->closing) {
		if (unsent(c) >= CTL_OUT_PAUSE &&
		    (write_some(c) == -1 || unsent(c) >= CTL_OUT_PAUSE)) {
			c->paused = c->io.fd != -1;
			break;
		}
		rc = sse_ctl_frame_decode(c->rbuf + off, c->rlen - off,
		    CTL_MAX_FRAME, &u, &flen);
		if (rc == SSE_EAGAIN) {
			c->closing = c->eof;	/* a cut frame is dropped */
			break;
		}
		if (rc == SSE_ETOOBIG) {
			ctl_reply_error(c, 0, "FRAME_TOO_LARGE", "frames are at "
			    "most %u bytes", CTL_MAX_FRAME);
			c->closing = 1;
			break;
		}
		if (rc == SSE_ENOMEM) {
			ctl_reply_error(c, 0, "INTERNAL", "out of memory while "
			    "reading a request");
			c->closing = 1;
			break;
		}
		if (rc != 0) {
			ctl_reply_error(c, 0, "BAD_FRAME", "not one msgpack map "
			    "(see ssed-control(7))");
			c->closing = 1;
			break;
		}
		dispatch(c, &u.data);
		off += flen;
	}
	msgpack_unpacked_destroy(&u);
	if (c->io.fd == -1)
		return;
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	ctl_flush(c);
}

static void
client_read(struct ctl_client *c)
{
	ssize_t n;

	if (c->rcap - c->rlen < 65536) {
		size_t	 ncap = c->rcap ? c->rcap * 2 : 65536;
		char	*nb;

		if (ncap > CTL_MAX_FRAME + SSE_CTL_HDRLEN + 65536)
			ncap = CTL_MAX_FRAME + SSE_CTL_HDRLEN + 65536;
		if ((nb = realloc(c->rbuf, ncap)) == NULL) {
			client_close(c);
			return;
		}
		c->rbuf = nb;
		c->rcap = ncap;
	}
	n = recv(c->io.fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		client_close(c);
		return;
	}
	/* Shut for writing (nc -N, socat): the replies are still owed. */
	if (n == 0)
		c->eof = 1;
	c->rlen += (size_t)n;
	client_dispatch(c);
}

static void
client_io(struct loop_io *io, uint32_t events)
{
	struct ctl_client *c = io->arg;

	if ((events & EPOLLIN) && !c->closing && !c->eof)
		client_read(c);
	else if (events & (EPOLLHUP | EPOLLERR)) {
		client_close(c);
		return;
	}
	if (c->io.fd != -1 && (events & EPOLLOUT)) {
		ctl_flush(c);
		if (c->io.fd != -1 && c->paused && unsent(c) < CTL_OUT_PAUSE)
			client_dispatch(c);
	}
}

int
control_set_group(const char *group)
{
	struct group *gr;

	if (group == NULL) {
		allowed_gid = (gid_t)-1;
		return 0;
	}
	if ((gr = getgrnam(group)) == NULL) {
		log_err("--control-group %s: no such group", group);
		return -1;
	}
	allowed_gid = gr->gr_gid;
	if (listen_path != NULL &&
	    chown(listen_path, (uid_t)-1, allowed_gid) == -1)
		log_warn("cannot give %s to group %s: %s", listen_path, group,
		    strerror(errno));
	return 0;
}

/*
 * Is the peer in the allowed group?  Its primary gid, then the
 * supplementary groups the process really has (SO_PEERGROUPS), else
 * those the group database gives its user.
 */
static int
in_group(int fd, uid_t uid, gid_t gid)
{
	struct passwd	*pw;
	gid_t		 groups[256];
	socklen_t	 len = sizeof(groups);
	int		 n = 256, i;

	if (allowed_gid == (gid_t)-1)
		return 0;
	if (gid == allowed_gid)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		n = (int)(len / sizeof(gid_t));
	else if ((pw = getpwuid(uid)) == NULL ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == allowed_gid)
			return 1;
	return 0;
}

static int
peer_allowed(int fd, uid_t *uidp)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	*uidp = cred.uid;
	return cred.uid == 0 || cred.uid == geteuid() ||
	    in_group(fd, cred.uid, cred.gid);
}

static void
listen_resume(struct loop_timer *t)
{
	(void)t;
	if (listen_io.fd != -1)
		loop_mod(&listen_io, EPOLLIN);
}

static void
listen_cb(struct loop_io *io, uint32_t events)
{
	struct ctl_client	*c;
	uid_t			 uid = (uid_t)-1;
	int			 fd;

	(void)events;
	for (;;) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd == -1)
			break;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		sse_ctl_writer_init(&c->w);
		c->io.fd = -1;
		if (loop_add(&c->io, fd, EPOLLIN, client_io, c) == -1) {
			close(fd);
			client_free(c);
			continue;
		}
		LIST_INSERT_HEAD(&clients, c, entry);
		nclients++;
		if (!peer_allowed(fd, &uid)) {
			log_warn("control: refused uid %d", (int)uid);
			ctl_reply_error(c, 0, "PERMISSION_DENIED", "uid %d may not "
			    "use this socket: only root, ssed's own user and "
			    "members of --control-group may", (int)uid);
			c->closing = 1;
			ctl_flush(c);
		}
	}
	/*
	 * Out of descriptors (or memory): the pending connection stays
	 * ready, and watching it would spin.  Look again a little later.
	 */
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		log_warn("control socket: cannot accept: %s (again in %d ms)",
		    strerror(errno), ACCEPT_PAUSE_MS);
		loop_mod(io, 0);
		listen_again.cb = listen_resume;
		loop_timer_set(&listen_again, ACCEPT_PAUSE_MS);
	}
}

int
control_start(const char *path)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct stat		 st;
	char			 dir[sizeof(sun.sun_path)], *slash;
	mode_t			 old;
	int			 fd = -1, probe, rc = -1;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control socket path too long: %s (use a shorter "
		    "--control)", path);
		goto out;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			log_err("cannot create %s: %s", dir, strerror(errno));
			goto out;
		}
	}
	/* A socket file left by a crash is removed; a live one is not. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		log_err("%s exists and is not a socket: not replaced (use "
		    "--control)", path);
		goto out;
	}
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			log_err("%s is in use: is another ssed running? (use "
			    "--control)", path);
			goto out;
		}
		close(probe);
	}
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_err("%s: socket: %s", __func__, strerror(errno));
		goto out;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_err("cannot bind %s: %s", path, strerror(errno));
		goto out;
	}
	umask(old);
	chmod(path, 0660);
	if (allowed_gid != (gid_t)-1 && chown(path, (uid_t)-1, allowed_gid) == -1)
		log_warn("cannot give %s to the control group: %s", path,
		    strerror(errno));
	if (listen(fd, 64) == -1 ||
	    loop_add(&listen_io, fd, EPOLLIN, listen_cb, NULL) == -1) {
		log_err("%s: listen %s: %s", __func__, path, strerror(errno));
		goto out;
	}
	if ((listen_path = strdup(path)) == NULL)
		goto out;
	log_info("control socket %s", path);
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

void
control_stop(void)
{
	while (!LIST_EMPTY(&clients))
		client_close(LIST_FIRST(&clients));
	loop_timer_stop(&listen_again);
	if (listen_io.fd != -1) {
		int fd = listen_io.fd;

		loop_del(&listen_io);
		close(fd);
	}
	if (listen_path != NULL) {
		unlink(listen_path);
		free(listen_path);
		listen_path = NULL;
	}
}

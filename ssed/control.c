/*
 * control.c: the control socket.  Trusted local tools (ssectl) publish,
 * list and kick here.  Peers are checked with SO_PEERCRED: the daemon's
 * own uid and root only.  Each client has a read buffer and a write
 * buffer; a frame that cannot be parsed gets an error reply and the
 * client is closed after it, without disturbing anyone else.
 */
#include "config.h"

#include <errno.h>
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
#include "log.h"
#include "loop.h"
#include "subscriber.h"
#include "topic.h"

#define CTL_MAX_FRAME	(16u * 1024 * 1024)
#define CTL_MAX_OUT	(64u * 1024 * 1024)

struct ctl_client {
	struct loop_io		 io;
	char			*rbuf;
	size_t			 rlen, rcap;
	struct sse_ctl_writer	 w;
	size_t			 woff;
	int			 closing;
	struct ctl_client	*prev, *next;
};

/* An op's handler packs a whole reply (result or error) into c->w. */
typedef void	(*ctl_handler)(struct ctl_client *, const msgpack_object *,
		    uint64_t seq);

static struct loop_io		 listen_io = { .fd = -1 };
static char			*listen_path;
static struct ctl_client	*clients;
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

static void
reply_error(struct ctl_client *c, uint64_t seq, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reply_error(struct ctl_client *c, uint64_t seq, const char *code,
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

static void
pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	sse_ctl_pack_str(pk, k);
	if (v == NULL)
		msgpack_pack_nil(pk);
	else
		sse_ctl_pack_str(pk, v);
}

static void
pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	sse_ctl_pack_str(pk, k);
	msgpack_pack_uint64(pk, v);
}

/* Field errors: missing or wrong type -> BAD_REQUEST naming the field. */
static int
field_error(struct ctl_client *c, uint64_t seq, const char *field, int err)
{
	reply_error(c, seq, "BAD_REQUEST", "%s: %s", field,
	    err == SSE_ENOENT ? "missing" : "wrong type");
	return -1;
}

struct pub_item {
	const char	*topic, *data, *type;
	size_t		 topiclen, datalen, typelen;
};

static int
publish_item_parse(struct ctl_client *c, uint64_t seq, const msgpack_object *o,
    struct pub_item *it)
{
	int err;

	memset(it, 0, sizeof(*it));
	if ((err = sse_ctl_get_str(o, "topic", &it->topic, &it->topiclen)) != 0)
		return field_error(c, seq, "topic", err);
	if (!topic_name_is_valid(it->topic, it->topiclen)) {
		reply_error(c, seq, "INVALID_TOPIC", "topic names are 1-200 "
		    "bytes of A-Z a-z 0-9 . _ ~ : @ -");
		return -1;
	}
	if ((err = sse_ctl_get_str(o, "data", &it->data, &it->datalen)) != 0)
		return field_error(c, seq, "data", err);
	if (it->datalen > broker.cfg.max_event_size) {
		reply_error(c, seq, "EVENT_TOO_LARGE", "event of %zu bytes is "
		    "larger than %zu (--max-event-size)", it->datalen,
		    broker.cfg.max_event_size);
		return -1;
	}
	err = sse_ctl_get_str(o, "event", &it->type, &it->typelen);
	if (err == SSE_ETYPE)
		return field_error(c, seq, "event", err);
	if (it->type != NULL && (it->typelen > 256 ||
	    !sse_field_is_valid(it->type, it->typelen))) {
		reply_error(c, seq, "BAD_REQUEST",
		    "event: may not contain CR, LF or NUL");
		return -1;
	}
	return 0;
}

static int
publish_item(struct pub_item *it, struct event **evp, unsigned *nsubs)
{
	struct topic	*t;
	char		 type[257];

	if ((t = topic_get(it->topic, it->topiclen)) == NULL)
		return SSE_ENOMEM;
	if (it->type != NULL) {
		memcpy(type, it->type, it->typelen);
		type[it->typelen] = '\0';
	}
	return broker_publish(t, it->type != NULL ? type : NULL, it->data,
	    it->datalen, evp, nsubs);
}

static void
op_publish(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const msgpack_object	*evs = sse_ctl_get(req, "events");
	struct pub_item		*items = NULL, one;
	struct event		*ev;
	unsigned		 n, i, nsubs, total = 0;
	int			 err;

	if (evs == NULL) {
		if (publish_item_parse(c, seq, req, &one) == -1)
			return;
		if ((err = publish_item(&one, &ev, &nsubs)) != 0) {
			reply_error(c, seq, "INTERNAL", "%s", sse_strerror(err));
			return;
		}
		sse_ctl_begin(&c->w);
		sse_ctl_pack_result(&c->w.pk, seq, 2);
		pack_kv_str(&c->w.pk, "id", ev->idstr);
		pack_kv_u64(&c->w.pk, "subscribers", nsubs);
		sse_ctl_end(&c->w);
		event_unref(ev);
		return;
	}
	if (evs->type != MSGPACK_OBJECT_ARRAY) {
		field_error(c, seq, "events", SSE_ETYPE);
		return;
	}
	n = evs->via.array.size;
	if ((items = calloc(n ? n : 1, sizeof(*items))) == NULL) {
		reply_error(c, seq, "INTERNAL", "out of memory");
		return;
	}
	/* Check every event before publishing any: all or nothing. */
	for (i = 0; i < n; i++)
		if (publish_item_parse(c, seq, &evs->via.array.ptr[i],
		    &items[i]) == -1)
			goto out;
	sse_ctl_begin(&c->w);
	sse_ctl_pack_result(&c->w.pk, seq, 2);
	sse_ctl_pack_str(&c->w.pk, "ids");
	msgpack_pack_array(&c->w.pk, n);
	for (i = 0; i < n; i++) {
		if (publish_item(&items[i], &ev, &nsubs) != 0) {
			msgpack_pack_nil(&c->w.pk);
			continue;
		}
		sse_ctl_pack_str(&c->w.pk, ev->idstr);
		total += nsubs;
		event_unref(ev);
	}
	pack_kv_u64(&c->w.pk, "subscribers", total);
	sse_ctl_end(&c->w);
out:
	free(items);
}

static int
str_eq(const char *a, size_t alen, const char *b)
{
	return b != NULL && strlen(b) == alen && memcmp(a, b, alen) == 0;
}

static int
sub_follows(const struct sub *s, const char *topic, size_t len)
{
	unsigned i;

	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].topic != NULL &&
		    str_eq(topic, len, s->links[i].topic->name))
			return 1;
	return 0;
}

struct sub_filter {
	const char	*topic, *user, *client_id, *remote;
	size_t		 topiclen, userlen, client_idlen, remotelen;
};

static int
filter_parse(struct ctl_client *c, uint64_t seq, const msgpack_object *req,
    struct sub_filter *f)
{
	static const char *const keys[] = { "topic", "user", "client_id",
	    "remote" };
	const char	**ptrs[] = { &f->topic, &f->user, &f->client_id,
			    &f->remote };
	size_t		 *lens[] = { &f->topiclen, &f->userlen,
			    &f->client_idlen, &f->remotelen };
	size_t		  i;
	int		  err;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		err = sse_ctl_get_str(req, keys[i], ptrs[i], lens[i]);
		if (err == SSE_ETYPE)
			return field_error(c, seq, keys[i], err);
	}
	return 0;
}

static int
filter_match(const struct sub_filter *f, const struct sub *s)
{
	if (!sub_is_active(s))
		return 0;
	if (f->topic != NULL && !sub_follows(s, f->topic, f->topiclen))
		return 0;
	if (f->user != NULL && !str_eq(f->user, f->userlen, s->user))
		return 0;
	if (f->client_id != NULL &&
	    !str_eq(f->client_id, f->client_idlen, s->client_id))
		return 0;
	if (f->remote != NULL && !str_eq(f->remote, f->remotelen, s->remote))
		return 0;
	return 1;
}

static void
pack_conn(msgpack_packer *pk, const struct sub *s)
{
	unsigned i, n = 0;

	msgpack_pack_map(pk, 11);
	pack_kv_u64(pk, "id", s->id);
	pack_kv_str(pk, "endpoint", s->kind == SUB_EVENTS ? "events" :
	    "updates");
	sse_ctl_pack_str(pk, "topics");
	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].topic != NULL)
			n++;
	msgpack_pack_array(pk, n);
	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].topic != NULL)
			sse_ctl_pack_str(pk, s->links[i].topic->name);
	pack_kv_str(pk, "user", s->user);
	pack_kv_str(pk, "client_id", s->client_id);
	pack_kv_str(pk, "remote", s->remote);
	pack_kv_u64(pk, "connected_at", (uint64_t)s->connected_at);
	pack_kv_u64(pk, "events_sent", s->events_sent);
	pack_kv_u64(pk, "bytes_sent", s->bytes_sent);
	pack_kv_u64(pk, "queued_bytes", s->qbytes);
	pack_kv_str(pk, "last_event_id", s->last_id[0] ? s->last_id : NULL);
}

static void
op_list(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	struct sub_filter	 f;
	struct sub		*s;
	unsigned		 n = 0;

	if (filter_parse(c, seq, req, &f) == -1)
		return;
	for (s = sub_first(); s != NULL; s = s->next)
		n += filter_match(&f, s);
	sse_ctl_begin(&c->w);
	sse_ctl_pack_result(&c->w.pk, seq, 1);
	sse_ctl_pack_str(&c->w.pk, "connections");
	msgpack_pack_array(&c->w.pk, n);
	for (s = sub_first(); s != NULL; s = s->next)
		if (filter_match(&f, s))
			pack_conn(&c->w.pk, s);
	sse_ctl_end(&c->w);
}

static int
kick_id_listed(const msgpack_object *ids, uint64_t id)
{
	uint32_t i;

	if (ids == NULL)
		return 1;
	for (i = 0; i < ids->via.array.size; i++)
		if (ids->via.array.ptr[i].type ==
		    MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    ids->via.array.ptr[i].via.u64 == id)
			return 1;
	return 0;
}

static void
op_kick(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const msgpack_object	*ids = sse_ctl_get(req, "ids");
	struct sub_filter	 f;
	struct sub		*s, *next;
	char			 reason[256] = "kicked by the operator";
	const char		*r;
	size_t			 rlen;
	uint64_t		 kicked = 0;
	int			 err;

	if (filter_parse(c, seq, req, &f) == -1)
		return;
	if (ids != NULL && ids->type != MSGPACK_OBJECT_ARRAY) {
		field_error(c, seq, "ids", SSE_ETYPE);
		return;
	}
	if (ids == NULL && f.topic == NULL && f.user == NULL &&
	    f.client_id == NULL && f.remote == NULL) {
		reply_error(c, seq, "BAD_REQUEST", "kick needs ids, user, "
		    "topic, client_id or remote");
		return;
	}
	if ((err = sse_ctl_get_str(req, "reason", &r, &rlen)) == SSE_ETYPE) {
		field_error(c, seq, "reason", err);
		return;
	}
	if (err == 0)
		snprintf(reason, sizeof(reason), "%.*s", (int)rlen, r);
	for (s = sub_first(); s != NULL; s = next) {
		next = s->next;
		if (!filter_match(&f, s) || !kick_id_listed(ids, s->id))
			continue;
		sub_kick(s, "KICKED", reason, "kicked");
		kicked++;
	}
	broker.stats.kicks += kicked;
	sse_ctl_begin(&c->w);
	sse_ctl_pack_result(&c->w.pk, seq, 1);
	pack_kv_u64(&c->w.pk, "kicked", kicked);
	sse_ctl_end(&c->w);
}

static void
op_stats(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const struct broker_stats *st = &broker.stats;
	msgpack_packer		  *pk = &c->w.pk;

	(void)req;
	sse_ctl_begin(&c->w);
	sse_ctl_pack_result(pk, seq, 17);
	pack_kv_str(pk, "version", PACKAGE_VERSION);
	pack_kv_u64(pk, "uptime", (uint64_t)(loop_wallclock() -
	    broker.started) / 1000);
	pack_kv_u64(pk, "connections", broker.nsubs);
	pack_kv_u64(pk, "connections_total", st->connections_total);
	pack_kv_u64(pk, "topics", topic_count());
	pack_kv_u64(pk, "events_published", st->events_published);
	pack_kv_u64(pk, "events_delivered", st->events_delivered);
	pack_kv_u64(pk, "bytes_sent", st->bytes_sent);
	pack_kv_u64(pk, "kicks", st->kicks);
	pack_kv_u64(pk, "replays", st->replays);
	pack_kv_u64(pk, "replays_incomplete", st->replays_incomplete);
	pack_kv_u64(pk, "closed_slow", st->closed_slow);
	pack_kv_u64(pk, "closed_timeout", st->closed_timeout);
	pack_kv_u64(pk, "closed_hangup", st->closed_hangup);
	pack_kv_u64(pk, "queue_high_water", st->queue_high_water);
	pack_kv_u64(pk, "control_clients", nclients);
	pack_kv_str(pk, "store", broker.store->name);
	sse_ctl_end(&c->w);
}

static void
op_version(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	(void)req;
	sse_ctl_begin(&c->w);
	sse_ctl_pack_result(&c->w.pk, seq, 2);
	pack_kv_str(&c->w.pk, "version", PACKAGE_VERSION);
	pack_kv_u64(&c->w.pk, "protocol", SSE_CTL_PROTO_VERSION);
	sse_ctl_end(&c->w);
}

static const ctl_handler handlers[] = {
	[SSE_CTL_PUBLISH] = op_publish,
	[SSE_CTL_LIST] = op_list,
	[SSE_CTL_KICK] = op_kick,
	[SSE_CTL_STATS] = op_stats,
	[SSE_CTL_VERSION] = op_version,
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
		reply_error(c, seq, "VERSION_MISMATCH", "this ssed speaks "
		    "control protocol version %d", SSE_CTL_PROTO_VERSION);
		return;
	case SSE_EUNKNOWNOP:
		reply_error(c, seq, "UNKNOWN_OP", "unknown op (see "
		    "ssed-control(7))");
		return;
	default:
		reply_error(c, seq, "BAD_REQUEST", "a request is a map with "
		    "v, op and seq (see ssed-control(7))");
		return;
	}
	if ((size_t)op >= sizeof(handlers) / sizeof(handlers[0]) ||
	    handlers[op] == NULL) {
		reply_error(c, seq, "UNKNOWN_OP", "op %s is not served by "
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

static void
client_close(struct ctl_client *c)
{
	int fd = c->io.fd;

	if (fd == -1)
		return;
	loop_del(&c->io);
	close(fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nclients--;
	loop_defer(client_free, c);
}

/* Write what is pending; close when done and asked to. */
static void
client_flush(struct ctl_client *c)
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
			return;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->w.sb.size) {
		sse_ctl_writer_reset(&c->w);
		c->woff = 0;
		if (c->closing) {
			client_close(c);
			return;
		}
		loop_mod(&c->io, EPOLLIN);
	} else if (c->w.sb.size - c->woff > CTL_MAX_OUT) {
		log_warn("%s: control client does not read its replies, "
		    "closed", __func__);
		client_close(c);
	} else
		loop_mod(&c->io, c->closing ? EPOLLOUT : EPOLLIN | EPOLLOUT);
}

static void
client_read(struct ctl_client *c)
{
	msgpack_unpacked	 u;
	size_t			 flen, off = 0;
	ssize_t			 n;
	int			 rc;

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
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->rlen += (size_t)n;
	msgpack_unpacked_init(&u);
	while (!c->closing) {
		rc = sse_ctl_frame_decode(c->rbuf + off, c->rlen - off,
		    CTL_MAX_FRAME, &u, &flen);
		if (rc == SSE_EAGAIN)
			break;
		if (rc == SSE_ETOOBIG) {
			reply_error(c, 0, "FRAME_TOO_LARGE", "frames are at "
			    "most %u bytes", CTL_MAX_FRAME);
			c->closing = 1;
			break;
		}
		if (rc != 0) {
			reply_error(c, 0, "BAD_FRAME", "not one msgpack map "
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
	client_flush(c);
}

static void
client_io(struct loop_io *io, uint32_t events)
{
	struct ctl_client *c = io->arg;

	if ((events & EPOLLIN) && !c->closing)
		client_read(c);
	else if (events & (EPOLLHUP | EPOLLERR)) {
		client_close(c);
		return;
	}
	if (c->io.fd != -1 && (events & EPOLLOUT))
		client_flush(c);
}

static int
peer_allowed(int fd, uid_t *uidp)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	*uidp = cred.uid;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void
listen_cb(struct loop_io *io, uint32_t events)
{
	struct ctl_client	*c;
	uid_t			 uid = (uid_t)-1;
	int			 fd;

	(void)events;
	while ((fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
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
		c->next = clients;
		if (clients != NULL)
			clients->prev = c;
		clients = c;
		nclients++;
		if (!peer_allowed(fd, &uid)) {
			log_warn("control: refused uid %d", (int)uid);
			reply_error(c, 0, "PERMISSION_DENIED", "uid %d may not "
			    "use this socket (see --control-group)", (int)uid);
			c->closing = 1;
			client_flush(c);
		}
	}
}

int
control_start(const char *path)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
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
	while (clients != NULL)
		client_close(clients);
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

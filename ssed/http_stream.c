/*
 * http_stream.c: the event streams, GET /sse/updates/{topic} and
 * GET /sse/updates?topic=A&topic=B (http_events.c adds the per-user one).
 *
 * libmicrohttpd writes the response head and the first chunk ("retry:").
 * When it asks the content reader for more, everything before is on the
 * wire: the subscriber takes a duplicate of the socket (subscriber.c) and
 * the reader tells MHD the response failed, so MHD forgets the connection
 * and closes its own descriptor.  From then on a stream costs only its
 * subscriber: no MHD connection, memory pool or response stays behind.
 * This needs MHD_USE_TURBO, without which MHD would shutdown() the shared
 * socket on its way out (http.c sets it; every stream test guards it).
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SSED_HTTP_INTERNAL
#include "auth.h"
#include "broker.h"
#include "http.h"
#include "http_stream.h"
#include "log.h"
#include "subscriber.h"
#include "ulimit.h"

#define CLIENT_ID_MAX	128
/*
 * The response's own buffer: MHD allocates it with every response, and
 * all that goes through it is the "retry:" line; the events bypass MHD.
 * Kept small, it saves a kilobyte per open stream.
 */
#define RETRY_BLOCK	32

struct stream_req {
	struct http_req		 base;
	struct MHD_Connection	*conn;
	struct sub		*sub;		/* NULL once handed over */
	int			 head_sent;
};

static void
log_close(const struct sub *s)
{
	const struct log_field f[] = {
		{ "remote", s->remote, 0 },
		{ "sub", NULL, (double)s->id },
		{ "user", s->user != NULL ? s->user : "-", 0 },
		{ "topic", s->label != NULL ? s->label : "-", 0 },
		{ "reason", close_reason_names[s->reason >= 0 ? s->reason :
		    CLOSE_CLIENT], 0 },
		{ "duration", NULL,
		    (double)((loop_now() - s->connected_mono) / 100) / 10.0 },
		{ "events", NULL, (double)s->events_sent },
		{ "bytes", NULL, (double)s->bytes_sent },
	};

	log_fields(LOG_LVL_INFO, "close", f, sizeof(f) / sizeof(f[0]));
}

static void
stream_free(void *arg)
{
	sub_free(arg);
}

static void
log_open(const struct sub *s)
{
	const struct log_field f[] = {
		{ "remote", s->remote, 0 },
		{ "sub", NULL, (double)s->id },
		{ "user", s->user != NULL ? s->user : "-", 0 },
		{ "topic", s->label, 0 },
		{ "client_id", s->client_id != NULL ? s->client_id : "-", 0 },
	};

	log_fields(LOG_LVL_INFO, "open", f, sizeof(f) / sizeof(f[0]));
}

/* A stream the subscriber owned has ended: log it, free it after the round. */
static void
stream_ended(struct sub *s)
{
	log_close(s);
	if (loop_defer(stream_free, s) == -1)
		log_err("%s: out of memory: subscriber %llu not freed",
		    __func__, (unsigned long long)s->id);
}

static const struct sub_ops stream_ops = {
	.finish = stream_ended,
};

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_req		*r = cls;
	struct sub			*s = r->sub;
	const union MHD_ConnectionInfo	*ci;
	int				 n, fd, one = 1, zero = 0;

	(void)pos;
	if (s->state == SUB_DONE)
		return s->clean ? MHD_CONTENT_READER_END_OF_STREAM :
		    MHD_CONTENT_READER_END_WITH_ERROR;
	if (!r->head_sent) {
		r->head_sent = 1;
		n = snprintf(buf, max, "retry: %d\n\n", broker.cfg.retry_ms);
		return n > 0 && (size_t)n < max ? n : 0;
	}
	ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL ||
	    (fd = fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("%s: cannot take over the stream: %s", __func__,
		    strerror(errno));
		sub_abort(s, CLOSE_INTERNAL);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	/* Each event is one whole send(): no Nagle, no cork. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	r->sub = NULL;
	sub_own(s, fd);
	/* MHD closes its descriptor and forgets the connection. */
	http_wakeup();
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* The resume position: Last-Event-ID, else last_event_id / lastEventId. */
static const char *
last_event_id(struct MHD_Connection *c)
{
	const char *v;

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	if (v == NULL || *v == '\0')
		v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "last_event_id");
	if (v == NULL || *v == '\0')
		v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "lastEventId");
	return v != NULL && *v != '\0' ? v : NULL;
}

/* The checks of a topic, in the order ssed(8) gives: 400, 403, 404. */
static int
topic_name_ok(struct MHD_Connection *c, const char *name, enum MHD_Result *ret)
{
	if (topic_name_is_valid(name, strlen(name)))
		return 0;
	*ret = http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_TOPIC",
	    "topic names are 1-200 bytes of A-Z a-z 0-9 . _ ~ : @ -");
	return -1;
}

static int
topic_allowed(struct MHD_Connection *c, const char *name,
    const struct auth_token *tok, int publish, enum MHD_Result *ret)
{
	if (publish ? auth_may_publish(tok, name) :
	    auth_may_subscribe(tok, name))
		return 0;
	*ret = http_error(c, MHD_HTTP_FORBIDDEN, "FORBIDDEN", publish ?
	    "the token does not allow publishing to this topic" :
	    "the token does not allow reading this topic");
	return -1;
}

/* Only a look: the caller creates the topic once all is checked. */
static int
topic_known(struct MHD_Connection *c, const char *name, enum MHD_Result *ret)
{
	if (broker_topic_check(name, strlen(name)) == 0)
		return 0;
	*ret = http_error(c, MHD_HTTP_NOT_FOUND, "TOPIC_NOT_FOUND",
	    "no such topic (topics must be registered with "
	    "'ssectl topics create')");
	return -1;
}

int
http_topic_for(struct MHD_Connection *c, const char *name,
    const struct auth_token *tok, int publish, enum MHD_Result *ret)
{
	if (topic_name_ok(c, name, ret) == -1 ||
	    topic_allowed(c, name, tok, publish, ret) == -1 ||
	    topic_known(c, name, ret) == -1)
		return -1;
	return 0;
}

/* 429 as an event stream holding one error event (CONTRACT section 2). */
static enum MHD_Result
too_many(struct MHD_Connection *c, const char *rid)
{
	struct MHD_Response	*r;
	char			 body[256];
	int			 n;

	n = snprintf(body, sizeof(body), "event: error\ndata: {\"code\":"
	    "\"RATE_LIMIT_EXCEEDED\",\"message\":\"too many concurrent "
	    "streams for this user\",\"request_id\":\"%s\"}\n\n", rid);
	r = MHD_create_response_from_buffer((size_t)n, body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	http_stream_headers(r);
	return http_queue(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
}

static char *
limit_key(const struct auth_token *tok, const char *remote)
{
	char	buf[256];
	size_t	n;

	if (tok != NULL)
		snprintf(buf, sizeof(buf), "u:%s", tok->sub);
	else {
		/* Anonymous streams count per address, not per port. */
		snprintf(buf, sizeof(buf), "a:%s", remote);
		if ((n = strlen(buf)) > 2 && strrchr(buf, ':') > buf + 1)
			*strrchr(buf, ':') = '\0';
	}
	return strdup(buf);
}

enum MHD_Result
http_stream_open(struct MHD_Connection *c, const char *version,
    struct stream_spec *sp, void **con_cls)
{
	struct MHD_Response	*resp;
	struct stream_req	*r = NULL;
	struct sub		*s = NULL;
	struct topic		*topics[STREAM_MAX_TOPICS];
	struct evid		 after;
	const char		*lei, *cid;
	char			 remote[64], rid[24], *key = NULL;
	unsigned		 i;
	int			 err, taken;

	if ((lei = last_event_id(c)) != NULL &&
	    evid_parse(lei, strlen(lei), &after) == -1)
		return http_error(c, MHD_HTTP_BAD_REQUEST,
		    "INVALID_LAST_EVENT_ID",
		    "Last-Event-ID must be an event id like 1764000000123-0");
	cid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "client_id");
	if (cid != NULL && strlen(cid) > CLIENT_ID_MAX)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_PARAMETER",
		    "client_id is longer than 128 bytes");
	/* MHD forgets handed-over streams: the limit is counted here. */
	if (broker.cfg.max_streams > 0 &&
	    broker.nsubs >= broker.cfg.max_streams)
		return http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "SERVER_FULL",
		    "ssed holds as many streams as it may (--max-conns)");
	http_remote(c, remote, sizeof(remote));
	if ((key = limit_key(sp->tok, remote)) == NULL)
		goto nomem;
	if ((taken = ulimit_take(key)) == ULIMIT_NOMEM)
		goto nomem;
	if (taken == ULIMIT_FULL) {
		const struct log_field f[] = {
			{ "remote", remote, 0 },
			{ "user", sp->tok != NULL ? sp->tok->sub : "-", 0 },
			{ "request_id", rid, 0 },
			{ "code", "RATE_LIMIT_EXCEEDED", 0 },
		};

		http_request_id(rid);
		log_fields(LOG_LVL_INFO, "refused", f, sizeof(f) / sizeof(f[0]));
		free(key);
		return too_many(c, rid);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (s = sub_new(sp->kind, &stream_ops, r)) == NULL) {
		ulimit_release(key);
		goto nomem;
	}
	s->limit_key = key;
	key = NULL;
	r->base.kind = REQ_STREAM;
	r->conn = c;
	r->sub = s;
	/*
	 * Framed from the start: a replay queued now is counted in the
	 * bytes it is sent as.  libmicrohttpd answers every HTTP/1.x but
	 * 1.0 as 1.1, with chunked encoding.
	 */
	s->chunked = strcmp(version, MHD_HTTP_VERSION_1_0) != 0;
	s->types = sp->types;
	memcpy(s->remote, remote, sizeof(s->remote));
	/* Every check passed: now the topics may be created. */
	for (i = 0; i < sp->ntopics; i++)
		if ((topics[i] = broker_topic(sp->names[i],
		    strlen(sp->names[i]), &err)) == NULL)
			goto nomem;
	if (sub_follow(s, topics, sp->ntopics) == -1 ||
	    (cid != NULL && (s->client_id = strdup(cid)) == NULL) ||
	    (sp->tok != NULL && (s->user = strdup(sp->tok->sub)) == NULL) ||
	    (sp->tok != NULL && sp->tok->exp > 0 &&
	    sub_set_expiry(s, sp->tok->exp + auth_leeway()) == -1))
		goto nomem;
	if (lei != NULL) {
		s->last = after;
		broker_replay(s, &after);
	}

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, RETRY_BLOCK,
	    stream_reader, r, NULL);
	if (resp == NULL)
		goto nomem;
	http_stream_headers(resp);
	if (asprintf(&s->label, "%s%s", sp->names[0],
	    sp->ntopics > 1 ? ",..." : "") == -1) {
		s->label = NULL;
		MHD_destroy_response(resp);
		goto nomem;
	}
	*con_cls = r;
	log_open(s);
	return http_queue(c, MHD_HTTP_OK, resp);
nomem:
	free(key);
	if (s != NULL)
		sub_free(s);
	free(r);
	return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL",
	    "out of memory");
}

enum MHD_Result
http_stream(struct MHD_Connection *c, const char *version, const char *name,
    void **con_cls)
{
	struct stream_spec	 sp = { .kind = SUB_UPDATES, .ntopics = 1 };
	enum MHD_Result		 ret;

	if (http_authenticate(c, &sp.tok, &ret) == -1)
		return ret;
	sp.names[0] = name;
	if (http_topic_for(c, name, sp.tok, 0, &ret) == 0)
		ret = http_stream_open(c, version, &sp, con_cls);
	auth_token_free(sp.tok);
	return ret;
}

struct multi_ctx {
	struct MHD_Connection	*c;
	struct stream_spec	*sp;
	enum MHD_Result		 ret;
	int			 failed;
};

static enum MHD_Result
multi_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct multi_ctx	*m = cls;
	unsigned		 i;

	(void)kind;
	if (strcmp(key, "topic") != 0)
		return MHD_YES;
	if (value == NULL)
		value = "";
	/* A name seen before was checked then and is followed once. */
	for (i = 0; i < m->sp->ntopics; i++)
		if (strcmp(m->sp->names[i], value) == 0)
			return MHD_YES;
	if (m->sp->ntopics == STREAM_MAX_TOPICS) {
		m->ret = http_error(m->c, MHD_HTTP_BAD_REQUEST,
		    "TOO_MANY_TOPICS", "at most 64 topics per stream");
		m->failed = 1;
		return MHD_NO;
	}
	/* Names now; permissions and existence once all are read. */
	if (topic_name_ok(m->c, value, &m->ret) == -1) {
		m->failed = 1;
		return MHD_NO;
	}
	m->sp->names[m->sp->ntopics++] = value;
	return MHD_YES;
}

enum MHD_Result
http_stream_multi(struct MHD_Connection *c, const char *version,
    void **con_cls)
{
	struct stream_spec	 sp = { .kind = SUB_UPDATES };
	struct multi_ctx	 m = { .c = c, .sp = &sp };
	enum MHD_Result		 ret;
	unsigned		 i;

	if (http_authenticate(c, &sp.tok, &ret) == -1)
		return ret;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, multi_arg, &m);
	/* Each check over all the topics before the next: 400, 403, 404. */
	for (i = 0; !m.failed && i < sp.ntopics; i++)
		m.failed = topic_allowed(c, sp.names[i], sp.tok, 0,
		    &m.ret) == -1;
	for (i = 0; !m.failed && i < sp.ntopics; i++)
		m.failed = topic_known(c, sp.names[i], &m.ret) == -1;
	if (m.failed)
		ret = m.ret;
	else if (sp.ntopics == 0)
		ret = http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_TOPIC",
		    "name the topics: /sse/updates?topic=A&topic=B");
	else
		ret = http_stream_open(c, version, &sp, con_cls);
	auth_token_free(sp.tok);
	return ret;
}

/* MHD is done with the request; a subscriber not handed over ends here. */
void
http_stream_done(struct http_req *base)
{
	struct stream_req	*r = (struct stream_req *)base;
	struct sub		*s = r->sub;

	if (s != NULL) {
		log_close(s);		/* no reason yet: the client left */
		sub_free(s);
	}
	free(r);
}

void
http_req_done(void *con_cls)
{
	struct http_req *r = con_cls;

	if (r->kind == REQ_STREAM)
		http_stream_done(r);
	else
		http_publish_done(r);
}

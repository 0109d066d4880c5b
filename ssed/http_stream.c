/*
 * http_stream.c: GET /sse/updates/{topic}, the per-topic event stream.
 *
 * libmicrohttpd writes the response head and the first chunk ("retry:").
 * When it asks the content reader for more, everything before is on the
 * wire, so the connection is suspended for good and the subscriber owns
 * the socket (subscriber.c); MHD does not touch a suspended connection's
 * socket.  To end the stream the subscriber asks us to resume it, and the
 * reader then returns end-of-stream (clean) or an error (abort).
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SSED_HTTP_INTERNAL
#include "broker.h"
#include "http.h"
#include "log.h"
#include "subscriber.h"

#define CLIENT_ID_MAX	128

struct stream_req {
	struct http_req		 base;
	struct MHD_Connection	*conn;
	struct sub		*sub;
	int			 head_sent;
	int			 suspended;
	int			 chunked;
};

static void
stream_finish(struct sub *s)
{
	struct stream_req *r = s->front;

	if (r->suspended) {
		r->suspended = 0;
		MHD_resume_connection(r->conn);
		http_wakeup();
	}
}

static const struct sub_ops stream_ops = {
	.finish = stream_finish,
};

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_req		*r = cls;
	struct sub			*s = r->sub;
	const union MHD_ConnectionInfo	*ci;
	int				 n, one = 1, zero = 0;

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
	if (ci == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	/* Each event is one whole send(): no Nagle, no cork. */
	setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	MHD_suspend_connection(r->conn);
	r->suspended = 1;
	sub_own(s, ci->connect_fd, r->chunked);
	return 0;
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

enum MHD_Result
http_stream(struct MHD_Connection *c, const char *version, const char *name,
    void **con_cls)
{
	struct MHD_Response	*resp;
	struct stream_req	*r;
	struct topic		*t;
	struct evid		 after;
	const char		*lei, *cid;
	enum MHD_Result		 ret;

	if (!topic_name_is_valid(name, strlen(name)))
		return http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_TOPIC",
		    "topic names are 1-200 bytes of A-Z a-z 0-9 . _ ~ : @ -");
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
	if ((t = topic_get(name, strlen(name))) == NULL)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "INTERNAL", "out of memory");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "INTERNAL", "out of memory");
	r->base.kind = REQ_STREAM;
	r->conn = c;
	r->chunked = strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
	if ((r->sub = sub_new(SUB_UPDATES, &stream_ops, r)) == NULL ||
	    sub_follow(r->sub, &t, 1) == -1 ||
	    (cid != NULL && (r->sub->client_id = strdup(cid)) == NULL))
		goto nomem;
	http_remote(c, r->sub->remote, sizeof(r->sub->remote));
	if (lei != NULL)
		broker_replay(r->sub, &after);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024,
	    stream_reader, r, NULL);
	if (resp == NULL)
		goto nomem;
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	*con_cls = r;
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	log_info("open %s sub=%llu topic=%s client_id=%s", r->sub->remote,
	    (unsigned long long)r->sub->id, name, cid != NULL ? cid : "-");
	return ret;
nomem:
	if (r->sub != NULL)
		sub_free(r->sub);
	free(r);
	return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL",
	    "out of memory");
}

static void
stream_done(struct stream_req *r)
{
	struct sub *s = r->sub;

	log_info("close %s sub=%llu reason=%s duration=%.1fs events=%llu "
	    "bytes=%llu", s->remote, (unsigned long long)s->id,
	    s->reason != NULL ? s->reason : "client",
	    (double)(loop_now() - s->connected_mono) / 1000.0,
	    (unsigned long long)s->events_sent,
	    (unsigned long long)s->bytes_sent);
	sub_free(s);
	free(r);
}

void
http_req_done(void *con_cls)
{
	struct http_req *r = con_cls;

	if (r->kind == REQ_STREAM)
		stream_done((struct stream_req *)r);
	else
		http_publish_done(r);
}

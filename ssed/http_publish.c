/*
 * http_publish.c: POST /sse/notify/{topic}.  The whole body becomes the
 * event's data; the answer is sent after the fan-out, with the new id.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSED_HTTP_INTERNAL
#include "auth.h"
#include "broker.h"
#include "http.h"
#include "http_stream.h"
#include "log.h"
#include "topic.h"

#define BODY_FIRST_MAX	(64 * 1024)	/* first body buffer, at most */

struct publish_req {
	struct http_req	 base;
	char		 topic[TOPIC_NAME_MAX + 1];	/* checked */
	const char	*type;		/* ?event=, checked; NULL: none */
	char		*body;
	size_t		 len, cap;
	size_t		 hint;		/* Content-Length, when given */
	int		 too_big;
	int		 nomem;		/* the body could not be kept */
};

static enum MHD_Result
too_big(struct MHD_Connection *c)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "event larger than %zu bytes "
	    "(--max-event-size)", broker.cfg.max_event_size);
	return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "EVENT_TOO_LARGE", msg);
}

/* The ?event= type: NULL when absent or empty (an untyped event). */
static const char *
event_type(struct MHD_Connection *c)
{
	const char *type;

	type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "event");
	return type != NULL && *type != '\0' ? type : NULL;
}

static int
append(struct publish_req *r, const char *data, size_t n)
{
	if (r->len + n > broker.cfg.max_event_size) {
		r->too_big = 1;
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return 0;
	}
	if (r->len + n > r->cap) {
		size_t	 ncap = r->cap;
		char	*nb;

		/*
		 * First sized from Content-Length, up to 64 KiB: an
		 * announced length alone does not hold more than that.
		 */
		if (ncap == 0)
			ncap = r->hint < BODY_FIRST_MAX ? r->hint :
			    BODY_FIRST_MAX;
		if (ncap == 0)
			ncap = n;

		while (ncap < r->len + n)
			ncap *= 2;
		if (ncap > broker.cfg.max_event_size)
			ncap = broker.cfg.max_event_size;
		if ((nb = realloc(r->body, ncap)) == NULL)
			return -1;
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	return 0;
}

static enum MHD_Result
publish(struct MHD_Connection *c, struct publish_req *r)
{
	struct topic	*t;
	struct event	*ev;
	const char	*type, *why;
	unsigned	 nsubs;
	char		 js[96 + EVID_STRLEN + 20], *p;
	int		 err;

	if (r->too_big)
		return too_big(c);
	if (r->nomem)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "INTERNAL", "out of memory");
	type = r->type;		/* checked with the headers */
	if (broker_check_event(r->topic, type, r->body != NULL ? r->body : "",
	    r->len, &why) == -1)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_EVENT", why);
	/* Created now that every check has passed (or deleted meanwhile). */
	if ((t = broker_topic(r->topic, strlen(r->topic), &err)) == NULL)
		return http_error(c, err == SSE_ENOENT ? MHD_HTTP_NOT_FOUND :
		    MHD_HTTP_INTERNAL_SERVER_ERROR, err == SSE_ENOENT ?
		    "TOPIC_NOT_FOUND" : "INTERNAL", err == SSE_ENOENT ?
		    "the topic was deleted" : "out of memory");
	err = broker_publish(t, type, r->body != NULL ? r->body : "", r->len,
	    &ev, &nsubs);
	if (err != 0)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "INTERNAL", sse_strerror(err));
	/* An id is digits and a dash: nothing here needs JSON escaping. */
	p = stpcpy(js, "{\"status\":\"success\",\"message\":"
	    "\"Notification sent to clients\",\"id\":\"");
	p = stpcpy(p, ev->idstr);
	p = stpcpy(p, "\",\"subscribers\":");
	p += put_uint(p, nsubs, 10);
	strcpy(p, "}");
	event_unref(ev);
	return http_json(c, MHD_HTTP_OK, js);
}

enum MHD_Result
http_publish(struct MHD_Connection *c, const char *name, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct publish_req	*r = *con_cls;
	struct auth_token	*tok;
	const char		*cl, *type;
	unsigned long long	 hint;
	enum MHD_Result		 ret;
	int			 err;

	if (r == NULL) {
		if (http_authenticate(c, &tok, &ret) == -1)
			return ret;
		err = http_topic_for(c, name, tok, 1, &ret);
		auth_token_free(tok);
		if (err == -1)
			return ret;
		/* The other parameters (400), then the limits (413). */
		if ((type = event_type(c)) != NULL &&
		    !sse_field_is_valid(type, strlen(type)))
			return http_error(c, MHD_HTTP_BAD_REQUEST,
			    "INVALID_PARAMETER",
			    "event type may not contain CR, LF or NUL");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		hint = cl != NULL ? strtoull(cl, NULL, 10) : 0;
		if (hint > broker.cfg.max_event_size)
			return too_big(c);
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "INTERNAL", "out of memory");
		r->base.kind = REQ_PUBLISH;
		r->type = type;	/* MHD keeps it until the request ends */
		r->hint = (size_t)hint;
		memcpy(r->topic, name, strlen(name) + 1);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* Out of memory: read the rest, answer at the end. */
		if (!r->too_big && !r->nomem &&
		    append(r, upload, *upload_size) == -1) {
			r->nomem = 1;
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return publish(c, r);
}

void
http_publish_done(struct http_req *base)
{
	struct publish_req *r = (struct publish_req *)base;

	free(r->body);
	free(r);
}

/*
 * http_reply.c: every answer ssed gives over HTTP is built here or passes
 * through http_queue(): JSON errors, the CORS headers and preflight,
 * /healthz, HEAD of a stream, and the per-status counters of /metrics.
 */
#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#define SSED_HTTP_INTERNAL
#include "http.h"

static const struct http_config	*rcfg;
static unsigned long long	 status_counts[600];

static int			 cors_star;	/* "*" is among the origins */

void
http_reply_config(const struct http_config *cfg)
{
	size_t i;

	rcfg = cfg;
	cors_star = 0;
	for (i = 0; i < cfg->ncors; i++)
		if (strcmp(cfg->cors[i], "*") == 0)
			cors_star = 1;
}

unsigned long long
http_status_count(unsigned status)
{
	return status < 600 ? status_counts[status] : 0;
}

/* The Access-Control-Allow-Origin for this request, or NULL. */
static const char *
cors_origin(struct MHD_Connection *c)
{
	const char	*origin;
	size_t		 i;

	if (rcfg == NULL || rcfg->ncors == 0)
		return NULL;
	/* With "*" anywhere in the list every origin gets "*" alike. */
	if (cors_star)
		return "*";
	origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	for (i = 0; origin != NULL && i < rcfg->ncors; i++)
		if (strcmp(rcfg->cors[i], origin) == 0)
			return origin;
	return NULL;
}

/* Queue r with the CORS headers for allow (cors_origin()'s answer). */
static enum MHD_Result
queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
    const char *allow)
{
	enum MHD_Result	ret;

	if (allow != NULL)
		MHD_add_response_header(r, "Access-Control-Allow-Origin", allow);
	/* Refused origins too: a cache must not mix up two origins. */
	if (rcfg != NULL && rcfg->ncors > 0 && !cors_star)
		MHD_add_response_header(r, "Vary", "Origin");
	/* Draining: no request more on this connection. */
	if (http_draining)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (status < 600)
		status_counts[status]++;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
http_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	return queue(c, status, r, cors_origin(c));
}

/* OPTIONS: CORS preflight for the configured origins. */
enum MHD_Result
http_preflight(struct MHD_Connection *c, const char *methods)
{
	struct MHD_Response	*r;
	const char		*allow = cors_origin(c);

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Allow", methods);
	if (allow != NULL) {
		MHD_add_response_header(r, "Access-Control-Allow-Methods",
		    methods);
		MHD_add_response_header(r, "Access-Control-Allow-Headers",
		    "Authorization, Last-Event-ID, Cache-Control, Content-Type");
		MHD_add_response_header(r, "Access-Control-Max-Age", "600");
	}
	return queue(c, MHD_HTTP_NO_CONTENT, r, allow);
}

/*
 * The answer to a POST: no Cache-Control, since no cache stores a POST's
 * answer without being told how long it stays fresh (RFC 9111, 2.3), and
 * each header is three allocations in libmicrohttpd on the publish path.
 */
enum MHD_Result
http_json(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response	*r;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	return http_queue(c, status, r);
}

enum MHD_Result
http_error_allow(struct MHD_Connection *c, unsigned status, const char *code,
    const char *message, const char *allow)
{
	struct MHD_Response	*r;
	json_t			*o;
	char			*s;

	o = json_pack("{s:s, s:s, s:s}", "status", "error", "code", code,
	    "message", message);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return MHD_NO;
	}
	json_decref(o);
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (allow != NULL)
		MHD_add_response_header(r, "Allow", allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate",
		    strcmp(code, "UNAUTHORIZED") == 0 ? "Bearer" :
		    "Bearer error=\"invalid_token\"");
	return http_queue(c, status, r);
}

enum MHD_Result
http_error(struct MHD_Connection *c, unsigned status, const char *code,
    const char *message)
{
	return http_error_allow(c, status, code, message, NULL);
}

void
http_remote(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	char		 host[NI_MAXHOST], port[NI_MAXSERV];
	socklen_t	 slen;

	snprintf(buf, len, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	slen = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, slen, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	if (ci->client_addr->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%s", host, port);
	else
		snprintf(buf, len, "%s:%s", host, port);
}

enum MHD_Result
http_healthz(struct MHD_Connection *c)
{
	static const char	 ok[] = "ok\n";
	struct MHD_Response	*r;

	r = MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	return http_queue(c, MHD_HTTP_OK, r);
}

/* The head of every event stream (CONTRACT section 2). */
void
http_stream_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
}

enum MHD_Result
http_stream_head(struct MHD_Connection *c)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	http_stream_headers(r);
	return http_queue(c, MHD_HTTP_OK, r);
}

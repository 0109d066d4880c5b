/*
 * http.h: the HTTP front on libmicrohttpd.  Only http*.c include
 * <microhttpd.h>; the core sees subscribers and topics, never requests.
 */
#ifndef SSED_HTTP_H
#define SSED_HTTP_H

#include <stddef.h>

struct http_config {
	char		**listen;	/* "host:port" */
	size_t		  nlisten;
	size_t		  conn_memory;
	unsigned	  max_conns;	/* streams (ssed counts them) */
	unsigned	  max_requests;	/* connections inside MHD */
	unsigned	  idle_timeout;	/* s, for non-stream connections */
	char		**cors;		/* --cors-origin, "*" for any */
	size_t		  ncors;
	unsigned	  max_per_user;	/* --max-conns-per-user */
};

int	 http_start(const struct http_config *);
/* Requests begun and not completed: the drain waits for them too. */
unsigned http_requests(void);
/* Whether every --listen is an address:port ssed could use; else why. */
int	 http_listen_check(const struct http_config *, char *why,
	    size_t len);
/* Ask for an MHD_run() after this round (a connection was let go). */
void	 http_wakeup(void);
/* New settings in force (CORS, limits); addresses stay. */
void	 http_reconfigure(const struct http_config *);
/* host:port of the first listener, for messages. */
const char *http_address(void);
/*
 * Shutdown begins: stop accepting connections, and answer what still
 * comes on open ones 503 and close them.
 */
void	 http_quiesce(void);
void	 http_stop(void);

#ifdef SSED_HTTP_INTERNAL
#include <microhttpd.h>

/* Every request's state starts with this (MHD's *con_cls). */
struct http_req {
	enum { REQ_STREAM, REQ_PUBLISH } kind;
};

struct auth_token;

/* Set once shutdown begins: requests are answered 503 SHUTTING_DOWN. */
extern int	 http_draining;

/*
 * Queue r (and drop our reference): every answer goes through here, so
 * CORS headers and the per-status counters are never forgotten.
 */
enum MHD_Result	 http_queue(struct MHD_Connection *, unsigned status,
		    struct MHD_Response *r);
/*
 * Authenticate the request (Authorization: Bearer, else ?token=).
 * Returns 0 with *tok set (NULL under --auth=none), or -1 after queueing
 * the 401 in *ret.
 */
int		 http_authenticate(struct MHD_Connection *,
		    struct auth_token **tok, enum MHD_Result *ret);
/* A short unique id for a request, for answers and log lines. */
void		 http_request_id(char buf[24]);

/* The settings answers follow (CORS origins). */
void		 http_reply_config(const struct http_config *);
enum MHD_Result	 http_error_allow(struct MHD_Connection *, unsigned status,
		    const char *code, const char *message, const char *allow);
enum MHD_Result	 http_preflight(struct MHD_Connection *, const char *methods);
enum MHD_Result	 http_healthz(struct MHD_Connection *);
/* HEAD of a stream: its headers (http_stream_headers()), no body. */
enum MHD_Result	 http_stream_head(struct MHD_Connection *);
/* Content-Type, Cache-Control and X-Accel-Buffering of every stream. */
void		 http_stream_headers(struct MHD_Response *);

/* Queue a JSON error {"status":"error","code","message"}. */
enum MHD_Result	 http_error(struct MHD_Connection *, unsigned status,
		    const char *code, const char *message);
/* Queue the JSON answer to a POST (body is copied). */
enum MHD_Result	 http_json(struct MHD_Connection *, unsigned status,
		    const char *body);
void		 http_remote(struct MHD_Connection *, char *buf, size_t len);

enum MHD_Result	 http_stream(struct MHD_Connection *, const char *version,
		    const char *topic, void **con_cls);
enum MHD_Result	 http_stream_multi(struct MHD_Connection *,
		    const char *version, void **con_cls);
enum MHD_Result	 http_events(struct MHD_Connection *, const char *version,
		    void **con_cls);
enum MHD_Result	 http_metrics(struct MHD_Connection *);
/* Counters of answers by status, for /metrics. */
unsigned long long http_status_count(unsigned status);
unsigned long long http_auth_failures(const char *code);
/* The i-th distinct code of a token refused (401), or NULL past the last. */
const char	*http_auth_code(size_t i);
enum MHD_Result	 http_publish(struct MHD_Connection *, const char *topic,
		    const char *upload, size_t *upload_size, void **con_cls);
void		 http_req_done(void *con_cls);
void		 http_publish_done(struct http_req *);
#endif

#endif

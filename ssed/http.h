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
	unsigned	  max_conns;
	unsigned	  idle_timeout;	/* s, for non-stream connections */
};

int	 http_start(const struct http_config *);
/* host:port of the first listener, for messages. */
const char *http_address(void);
/* Stop accepting new connections (shutdown begins). */
void	 http_quiesce(void);
void	 http_stop(void);

#ifdef SSED_HTTP_INTERNAL
#include <microhttpd.h>

/* Every request's state starts with this (MHD's *con_cls). */
struct http_req {
	enum { REQ_STREAM, REQ_PUBLISH } kind;
};

/* Queue a JSON error {"status":"error","code","message"}. */
enum MHD_Result	 http_error(struct MHD_Connection *, unsigned status,
		    const char *code, const char *message);
enum MHD_Result	 http_json(struct MHD_Connection *, unsigned status,
		    const char *body);
void		 http_remote(struct MHD_Connection *, char *buf, size_t len);

enum MHD_Result	 http_stream(struct MHD_Connection *, const char *version,
		    const char *topic, void **con_cls);
enum MHD_Result	 http_publish(struct MHD_Connection *, const char *topic,
		    const char *upload, size_t *upload_size, void **con_cls);
void		 http_req_done(void *con_cls);
void		 http_wakeup(void);
void		 http_publish_done(struct http_req *);
#endif

#endif

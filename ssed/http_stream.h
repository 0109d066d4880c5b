/*
 * http_stream.h: what the stream endpoints share (http_stream.c,
 * http_events.c): resolving topics with their permission checks, and
 * opening a stream once the request has been checked.
 */
#ifndef SSED_HTTP_STREAM_H
#define SSED_HTTP_STREAM_H

#include "subscriber.h"

#define STREAM_MAX_TOPICS	64

struct auth_token;

struct stream_spec {
	enum sub_kind		 kind;
	/* Checked names; the topics are looked up or created on opening. */
	const char		*names[STREAM_MAX_TOPICS];
	unsigned		 ntopics;
	struct auth_token	*tok;		/* NULL: anonymous */
	unsigned		 types;		/* SUB_T_* mask, 0 = all */
};

/*
 * The topic name, checked (400), allowed by tok (403) and existing (404
 * when topics must be registered).  0, or -1 with the error queued and
 * its result in *ret.  Nothing is created here: a stream or publish
 * refused by a later check leaves no topic behind.
 */
int		 http_topic_for(struct MHD_Connection *, const char *name,
		    const struct auth_token *tok, int publish,
		    enum MHD_Result *ret);
/*
 * The remaining checks (resume id, client_id, --max-conns, the per-user
 * limit), then the topics of sp->names are created and the stream opens.
 */
enum MHD_Result	 http_stream_open(struct MHD_Connection *,
		    const char *version, struct stream_spec *, void **con_cls);
void		 http_stream_done(struct http_req *);

#endif

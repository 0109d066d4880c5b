/*
 * ctl.h: what the control socket's parts share.  control.c serves the
 * socket (clients, framing, dispatch); ctl_conn.c, ctl_pub.c and
 * ctl_topics.c implement the ops of ssed-control(7), one handler each.
 */
#ifndef SSED_CTL_H
#define SSED_CTL_H

#include <stdint.h>
#include <sys/queue.h>

#include <sseproto.h>

#include "loop.h"

struct ctl_tail;

struct ctl_client {
	struct loop_io		 io;
	char			*rbuf;
	size_t			 rlen, rcap;
	struct sse_ctl_writer	 w;
	size_t			 woff;
	int			 closing;
	int			 eof;		/* the peer sends no more */
	int			 paused;	/* frames wait for the output */
	uint64_t		 seq;		/* of the reply being packed */
	struct ctl_tail		*tail;		/* a running tail op */
	LIST_ENTRY(ctl_client)	 entry;		/* all clients */
};

/* A handler packs one whole reply (result or error) into c->w. */
typedef void	(*ctl_handler)(struct ctl_client *, const msgpack_object *,
		    uint64_t seq);

void	ctl_reply_error(struct ctl_client *, uint64_t seq, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * BAD_REQUEST naming the field (missing / wrong type), or INTERNAL when
 * err is SSE_ENOMEM; returns -1.
 */
int	ctl_field_error(struct ctl_client *, uint64_t seq, const char *field,
	    int err);
/* Whether s is UTF-8 without NUL, which JSON carries whole. */
int	ctl_is_text(const char *s, size_t len);
/* 0 when name is a valid topic name, else INVALID_TOPIC and -1. */
int	ctl_topic_name_check(struct ctl_client *, uint64_t seq,
	    const char *name, size_t len);
/* {seq, result: <map of n fields>}: pack the fields, then ctl_result_end. */
msgpack_packer *ctl_result_begin(struct ctl_client *, uint64_t seq,
	    size_t n);
void	ctl_result_end(struct ctl_client *);
void	ctl_pack_kv_str(msgpack_packer *, const char *k, const char *v);
void	ctl_pack_kv_strn(msgpack_packer *, const char *k, const char *v,
	    size_t n);
void	ctl_pack_kv_u64(msgpack_packer *, const char *k, uint64_t v);
/*
 * Have what is packed sent from the loop once the socket is writable
 * (streaming replies, packed outside the client's own requests); a client
 * with too much unsent is closed.
 */
void	ctl_send_later(struct ctl_client *);

void	op_publish(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_history(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_tail(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_token(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_list(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_show(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_kick(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_stats(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_version(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_topics(struct ctl_client *, const msgpack_object *, uint64_t);
void	op_reload(struct ctl_client *, const msgpack_object *, uint64_t);

/* A closing client stops tailing. */
void	ctl_tail_stop(struct ctl_client *);

#endif

/*
 * ctl_conn.c: the control ops about connections and the daemon: list,
 * show, kick, stats, version.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "broker.h"
#include "control.h"
#include "ctl.h"
#include "subscriber.h"
#include "topic.h"

/*
 * UTF-8 as jansson judges it (it refuses anything else), and no NUL.  Out
 * of memory reads as "no": the request is refused, never half taken.
 */
int
ctl_is_text(const char *s, size_t len)
{
	json_t *j;

	if (memchr(s, '\0', len) != NULL || (j = json_stringn(s, len)) == NULL)
		return 0;
	json_decref(j);
	return 1;
}

static int
str_eq(const char *a, size_t alen, const char *b)
{
	return b != NULL && strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* An active stream's links all have their topic. */
static int
sub_follows(const struct sub *s, const struct topic *t)
{
	unsigned i;

	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].topic == t)
			return 1;
	return 0;
}

struct sub_filter {
	const char		*topic, *user, *client_id, *remote;
	size_t			 topiclen, userlen, client_idlen, remotelen;
	const struct topic	*t;	/* topic, if it exists */
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
			return ctl_field_error(c, seq, keys[i], err);
	}
	if (f->topic != NULL)
		f->t = topic_find(f->topic, f->topiclen);
	return 0;
}

static int
filter_match(const struct sub_filter *f, const struct sub *s)
{
	if (!sub_is_active(s))
		return 0;
	if (f->topic != NULL && (f->t == NULL || !sub_follows(s, f->t)))
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

static const char *const state_names[] = { "starting", "live", "closing",
    "done" };

/* An active connection; full adds what only "show" prints. */
static void
pack_conn(msgpack_packer *pk, const struct sub *s, int full)
{
	char		 idbuf[EVID_STRLEN];
	unsigned	 i;

	msgpack_pack_map(pk, full ? 17 : 11);
	if (full) {
		ctl_pack_kv_str(pk, "state", state_names[s->state]);
		ctl_pack_kv_u64(pk, "queued_events", s->qlen);
		ctl_pack_kv_u64(pk, "stalled_ms", s->stalled ?
		    (uint64_t)(loop_now() - s->stalled_since) : 0);
		ctl_pack_kv_u64(pk, "types", s->types);
		ctl_pack_kv_u64(pk, "token_expires", s->expiry != NULL &&
		    s->expiry->when != 0 ? (uint64_t)(loop_wallclock() +
		    s->expiry->when - loop_now()) : 0);
		ctl_pack_kv_str(pk, "transfer", s->chunked ? "chunked" :
		    "close-delimited");
	}
	ctl_pack_kv_u64(pk, "id", s->id);
	ctl_pack_kv_str(pk, "endpoint", s->kind == SUB_EVENTS ? "events" :
	    "updates");
	sse_ctl_pack_str(pk, "topics");
	msgpack_pack_array(pk, s->nlinks);
	for (i = 0; i < s->nlinks; i++)
		sse_ctl_pack_str(pk, s->links[i].topic->name);
	ctl_pack_kv_str(pk, "user", s->user);
	ctl_pack_kv_str(pk, "client_id", s->client_id);
	ctl_pack_kv_str(pk, "remote", s->remote);
	ctl_pack_kv_u64(pk, "connected_at", (uint64_t)s->connected_at);
	ctl_pack_kv_u64(pk, "events_sent", s->events_sent);
	ctl_pack_kv_u64(pk, "bytes_sent", s->bytes_sent);
	ctl_pack_kv_u64(pk, "queued_bytes", s->qbytes);
	if (!evid_is_zero(&s->last))
		evid_format(&s->last, idbuf);
	ctl_pack_kv_str(pk, "last_event_id", evid_is_zero(&s->last) ? NULL :
	    idbuf);
}

void
op_list(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	struct sub_filter	 f;
	struct sub		*s;
	msgpack_packer		*pk;
	unsigned		 n = 0;

	if (filter_parse(c, seq, req, &f) == -1)
		return;
	for (s = sub_first(); s != NULL; s = LIST_NEXT(s, entry))
		n += filter_match(&f, s);
	pk = ctl_result_begin(c, seq, 1);
	sse_ctl_pack_str(pk, "connections");
	msgpack_pack_array(pk, n);
	for (s = sub_first(); s != NULL; s = LIST_NEXT(s, entry))
		if (filter_match(&f, s))
			pack_conn(pk, s, 0);
	ctl_result_end(c);
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

void
op_show(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	struct sub	*s;
	uint64_t	 id;
	int		 err;

	if ((err = sse_ctl_get_uint(req, "id", &id)) != 0) {
		ctl_field_error(c, seq, "id", err);
		return;
	}
	if ((s = sub_find(id)) == NULL || !sub_is_active(s)) {
		ctl_reply_error(c, seq, "NOT_FOUND", "no connection %llu",
		    (unsigned long long)id);
		return;
	}
	sse_ctl_pack_str(ctl_result_begin(c, seq, 1), "connection");
	pack_conn(&c->w.pk, s, 1);
	ctl_result_end(c);
}

void
op_kick(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const msgpack_object	*ids = NULL;
	struct sub_filter	 f;
	struct sub		*s, *next;
	char			 reason[256] = "kicked by the operator";
	const char		*r;
	size_t			 rlen;
	uint64_t		 kicked = 0;
	int			 err;

	if (filter_parse(c, seq, req, &f) == -1)
		return;
	if ((err = sse_ctl_get_array(req, "ids", &ids)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "ids", err);
		return;
	}
	if (ids == NULL && f.topic == NULL && f.user == NULL &&
	    f.client_id == NULL && f.remote == NULL) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "kick needs ids, user, "
		    "topic, client_id or remote");
		return;
	}
	if ((err = sse_ctl_get_str(req, "reason", &r, &rlen)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "reason", err);
		return;
	}
	if (err == 0) {
		/* It goes into the KICKED event's JSON, which takes no less. */
		if (!ctl_is_text(r, rlen)) {
			ctl_reply_error(c, seq, "BAD_REQUEST", "reason: must "
			    "be UTF-8 without NUL");
			return;
		}
		/* At most 255 bytes, cut between two characters. */
		if (rlen >= sizeof(reason)) {
			rlen = sizeof(reason) - 1;
			while (((unsigned char)r[rlen] & 0xc0) == 0x80)
				rlen--;
		}
		memcpy(reason, r, rlen);
		reason[rlen] = '\0';
	}
	for (s = sub_first(); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (!filter_match(&f, s) || !kick_id_listed(ids, s->id))
			continue;
		sub_kick(s, "KICKED", reason, CLOSE_KICKED);
		kicked++;
	}
	broker.stats.kicks += kicked;
	ctl_pack_kv_u64(ctl_result_begin(c, seq, 1), "kicked", kicked);
	ctl_result_end(c);
}

void
op_stats(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const struct broker_stats *st = &broker.stats;
	msgpack_packer		  *pk;
	size_t			   i;

	(void)req;
	pk = ctl_result_begin(c, seq, 16);
	ctl_pack_kv_str(pk, "version", PACKAGE_VERSION);
	/* The monotonic clock: the wall clock may be stepped back. */
	ctl_pack_kv_u64(pk, "uptime", (uint64_t)(loop_now() -
	    broker.started_mono) / 1000);
	ctl_pack_kv_u64(pk, "connections", broker.nsubs);
	ctl_pack_kv_u64(pk, "connections_total", st->connections_total);
	ctl_pack_kv_u64(pk, "topics", topic_count());
	ctl_pack_kv_u64(pk, "events_published", st->events_published);
	ctl_pack_kv_u64(pk, "events_delivered", st->events_delivered);
	ctl_pack_kv_u64(pk, "bytes_sent", st->bytes_sent);
	ctl_pack_kv_u64(pk, "kicks", st->kicks);
	ctl_pack_kv_u64(pk, "replays", st->replays);
	ctl_pack_kv_u64(pk, "replays_incomplete", st->replays_incomplete);
	sse_ctl_pack_str(pk, "closed");
	msgpack_pack_map(pk, CLOSE_NREASONS);
	for (i = 0; i < CLOSE_NREASONS; i++)
		ctl_pack_kv_u64(pk, close_reason_names[i], st->closed[i]);
	ctl_pack_kv_u64(pk, "queue_high_water", st->queue_high_water);
	ctl_pack_kv_u64(pk, "control_clients", control_nclients());
	ctl_pack_kv_str(pk, "store", broker.store->name);
	ctl_pack_kv_str(pk, "auth", auth_is_none() ? "none" : "jwt");
	ctl_result_end(c);
}

void
op_version(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	msgpack_packer *pk;

	(void)req;
	pk = ctl_result_begin(c, seq, 2);
	ctl_pack_kv_str(pk, "version", PACKAGE_VERSION);
	ctl_pack_kv_u64(pk, "protocol", SSE_CTL_PROTO_VERSION);
	ctl_result_end(c);
}


/*
 * ctl_pub.c: the control ops about events: publish (one or a batch),
 * history, tail (a streaming op) and token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "broker.h"
#include "ctl.h"
#include "topic.h"

#define CTL_MAX_BATCH	10000	/* events in one publish request */
#define TAIL_MAX_TOPICS	1000	/* topics of one tail, each compared */
#define TYPE_MAX	256
#define TTL_MAX		(10ULL * 365 * 24 * 3600)	/* 10 years */

struct pub_item {
	const char	*topic, *data, *type;
	size_t		 topiclen, datalen, typelen;
	char		 tname[TOPIC_NAME_MAX + 1];
	char		 tbuf[TYPE_MAX + 1];
	struct event	*ev;		/* once published */
	unsigned	 nsubs;
};

/* Check one event fully before anything is published. */
static int
item_parse(struct ctl_client *c, uint64_t seq, const msgpack_object *o,
    struct pub_item *it)
{
	const char	*why;
	int		 err;

	memset(it, 0, sizeof(*it));
	if ((err = sse_ctl_get_str(o, "topic", &it->topic, &it->topiclen)) != 0)
		return ctl_field_error(c, seq, "topic", err);
	if (ctl_topic_name_check(c, seq, it->topic, it->topiclen) == -1)
		return -1;
	memcpy(it->tname, it->topic, it->topiclen);
	/* Checking creates nothing: a refused batch leaves no topics. */
	if (broker_topic_check(it->tname, it->topiclen) != 0) {
		ctl_reply_error(c, seq, "NOT_FOUND", "no such topic (create it "
		    "with 'ssectl topics create')");
		return -1;
	}
	if ((err = sse_ctl_get_str(o, "data", &it->data, &it->datalen)) != 0)
		return ctl_field_error(c, seq, "data", err);
	if (it->datalen > broker.cfg.max_event_size) {
		ctl_reply_error(c, seq, "EVENT_TOO_LARGE", "event of %zu bytes "
		    "is larger than %zu (--max-event-size)", it->datalen,
		    broker.cfg.max_event_size);
		return -1;
	}
	err = sse_ctl_get_str(o, "event", &it->type, &it->typelen);
	if (err == SSE_ETYPE)
		return ctl_field_error(c, seq, "event", err);
	/* An empty type is no type, as ?event= is over HTTP. */
	if (it->type != NULL && it->typelen == 0)
		it->type = NULL;
	if (it->type != NULL) {
		if (it->typelen > TYPE_MAX ||
		    !sse_field_is_valid(it->type, it->typelen)) {
			ctl_reply_error(c, seq, "BAD_REQUEST", "event: at most "
			    "%d bytes without CR, LF or NUL", TYPE_MAX);
			return -1;
		}
		memcpy(it->tbuf, it->type, it->typelen);
	}
	if (broker_check_event(it->tname, it->type ? it->tbuf : NULL,
	    it->data, it->datalen, &why) == -1) {
		ctl_reply_error(c, seq, "INVALID_EVENT", "%s", why);
		return -1;
	}
	return 0;
}

/*
 * Publish a checked event; on success it->ev holds a reference.  The
 * tail hook runs inside and may pack frames for any client, this one
 * too: no reply may be open while this runs.
 */
static int
item_publish(struct pub_item *it)
{
	struct topic	*t;
	int		 err;

	if ((t = broker_topic(it->tname, it->topiclen, &err)) == NULL)
		return err;
	return broker_publish(t, it->type != NULL ? it->tbuf : NULL, it->data,
	    it->datalen, &it->ev, &it->nsubs);
}

void
op_publish(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const msgpack_object	*evs = NULL;
	struct pub_item		*items = NULL, one;
	msgpack_packer		*pk;
	unsigned		 n, i, total = 0;
	int			 err;

	if ((err = sse_ctl_get_array(req, "events", &evs)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "events", err);
		return;
	}
	if (err == SSE_ENOENT) {
		if (item_parse(c, seq, req, &one) == -1)
			return;
		if ((err = item_publish(&one)) != 0) {
			ctl_reply_error(c, seq, "INTERNAL", "%s",
			    sse_strerror(err));
			return;
		}
		pk = ctl_result_begin(c, seq, 2);
		ctl_pack_kv_str(pk, "id", one.ev->idstr);
		ctl_pack_kv_u64(pk, "subscribers", one.nsubs);
		ctl_result_end(c);
		event_unref(one.ev);
		return;
	}
	/* A 16 MiB frame could hold a million: each is checked and held. */
	if ((n = evs->via.array.size) > CTL_MAX_BATCH) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "events: at most %u "
		    "per request", CTL_MAX_BATCH);
		return;
	}
	if ((items = calloc(n ? n : 1, sizeof(*items))) == NULL) {
		ctl_reply_error(c, seq, "INTERNAL", "out of memory");
		return;
	}
	/* Check every event before publishing any: all or nothing. */
	for (i = 0; i < n; i++)
		if (item_parse(c, seq, &evs->via.array.ptr[i], &items[i]) == -1)
			goto out;
	/* Publish them all, then reply (see item_publish). */
	for (i = 0; i < n; i++)
		if (item_publish(&items[i]) != 0)
			items[i].ev = NULL;	/* out of memory: a nil id */
	pk = ctl_result_begin(c, seq, 2);
	sse_ctl_pack_str(pk, "ids");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		if (items[i].ev == NULL) {
			msgpack_pack_nil(pk);
			continue;
		}
		sse_ctl_pack_str(pk, items[i].ev->idstr);
		total += items[i].nsubs;
		event_unref(items[i].ev);
	}
	ctl_pack_kv_u64(pk, "subscribers", total);
	ctl_result_end(c);
out:
	free(items);
}

static void
pack_event(msgpack_packer *pk, const struct event *ev)
{
	msgpack_pack_map(pk, 5);
	ctl_pack_kv_str(pk, "id", ev->idstr);
	ctl_pack_kv_str(pk, "topic", ev->topic);
	ctl_pack_kv_str(pk, "event", ev->type);
	ctl_pack_kv_strn(pk, "data", ev->data, ev->datalen);
	ctl_pack_kv_u64(pk, "created", (uint64_t)ev->created);
}

/* The topic named by the request's "topic" field, or NULL (answered). */
static struct topic *
req_topic(struct ctl_client *c, uint64_t seq, const msgpack_object *req)
{
	struct topic	*t;
	const char	*name;
	size_t		 len;
	int		 err;

	if ((err = sse_ctl_get_str(req, "topic", &name, &len)) != 0) {
		ctl_field_error(c, seq, "topic", err);
		return NULL;
	}
	if (ctl_topic_name_check(c, seq, name, len) == -1)
		return NULL;
	if ((t = topic_find(name, len)) == NULL)
		ctl_reply_error(c, seq, "NOT_FOUND", "no such topic");
	return t;
}

void
op_history(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const struct history_ops *st = broker.store;
	struct topic		*t;
	struct evid		 since = { 0, 0 };
	const char		*s;
	size_t			 len, i, first, n;
	uint64_t		 limit = 1000;
	msgpack_packer		*pk;
	int			 err;

	if ((t = req_topic(c, seq, req)) == NULL)
		return;
	if ((err = sse_ctl_get_str(req, "since", &s, &len)) == SSE_ETYPE ||
	    (err == 0 && evid_parse(s, len, &since) == -1)) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "since: an event id "
		    "like 1764000000123-0");
		return;
	}
	if ((err = sse_ctl_get_uint(req, "limit", &limit)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "limit", err);
		return;
	}
	st->expire(t->hist, loop_wallclock());
	first = st->find_after(t->hist, &since);
	n = st->count(t->hist) - first;
	/* With a limit, the newest events up to it. */
	if (n > limit) {
		first += n - limit;
		n = limit;
	}
	pk = ctl_result_begin(c, seq, 1);
	sse_ctl_pack_str(pk, "events");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		pack_event(pk, st->at(t->hist, first + i));
	ctl_result_end(c);
}

/*
 * Tail: the client's socket stays open and every event published on the
 * named topics (all topics when none are named) is sent as another reply
 * with the tail request's seq: {seq, result: {event: {...}}}.  The hook
 * runs inside broker_publish(), perhaps in the middle of a request of the
 * tailing client itself, so it only appends whole frames and leaves the
 * sending to the loop.
 */
struct ctl_tail {
	uint64_t		 seq;
	char			**topics;
	size_t			 ntopics;
	struct ctl_client	*c;
	LIST_ENTRY(ctl_tail)	 entry;
};

static LIST_HEAD(, ctl_tail) tails = LIST_HEAD_INITIALIZER(tails);

static int
tail_has(const struct ctl_tail *t, const char *topic)
{
	size_t i;

	for (i = 0; i < t->ntopics; i++)
		if (strcmp(t->topics[i], topic) == 0)
			return 1;
	return 0;
}

static int
tail_wants(const struct ctl_tail *t, const char *topic)
{
	return t->ntopics == 0 || tail_has(t, topic);
}

static void
tail_publish(const struct event *ev)
{
	struct ctl_tail	*t, *next;
	msgpack_packer	*pk;

	for (t = LIST_FIRST(&tails); t != NULL; t = next) {
		next = LIST_NEXT(t, entry);
		if (t->c->closing || !tail_wants(t, ev->topic))
			continue;
		pk = ctl_result_begin(t->c, t->seq, 1);
		sse_ctl_pack_str(pk, "event");
		pack_event(pk, ev);
		ctl_result_end(t->c);
		ctl_send_later(t->c);	/* may close the client */
	}
}

void
ctl_tail_stop(struct ctl_client *c)
{
	struct ctl_tail	*t = c->tail;
	size_t		 i;

	if (t == NULL)
		return;
	LIST_REMOVE(t, entry);
	for (i = 0; i < t->ntopics; i++)
		free(t->topics[i]);
	free(t->topics);
	free(t);
	c->tail = NULL;
	if (LIST_EMPTY(&tails))
		broker.on_publish = NULL;
}

void
op_tail(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	const msgpack_object	*ts = NULL;
	struct ctl_tail		*t;
	msgpack_packer		*pk;
	const char		*p;
	size_t			 len;
	uint32_t		 i;
	int			 err;

	if (c->tail != NULL) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "this connection "
		    "already tails");
		return;
	}
	if ((err = sse_ctl_get_array(req, "topics", &ts)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "topics", err);
		return;
	}
	/* Each event is compared with every name, and names with each other. */
	if (err == 0 && ts->via.array.size > TAIL_MAX_TOPICS) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "topics: at most %d",
		    TAIL_MAX_TOPICS);
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	t->seq = seq;
	t->c = c;
	c->tail = t;
	LIST_INSERT_HEAD(&tails, t, entry);
	broker.on_publish = tail_publish;
	if (ts != NULL && ts->via.array.size > 0) {
		if ((t->topics = calloc(ts->via.array.size,
		    sizeof(*t->topics))) == NULL)
			goto nomem;
		for (i = 0; i < ts->via.array.size; i++) {
			char *name;

			if (sse_ctl_str(&ts->via.array.ptr[i], &p, &len) != 0) {
				ctl_tail_stop(c);
				ctl_field_error(c, seq, "topics", SSE_ETYPE);
				return;
			}
			if ((name = strndup(p, len)) == NULL)
				goto nomem;
			/* Each once: "tailing" counts topics, not entries. */
			if (tail_has(t, name))
				free(name);
			else
				t->topics[t->ntopics++] = name;
		}
	}
	/* The first reply says the tail runs; events follow. */
	pk = ctl_result_begin(c, seq, 1);
	ctl_pack_kv_u64(pk, "tailing", t->ntopics);
	ctl_result_end(c);
	return;
nomem:
	ctl_tail_stop(c);
	ctl_reply_error(c, seq, "INTERNAL", "out of memory");
}

/* A list of strings for a token claim; NULL (answered) when malformed. */
static json_t *
str_list(struct ctl_client *c, uint64_t seq, const msgpack_object *req,
    const char *key)
{
	const msgpack_object	*o = NULL;
	json_t			*a = json_array();
	const char		*p;
	size_t			 len;
	uint32_t		 i;
	int			 err;

	if (a == NULL) {
		ctl_reply_error(c, seq, "INTERNAL", "out of memory");
		return NULL;
	}
	if ((err = sse_ctl_get_array(req, key, &o)) == SSE_ENOENT)
		return a;
	if (err != 0)
		goto bad;
	for (i = 0; i < o->via.array.size; i++) {
		json_t *e;

		if (sse_ctl_str(&o->via.array.ptr[i], &p, &len) != 0)
			goto bad;
		/*
		 * Never a token with other than asked: jansson takes only
		 * UTF-8, and a pattern is read up to its first NUL.
		 */
		if (!ctl_is_text(p, len)) {
			json_decref(a);
			ctl_reply_error(c, seq, "BAD_REQUEST", "%s: entries "
			    "must be UTF-8 strings without NUL", key);
			return NULL;
		}
		if ((e = json_stringn(p, len)) == NULL ||
		    json_array_append_new(a, e) == -1) {
			json_decref(a);
			ctl_reply_error(c, seq, "INTERNAL", "out of memory");
			return NULL;
		}
	}
	return a;
bad:
	json_decref(a);
	ctl_field_error(c, seq, key, SSE_ETYPE);
	return NULL;
}

void
op_token(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	json_t		*sub_l = NULL, *pub_l = NULL;
	char		*sub = NULL, *tok = NULL;
	const char	*why, *s;
	size_t		 len;
	uint64_t	 ttl = 3600;
	msgpack_packer	*pk;
	int		 err;

	if ((err = sse_ctl_get_str(req, "sub", &s, &len)) != 0) {
		ctl_field_error(c, seq, "sub", err);
		goto out;
	}
	/* A NUL would cut it short: the token would name another user. */
	if (len == 0 || len > 128 || !ctl_is_text(s, len)) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "sub: 1-128 bytes of "
		    "UTF-8 without NUL");
		goto out;
	}
	if ((sub = strndup(s, len)) == NULL) {
		ctl_reply_error(c, seq, "INTERNAL", "out of memory");
		goto out;
	}
	if ((err = sse_ctl_get_uint(req, "ttl", &ttl)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "ttl", err);
		goto out;
	}
	if (ttl > TTL_MAX) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "ttl: at most %llu "
		    "seconds (10 years)", (unsigned long long)TTL_MAX);
		goto out;
	}
	if ((sub_l = str_list(c, seq, req, "subscribe")) == NULL ||
	    (pub_l = str_list(c, seq, req, "publish")) == NULL)
		goto out;
	if (!auth_can_mint(&why)) {
		ctl_reply_error(c, seq, "NOT_SUPPORTED", "%s", why);
		goto out;
	}
	if ((tok = auth_mint(sub, sub_l, pub_l, (int64_t)ttl)) == NULL) {
		ctl_reply_error(c, seq, "INTERNAL", "the token could not be "
		    "made (out of memory?)");
		goto out;
	}
	pk = ctl_result_begin(c, seq, 2);
	ctl_pack_kv_str(pk, "token", tok);
	ctl_pack_kv_u64(pk, "expires", ttl > 0 ? (uint64_t)(loop_wallclock() /
	    1000) + ttl : 0);
	ctl_result_end(c);
out:
	free(tok);
	free(sub);
	json_decref(sub_l);
	json_decref(pub_l);
}

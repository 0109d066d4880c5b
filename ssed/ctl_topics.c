/*
 * ctl_topics.c: the topics op (list, create, delete, info) and reload.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "ctl.h"
#include "log.h"
#include "subscriber.h"
#include "topic.h"

static const char *const actions[] = { "list", "create", "delete", "info" };

static void
pack_topic(msgpack_packer *pk, const struct topic *t)
{
	const struct history_ops *st = broker.store;
	size_t			  n = st->count(t->hist);

	msgpack_pack_map(pk, 9);
	ctl_pack_kv_str(pk, "name", t->name);
	ctl_pack_kv_u64(pk, "subscribers", t->nsubs);
	ctl_pack_kv_u64(pk, "retained", n);
	ctl_pack_kv_str(pk, "oldest_id", n > 0 ? st->at(t->hist, 0)->idstr :
	    NULL);
	ctl_pack_kv_str(pk, "newest_id", n > 0 ?
	    st->at(t->hist, n - 1)->idstr : NULL);
	ctl_pack_kv_u64(pk, "published", t->published);
	sse_ctl_pack_str(pk, "rate");
	msgpack_pack_double(pk, topic_rate(t));
	sse_ctl_pack_str(pk, "registered");
	if (t->registered)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	ctl_pack_kv_u64(pk, "created", (uint64_t)t->created);
}

struct collect {
	struct topic	**v;
	size_t		  n;
};

static void
collect(struct topic *t, void *arg)
{
	struct collect *c = arg;

	c->v[c->n++] = t;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct topic *const *)a)->name,
	    (*(struct topic *const *)b)->name);
}

static void
topics_list(struct ctl_client *c, uint64_t seq)
{
	struct collect	 all = { NULL, 0 };
	msgpack_packer	*pk;
	size_t		 i;

	if ((all.v = calloc(topic_count() + 1, sizeof(*all.v))) == NULL) {
		ctl_reply_error(c, seq, "INTERNAL", "out of memory");
		return;
	}
	topic_foreach(collect, &all);
	qsort(all.v, all.n, sizeof(*all.v), by_name);
	pk = ctl_result_begin(c, seq, 1);
	sse_ctl_pack_str(pk, "topics");
	msgpack_pack_array(pk, all.n);
	for (i = 0; i < all.n; i++)
		pack_topic(pk, all.v[i]);
	ctl_result_end(c);
	free(all.v);
}

/* Close the topic's subscribers with an error event, then drop it. */
static unsigned
topic_close(struct topic *t)
{
	unsigned n = 0;

	while (t->links != NULL) {
		sub_kick(t->links->sub, "TOPIC_DELETED", "the topic was "
		    "deleted", CLOSE_TOPIC_DELETED);
		n++;
	}
	topic_delete(t);
	return n;
}

void
op_topics(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	struct topic	*t;
	const char	*a = "list", *name = NULL;
	size_t		 alen = 4, nlen = 0, i;
	msgpack_packer	*pk;
	int		 err, act = -1;

	if ((err = sse_ctl_get_str(req, "action", &a, &alen)) == SSE_ETYPE) {
		ctl_field_error(c, seq, "action", err);
		return;
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strlen(actions[i]) == alen && memcmp(actions[i], a, alen) == 0)
			act = (int)i;
	if (act < 0) {
		ctl_reply_error(c, seq, "BAD_REQUEST", "action: list, create, "
		    "delete or info");
		return;
	}
	if (act == 0) {
		topics_list(c, seq);
		return;
	}
	if ((err = sse_ctl_get_str(req, "name", &name, &nlen)) != 0) {
		ctl_field_error(c, seq, "name", err);
		return;
	}
	if (ctl_topic_name_check(c, seq, name, nlen) == -1)
		return;
	t = topic_find(name, nlen);
	if (act == 1) {
		int created = t == NULL;

		if (t == NULL && (t = topic_get(name, nlen)) == NULL) {
			ctl_reply_error(c, seq, "INTERNAL", "out of memory");
			return;
		}
		t->registered = 1;
		pk = ctl_result_begin(c, seq, 1);
		sse_ctl_pack_str(pk, "created");
		if (created)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		ctl_result_end(c);
		return;
	}
	if (t == NULL) {
		ctl_reply_error(c, seq, "NOT_FOUND", "no such topic");
		return;
	}
	if (act == 3) {
		sse_ctl_pack_str(ctl_result_begin(c, seq, 1), "topic");
		pack_topic(&c->w.pk, t);
		ctl_result_end(c);
		return;
	}
	log_info("topic %s deleted by the operator", t->name);
	ctl_pack_kv_u64(ctl_result_begin(c, seq, 1), "kicked", topic_close(t));
	ctl_result_end(c);
}

void
op_reload(struct ctl_client *c, const msgpack_object *req, uint64_t seq)
{
	char		 why[512] = "reloading is not possible";
	msgpack_packer	*pk;

	(void)req;
	if (broker.reload == NULL || broker.reload(why, sizeof(why)) == -1) {
		ctl_reply_error(c, seq, "RELOAD_FAILED", "%s", why);
		return;
	}
	pk = ctl_result_begin(c, seq, 1);
	sse_ctl_pack_str(pk, "reloaded");
	msgpack_pack_true(pk);
	ctl_result_end(c);
}

/*
 * broker.c: publishing, fan-out and replay: the core both fronts call.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "broker.h"
#include "log.h"
#include "subscriber.h"
#include "topic.h"

#define EXPIRE_EVERY_MS	10000

struct broker broker;

const char *const close_reason_names[] = {
#define X(name, word) word,
	CLOSE_REASONS(X)
#undef X
};
static struct loop_timer expire_timer;

static void
expire_topic(struct topic *t, void *arg)
{
	broker.store->expire(t->hist, *(int64_t *)arg);
}

static void
expire_all(struct loop_timer *t)
{
	int64_t now = loop_wallclock();

	topic_foreach(expire_topic, &now);
	loop_timer_set(t, EXPIRE_EVERY_MS);
}

int
broker_init(const struct broker_config *cfg)
{
	broker.cfg = *cfg;
	broker.store = &store_mem_ops;
	broker.started = loop_wallclock();
	broker.started_mono = loop_now();
	expire_timer.cb = expire_all;
	if (cfg->history.max_age_ms > 0)
		loop_timer_set(&expire_timer, EXPIRE_EVERY_MS);
	return 0;
}

void
broker_reconfigure(const struct broker_config *cfg)
{
	broker.cfg = *cfg;
	if (cfg->history.max_age_ms > 0 && expire_timer.when == 0)
		loop_timer_set(&expire_timer, EXPIRE_EVERY_MS);
	else if (cfg->history.max_age_ms == 0)
		loop_timer_stop(&expire_timer);
}

void
broker_shutdown(void)
{
	loop_timer_stop(&expire_timer);
	topic_free_all();
}

/* Whether a topic that does not exist yet may be created by its use. */
static int
may_create(const char *name, size_t len)
{
	return !broker.cfg.registered_only || (len >= 5 &&
	    strncmp(name, "user:", 5) == 0);
}

struct topic *
broker_topic(const char *name, size_t len, int *err)
{
	struct topic *t;

	*err = 0;
	if (!may_create(name, len)) {
		if ((t = topic_find(name, len)) == NULL)
			*err = SSE_ENOENT;
	} else if ((t = topic_get(name, len)) == NULL)
		*err = SSE_ENOMEM;
	return t;
}

int
broker_topic_check(const char *name, size_t len)
{
	return may_create(name, len) || topic_find(name, len) != NULL ? 0 :
	    SSE_ENOENT;
}

int
broker_check_event(const char *topic, const char *type, const char *data,
    size_t len, const char **why)
{
	json_t	*o;
	int	 is_object;

	if (strncmp(topic, "user:", 5) != 0)
		return 0;
	if (type != NULL && strcmp(type, "error") == 0)
		return 0;
	if (type != NULL && strcmp(type, "notification") != 0 &&
	    strcmp(type, "status_update") != 0) {
		*why = "on user: topics the event type is notification, "
		    "status_update or error";
		return -1;
	}
	o = json_loadb(data, len, JSON_ALLOW_NUL, NULL);
	is_object = json_is_object(o);
	json_decref(o);
	if (!is_object) {
		*why = "on user: topics the data of a notification or "
		    "status_update must be a JSON object";
		return -1;
	}
	return 0;
}

int
broker_publish(struct topic *t, const char *type, const char *data,
    size_t len, struct event **evp, unsigned *nsubs)
{
	struct event	*ev;
	struct sublink	*l, *next;
	unsigned	 n = 0;
	int		 err;

	if ((ev = event_new(t->name, type, data, len, &err)) == NULL)
		return err;
	if (broker.store->append(t->hist, ev) == -1) {
		event_unref(ev);
		return SSE_ENOMEM;
	}
	broker.stats.events_published++;
	t->published++;
	topic_rate_tick(t);
	for (l = t->links; l != NULL; l = next) {
		next = l->next;
		n += (unsigned)sub_deliver(l->sub, ev);
	}
	if (broker.on_publish != NULL)
		broker.on_publish(ev);
	*evp = ev;
	*nsubs = n;
	return 0;
}

size_t
broker_replay(struct sub *s, const struct evid *after)
{
	size_t		 pos[s->nlinks ? s->nlinks : 1], n = 0;
	struct event	*oldest = NULL;
	int64_t		 now = loop_wallclock();
	unsigned	 i;
	int		 incomplete = 0;

	for (i = 0; i < s->nlinks; i++) {
		struct history	*h = s->links[i].topic->hist;
		struct evid	 ev;

		broker.store->expire(h, now);
		pos[i] = broker.store->find_after(h, after);
		ev = broker.store->evicted(h);
		if (evid_cmp(&ev, after) > 0) {
			incomplete = 1;
			if (broker.store->count(h) > 0) {
				struct event *o = broker.store->at(h, 0);

				if (oldest == NULL ||
				    evid_cmp(&o->id, &oldest->id) < 0)
					oldest = o;
			}
		}
	}
	broker.stats.replays++;
	if (incomplete) {
		struct frame *f;

		broker.stats.replays_incomplete++;
		f = sub_error_frame(s, "REPLAY_INCOMPLETE",
		    "some events after the requested id are no longer retained",
		    "oldest_id", oldest != NULL ? oldest->idstr : "");
		if (f != NULL) {
			sub_queue(s, f, 0);
			frame_unref(f);
		}
	}
	/* Merge the topics' retained events in id order. */
	for (;;) {
		struct event	*best = NULL;
		unsigned	 bi = 0;

		for (i = 0; i < s->nlinks; i++) {
			struct history *h = s->links[i].topic->hist;
			struct event *e;

			if (pos[i] >= broker.store->count(h))
				continue;
			e = broker.store->at(h, pos[i]);
			if (best == NULL || evid_cmp(&e->id, &best->id) < 0) {
				best = e;
				bi = i;
			}
		}
		if (best == NULL)
			break;
		pos[bi]++;
		if (sub_replay_event(s, best) == -1)
			break;
		n++;
	}
	return n;
}

/*
 * store_mem.c: the in-memory history store, a ring of event references
 * per topic.  Ids in a ring only grow, so lookups are binary searches.
 */
#include "config.h"

#include <stdlib.h>

#include "history.h"

struct history {
	struct event		**ring;
	size_t			 cap, head, n;
	struct history_limits	 lim;
	struct evid		 evicted;
};

static struct event *
mem_at(const struct history *h, size_t i)
{
	return h->ring[(h->head + i) % h->cap];
}

static void
mem_drop_oldest(struct history *h)
{
	struct event *ev = h->ring[h->head];

	h->evicted = ev->id;
	event_unref(ev);
	h->head = (h->head + 1) % h->cap;
	h->n--;
}

static int
mem_grow(struct history *h, size_t want)
{
	struct event	**r;
	size_t		  i, ncap = h->cap ? h->cap : 8;

	while (ncap < want)
		ncap *= 2;
	if (ncap > h->lim.max_events)
		ncap = h->lim.max_events;
	if ((r = calloc(ncap, sizeof(*r))) == NULL)
		return -1;
	for (i = 0; i < h->n; i++)
		r[i] = mem_at(h, i);
	free(h->ring);
	h->ring = r;
	h->cap = ncap;
	h->head = 0;
	return 0;
}

static void
mem_set_limits(struct history *h, const struct history_limits *lim)
{
	h->lim = *lim;
	while (h->n > h->lim.max_events)
		mem_drop_oldest(h);
	if (h->n > 0 && h->cap > h->lim.max_events)
		mem_grow(h, h->n);
}

static struct history *
mem_open(const char *topic, const struct history_limits *lim)
{
	struct history *h;

	(void)topic;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->lim = *lim;
	return h;
}

static void
mem_close(struct history *h)
{
	while (h->n > 0)
		mem_drop_oldest(h);
	free(h->ring);
	free(h);
}

static int
mem_append(struct history *h, struct event *ev)
{
	if (h->lim.max_events == 0) {
		h->evicted = ev->id;
		return 0;
	}
	if (h->n == h->lim.max_events)
		mem_drop_oldest(h);
	else if (h->n == h->cap && mem_grow(h, h->n + 1) == -1)
		return -1;
	h->ring[(h->head + h->n) % h->cap] = event_ref(ev);
	h->n++;
	return 0;
}

static void
mem_expire(struct history *h, int64_t now)
{
	if (h->lim.max_age_ms <= 0)
		return;
	while (h->n > 0 && now - mem_at(h, 0)->created > h->lim.max_age_ms)
		mem_drop_oldest(h);
}

static size_t
mem_count(const struct history *h)
{
	return h->n;
}

static size_t
mem_find_after(const struct history *h, const struct evid *after)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (evid_cmp(&mem_at(h, mid)->id, after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct evid
mem_evicted(const struct history *h)
{
	return h->evicted;
}

const struct history_ops store_mem_ops = {
	.name = "memory",
	.open = mem_open,
	.close = mem_close,
	.append = mem_append,
	.expire = mem_expire,
	.count = mem_count,
	.at = mem_at,
	.find_after = mem_find_after,
	.evicted = mem_evicted,
	.set_limits = mem_set_limits,
};

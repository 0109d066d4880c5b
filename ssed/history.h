/*
 * history.h: the interface of a topic's history store.
 *
 * A history keeps a topic's newest events in id order, bounded by count
 * and age.  The in-memory store (store_mem.c) is the default; durable and
 * shared stores implement the same operations.  Stores hold references to
 * events (event_ref) and drop them when they evict.
 */
#ifndef SSED_HISTORY_H
#define SSED_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct history;

struct history_limits {
	size_t		 max_events;	/* 0: keep none */
	int64_t		 max_age_ms;	/* 0: no age limit */
};

struct history_ops {
	const char	*name;
	struct history	*(*open)(const char *topic,
			    const struct history_limits *);
	void		 (*close)(struct history *);
	/* Append ev (taking a reference); 0 or -1 when out of memory. */
	int		 (*append)(struct history *, struct event *);
	/* Evict by age; now is wall-clock ms. */
	void		 (*expire)(struct history *, int64_t now);
	size_t		 (*count)(const struct history *);
	/* The i-th retained event, oldest first (0 <= i < count). */
	struct event	*(*at)(const struct history *, size_t i);
	/* Index of the first retained event with an id > after. */
	size_t		 (*find_after)(const struct history *,
			    const struct evid *after);
	/* The newest id ever evicted (zero when nothing was). */
	struct evid	 (*evicted)(const struct history *);
	void		 (*set_limits)(struct history *,
			    const struct history_limits *);
};

extern const struct history_ops store_mem_ops;

#endif

/*
 * topic.h: the topic table.  A topic owns its history and the list of
 * links to the subscribers that follow it.  Topics are created on first
 * use and live as long as the broker (their history is what lets a
 * reconnecting client resume).
 */
#ifndef SSED_TOPIC_H
#define SSED_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define TOPIC_NAME_MAX	200

struct sub;

/* One subscriber following one topic. */
struct sublink {
	struct sub	*sub;
	struct topic	*topic;
	struct sublink	*prev, *next;	/* in topic->links */
};

struct topic {
	struct topic	*hnext;		/* hash chain */
	uint64_t	 hash;		/* of the name */
	size_t		 len;		/* of the name */
	struct history	*hist;
	struct sublink	*links, *ltail;	/* in the order they came */
	unsigned	 nsubs;
	uint64_t	 published;
	int		 registered;	/* by ssectl topics create */
	int64_t		 created;	/* wall clock ms */
	double		 rate;		/* events/s, decaying average */
	int64_t		 rate_at;	/* monotonic ms of the last update */
	char		 name[];	/* NUL-terminated, in the same block */
};

/* 1 when name (len bytes) is a valid topic name (CONTRACT section 1). */
int		 topic_name_is_valid(const char *name, size_t len);
struct topic	*topic_find(const char *name, size_t len);
/* Find or create; NULL when out of memory. */
struct topic	*topic_get(const char *name, size_t len);
size_t		 topic_count(void);
void		 topic_foreach(void (*fn)(struct topic *, void *), void *arg);
void		 topic_link(struct topic *, struct sublink *);
void		 topic_unlink(struct sublink *);
void		 topic_free_all(void);
/* Remove t from the table and free it; it must have no subscribers. */
void		 topic_delete(struct topic *t);
/* Count one published event in the rate; the rate now. */
void		 topic_rate_tick(struct topic *t);
double		 topic_rate(const struct topic *t);

#endif

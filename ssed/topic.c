/*
 * topic.c: the topic table, a chained hash table that doubles as it
 * fills.  Links are intrusive: following or leaving a topic allocates
 * nothing here.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "hash.h"
#include "loop.h"
#include "topic.h"

static struct topic	**table;
static size_t		  tsize, tcount;

int
topic_name_is_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > TOPIC_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._~:@-", c) != NULL) ||
		    c == '\0')
			return 0;
	}
	return 1;
}

static struct topic *
find_hashed(const char *name, size_t len, uint64_t h)
{
	struct topic	*t;

	if (tsize == 0)
		return NULL;
	for (t = table[h & (tsize - 1)]; t != NULL; t = t->hnext)
		if (t->hash == h && t->len == len &&
		    memcmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

struct topic *
topic_find(const char *name, size_t len)
{
	return find_hashed(name, len, hash_bytes(name, len));
}

static int
table_grow(void)
{
	struct topic	**nt;
	size_t		  nsize = tsize ? tsize * 2 : 64, i;

	if ((nt = calloc(nsize, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < tsize; i++) {
		struct topic *t, *next;

		for (t = table[i]; t != NULL; t = next) {
			size_t b = t->hash & (nsize - 1);

			next = t->hnext;
			t->hnext = nt[b];
			nt[b] = t;
		}
	}
	free(table);
	table = nt;
	tsize = nsize;
	return 0;
}

struct topic *
topic_get(const char *name, size_t len)
{
	struct topic	*t;
	uint64_t	 h = hash_bytes(name, len);
	size_t		 b;

	if ((t = find_hashed(name, len, h)) != NULL)
		return t;
	if (tcount + 1 > tsize / 4 * 3 && table_grow() == -1)
		return NULL;
	if ((t = calloc(1, sizeof(*t) + len + 1)) == NULL)
		return NULL;
	memcpy(t->name, name, len);
	t->len = len;
	t->hash = h;
	if ((t->hist = broker.store->open(t->name, &broker.cfg.history)) == NULL) {
		free(t);
		return NULL;
	}
	t->created = loop_wallclock();
	b = t->hash & (tsize - 1);
	t->hnext = table[b];
	table[b] = t;
	tcount++;
	return t;
}

size_t
topic_count(void)
{
	return tcount;
}

void
topic_foreach(void (*fn)(struct topic *, void *), void *arg)
{
	size_t i;

	for (i = 0; i < tsize; i++) {
		struct topic *t, *next;

		for (t = table[i]; t != NULL; t = next) {
			next = t->hnext;
			fn(t, arg);
		}
	}
}

void
topic_link(struct topic *t, struct sublink *l)
{
	l->topic = t;
	l->next = NULL;
	l->prev = t->ltail;
	if (t->ltail != NULL)
		t->ltail->next = l;
	else
		t->links = l;
	t->ltail = l;
	t->nsubs++;
}

void
topic_unlink(struct sublink *l)
{
	struct topic *t = l->topic;

	if (t == NULL)
		return;
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		t->links = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	else
		t->ltail = l->prev;
	l->prev = l->next = NULL;
	l->topic = NULL;
	t->nsubs--;
}

static void
topic_free(struct topic *t, void *arg)
{
	(void)arg;
	broker.store->close(t->hist);
	free(t);
}

void
topic_delete(struct topic *t)
{
	struct topic **p = &table[t->hash & (tsize - 1)];

	while (*p != NULL && *p != t)
		p = &(*p)->hnext;
	if (*p == NULL)
		return;
	*p = t->hnext;
	tcount--;
	topic_free(t, NULL);
}

/* An exponentially decaying average over about a minute. */
#define RATE_WINDOW_MS	60000.0

static double
decayed(const struct topic *t, int64_t now)
{
	double dt = (double)(now - t->rate_at);

	return dt <= 0 ? t->rate : t->rate * exp(-dt / RATE_WINDOW_MS);
}

void
topic_rate_tick(struct topic *t)
{
	int64_t now = loop_now();

	t->rate = decayed(t, now) + 1000.0 / RATE_WINDOW_MS;
	t->rate_at = now;
}

double
topic_rate(const struct topic *t)
{
	return decayed(t, loop_now());
}

void
topic_free_all(void)
{
	topic_foreach(topic_free, NULL);
	free(table);
	table = NULL;
	tsize = tcount = 0;
}

/*
 * ulimit.c: a small chained hash table of stream counts per key.  An
 * entry lives while its count is above zero.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "ulimit.h"

#define NBUCKETS	1024

struct uentry {
	struct uentry	*next;
	unsigned	 count;
	char		 key[];
};

static struct uentry	*buckets[NBUCKETS];
static unsigned		 max_per_key;

void
ulimit_set_max(unsigned max)
{
	max_per_key = max;
}

static struct uentry **
slot(const char *key)
{
	struct uentry	**e;

	for (e = &buckets[hash_bytes(key, strlen(key)) % NBUCKETS]; *e != NULL; e = &(*e)->next)
		if (strcmp((*e)->key, key) == 0)
			break;
	return e;
}

int
ulimit_take(const char *key)
{
	struct uentry **e = slot(key);

	if (*e == NULL) {
		size_t len = strlen(key) + 1;

		if ((*e = calloc(1, sizeof(**e) + len)) == NULL)
			return ULIMIT_NOMEM;
		memcpy((*e)->key, key, len);
	}
	if (max_per_key > 0 && (*e)->count >= max_per_key)
		return ULIMIT_FULL;
	(*e)->count++;
	return 0;
}

void
ulimit_release(const char *key)
{
	struct uentry **e = slot(key), *dead;

	if (*e == NULL || --(*e)->count > 0)
		return;
	dead = *e;
	*e = dead->next;
	free(dead);
}

void
ulimit_free(void)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++)
		while (buckets[i] != NULL) {
			struct uentry *next = buckets[i]->next;

			free(buckets[i]);
			buckets[i] = next;
		}
}

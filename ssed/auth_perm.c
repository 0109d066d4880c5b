/*
 * auth_perm.c: what a verified token allows: the "sse" claim's
 * subscribe and publish lists of exact names or '*' patterns, and a
 * user's own user:<sub> stream.
 */
#include "config.h"

#include <string.h>

#include "auth.h"

int
auth_pattern_match(const char *p, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			retry = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++retry;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static int
list_allows(json_t *list, const char *topic)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(list, i, v)
		if (json_is_string(v) &&
		    auth_pattern_match(json_string_value(v), topic))
			return 1;
	return 0;
}

int
auth_may_subscribe(const struct auth_token *t, const char *topic)
{
	if (auth_is_none())
		return 1;
	if (t == NULL)
		return 0;
	if (strncmp(topic, "user:", 5) == 0 && strcmp(topic + 5, t->sub) == 0)
		return 1;
	return list_allows(t->subscribe, topic);
}

int
auth_may_publish(const struct auth_token *t, const char *topic)
{
	if (auth_is_none())
		return 1;
	return t != NULL && list_allows(t->publish, topic);
}


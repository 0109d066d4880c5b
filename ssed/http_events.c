/*
 * http_events.c: GET /api/v1/client/events, the caller's own notification
 * stream: topic user:<sub>, every frame typed ("event:") and carrying an
 * id, pings as typed JSON events, an optional types= filter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSED_HTTP_INTERNAL
#include "auth.h"
#include "http.h"
#include "http_stream.h"

/* "notification,ping" to SUB_T_* bits; 0 with *bad set when unknown. */
static unsigned
parse_types(const char *list, const char **bad, size_t *badlen)
{
	unsigned mask = 0;

	while (*list != '\0') {
		size_t		n = strcspn(list, ",");
		unsigned	bit = sub_type_bit(list, n);

		if (bit == 0 && n > 0) {
			*bad = list;
			*badlen = n;
			return 0;
		}
		mask |= bit;
		list += n;
		if (*list == ',')
			list++;
	}
	return mask;
}

/* Under --auth=none the user is named by ?user= (never verified). */
static struct auth_token *
anonymous_user(struct MHD_Connection *c)
{
	const char		*u;
	struct auth_token	*t;

	u = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "user");
	if (u == NULL || *u == '\0' || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->sub = strdup(u)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

enum MHD_Result
http_events(struct MHD_Connection *c, const char *version, void **con_cls)
{
	struct stream_spec	 sp = { .kind = SUB_EVENTS, .ntopics = 1 };
	const char		*v, *types, *bad = NULL;
	size_t			 badlen = 0;
	char			 topic[256], msg[160];
	enum MHD_Result		 ret;

	v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version");
	if (v != NULL && strcmp(v, "1") != 0 && strcmp(v, "1.0") != 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_PARAMETER",
		    "unsupported version (this server speaks version 1)");
	types = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "types");
	if (types != NULL && *types != '\0') {
		sp.types = parse_types(types, &bad, &badlen);
		if (bad != NULL) {
			snprintf(msg, sizeof(msg), "unknown event type '%.*s' "
			    "(known: notification, status_update, error, "
			    "ping)", (int)(badlen > 40 ? 40 : badlen), bad);
			return http_error(c, MHD_HTTP_BAD_REQUEST,
			    "INVALID_PARAMETER", msg);
		}
	}
	if (http_authenticate(c, &sp.tok, &ret) == -1)
		return ret;
	if (sp.tok == NULL && (sp.tok = anonymous_user(c)) == NULL)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "INVALID_PARAMETER",
		    "with --auth=none, name the user: ?user=NAME");
	snprintf(topic, sizeof(topic), "user:%s", sp.tok->sub);
	sp.names[0] = topic;
	if (http_topic_for(c, topic, sp.tok, 0, &ret) == 0)
		ret = http_stream_open(c, version, &sp, con_cls);
	auth_token_free(sp.tok);
	return ret;
}

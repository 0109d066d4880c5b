/*
 * sub_frames.c: which bytes a subscriber gets: the shared frame of an
 * event, or on the per-user stream the typed one (and none when its
 * types= filter says no), and the error events ssed sends itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "subscriber.h"

static const struct {
	const char	*name;
	unsigned	 bit;
} type_names[] = {
#define X(name, bit, str) { str, bit },
	SUB_TYPES(X)
#undef X
};

unsigned
sub_type_bit(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strlen(type_names[i].name) == len &&
		    memcmp(type_names[i].name, name, len) == 0)
			return type_names[i].bit;
	return 0;
}

/*
 * The frame of ev for s: the shared one, or on the per-user stream the
 * typed one; NULL when s filters ev out (types=) or memory runs out
 * (*nomem set).
 */
struct frame *
sub_frame_for(struct sub *s, struct event *ev, int *nomem)
{
	struct frame	*f;
	unsigned	 bit;

	*nomem = 0;
	if (s->kind != SUB_EVENTS)
		return ev->frame;
	bit = ev->type == NULL ? SUB_T_NOTIFICATION :
	    sub_type_bit(ev->type, strlen(ev->type));
	if (s->types != 0 && (s->types & bit) == 0)
		return NULL;
	if ((f = event_typed_frame(ev)) == NULL)
		*nomem = 1;
	return f;
}

struct frame *
sub_error_frame(const struct sub *s, const char *code, const char *message,
    const char *extra_key, const char *extra_val)
{
	char		 idbuf[EVID_STRLEN];
	struct frame	*f = NULL;
	struct sse_msg	 m = { .event = "error", .retry = -1 };
	json_t		*o;
	char		*js = NULL;
	int		 err;

	o = json_pack("{s:s, s:s}", "code", code, "message", message);
	if (o == NULL)
		return NULL;
	if (extra_key != NULL)
		json_object_set_new(o, extra_key, json_string(extra_val));
	if ((js = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	m.data = js;
	m.datalen = strlen(js);
	if (s->kind == SUB_EVENTS && !evid_is_zero(&s->last)) {
		evid_format(&s->last, idbuf);
		m.id = idbuf;
	}
	f = frame_encode(&m, &err);
out:
	free(js);
	json_decref(o);
	return f;
}


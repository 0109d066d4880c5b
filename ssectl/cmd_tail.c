/*
 * cmd_tail.c: "ssectl tail", every event published on some topics, live.
 *
 * One tail request, then one more reply per event until interrupted
 * (exit 0) or until the daemon goes away (exit 3).  Events are printed
 * as ssecat(1) prints them: the data, the wire format (--format raw) or
 * one JSON object per line (--json).  The connection is dropped at the
 * end, as the daemon would keep streaming on it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssectl.h"

enum {
	OPT_FORMAT = 0x200,
};

enum { FMT_DATA, FMT_RAW };

static const struct option tail_options[] = {
	{ "format",	required_argument,	NULL,	OPT_FORMAT },
	{ NULL,		0,			NULL,	0 }
};

/* A str or nil field as a new NUL-terminated string (nil: NULL). */
static int
get_strdup(const msgpack_object *map, const char *key, char **out)
{
	int err = sse_ctl_get_strdup(map, key, out);

	if (err == SSE_ENOENT)
		*out = NULL;
	return err == SSE_ENOENT ? 0 : err;
}

/*
 * {"id","event","data","topic"}: ssecat's object, and the topic.  Bytes
 * that are not UTF-8 become U+FFFD, as in every --json output.
 */
static int
print_json(const msgpack_object *ev)
{
	static const char *const keys[] = { "id", "event", "data", "topic" };
	const msgpack_object *o;
	json_t *j, *v;
	size_t i;
	int rc = CTL_EXIT_OK;

	if ((j = json_object()) == NULL)
		return ctl_nomem();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* Only the event's type may be nil: untyped. */
		o = sse_ctl_get(ev, keys[i]);
		if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
			v = json_string("message");
		else
			v = ctl_json_from_msgpack(o);
		if (json_object_set_new(j, keys[i], v) == -1) {
			rc = ctl_nomem();
			goto out;
		}
	}
	rc = ctl_json_dump(j, JSON_PRESERVE_ORDER);
out:
	json_decref(j);
	return rc;
}

/*
 * One event of a tail reply, in the chosen format; 0 or a CTL_EXIT_*.
 * A failed write on stdout is left to main to report.
 */
static int
tail_print(struct ctl_ctx *ctx, int fmt, const msgpack_object *ev)
{
	struct sse_msg m = { .retry = -1 };
	char *id = NULL, *type = NULL, *raw = NULL;
	const char *p;
	size_t len, rawlen;
	int err, rc;

	if (ev == NULL || sse_ctl_get_str(ev, "id", &p, &len) != 0 ||
	    sse_ctl_get_str(ev, "topic", &p, &len) != 0 ||
	    sse_ctl_get_str(ev, "data", &m.data, &m.datalen) != 0 ||
	    ((err = sse_ctl_get_str(ev, "event", &p, &len)) != 0 &&
	    err != SSE_ENOENT))
		return ctl_bad_reply(&ctx->client, "an event lacks a field");
	if (ctx->json) {
		if ((rc = print_json(ev)) != 0)
			return rc;
	} else if (fmt == FMT_RAW) {
		/* The fields are there: only memory can fail. */
		if (sse_ctl_get_strdup(ev, "id", &id) != 0 ||
		    get_strdup(ev, "event", &type) != 0) {
			rc = ctl_nomem();
			goto out;
		}
		m.id = id;
		m.event = type;
		if ((err = sse_encode_alloc(&m, &raw, &rawlen)) != 0) {
			rc = err == SSE_ENOMEM ? ctl_nomem() :
			    ctl_bad_reply(&ctx->client, sse_strerror(err));
			goto out;
		}
		fwrite(raw, 1, rawlen, stdout);
	} else {
		fwrite(m.data, 1, m.datalen, stdout);
		putchar('\n');
	}
	rc = ctl_flush();
out:
	free(raw);
	free(id);
	free(type);
	return rc;
}

static int
cmd_tail_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	const char *f;
	msgpack_packer *pk;
	int i, fmt = FMT_DATA, rc;

	if ((f = ctl_args_get(args, OPT_FORMAT)) != NULL) {
		if (strcmp(f, "raw") == 0)
			fmt = FMT_RAW;
		else if (strcmp(f, "json") == 0)
			ctx->json = 1;
		else if (strcmp(f, "data") != 0)
			return ctl_usage_error("tail: --format is data, raw "
			    "or json, not '%s'", f);
	}
	pk = ctl_client_request(&ctx->client, self->op, 1);
	sse_ctl_pack_str(pk, "topics");
	msgpack_pack_array(pk, (size_t)args->argc);
	for (i = 0; i < args->argc; i++)
		sse_ctl_pack_str(pk, args->argv[i]);
	ctl_catch_signals(1);
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		goto out;
	ctx->client.timeout_ms = -1;
	while ((rc = ctl_client_next(&ctx->client, &res)) == 0 &&
	    (rc = tail_print(ctx, fmt, sse_ctl_get(res, "event"))) == 0)
		continue;
out:
	ctx->client.timeout_ms = CTL_REPLY_TIMEOUT_MS;
	ctl_client_disconnect(&ctx->client);
	ctl_catch_signals(0);
	return rc == CTL_EXIT_INTERRUPTED ? CTL_EXIT_OK : rc;
}

static const char tail_complete[] = { CTL_COMPLETE_TOPIC, '*', '\0' };

const struct ctl_cmd ctl_cmd_tail = {
	.name = "tail",
	.usage = "tail [--format data | raw | json] [TOPIC...]",
	.summary = "print events as they are published",
	.help =
	    "  --format data  print each event's data and a newline (default)\n"
	    "  --format raw   print each event in the SSE wire format\n"
	    "  --format json  the same as --json\n"
	    "Without TOPIC, every topic.  The formats are ssecat's; --json\n"
	    "prints one object per event with id, event, data and topic.\n"
	    "Runs until interrupted (exit 0) or ssed goes away (exit 3).\n",
	.op = SSE_CTL_TAIL,
	.options = tail_options,
	.minargs = 0,
	.maxargs = -1,
	.complete = tail_complete,
	.exec = cmd_tail_exec,
};

/*
 * cmd.c: the read and admin commands of ssectl: list, kick, stats, version.
 *
 * Each is one struct ctl_cmd: it packs its op's fields (the schema is in
 * ssed-control(7)), sends them through ctl_client.c and prints the result
 * as text or, with --json, through the generic converter of output.c.
 * notify, which reads standard input, is in cmd_notify.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssectl.h"

enum {
	OPT_TOPIC = 0x200,
	OPT_USER,
	OPT_CLIENT_ID,
	OPT_REMOTE,
	OPT_ID,
	OPT_REASON,
};

/* An option whose value goes, as a str, into the request field of its name. */
struct str_field {
	int		 key;
	const char	*field;
};

static size_t
str_fields_count(const struct ctl_args *args, const struct str_field *f,
    size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += ctl_args_has(args, f[i].key);
	return count;
}

static void
str_fields_pack(msgpack_packer *pk, const struct ctl_args *args,
    const struct str_field *f, size_t n)
{
	const char *v;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((v = ctl_args_get(args, f[i].key)) == NULL)
			continue;
		sse_ctl_pack_str(pk, f[i].field);
		sse_ctl_pack_str(pk, v);
	}
}

/* list */

static const struct option list_options[] = {
	{ "topic",	required_argument,	NULL,	OPT_TOPIC },
	{ "user",	required_argument,	NULL,	OPT_USER },
	{ "client-id",	required_argument,	NULL,	OPT_CLIENT_ID },
	{ "remote",	required_argument,	NULL,	OPT_REMOTE },
	{ NULL,		0,			NULL,	0 }
};

static const struct str_field list_fields[] = {
	{ OPT_TOPIC,		"topic" },
	{ OPT_USER,		"user" },
	{ OPT_CLIENT_ID,	"client_id" },
	{ OPT_REMOTE,		"remote" },
};
#define LIST_NFIELDS	(sizeof(list_fields) / sizeof(list_fields[0]))

enum { COL_ID, COL_TOPICS, COL_USER, COL_CLIENT, COL_REMOTE, COL_AGE,
    COL_EVENTS, COL_BYTES, COL_QUEUED, NCOLS };

static const struct ctl_column list_columns[NCOLS] = {
	{ "ID", 1 }, { "TOPICS", 0 }, { "USER", 0 }, { "CLIENT", 0 },
	{ "REMOTE", 0 }, { "AGE", 1 }, { "EVENTS", 1 }, { "BYTES", 1 },
	{ "QUEUED", 1 },
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A byte count or an age (ms since) in human units, or as is. */
static char *
fmt_uint(const struct ctl_ctx *ctx, const msgpack_object *conn,
    const char *key, int is_age)
{
	char buf[64];
	uint64_t v, now;

	if (sse_ctl_get_uint(conn, key, &v) != 0)
		return strdup("-");
	if (is_age) {
		now = now_ms();
		v = now > v ? (now - v) / 1000 : 0;
		if (ctx->human)
			ctl_fmt_duration(buf, sizeof(buf), v);
		else
			snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)v);
	} else if (ctx->human)
		ctl_fmt_bytes(buf, sizeof(buf), v);
	else
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return strdup(buf);
}

static char *
fmt_field(const msgpack_object *conn, const char *key)
{
	const msgpack_object *o;

	if ((o = sse_ctl_get(conn, key)) == NULL)
		return strdup("-");
	return ctl_fmt_value(o);
}

static int
list_row(const struct ctl_ctx *ctx, struct ctl_table *t,
    const msgpack_object *conn)
{
	char *cells[NCOLS];
	size_t i;

	cells[COL_ID] = fmt_field(conn, "id");
	cells[COL_TOPICS] = fmt_field(conn, "topics");
	cells[COL_USER] = fmt_field(conn, "user");
	cells[COL_CLIENT] = fmt_field(conn, "client_id");
	cells[COL_REMOTE] = fmt_field(conn, "remote");
	cells[COL_AGE] = fmt_uint(ctx, conn, "connected_at", 1);
	cells[COL_EVENTS] = fmt_field(conn, "events_sent");
	cells[COL_BYTES] = fmt_uint(ctx, conn, "bytes_sent", 0);
	cells[COL_QUEUED] = fmt_uint(ctx, conn, "queued_bytes", 0);
	for (i = 0; i < NCOLS; i++) {
		if (cells[i] == NULL) {
			for (i = 0; i < NCOLS; i++)
				free(cells[i]);
			return -1;
		}
	}
	return ctl_table_add(t, cells);
}

static int
cmd_list_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res, *conns;
	struct ctl_table *t = NULL;
	msgpack_packer *pk;
	uint32_t i;
	int rc;

	pk = ctl_client_request(&ctx->client, self->op,
	    str_fields_count(args, list_fields, LIST_NFIELDS));
	str_fields_pack(pk, args, list_fields, LIST_NFIELDS);
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		goto out;
	conns = sse_ctl_get(res, "connections");
	if (conns == NULL || conns->type != MSGPACK_OBJECT_ARRAY) {
		rc = ctl_bad_reply(&ctx->client, "no 'connections' array");
		goto out;
	}
	if (ctx->json) {
		for (i = 0; i < conns->via.array.size && rc == 0; i++)
			if (ctl_json_print(&conns->via.array.ptr[i]) == -1)
				rc = CTL_EXIT_USAGE;
		goto out;
	}
	if ((t = ctl_table_new(list_columns, NCOLS)) == NULL)
		goto oom;
	for (i = 0; i < conns->via.array.size; i++)
		if (list_row(ctx, t, &conns->via.array.ptr[i]) == -1)
			goto oom;
	ctl_table_print(t, stdout);
	goto out;
oom:
	rc = ctl_nomem();
out:
	ctl_table_free(t);
	return rc;
}

const struct ctl_cmd ctl_cmd_list = {
	.name = "list",
	.usage = "list [--topic TOPIC] [--user USER] [--client-id ID] "
	    "[--remote ADDR]",
	.summary = "list live subscribers",
	.help =
	    "  --topic TOPIC     only streams following TOPIC\n"
	    "  --user USER       only streams of USER (the token's sub)\n"
	    "  --client-id ID    only streams that gave this client_id\n"
	    "  --remote ADDR     only streams from this address (host:port)\n"
	    "Filters combine with AND.  On a terminal, AGE, BYTES and QUEUED\n"
	    "are in human units; otherwise in seconds and bytes.\n",
	.op = SSE_CTL_LIST,
	.options = list_options,
	.minargs = 0,
	.maxargs = 0,
	.exec = cmd_list_exec,
};

/* kick */

static const struct option kick_options[] = {
	{ "id",		required_argument,	NULL,	OPT_ID },
	{ "user",	required_argument,	NULL,	OPT_USER },
	{ "topic",	required_argument,	NULL,	OPT_TOPIC },
	{ "reason",	required_argument,	NULL,	OPT_REASON },
	{ NULL,		0,			NULL,	0 }
};

static const struct str_field kick_fields[] = {
	{ OPT_USER,	"user" },
	{ OPT_TOPIC,	"topic" },
	{ OPT_REASON,	"reason" },
};
#define KICK_NFIELDS	(sizeof(kick_fields) / sizeof(kick_fields[0]))

/*
 * Append the connection ids in s ("12" or "12,13") to ids: 0, or -1 when
 * one is not a decimal number (usage error printed).
 */
static int
kick_parse_ids(const char *s, uint64_t *ids, size_t *nids, size_t max)
{
	unsigned long long v;
	const char *p = s;
	char *end;

	do {
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || *p < '0' || *p > '9' || errno != 0 ||
		    (*end != ',' && *end != '\0') || *nids == max) {
			ctl_usage_error("kick: bad connection id '%s'", s);
			return -1;
		}
		ids[(*nids)++] = v;
		p = end + 1;
	} while (*end == ',');
	return 0;
}

static int
cmd_kick_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	msgpack_packer *pk;
	uint64_t *ids = NULL, kicked;
	size_t i, nids = 0, max = 0, nsel;
	int rc = CTL_EXIT_USAGE;

	for (i = 0; i < args->nopts; i++)
		if (args->opts[i].key == OPT_ID)
			max += strlen(args->opts[i].value) / 2 + 1;
	for (i = 0; i < (size_t)args->argc; i++)
		max += strlen(args->argv[i]) / 2 + 1;
	if ((ids = calloc(max + 1, sizeof(*ids))) == NULL) {
		ctl_nomem();
		goto out;
	}
	for (i = 0; i < args->nopts; i++)
		if (args->opts[i].key == OPT_ID &&
		    kick_parse_ids(args->opts[i].value, ids, &nids, max) == -1)
			goto out;
	if (args->argc > 0 && nids == 0) {
		ctl_usage_error("kick: unexpected argument '%s'",
		    args->argv[0]);
		goto out;
	}
	for (i = 0; i < (size_t)args->argc; i++)
		if (kick_parse_ids(args->argv[i], ids, &nids, max) == -1)
			goto out;
	nsel = (nids > 0) + ctl_args_has(args, OPT_USER) +
	    ctl_args_has(args, OPT_TOPIC);
	if (nsel != 1) {
		ctl_usage_error("kick: give exactly one of --id, --user, "
		    "--topic");
		goto out;
	}
	pk = ctl_client_request(&ctx->client, self->op, (nids > 0) +
	    str_fields_count(args, kick_fields, KICK_NFIELDS));
	if (nids > 0) {
		sse_ctl_pack_str(pk, "ids");
		msgpack_pack_array(pk, nids);
		for (i = 0; i < nids; i++)
			msgpack_pack_uint64(pk, ids[i]);
	}
	str_fields_pack(pk, args, kick_fields, KICK_NFIELDS);
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		goto out;
	if (sse_ctl_get_uint(res, "kicked", &kicked) != 0) {
		rc = ctl_bad_reply(&ctx->client, "no 'kicked' count");
		goto out;
	}
	if (ctx->json)
		rc = ctl_json_print(res) == 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	else
		printf("kicked %llu\n", (unsigned long long)kicked);
out:
	free(ids);
	return rc;
}

const struct ctl_cmd ctl_cmd_kick = {
	.name = "kick",
	.usage = "kick (--id ID... | --user USER | --topic TOPIC) "
	    "[--reason TEXT]",
	.summary = "close subscribers by id, user or topic",
	.help =
	    "  --id ID...      connection ids from 'ssectl list': repeat\n"
	    "                  --id, separate with commas, or list them\n"
	    "                  after it (--id 3 4 5)\n"
	    "  --user USER     every stream of USER\n"
	    "  --topic TOPIC   every stream following TOPIC\n"
	    "  --reason TEXT   sent to each client in an 'error' event\n"
	    "Prints \"kicked N\".  A kicked client may reconnect and resume\n"
	    "from history.\n",
	.op = SSE_CTL_KICK,
	.options = kick_options,
	.minargs = 0,
	.maxargs = -1,
	.exec = cmd_kick_exec,
};

/* stats */

static int
cmd_stats_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	const msgpack_object_kv *kv;
	size_t width = 0;
	uint32_t i;
	char *v;
	int rc;

	(void)args;
	if ((rc = ctl_call_simple(ctx, self->op, &res)) != 0)
		return rc;
	if (res->type != MSGPACK_OBJECT_MAP)
		return ctl_bad_reply(&ctx->client, "result is not a map");
	if (ctx->json)
		return ctl_json_print(res) == 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	for (i = 0; i < res->via.map.size; i++) {
		kv = &res->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size > width)
			width = kv->key.via.str.size;
	}
	for (i = 0; i < res->via.map.size; i++) {
		kv = &res->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		if ((v = ctl_fmt_value(&kv->val)) == NULL)
			return ctl_nomem();
		printf("%-*.*s  %s\n", (int)width, (int)kv->key.via.str.size,
		    kv->key.via.str.ptr, v);
		free(v);
	}
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_stats = {
	.name = "stats",
	.usage = "stats",
	.summary = "show the broker's counters",
	.help = "One \"name value\" line per counter, in the daemon's order.\n",
	.op = SSE_CTL_STATS,
	.minargs = 0,
	.maxargs = 0,
	.exec = cmd_stats_exec,
};

/* version */

static int
cmd_version_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	json_t *j = NULL, *ssed;
	const char *v;
	size_t vlen;
	uint64_t proto;
	int rc;

	(void)args;
	if (!ctx->json)
		printf("ssectl %s (protocol %d)\n", PACKAGE_VERSION,
		    SSE_CTL_PROTO_VERSION);
	if ((rc = ctl_call_simple(ctx, self->op, &res)) != 0)
		goto out;
	if (sse_ctl_get_str(res, "version", &v, &vlen) != 0) {
		rc = ctl_bad_reply(&ctx->client, "no 'version'");
		goto out;
	}
	if (!ctx->json) {
		printf("ssed %.*s", (int)vlen, v);
		if (sse_ctl_get_uint(res, "protocol", &proto) == 0)
			printf(" (protocol %llu)", (unsigned long long)proto);
		putchar('\n');
		goto out;
	}
	if ((ssed = ctl_json_from_msgpack(res)) == NULL ||
	    (j = json_pack("{s:s,s:i,s:o}", "ssectl", PACKAGE_VERSION,
	    "protocol", SSE_CTL_PROTO_VERSION, "ssed", ssed)) == NULL ||
	    json_dumpf(j, stdout, JSON_COMPACT) == -1) {
		rc = ctl_nomem();
		goto out;
	}
	putchar('\n');
out:
	json_decref(j);
	return rc;
}

const struct ctl_cmd ctl_cmd_version = {
	.name = "version",
	.usage = "version",
	.summary = "show the versions of ssectl and ssed",
	.op = SSE_CTL_VERSION,
	.minargs = 0,
	.maxargs = 0,
	.exec = cmd_version_exec,
};

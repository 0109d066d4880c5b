/*
 * cmd.c: the commands of ssectl about connections: list, show, kick.
 *
 * Each is one struct ctl_cmd: it packs its op's fields (the schema is in
 * ssed-control(7)), sends them through ctl_client.c and prints the result
 * as text or, with --json, through the generic converter of output.c.
 * The other commands are in cmd_*.c, one group of ops per file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct ctl_column list_columns[] = {
	{ "ID", 1, "id", CTL_UNIT_NONE },
	{ "TOPICS", 0, "topics", CTL_UNIT_NONE },
	{ "USER", 0, "user", CTL_UNIT_NONE },
	{ "CLIENT", 0, "client_id", CTL_UNIT_NONE },
	{ "REMOTE", 0, "remote", CTL_UNIT_NONE },
	{ "AGE", 1, "connected_at", CTL_UNIT_AGE },
	{ "EVENTS", 1, "events_sent", CTL_UNIT_NONE },
	{ "BYTES", 1, "bytes_sent", CTL_UNIT_BYTES },
	{ "QUEUED", 1, "queued_bytes", CTL_UNIT_BYTES },
};

static int
cmd_list_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	msgpack_packer *pk;
	int rc;

	pk = ctl_client_request(&ctx->client, self->op,
	    str_fields_count(args, list_fields, LIST_NFIELDS));
	str_fields_pack(pk, args, list_fields, LIST_NFIELDS);
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		return rc;
	return ctl_print_records(ctx, res, "connections", list_columns,
	    sizeof(list_columns) / sizeof(list_columns[0]));
}

const struct ctl_cmd ctl_cmd_list = {
	.name = "list",
	.usage = "list [--topic TOPIC] [--user USER] [--client-id ID] "
	    "[--remote ADDR]",
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

/* show */

static int
cmd_show_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	msgpack_packer *pk;
	uint64_t id;
	int rc;

	if (ctl_parse_uint("show: connection id", args->argv[0], &id) == -1)
		return CTL_EXIT_USAGE;
	pk = ctl_client_request(&ctx->client, self->op, 1);
	sse_ctl_pack_str(pk, "id");
	msgpack_pack_uint64(pk, id);
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		return rc;
	return ctl_print_map(ctx, sse_ctl_get(res, "connection"));
}

static const char show_complete[] = { CTL_COMPLETE_CONN, '\0' };

const struct ctl_cmd ctl_cmd_show = {
	.name = "show",
	.usage = "show ID",
	.summary = "show one connection in full",
	.help =
	    "ID is a connection id from 'ssectl list'.  Prints one \"name\n"
	    "value\" line per field: those of 'list', and its state, queued\n"
	    "events, how long it has been stalled, the event types it takes,\n"
	    "when its token expires and its transfer encoding.\n",
	.op = SSE_CTL_SHOW,
	.minargs = 1,
	.maxargs = 1,
	.complete = show_complete,
	.exec = cmd_show_exec,
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
		rc = ctl_json_print(res);
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
	.complete = "c*",
	.exec = cmd_kick_exec,
};

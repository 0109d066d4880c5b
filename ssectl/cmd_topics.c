/*
 * cmd_topics.c: the commands about topics: topics (list, create, delete,
 * info) and history, a topic's retained events.
 *
 * Each packs its op's fields (ssed-control(7)) and prints the result as
 * a table, "name value" lines or JSON through output.c and table.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssectl.h"

/* topics */

enum { TOPICS_LIST, TOPICS_CREATE, TOPICS_DELETE, TOPICS_INFO };

static const char *const topics_words[] = { "list", "create", "delete",
    "info", NULL };

static const struct ctl_column topics_columns[] = {
	{ "NAME", 0, "name", CTL_UNIT_NONE },
	{ "SUBS", 1, "subscribers", CTL_UNIT_NONE },
	{ "RETAINED", 1, "retained", CTL_UNIT_NONE },
	{ "PUBLISHED", 1, "published", CTL_UNIT_NONE },
	{ "RATE", 1, "rate", CTL_UNIT_RATE },
	{ "NEWEST", 0, "newest_id", CTL_UNIT_NONE },
	{ "REG", 0, "registered", CTL_UNIT_NONE },
	{ "AGE", 1, "created", CTL_UNIT_AGE },
};

/* The text reply to create, delete and info, by action. */
static int
topics_print(struct ctl_ctx *ctx, int act, const char *name,
    const msgpack_object *res)
{
	uint64_t kicked;
	int created;

	switch (act) {
	case TOPICS_CREATE:
		if (sse_ctl_get_bool(res, "created", &created) != 0)
			return ctl_bad_reply(&ctx->client, "no 'created'");
		printf(created ? "created %s\n" : "%s exists; it is now "
		    "registered\n", name);
		return CTL_EXIT_OK;
	case TOPICS_DELETE:
		if (sse_ctl_get_uint(res, "kicked", &kicked) != 0)
			return ctl_bad_reply(&ctx->client, "no 'kicked'");
		printf("deleted %s, kicked %llu\n", name,
		    (unsigned long long)kicked);
		return CTL_EXIT_OK;
	default:
		return ctl_print_map(ctx, sse_ctl_get(res, "topic"));
	}
}

static int
cmd_topics_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	msgpack_packer *pk;
	const char *name = NULL;
	int act = TOPICS_LIST, rc;

	if (args->argc > 0 && (act = ctl_word_find(self, args->argv[0])) < 0)
		return CTL_EXIT_USAGE;
	if (act != TOPICS_LIST && args->argc != 2)
		return ctl_usage_error("topics %s: give one topic NAME",
		    topics_words[act]);
	if (act == TOPICS_LIST && args->argc > 1)
		return ctl_usage_error("topics list: unexpected argument '%s'",
		    args->argv[1]);
	name = act != TOPICS_LIST ? args->argv[1] : NULL;
	pk = ctl_client_request(&ctx->client, self->op, name != NULL ? 2 : 1);
	sse_ctl_pack_str(pk, "action");
	sse_ctl_pack_str(pk, topics_words[act]);
	if (name != NULL) {
		sse_ctl_pack_str(pk, "name");
		sse_ctl_pack_str(pk, name);
	}
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		return rc;
	if (act == TOPICS_LIST)
		return ctl_print_records(ctx, res, "topics", topics_columns,
		    sizeof(topics_columns) / sizeof(topics_columns[0]));
	/* info prints the topic itself, with --json as list prints each. */
	if (!ctx->json || act == TOPICS_INFO)
		return topics_print(ctx, act, name, res);
	return ctl_json_print(res);
}

static const char topics_complete[] = { CTL_COMPLETE_WORD,
    CTL_COMPLETE_TOPIC, '\0' };

const struct ctl_cmd ctl_cmd_topics = {
	.name = "topics",
	.usage = "topics [list | create NAME | delete NAME | info NAME]",
	.help =
	    "  list         every topic, by name (the default)\n"
	    "  create NAME  create NAME and mark it registered, so it is\n"
	    "               kept and may be used with --topics=registered\n"
	    "  delete NAME  close its subscribers (a TOPIC_DELETED error\n"
	    "               event) and drop it and its history\n"
	    "  info NAME    one topic, one \"name value\" line per field\n"
	    "RATE is events per second, averaged over about a minute.\n",
	.op = SSE_CTL_TOPICS,
	.minargs = 0,
	.maxargs = 2,
	.complete = topics_complete,
	.words = topics_words,
	.exec = cmd_topics_exec,
};

/* history */

enum {
	OPT_SINCE = 0x200,
	OPT_LIMIT,
};

static const struct option history_options[] = {
	{ "since",	required_argument,	NULL,	OPT_SINCE },
	{ "limit",	required_argument,	NULL,	OPT_LIMIT },
	{ NULL,		0,			NULL,	0 }
};

static const struct ctl_column history_columns[] = {
	{ "ID", 0, "id", CTL_UNIT_NONE },
	{ "EVENT", 0, "event", CTL_UNIT_NONE },
	{ "AGE", 1, "created", CTL_UNIT_AGE },
	{ "DATA", 0, "data", CTL_UNIT_NONE },
};

static int
cmd_history_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	const char *since, *limits;
	msgpack_packer *pk;
	uint64_t limit = 0;
	int rc;

	since = ctl_args_get(args, OPT_SINCE);
	if ((limits = ctl_args_get(args, OPT_LIMIT)) != NULL &&
	    ctl_parse_uint("history: --limit", limits, &limit) == -1)
		return CTL_EXIT_USAGE;
	pk = ctl_client_request(&ctx->client, self->op, 1 + (since != NULL) +
	    (limits != NULL));
	sse_ctl_pack_str(pk, "topic");
	sse_ctl_pack_str(pk, args->argv[0]);
	if (since != NULL) {
		sse_ctl_pack_str(pk, "since");
		sse_ctl_pack_str(pk, since);
	}
	if (limits != NULL) {
		sse_ctl_pack_str(pk, "limit");
		msgpack_pack_uint64(pk, limit);
	}
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		return rc;
	return ctl_print_records(ctx, res, "events", history_columns,
	    sizeof(history_columns) / sizeof(history_columns[0]));
}

static const char history_complete[] = { CTL_COMPLETE_TOPIC, '\0' };

const struct ctl_cmd ctl_cmd_history = {
	.name = "history",
	.usage = "history TOPIC [--since ID] [--limit N]",
	.summary = "show a topic's retained events",
	.help =
	    "  --since ID  only the events after the event id ID\n"
	    "  --limit N   at most the newest N of them (default 1000)\n"
	    "Oldest first.  --json prints each event as an object with\n"
	    "id, topic, event, data and created (unix ms).\n",
	.op = SSE_CTL_HISTORY,
	.options = history_options,
	.minargs = 1,
	.maxargs = 1,
	.complete = history_complete,
	.exec = cmd_history_exec,
};

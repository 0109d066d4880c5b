/*
 * cmd_admin.c: the commands about the daemon itself: stats, version,
 * reload, and token, which mints a JWT with the daemon's key.
 *
 * Each packs its op's fields (ssed-control(7)) and prints the result;
 * the socket is ctl_client.c's, the formatting output.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssectl.h"

/* stats */

static int
cmd_stats_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	int rc;

	(void)args;
	if ((rc = ctl_call_simple(ctx, self->op, &res)) != 0)
		return rc;
	return ctl_print_map(ctx, res);
}

const struct ctl_cmd ctl_cmd_stats = {
	.name = "stats",
	.usage = "stats",
	.summary = "show the broker's counters",
	.help = "One \"name value\" line per counter, in the daemon's order;\n"
	    "on a terminal, names aligned and uptime and bytes in human units.\n",
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
	    "protocol", SSE_CTL_PROTO_VERSION, "ssed", ssed)) == NULL) {
		rc = ctl_nomem();
		goto out;
	}
	rc = ctl_json_dump(j, 0);
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

/* reload */

static int
cmd_reload_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	int rc;

	(void)args;
	if ((rc = ctl_call_simple(ctx, self->op, &res)) != 0)
		return rc;
	if (ctx->json)
		return ctl_json_print(res);
	printf("reloaded\n");
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_reload = {
	.name = "reload",
	.usage = "reload",
	.summary = "make ssed re-read its configuration",
	.help = "Prints \"reloaded\".  When the new configuration is not valid,\n"
	    "ssed keeps the old one and ssectl exits 2 with RELOAD_FAILED.\n",
	.op = SSE_CTL_RELOAD,
	.minargs = 0,
	.maxargs = 0,
	.exec = cmd_reload_exec,
};

/* token */

enum {
	OPT_SUB = 0x200,
	OPT_SUBSCRIBE,
	OPT_PUBLISH,
	OPT_TTL,
};

static const struct option token_options[] = {
	{ "sub",	required_argument,	NULL,	OPT_SUB },
	{ "subscribe",	required_argument,	NULL,	OPT_SUBSCRIBE },
	{ "publish",	required_argument,	NULL,	OPT_PUBLISH },
	{ "ttl",	required_argument,	NULL,	OPT_TTL },
	{ NULL,		0,			NULL,	0 }
};

/*
 * A duration: seconds, or a number with one of the suffixes s, m, h, d
 * ("90s", "15m", "1h", "7d"); 0 means no expiry.  0, or -1 (printed).
 */
static int
parse_duration(const char *s, uint64_t *secs)
{
	static const struct {
		char		 suffix;
		uint64_t	 mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	unsigned long long v;
	uint64_t mult = 1;
	char *end;
	size_t i;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		mult = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (units[i].suffix == end[0] && end[1] == '\0')
				mult = units[i].mult;
	}
	if (end == s || *s < '0' || *s > '9' || errno != 0 || mult == 0 ||
	    v > UINT64_MAX / mult) {
		ctl_usage_error("token: bad duration '%s' (like 3600, 90s, "
		    "15m, 1h or 7d)", s);
		return -1;
	}
	*secs = v * mult;
	return 0;
}

/* Pack the values of every use of option key as an array named field. */
static void
pack_list(msgpack_packer *pk, const struct ctl_args *args, int key,
    const char *field)
{
	size_t i, n = 0;

	for (i = 0; i < args->nopts; i++)
		n += args->opts[i].key == key;
	sse_ctl_pack_str(pk, field);
	msgpack_pack_array(pk, n);
	for (i = 0; i < args->nopts; i++)
		if (args->opts[i].key == key)
			sse_ctl_pack_str(pk, args->opts[i].value);
}

static int
cmd_token_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const msgpack_object *res;
	const char *sub, *ttls, *tok;
	msgpack_packer *pk;
	uint64_t ttl = 3600;
	size_t toklen;
	int rc;

	if ((sub = ctl_args_get(args, OPT_SUB)) == NULL)
		return ctl_usage_error("token: --sub NAME is required");
	if ((ttls = ctl_args_get(args, OPT_TTL)) != NULL &&
	    parse_duration(ttls, &ttl) == -1)
		return CTL_EXIT_USAGE;
	pk = ctl_client_request(&ctx->client, self->op, 4);
	sse_ctl_pack_str(pk, "sub");
	sse_ctl_pack_str(pk, sub);
	pack_list(pk, args, OPT_SUBSCRIBE, "subscribe");
	pack_list(pk, args, OPT_PUBLISH, "publish");
	sse_ctl_pack_str(pk, "ttl");
	msgpack_pack_uint64(pk, ttl);
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0)
		return rc;
	if (sse_ctl_get_str(res, "token", &tok, &toklen) != 0)
		return ctl_bad_reply(&ctx->client, "no 'token'");
	if (ctx->json)
		return ctl_json_print(res);
	printf("%.*s\n", (int)toklen, tok);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_token = {
	.name = "token",
	.usage = "token --sub NAME [--subscribe PATTERN]... "
	    "[--publish PATTERN]... [--ttl DURATION]",
	.help =
	    "  --sub NAME           the token's subject (its user)\n"
	    "  --subscribe PATTERN  a topic it may read; '*' matches any run\n"
	    "                       of characters; repeat for more\n"
	    "  --publish PATTERN    a topic it may publish to; repeatable\n"
	    "  --ttl DURATION       lifetime: seconds, or 90s, 15m, 1h, 7d;\n"
	    "                       0 never expires (default 1h)\n"
	    "Prints the token alone on one line; --json adds when it expires.\n"
	    "ssed needs an HMAC secret to mint (else NOT_SUPPORTED).\n",
	.op = SSE_CTL_TOKEN,
	.options = token_options,
	.minargs = 0,
	.maxargs = 0,
	.exec = cmd_token_exec,
};

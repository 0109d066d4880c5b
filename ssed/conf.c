/*
 * conf.c: command-line options.  Every option is one row of opts[]: the
 * getopt table, the --help text and the checks all come from it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"

enum opt_type { OPT_FLAG, OPT_STR, OPT_LIST, OPT_UINT, OPT_SIZE, OPT_SECS,
    OPT_MS, OPT_CHOICE };

struct opt {
	const char	*name;
	int		 key;
	enum opt_type	 type;
	const char	*arg;
	const char	*help;
	size_t		 off;		/* in struct ssed_config */
	unsigned long long max;		/* OPT_LIST: offset of the count */
	const char	*choices;	/* OPT_CHOICE: "a|b", index stored */
};

#define OFF(f)	offsetof(struct ssed_config, f)

static const struct opt opts[] = {
	{ "listen", 'l', OPT_LIST, "ADDR:PORT", "listen here (repeatable; "
	    "default 127.0.0.1:8002)", OFF(http.listen), OFF(http.nlisten),
	    NULL },
	{ "control", 's', OPT_STR, "PATH", "control socket path",
	    OFF(control_path), 0, NULL },
	{ "auth", 'a', OPT_CHOICE, "MODE", "jwt (default) or none (local "
	    "development only)", OFF(auth_mode), 0, "none|jwt" },
	{ "jwt-secret-file", 267, OPT_STR, "FILE", "HS256/384/512 secret",
	    OFF(auth.secret_file), 0, NULL },
	{ "jwt-key", 268, OPT_STR, "FILE", "RS256/ES256 public key (PEM)",
	    OFF(auth.key_file), 0, NULL },
	{ "jwt-issuer", 269, OPT_STR, "ISS", "required iss claim",
	    OFF(auth.issuer), 0, NULL },
	{ "jwt-audience", 270, OPT_STR, "AUD", "required aud claim",
	    OFF(auth.audience), 0, NULL },
	{ "jwt-leeway", 271, OPT_UINT, "SECS", "clock skew allowed "
	    "(default 30)", OFF(auth.leeway), 3600, NULL },
	{ "state-dir", 272, OPT_STR, "DIR", "where a generated secret is "
	    "kept", OFF(auth.state_dir), 0, NULL },
	{ "cors-origin", 273, OPT_LIST, "ORIGIN", "allow this browser origin "
	    "(repeatable, or *)", OFF(http.cors), OFF(http.ncors), NULL },
	{ "max-conns-per-user", 274, OPT_UINT, "N", "streams per user or "
	    "anonymous address (default 10, 0 = no limit)",
	    OFF(http.max_per_user), 1000000, NULL },
	{ "topics", 275, OPT_CHOICE, "MODE", "auto (default) or registered",
	    OFF(broker.registered_only), 0, "auto|registered" },
	{ "heartbeat", 256, OPT_SECS, "SECS", "heartbeat interval "
	    "(default 30, 0 = off)", OFF(broker.heartbeat_ms), 86400, NULL },
	{ "retry", 257, OPT_UINT, "MS", "retry: hint sent to clients "
	    "(default 3000)", OFF(broker.retry_ms), 86400000, NULL },
	{ "history-size", 258, OPT_SIZE, "N", "events kept per topic "
	    "(default 1000)", OFF(broker.history.max_events), 10000000, NULL },
	{ "history-ttl", 259, OPT_SECS, "SECS", "max age of kept events "
	    "(default 86400, 0 = none)", OFF(broker.history.max_age_ms),
	    315360000, NULL },
	{ "max-event-size", 260, OPT_SIZE, "BYTES", "largest event "
	    "(default 512K)", OFF(broker.max_event_size), 16u << 20, NULL },
	{ "conn-memory", 261, OPT_SIZE, "BYTES", "libmicrohttpd memory per "
	    "connection, bounds request headers (default 4K)",
	    OFF(http.conn_memory), 1u << 20, NULL },
	{ "max-conns", 262, OPT_UINT, "N", "connection limit (default: "
	    "what the open-files limit allows)", OFF(http.max_conns),
	    10000000, NULL },
	{ "queue-bytes", 263, OPT_SIZE, "BYTES", "output queued per "
	    "subscriber before it is cut (default 4M)",
	    OFF(broker.queue_bytes), 1ull << 32, NULL },
	{ "queue-events", 264, OPT_SIZE, "N", "events queued per subscriber "
	    "before it is cut (default 4096)", OFF(broker.queue_events),
	    10000000, NULL },
	{ "write-timeout", 265, OPT_SECS, "SECS", "cut a subscriber that "
	    "takes no byte for this long (default 120)",
	    OFF(broker.write_timeout_ms), 86400, NULL },
	{ "log-format", 266, OPT_CHOICE, "FMT", "text or json",
	    OFF(log_json), 0, "text|json" },
	{ "verbose", 'v', OPT_FLAG, NULL, "log debug messages",
	    OFF(verbose), 0, NULL },
	{ "help", 'h', OPT_FLAG, NULL, "show this help", 0, 0, NULL },
	{ "version", 'V', OPT_FLAG, NULL, "show the version", 0, 0, NULL },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: ssed [OPTIONS]\n\n");
	for (i = 0; i < NOPTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name,
		    opts[i].arg ? "=" : "", opts[i].arg ? opts[i].arg : "");
		if (opts[i].key < 256)
			fprintf(fp, "  -%c, %-24s %s\n", opts[i].key, left,
			    opts[i].help);
		else
			fprintf(fp, "      %-24s %s\n", left, opts[i].help);
	}
	fprintf(fp, "\nSee ssed(8).\n");
}

/* "512K", "4M", "1G" or plain digits. */
static int
parse_num(const char *s, int suffixes, unsigned long long *v)
{
	char			*end;
	unsigned long long	 n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (suffixes && *end != '\0' && end[1] == '\0') {
		int shift = *end == 'K' || *end == 'k' ? 10 :
		    *end == 'M' || *end == 'm' ? 20 :
		    *end == 'G' || *end == 'g' ? 30 : -1;

		if (shift < 0 || n > (ULLONG_MAX >> shift))
			return -1;
		n <<= shift;
		end++;
	}
	if (*end != '\0')
		return -1;
	*v = n;
	return 0;
}

static int
choice_index(const char *choices, const char *s)
{
	size_t	 len = strlen(s);
	int	 i = 0;

	for (;;) {
		const char *bar = strchr(choices, '|');
		size_t	    n = bar ? (size_t)(bar - choices) : strlen(choices);

		if (n == len && strncmp(choices, s, n) == 0)
			return i;
		if (bar == NULL)
			return -1;
		choices = bar + 1;
		i++;
	}
}

static int
apply(struct ssed_config *cfg, const struct opt *o, const char *arg)
{
	char			*base = (char *)cfg + o->off;
	unsigned long long	 n;
	int			 idx;

	switch (o->type) {
	case OPT_FLAG:
		*(int *)base = 1;
		return 0;
	case OPT_STR:
		*(const char **)base = arg;
		return 0;
	case OPT_LIST: {
		char	***list = (char ***)base;
		size_t	  *cnt = (size_t *)((char *)cfg + o->max);
		char	 **nl = reallocarray(*list, *cnt + 1, sizeof(*nl));

		if (nl == NULL)
			return -1;
		nl[(*cnt)++] = (char *)arg;
		*list = nl;
		return 0;
	}
	case OPT_CHOICE:
		if ((idx = choice_index(o->choices, arg)) < 0) {
			fprintf(stderr, "ssed: --%s: '%s' is not one of %s\n",
			    o->name, arg, o->choices);
			return -1;
		}
		*(int *)base = idx;
		return 0;
	default:
		break;
	}
	if (parse_num(arg, o->type == OPT_SIZE, &n) == -1 || n > o->max) {
		fprintf(stderr, "ssed: --%s: '%s' is not a number from 0 to "
		    "%llu (try 'ssed --help')\n", o->name, arg, o->max);
		return -1;
	}
	switch (o->type) {
	case OPT_SIZE:
		*(size_t *)base = (size_t)n;
		break;
	case OPT_SECS:
		if (o->off == OFF(broker.history.max_age_ms))
			*(int64_t *)base = (int64_t)n * 1000;
		else
			*(int *)base = (int)n * 1000;
		break;
	default:
		*(int *)base = (int)n;
		break;
	}
	return 0;
}

/* /var/lib/ssed for root, else $XDG_STATE_HOME/ssed or ~/.local/state/ssed. */
static const char *
default_state_dir(void)
{
	static char	 buf[4096];
	const char	*x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return "/var/lib/ssed";
	if (x != NULL && *x != '\0')
		snprintf(buf, sizeof(buf), "%s/ssed", x);
	else
		snprintf(buf, sizeof(buf), "%s/.local/state/ssed",
		    home != NULL ? home : "/tmp");
	return buf;
}

int
config_parse(struct ssed_config *cfg, int argc, char *argv[])
{
	struct option	 lopts[NOPTS + 1];
	char		 sopts[NOPTS * 2 + 2], *p = sopts;
	size_t		 i;
	int		 ch, idx;
	static char	 def_listen[] = "127.0.0.1:8002";

	memset(cfg, 0, sizeof(*cfg));
	cfg->broker = (struct broker_config){
		.history = { .max_events = 1000, .max_age_ms = 86400000 },
		.heartbeat_ms = 30000, .retry_ms = 3000,
		.max_event_size = 512 * 1024, .queue_bytes = 4u << 20,
		.queue_events = 4096, .write_timeout_ms = 120000,
	};
	cfg->http.conn_memory = 4096;
	cfg->http.idle_timeout = 60;
	cfg->http.max_per_user = 10;
	cfg->auth_mode = 1;
	cfg->auth.leeway = 30;

	*p++ = ':';
	for (i = 0; i < NOPTS; i++) {
		lopts[i] = (struct option){ opts[i].name,
		    opts[i].arg ? required_argument : no_argument, NULL,
		    opts[i].key };
		if (opts[i].key < 256) {
			*p++ = (char)opts[i].key;
			if (opts[i].arg)
				*p++ = ':';
		}
	}
	*p = '\0';
	memset(&lopts[NOPTS], 0, sizeof(lopts[NOPTS]));

	while ((ch = getopt_long(argc, argv, sopts, lopts, &idx)) != -1) {
		const struct opt *o = NULL;

		if (ch == 'h') {
			usage(stdout);
			return 1;
		}
		if (ch == 'V') {
			printf("ssed %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (ch == '?' || ch == ':') {
			fprintf(stderr, "ssed: %s '%s' (try 'ssed --help')\n",
			    ch == ':' ? "missing value for" : "unknown option",
			    argv[optind - 1]);
			return -1;
		}
		for (i = 0; i < NOPTS; i++)
			if (opts[i].key == ch)
				o = &opts[i];
		if (o == NULL || apply(cfg, o, optarg) == -1)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "ssed: unexpected argument '%s' (try 'ssed "
		    "--help')\n", argv[optind]);
		return -1;
	}
	if (cfg->http.nlisten == 0) {
		char **nl = malloc(sizeof(*nl));

		if (nl == NULL)
			return -1;
		nl[0] = def_listen;
		cfg->http.listen = nl;
		cfg->http.nlisten = 1;
	}
	if (cfg->control_path == NULL)
		cfg->control_path = control_default_path();
	cfg->auth.none = cfg->auth_mode == 0;
	if (cfg->auth.state_dir == NULL)
		cfg->auth.state_dir = default_state_dir();
	if (cfg->broker.max_event_size == 0) {
		fprintf(stderr, "ssed: --max-event-size must be at least 1\n");
		return -1;
	}
	return 0;
}

void
config_free(struct ssed_config *cfg)
{
	free(cfg->http.listen);
	free(cfg->http.cors);
	cfg->http.listen = NULL;
	cfg->http.cors = NULL;
}

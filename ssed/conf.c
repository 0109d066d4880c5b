/*
 * conf.c: command-line options.  Every option is one row of opts[]: the
 * getopt table, the --help text and the checks all come from it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"

/* OPT_SECS stores ms in an int, OPT_SECS64 in an int64_t. */
enum opt_type { OPT_FLAG, OPT_STR, OPT_LIST, OPT_UINT, OPT_SIZE, OPT_SECS,
    OPT_SECS64, OPT_CHOICE };

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
#define OPT_CONFIG_KEY	277
#define CONN_MEMORY_MIN	2048	/* request line, headers, the answer's head */

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
	{ "history-ttl", 259, OPT_SECS64, "SECS", "max age of kept events "
	    "(default 86400, 0 = none)", OFF(broker.history.max_age_ms),
	    315360000, NULL },
	{ "max-event-size", 260, OPT_SIZE, "BYTES", "largest event "
	    "(default 512K)", OFF(broker.max_event_size), 16u << 20, NULL },
	{ "conn-memory", 261, OPT_SIZE, "BYTES", "libmicrohttpd memory per "
	    "request being read: bounds its headers (default 8K)",
	    OFF(http.conn_memory), 1u << 20, NULL },
	{ "max-conns", 262, OPT_UINT, "N", "open streams at most (default: "
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
	{ "control-group", 276, OPT_STR, "GROUP", "members of GROUP may use "
	    "the control socket", OFF(control_group), 0, NULL },
	{ "config", OPT_CONFIG_KEY, OPT_STR, "FILE", "read settings from "
	    "FILE first (ssed.conf(5))", OFF(config_file), 0, NULL },
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
			config_error(cfg, "--%s: '%s' is not one of %s",
			    o->name, arg, o->choices);
			return -1;
		}
		*(int *)base = idx;
		return 0;
	default:
		break;
	}
	if (parse_num(arg, o->type == OPT_SIZE, &n) == -1 || n > o->max) {
		config_error(cfg, "--%s: '%s' is not a number from 0 to %llu "
		    "(try 'ssed --help')", o->name, arg, o->max);
		return -1;
	}
	switch (o->type) {
	case OPT_SIZE:
		*(size_t *)base = (size_t)n;
		break;
	case OPT_SECS:
		*(int *)base = (int)n * 1000;
		break;
	case OPT_SECS64:
		*(int64_t *)base = (int64_t)n * 1000;
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

static const struct opt *
opt_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static int
add_arg(struct ssed_config *cfg, char *arg)
{
	char **n = reallocarray(cfg->args, cfg->nargs + 1, sizeof(*n));

	if (n == NULL) {
		free(arg);
		return -1;
	}
	n[cfg->nargs++] = arg;
	cfg->args = n;
	return 0;
}

/*
 * The configuration file: one setting per line, the long option's name,
 * then its value ("listen 127.0.0.1:8002" or "listen = ..."); '#' starts
 * a comment.  Each line becomes "--name=value" ahead of the command line.
 */
static int
read_config_file(struct ssed_config *cfg, const char *path)
{
	FILE		*fp;
	char		*line = NULL, *arg;
	size_t		 cap = 0, lineno = 0;
	ssize_t		 n;
	int		 rc = -1;

	if ((fp = fopen(path, "re")) == NULL) {
		config_error(cfg, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		char			*k = line, *v, *e;
		const struct opt	*o;
		size_t			 klen;

		lineno++;
		line[strcspn(line, "#\r\n")] = '\0';
		k += strspn(k, " \t");
		if (*k == '\0')
			continue;
		klen = strcspn(k, " \t=");
		v = k + klen;
		v += strspn(v, " \t");
		if (*v == '=')
			v += 1 + strspn(v + 1, " \t");
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if ((o = opt_by_name(k, klen)) == NULL || o->key == 'h' ||
		    o->key == 'V' || o->key == OPT_CONFIG_KEY) {
			config_error(cfg, "%s:%zu: unknown setting '%.*s' (see "
			    "ssed.conf(5))", path, lineno, (int)klen, k);
			goto out;
		}
		if ((o->arg != NULL) != (*v != '\0')) {
			config_error(cfg, "%s:%zu: %s %s", path, lineno, o->name,
			    o->arg != NULL ? "needs a value" : "takes no value");
			goto out;
		}
		if (asprintf(&arg, "--%s%s%s", o->name, *v ? "=" : "", v) == -1 ||
		    add_arg(cfg, arg) == -1) {
			config_error(cfg, "%s: out of memory", path);
			goto out;
		}
	}
	/* fopen() succeeds on a directory; the read is what fails. */
	if (ferror(fp)) {
		config_error(cfg, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
}

/* --config FILE, found before the real parse. */
static const char *
config_path(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

static void
config_defaults(struct ssed_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->broker = (struct broker_config){
		.history = { .max_events = 1000, .max_age_ms = 86400000 },
		.heartbeat_ms = 30000, .retry_ms = 3000,
		.max_event_size = 512 * 1024, .queue_bytes = 4u << 20,
		.queue_events = 4096, .write_timeout_ms = 120000,
	};
	cfg->http.conn_memory = 8192;
	cfg->http.idle_timeout = 60;
	cfg->http.max_per_user = 10;
	cfg->auth_mode = 1;
	cfg->auth.leeway = 30;
}

int
config_parse(struct ssed_config *cfg, int argc, char *argv[])
{
	struct option	 lopts[NOPTS + 1];
	char		 sopts[NOPTS * 2 + 2], *p = sopts, *a;
	const char	*file;
	size_t		 i, cli_from;
	int		 ch, idx;
	unsigned long long cli_lists = 0;
	static char	 def_listen[] = "127.0.0.1:8002";

	config_defaults(cfg);
	if ((a = strdup(argv[0])) == NULL || add_arg(cfg, a) == -1)
		return -1;
	if ((file = config_path(argc, argv)) != NULL &&
	    read_config_file(cfg, file) == -1)
		return -1;
	cli_from = cfg->nargs;
	for (i = 1; i < (size_t)argc; i++)
		if ((a = strdup(argv[i])) == NULL || add_arg(cfg, a) == -1)
			return -1;

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

	optind = 0;	/* glibc: start over (reload parses again) */
	opterr = 0;
	while ((ch = getopt_long((int)cfg->nargs, cfg->args, sopts, lopts,
	    &idx)) != -1) {
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
			config_error(cfg, "%s '%s' (try 'ssed --help')",
			    ch == ':' ? "missing value for" : "unknown option",
			    cfg->args[optind - 1]);
			return -1;
		}
		for (i = 0; i < NOPTS; i++)
			if (opts[i].key == ch)
				o = &opts[i];
		if (o == NULL)
			return -1;
		/* A list given on the command line replaces the file's. */
		if (o->type == OPT_LIST && (size_t)optind > cli_from &&
		    !(cli_lists & (1ULL << (o - opts)))) {
			cli_lists |= 1ULL << (o - opts);
			*(size_t *)((char *)cfg + o->max) = 0;
		}
		if (apply(cfg, o, optarg) == -1)
			return -1;
	}
	if ((size_t)optind < cfg->nargs) {
		config_error(cfg, "unexpected argument '%s' (try 'ssed "
		    "--help')", cfg->args[optind]);
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
		config_error(cfg, "--max-event-size must be at least 1");
		return -1;
	}
	/* Less, and libmicrohttpd answers nothing at all, /healthz included. */
	if (cfg->http.conn_memory < CONN_MEMORY_MIN) {
		config_error(cfg, "--conn-memory must be at least %u",
		    CONN_MEMORY_MIN);
		return -1;
	}
	/* getopt takes "--conf"; the file was looked for as --config only. */
	if (cfg->config_file != NULL && (file == NULL ||
	    strcmp(file, cfg->config_file) != 0)) {
		config_error(cfg, "write --config FILE in full");
		return -1;
	}
	return 0;
}

void
config_free(struct ssed_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nargs; i++)
		free(cfg->args[i]);
	free(cfg->args);
	free(cfg->http.listen);
	free(cfg->http.cors);
	cfg->args = NULL;
	cfg->nargs = 0;
	cfg->http.listen = NULL;
	cfg->http.cors = NULL;
}

void
config_error(struct ssed_config *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->err, sizeof(cfg->err), fmt, ap);
	va_end(ap);
}

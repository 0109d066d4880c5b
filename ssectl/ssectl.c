/*
 * ssectl.c: the command line of ssectl.
 *
 * Owns the global options, the default socket path, the table of commands
 * and the generic parsing of a command's words against its entry, so the
 * parser, "ssectl help", the interactive shell (shell.c) and the test of
 * the man page ("ssectl help --usage-list") all read one table.  What a
 * command does is in its own cmd_*.c file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssectl.h"

const struct ctl_cmd *const ctl_cmds[] = {
	&ctl_cmd_notify,
	&ctl_cmd_list,
	&ctl_cmd_show,
	&ctl_cmd_kick,
	&ctl_cmd_topics,
	&ctl_cmd_history,
	&ctl_cmd_tail,
	&ctl_cmd_top,
	&ctl_cmd_token,
	&ctl_cmd_stats,
	&ctl_cmd_reload,
	&ctl_cmd_version,
	&ctl_cmd_help,
	NULL
};

#define CTL_MAX_WORDS	32

enum {
	OPT_JSON = 0x100,
	OPT_USAGE_LIST,
};

/* Hidden: the man page's test compares its COMMANDS with this list. */
static const struct option help_options[] = {
	{ "usage-list",	no_argument,	NULL,	OPT_USAGE_LIST },
	{ NULL,		0,		NULL,	0 }
};

static const struct option global_options[] = {
	{ "socket",	required_argument,	NULL,	's' },
	{ "json",	no_argument,		NULL,	OPT_JSON },
	{ "help",	no_argument,		NULL,	'h' },
	{ NULL,		0,			NULL,	0 }
};

static int	cmd_help_exec(const struct ctl_cmd *, struct ctl_ctx *,
		    const struct ctl_args *);

const struct ctl_cmd ctl_cmd_help = {
	.name = "help",
	.usage = "help [COMMAND]",
	.summary = "describe all commands, or one",
	.op = SSE_CTL_NONE,
	.options = help_options,
	.minargs = 0,
	.maxargs = 1,
	.complete = "C",
	.exec = cmd_help_exec,
};

/*
 * Print "ssectl: <what> (try 'ssectl help')" on stderr: the one line of
 * every usage error.  Returns CTL_EXIT_USAGE so callers can return it.
 */
int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ssectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'ssectl help')\n", stderr);
	return CTL_EXIT_USAGE;
}

/*
 * Out of memory, or another local failure that is not the daemon's:
 * exit status 1 as for a usage error, the only other status left.
 */
int
ctl_nomem(void)
{
	fprintf(stderr, "ssectl: out of memory\n");
	return CTL_EXIT_USAGE;
}

/* Why writing stdout failed, when ctl_flush saw it; 0 when unknown. */
static int	stdout_errno;

/*
 * Flush stdout: CTL_EXIT_OK, or CTL_EXIT_USAGE when writing it failed
 * (a closed pipe, a full disk).  The failure is not printed: the caller
 * returns, and ctl_stdout_check says it once.
 */
int
ctl_flush(void)
{
	if (fflush(stdout) == EOF) {
		if (stdout_errno == 0)
			stdout_errno = errno;
		return CTL_EXIT_USAGE;
	}
	return ferror(stdout) ? CTL_EXIT_USAGE : CTL_EXIT_OK;
}

/*
 * After a command: flush stdout and, when a write on it failed, say so
 * in one line and clear the error, so the shell's next command starts
 * afresh.  0, or -1 (printed): exit status 1.
 */
int
ctl_stdout_check(void)
{
	if (ctl_flush() == CTL_EXIT_OK)
		return 0;
	if (stdout_errno != 0)
		fprintf(stderr, "ssectl: write error on standard output: %s\n",
		    strerror(stdout_errno));
	else
		fprintf(stderr, "ssectl: write error on standard output\n");
	stdout_errno = 0;
	clearerr(stdout);
	return -1;
}

/* The summary of cmd: its own, else that of its op (sse_ctl_ops.def). */
const char *
ctl_cmd_summary(const struct ctl_cmd *cmd)
{
	const char *s;

	if (cmd->summary != NULL)
		return cmd->summary;
	return (s = sse_ctl_op_summary(cmd->op)) != NULL ? s : "";
}

int
ctl_args_has(const struct ctl_args *args, int key)
{
	size_t i;

	for (i = 0; i < args->nopts; i++)
		if (args->opts[i].key == key)
			return 1;
	return 0;
}

/* The value of the last use of option key, or NULL. */
const char *
ctl_args_get(const struct ctl_args *args, int key)
{
	size_t i;

	for (i = args->nopts; i > 0; i--)
		if (args->opts[i - 1].key == key)
			return args->opts[i - 1].value;
	return NULL;
}

/* "a, b, c": the valid words, for a message about a bad one. */
static void
valid_words(char *buf, size_t size, const char *const *names)
{
	size_t off = 0;
	int n;

	buf[0] = '\0';
	for (; *names != NULL && off < size; names++) {
		n = snprintf(buf + off, size - off, "%s%s",
		    off == 0 ? "" : ", ", *names);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/*
 * The index of word in names (NULL-terminated), or of the one name it is
 * a unique prefix of; an exact name wins over a longer one it is a
 * prefix of.  -1 when nothing matches, -2 when several do.
 */
static int
word_index(const char *const *names, const char *word)
{
	size_t len = strlen(word);
	int i, found = -1;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], word) == 0)
			return i;
		if (len > 0 && strncmp(names[i], word, len) == 0)
			found = found == -1 ? i : -2;
	}
	return found;
}

/* Like word_index, with the usage error printed for what (-1). */
static int
word_find(const char *const *names, const char *word, const char *what)
{
	char valid[512];
	int i;

	if ((i = word_index(names, word)) >= 0)
		return i;
	valid_words(valid, sizeof(valid), names);
	ctl_usage_error("%s %s '%s'; valid %ss: %s", i == -2 ? "ambiguous" :
	    "unknown", what, word, what, valid);
	return -1;
}

/* The word (subcommand) of cmd that word names or abbreviates, or -1. */
int
ctl_word_find(const struct ctl_cmd *cmd, const char *word)
{
	char what[64];

	snprintf(what, sizeof(what), "%s word", cmd->name);
	return word_find(cmd->words, word, what);
}

/*
 * The command named word, or a unique prefix of one name.  NULL when
 * nothing or several match, with a message unless quiet.
 */
const struct ctl_cmd *
ctl_cmd_find(const char *word, int quiet)
{
	const char *names[CTL_MAX_WORDS];
	size_t n;
	int i;

	for (n = 0; ctl_cmds[n] != NULL && n + 1 < CTL_MAX_WORDS; n++)
		names[n] = ctl_cmds[n]->name;
	names[n] = NULL;
	i = quiet ? word_index(names, word) : word_find(names, word,
	    "command");
	return i >= 0 ? ctl_cmds[i] : NULL;
}

/*
 * A decimal number for what: 0, or -1 with the usage error printed.
 */
int
ctl_parse_uint(const char *what, const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0) {
		ctl_usage_error("%s: not a number: '%s'", what, s);
		return -1;
	}
	*v = n;
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	ctl_interrupted = 1;
}

/*
 * With on, SIGINT and SIGTERM set ctl_interrupted (cleared now), which
 * ends a wait for the daemon (tail, top); without, they get back the
 * handlers they had before.  Calls pair and may nest (tail in the shell):
 * only the outermost pair installs and restores.  The handler does not
 * restart system calls, so a blocked poll returns.
 */
void
ctl_catch_signals(int on)
{
	static struct sigaction saved[2];
	static const int sigs[2] = { SIGINT, SIGTERM };
	static int depth;
	struct sigaction sa;
	int i;

	if (on)
		ctl_interrupted = 0;
	if (on ? depth++ > 0 : --depth > 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	for (i = 0; i < 2; i++)
		sigaction(sigs[i], on ? &sa : &saved[i], on ? &saved[i] : NULL);
}

static void
cmd_print_help(const struct ctl_cmd *cmd, FILE *fp)
{
	fprintf(fp, "usage: ssectl %s\n\n%s.\n", cmd->usage,
	    ctl_cmd_summary(cmd));
	if (cmd->help != NULL)
		fprintf(fp, "\n%s", cmd->help);
	if (cmd->op != SSE_CTL_NONE)
		fprintf(fp, "\n  --json  print JSON, one object per line\n");
}

static void
usage_print(FILE *fp)
{
	const struct ctl_cmd *const *cp;

	fprintf(fp, "usage: ssectl [-s SOCKET] [--json] [COMMAND [ARGS]]\n\n"
	    "  -s, --socket PATH  control socket of ssed (also $SSED_SOCKET)\n"
	    "      --json         print JSON, one object per line\n"
	    "  -h, --help         this help\n\ncommands:\n");
	for (cp = ctl_cmds; *cp != NULL; cp++)
		fprintf(fp, "  %-8s %s\n", (*cp)->name, ctl_cmd_summary(*cp));
	fprintf(fp, "\nCommands may be abbreviated to a unique prefix. "
	    "'ssectl help COMMAND' details one.\n"
	    "Without a command, on a terminal, ssectl is an interactive "
	    "shell.\n"
	    "Exit status: 0 success, 1 usage error, 2 refused by ssed, "
	    "3 ssed unreachable.\n");
}

static int
cmd_help_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	const struct ctl_cmd *cmd;

	const struct ctl_cmd *const *cp;

	(void)self;
	(void)ctx;
	if (ctl_args_has(args, OPT_USAGE_LIST)) {
		for (cp = ctl_cmds; *cp != NULL; cp++)
			printf("%s\n", (*cp)->usage);
		return CTL_EXIT_OK;
	}
	if (args->argc == 0) {
		usage_print(stdout);
		return CTL_EXIT_OK;
	}
	if ((cmd = ctl_cmd_find(args->argv[0], 0)) == NULL)
		return CTL_EXIT_USAGE;
	cmd_print_help(cmd, stdout);
	return CTL_EXIT_OK;
}

/*
 * The usage error for getopt_long's '?', what being "" or "list: ".  For
 * a long option given a value it does not take ("--json=1"), glibc sets
 * optopt to the option's val, which may be no character (OPT_JSON) or
 * the letter of its short form (--help is -h): name the option.  For an
 * unknown letter optopt is that letter, and argv[optind - 1] may be the
 * word before it ("-xd", where optind has not moved on yet).  Otherwise
 * optopt is 0, and the word is all there is.
 */
static int
bad_option(const char *what, char **argv, const struct option *opts)
{
	const char *word = argv[optind - 1], *eq;
	const struct option *o;
	size_t len;

	if (optopt != 0 && strncmp(word, "--", 2) == 0 &&
	    (eq = strchr(word, '=')) != NULL) {
		len = (size_t)(eq - word) - 2;
		for (o = opts; o->name != NULL; o++)
			if (o->val == optopt && o->has_arg == no_argument &&
			    strncmp(o->name, word + 2, len) == 0)
				return ctl_usage_error("%soption '--%s' takes "
				    "no value", what, o->name);
	}
	if (optopt > ' ' && optopt < 0x7f)
		return ctl_usage_error("%sunknown option '-%c'", what, optopt);
	return ctl_usage_error("%sunknown or ambiguous option '%s'", what,
	    word);
}

/*
 * The option table of cmd with --json and --help appended, in a new
 * array the caller frees, and in shortopts the getopt string of the
 * options whose val is a letter (top's -d).
 */
static struct option *
cmd_options(const struct ctl_cmd *cmd, char *shortopts, size_t size)
{
	struct option *opts;
	size_t n = 0, off;

	off = (size_t)snprintf(shortopts, size, ":h");
	while (cmd->options != NULL && cmd->options[n].name != NULL) {
		if (cmd->options[n].val < 0x80 && off + 3 < size) {
			shortopts[off++] = (char)cmd->options[n].val;
			if (cmd->options[n].has_arg == required_argument)
				shortopts[off++] = ':';
			shortopts[off] = '\0';
		}
		n++;
	}
	if ((opts = calloc(n + 3, sizeof(*opts))) == NULL)
		return NULL;
	if (n > 0)
		memcpy(opts, cmd->options, n * sizeof(*opts));
	opts[n] = global_options[1];		/* --json */
	opts[n + 1] = global_options[2];	/* --help */
	return opts;
}

/*
 * Parse the words after the command name into args (options first, as
 * getopt_long permutes them; "--" ends the options), then run it.
 * argv[0] is the command's name; argv may be permuted.
 */
int
ctl_cmd_run(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, int argc,
    char **argv)
{
	struct ctl_args args = { 0 };
	struct option *opts = NULL;
	char shortopts[64], what[64];
	int ch, rc = CTL_EXIT_USAGE;

	if ((opts = cmd_options(cmd, shortopts, sizeof(shortopts))) == NULL ||
	    (args.opts = calloc((size_t)argc + 1, sizeof(*args.opts))) == NULL) {
		ctl_nomem();
		goto out;
	}
	optind = 0;	/* glibc: a full restart, argv[0] is the command */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(cmd, stdout);
			rc = CTL_EXIT_OK;
			goto out;
		case OPT_JSON:
			ctx->json = 1;
			break;
		case ':':
			ctl_usage_error("%s: option '%s' needs a value",
			    cmd->name, argv[optind - 1]);
			goto out;
		case '?':
			snprintf(what, sizeof(what), "%s: ", cmd->name);
			bad_option(what, argv, opts);
			goto out;
		default:
			args.opts[args.nopts].key = ch;
			args.opts[args.nopts].value = optarg;
			args.nopts++;
			break;
		}
	}
	args.argv = argv + optind;
	args.argc = argc - optind;
	if (args.argc < cmd->minargs) {
		ctl_usage_error("%s: missing argument; usage: ssectl %s",
		    cmd->name, cmd->usage);
		goto out;
	}
	if (cmd->maxargs >= 0 && args.argc > cmd->maxargs) {
		ctl_usage_error("%s: unexpected argument '%s'", cmd->name,
		    args.argv[cmd->maxargs]);
		goto out;
	}
	rc = cmd->exec(cmd, ctx, &args);
out:
	free(args.opts);
	free(opts);
	return rc;
}

/*
 * $XDG_RUNTIME_DIR/ssed.sock, else /run/ssed/ssed.sock for root, else
 * /tmp/ssed-<uid>.sock: the same rule as ssed's default --control.
 */
static const char *
default_socket(char *buf, size_t size)
{
	const char *xdg;

	if ((xdg = getenv("XDG_RUNTIME_DIR")) != NULL && *xdg != '\0')
		snprintf(buf, size, "%s/ssed.sock", xdg);
	else if (geteuid() == 0)
		snprintf(buf, size, "/run/ssed/ssed.sock");
	else
		snprintf(buf, size, "/tmp/ssed-%lu.sock",
		    (unsigned long)geteuid());
	return buf;
}

int
main(int argc, char **argv)
{
	struct ctl_ctx ctx = { 0 };
	const struct ctl_cmd *cmd = NULL;
	char sockbuf[PATH_MAX];
	const char *env;
	int ch, rc = CTL_EXIT_USAGE;

	signal(SIGPIPE, SIG_IGN);	/* a closed socket is an EPIPE */
	if ((env = getenv("SSED_SOCKET")) != NULL && *env != '\0')
		ctx.socket = env;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:s:h", global_options,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			ctx.socket = optarg;
			break;
		case OPT_JSON:
			ctx.json = 1;
			break;
		case 'h':
			usage_print(stdout);
			return ctl_stdout_check() == 0 ? CTL_EXIT_OK :
			    CTL_EXIT_USAGE;
		case ':':
			return ctl_usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		default:
			return bad_option("", argv, global_options);
		}
	}
	argc -= optind;
	argv += optind;
	/* It names no file; connect() would take it for an abstract name. */
	if (ctx.socket != NULL && *ctx.socket == '\0')
		return ctl_usage_error("-s: the socket path is empty");
	if (argc == 0 && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return ctl_usage_error("no command given");
	if (argc > 0 && (cmd = ctl_cmd_find(argv[0], 0)) == NULL)
		return CTL_EXIT_USAGE;
	if (ctx.socket == NULL)
		ctx.socket = default_socket(sockbuf, sizeof(sockbuf));
	ctx.human = isatty(STDOUT_FILENO);
	ctl_client_init(&ctx.client, ctx.socket);
	if (argc == 0)
		rc = ctl_shell(&ctx);
	else
		rc = ctl_cmd_run(cmd, &ctx, argc, argv);
	ctl_client_close(&ctx.client);
	/* Whatever else failed: an exit status of 0 must not hide it. */
	if (ctl_stdout_check() == -1 && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_USAGE;
	return rc;
}

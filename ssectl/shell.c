/*
 * shell.c: "ssectl" alone on a terminal, an interactive shell.
 *
 * Lines are read with readline (editing, and a history kept in
 * ~/.ssectl_history), split into words as a shell would, and run through
 * the same command table and parser as one-shot commands, on one
 * connection kept open between commands; when ssed goes away the next
 * command connects again.  Tab completes commands, options, topic names
 * and connection ids, the last two asked of the daemon as you type.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "ssectl.h"

#define SHELL_MAX_WORDS		256
#define SHELL_HISTORY_LINES	1000
/* Tab waits this long for the daemon, not a command's 30 s. */
#define SHELL_COMPLETE_TIMEOUT_MS	2000

/* Completion runs inside readline: it finds the connection here. */
static struct ctl_ctx	*shell_ctx;
/* The candidates of the completion in progress. */
static char		**cands;
static size_t		  ncands, cands_cap;

/*
 * Split line into words, in place, as sh does for simple words: blanks
 * separate, '...' is literal, "..." keeps blanks and takes \ before " \ $
 * and `, and a \ outside quotes escapes the next character.  Returns the
 * number of words, or -1 for an unterminated quote (unless partial, as
 * while completing, which takes the line as it is).
 */
static int
split_words(char *line, char **words, int max, int partial)
{
	char *r = line, *w = line, quote;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0')
			return n;
		if (n == max)
			return -1;
		words[n++] = w;
		for (quote = 0; *r != '\0' && (quote || (*r != ' ' &&
		    *r != '\t')); r++) {
			if (quote == 0 && (*r == '\'' || *r == '"'))
				quote = *r;
			else if (quote == *r)
				quote = 0;
			else if (*r == '\\' && r[1] != '\0' && quote != '\'' &&
			    (quote == 0 || strchr("\"\\$`", r[1]) != NULL))
				*w++ = *++r;
			else
				*w++ = *r;
		}
		if (quote && !partial)
			return -1;
		if (*r != '\0')
			r++;
		*w++ = '\0';
	}
}

static void
cands_reset(void)
{
	while (ncands > 0)
		free(cands[--ncands]);
}

static void
cands_add(const char *s, size_t len)
{
	char **p;

	if (ncands == cands_cap) {
		if ((p = reallocarray(cands, cands_cap + 64, sizeof(*p))) ==
		    NULL)
			return;
		cands = p;
		cands_cap += 64;
	}
	if ((cands[ncands] = strndup(s, len)) != NULL)
		ncands++;
}

/* The names of topics, or the ids of connections, as ssed has them now. */
static void
cands_fetch(int what)
{
	struct ctl_client *c = &shell_ctx->client;
	const msgpack_object *res, *a, *v;
	char buf[32];
	uint32_t i;
	uint64_t id;

	c->quiet = 1;
	c->timeout_ms = SHELL_COMPLETE_TIMEOUT_MS;
	ctl_client_request(c, what == CTL_COMPLETE_TOPIC ? SSE_CTL_TOPICS :
	    SSE_CTL_LIST, 0);
	if (ctl_client_call(c, &res) != 0 || ctl_result_array(c, res,
	    what == CTL_COMPLETE_TOPIC ? "topics" : "connections", &a) != 0)
		goto out;
	for (i = 0; i < a->via.array.size; i++) {
		v = &a->via.array.ptr[i];
		if (what == CTL_COMPLETE_CONN &&
		    sse_ctl_get_uint(v, "id", &id) == 0) {
			snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)id);
			cands_add(buf, strlen(buf));
		} else if ((v = sse_ctl_get(v, "name")) != NULL &&
		    v->type == MSGPACK_OBJECT_STR)
			cands_add(v->via.str.ptr, v->via.str.size);
	}
out:
	c->quiet = 0;
	c->timeout_ms = CTL_REPLY_TIMEOUT_MS;
}

/* What the positional argument number argi of cmd is completed with. */
static int
arg_kind(const struct ctl_cmd *cmd, int argi)
{
	size_t len;

	if (cmd->complete == NULL || (len = strlen(cmd->complete)) == 0)
		return CTL_COMPLETE_NONE;
	if ((size_t)argi < len && cmd->complete[argi] != '*')
		return cmd->complete[argi];
	if (len >= 2 && cmd->complete[len - 1] == '*')
		return cmd->complete[len - 2];
	return CTL_COMPLETE_NONE;
}

/* The option of cmd named by word ("--topic", "--to"), or NULL. */
static const struct option *
option_named(const struct ctl_cmd *cmd, const char *word)
{
	const struct option *o, *found = NULL;
	size_t len;
	int n = 0;

	if (cmd->options == NULL || strncmp(word, "--", 2) != 0)
		return NULL;
	word += 2;
	len = strlen(word);
	for (o = cmd->options; o->name != NULL; o++) {
		if (strcmp(o->name, word) == 0)
			return o;
		if (len > 0 && strncmp(o->name, word, len) == 0) {
			found = o;
			n++;
		}
	}
	return n == 1 ? found : NULL;	/* none, or ambiguous */
}

/*
 * Fill the candidates for the word after words[0..n-1] of the line: a
 * command, an option of the command, an option's value or a positional
 * argument, by the command's table entry.
 */
static void
complete_context(char **words, int n, const char *text)
{
	const struct ctl_cmd *const *cp, *cmd;
	const struct option *o;
	const char *const *wp;
	int i, argi = 0, kind = CTL_COMPLETE_COMMAND;
	char buf[64];

	if (n > 0) {
		if ((cmd = ctl_cmd_find(words[0], 1)) == NULL)
			return;
		if (*text == '-') {
			for (o = cmd->options; o != NULL && o->name != NULL;
			    o++) {
				snprintf(buf, sizeof(buf), "--%s", o->name);
				cands_add(buf, strlen(buf));
			}
			cands_add("--json", 6);
			cands_add("--help", 6);
			return;
		}
		for (i = 1; i < n; i++) {
			if ((o = option_named(cmd, words[i])) != NULL &&
			    o->has_arg == required_argument && i + 1 < n)
				i++;
			else if (words[i][0] != '-')
				argi++;
		}
		o = option_named(cmd, words[n - 1]);
		if (n > 1 && o != NULL && o->has_arg == required_argument)
			kind = strcmp(o->name, "topic") == 0 ?
			    CTL_COMPLETE_TOPIC : strcmp(o->name, "id") == 0 ?
			    CTL_COMPLETE_CONN : CTL_COMPLETE_NONE;
		else
			kind = arg_kind(cmd, argi);
		if (kind == CTL_COMPLETE_WORD)
			for (wp = cmd->words; wp != NULL && *wp != NULL; wp++)
				cands_add(*wp, strlen(*wp));
	}
	if (kind == CTL_COMPLETE_COMMAND)
		for (cp = ctl_cmds; *cp != NULL; cp++)
			cands_add((*cp)->name, strlen((*cp)->name));
	if (kind == CTL_COMPLETE_TOPIC || kind == CTL_COMPLETE_CONN)
		cands_fetch(kind);
}

static char *
cand_next(const char *text, int state)
{
	static size_t i;

	if (state == 0)
		i = 0;
	while (i < ncands)
		if (strncmp(cands[i++], text, strlen(text)) == 0)
			return strdup(cands[i - 1]);
	return NULL;
}

static char **
shell_complete(const char *text, int start, int end)
{
	char *before, *words[SHELL_MAX_WORDS];
	int n;

	(void)end;
	rl_attempted_completion_over = 1;	/* never file names */
	cands_reset();
	if ((before = strndup(rl_line_buffer, (size_t)start)) == NULL)
		return NULL;
	if ((n = split_words(before, words, SHELL_MAX_WORDS, 1)) >= 0)
		complete_context(words, n, text);
	free(before);
	return rl_completion_matches(text, cand_next);
}

/* ~/.ssectl_history, with $HOME, else the password file's home. */
static int
history_path(char *buf, size_t size)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if ((home == NULL || *home == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || (size_t)snprintf(buf, size, "%s/.ssectl_history",
	    home) >= size)
		return -1;
	return 0;
}

/* Append the lines of this session, creating the file (0600) if need be. */
static void
history_save(const char *path, int added)
{
	int fd;

	if (added == 0)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	if ((errno = append_history(added, path)) != 0 ||
	    (errno = history_truncate_file(path, SHELL_HISTORY_LINES)) != 0)
		fprintf(stderr, "ssectl: cannot save the history in %s: %s\n",
		    path, strerror(errno));
}

/*
 * One line of the shell: split, then run as a one-shot command would be.
 * 1 when the line is "exit" or "quit", blanks around it or not.
 */
static int
shell_run(struct ctl_ctx *ctx, char *line, int json)
{
	const struct ctl_cmd *cmd;
	char *words[SHELL_MAX_WORDS + 1];
	int n, rc;

	if ((n = split_words(line, words, SHELL_MAX_WORDS, 0)) <= 0) {
		if (n < 0)
			ctl_usage_error("unterminated quote, or too many "
			    "words");
		return 0;
	}
	if (n == 1 && (strcmp(words[0], "exit") == 0 ||
	    strcmp(words[0], "quit") == 0))
		return 1;
	words[n] = NULL;
	if ((cmd = ctl_cmd_find(words[0], 0)) == NULL)
		return 0;
	if (ctl_client_is_stale(&ctx->client))
		fprintf(stderr, "ssectl: ssed at %s closed the connection; "
		    "connecting again\n", ctx->client.path);
	ctx->json = json;
	rc = ctl_cmd_run(cmd, ctx, n, words);
	if (ctl_interrupted)
		putchar('\n');	/* after the ^C the terminal echoed */
	ctl_stdout_check();
	if (rc == CTL_EXIT_UNREACHABLE)
		fprintf(stderr, "ssectl: the next command will try to "
		    "connect again\n");
	return 0;
}

/*
 * Ctrl-C at the prompt: readline has shown ^C; drop the line and start
 * a fresh one, as sh does.
 */
static int
shell_on_signal(void)
{
	if (!ctl_interrupted)
		return 0;
	ctl_interrupted = 0;
	rl_replace_line("", 0);
	rl_crlf();
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

/*
 * The shell, until end of input (Ctrl-D) or "exit": always CTL_EXIT_OK,
 * as a command's failure is shown and the shell goes on.
 */
int
ctl_shell(struct ctl_ctx *ctx)
{
	char path[PATH_MAX], *prompt = NULL, *line;
	int json = ctx->json, added = 0, have_path;

	shell_ctx = ctx;
	rl_readline_name = "ssectl";
	rl_attempted_completion_function = shell_complete;
	rl_signal_event_hook = shell_on_signal;
	rl_basic_word_break_characters = " \t\n\"'";
	rl_completer_quote_characters = "\"'";
	rl_variable_bind("show-all-if-ambiguous", "on");
	have_path = history_path(path, sizeof(path)) == 0;
	if (have_path)
		read_history(path);
	if (asprintf(&prompt, "ssectl %s> ", ctx->socket) == -1)
		return ctl_nomem();
	/* Ctrl-C interrupts a command (tail, top), never the shell. */
	ctl_catch_signals(1);
	while ((line = readline(prompt)) != NULL) {
		ctl_interrupted = 0;
		if (line[strspn(line, " \t")] != '\0') {
			add_history(line);
			added++;
		}
		if (shell_run(ctx, line, json)) {
			free(line);
			break;
		}
		free(line);
	}
	if (line == NULL)
		putchar('\n');
	ctl_catch_signals(0);
	if (have_path)
		history_save(path, added);
	cands_reset();
	free(cands);
	free(prompt);
	return CTL_EXIT_OK;
}

/*
 * ssectl.h: the control CLI of ssed.
 *
 * ssectl.c owns the command line (global options, the command table, help);
 * each command lives in cmd_*.c as one struct ctl_cmd; ctl_client.c speaks
 * the control protocol over the Unix socket through libsseproto; output.c
 * and table.c turn replies into text and JSON; shell.c is the interactive
 * shell and cmd_top.c the live view.  Nothing here knows the broker's
 * internals: everything goes through the ops in sse_ctl_ops.def.
 */
#ifndef SSECTL_H
#define SSECTL_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <getopt.h>
#include <jansson.h>
#include <msgpack.h>

#include "sseproto.h"

/* Exit status, as documented in ssectl(1). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_USAGE = 1,		/* bad command line */
	CTL_EXIT_REFUSED = 2,		/* the daemon answered with an error */
	CTL_EXIT_UNREACHABLE = 3,	/* no connection, or it broke */
	CTL_EXIT_INTERRUPTED = 130,	/* SIGINT or SIGTERM while waiting */
};

/* Set by the SIGINT / SIGTERM handler; a wait for the daemon ends. */
extern volatile sig_atomic_t ctl_interrupted;

/* How long a reply may take before ssectl gives up on the daemon. */
#define CTL_REPLY_TIMEOUT_MS	30000

/* One connection to the control socket (ctl_client.c). */
struct ctl_client {
	const char		*path;
	int			 fd;
	uint64_t		 seq;		/* of the request in flight */
	int			 timeout_ms;	/* per reply; -1 waits forever */
	int			 quiet;		/* print no message (completion) */
	int			 mute_refused;	/* leave error replies to the
						   caller (ctl_client_refused) */
	struct sse_ctl_writer	 w;
	char			*rbuf;		/* bytes read, not yet consumed */
	size_t			 roff, rlen, rcap;
	msgpack_unpacked	 reply;		/* the last reply */
};

/* What every command gets: global options and the (lazy) connection. */
struct ctl_ctx {
	const char		*socket;
	int			 json;		/* --json */
	int			 human;		/* stdout is a terminal */
	struct ctl_client	 client;
};

/*
 * Parsed arguments of one command: its options in command-line order
 * (a repeated option appears once per use) and its positional words.
 * ssectl.c fills it from the command's option table, so a command's
 * exec never sees a malformed command line.
 */
struct ctl_arg {
	int		 key;		/* struct option val */
	const char	*value;		/* NULL for a flag */
};

struct ctl_args {
	struct ctl_arg	*opts;
	size_t		 nopts;
	char		**argv;		/* positional words */
	int		 argc;
};

/*
 * A command, as in tmux's cmd_entry.  usage is the whole synopsis, name
 * first; summary is one line, NULL for the summary of op as
 * sse_ctl_ops.def has it (ctl_cmd_summary); help (may be NULL) details
 * the options for "ssectl help NAME".
 * options is a getopt_long table (long names only; --json and --help are
 * added for every command), ended by a zeroed entry; it may be NULL.
 * exec runs with ctx->json set and the arguments checked against minargs /
 * maxargs (-1: no limit); it returns a CTL_EXIT_* code and has printed
 * any message.  complete says what the shell completes each positional
 * argument with, one CTL_COMPLETE_* letter per argument, a final '*'
 * repeating the letter before it; words are the fixed words of 'w'.
 */
#define CTL_COMPLETE_TOPIC	't'	/* a topic name, from the daemon */
#define CTL_COMPLETE_CONN	'c'	/* a connection id, from the daemon */
#define CTL_COMPLETE_COMMAND	'C'	/* a command name */
#define CTL_COMPLETE_WORD	'w'	/* one of the command's words */
#define CTL_COMPLETE_NONE	'-'
struct ctl_cmd {
	const char		*name;
	const char		*usage;
	const char		*summary;
	const char		*help;
	int			 op;	/* SSE_CTL_*, or SSE_CTL_NONE */
	const struct option	*options;
	int			 minargs;
	int			 maxargs;
	const char		*complete;
	const char *const	*words;
	int			(*exec)(const struct ctl_cmd *, struct ctl_ctx *,
				    const struct ctl_args *);
};

extern const struct ctl_cmd ctl_cmd_help;
extern const struct ctl_cmd ctl_cmd_history;
extern const struct ctl_cmd ctl_cmd_kick;
extern const struct ctl_cmd ctl_cmd_list;
extern const struct ctl_cmd ctl_cmd_notify;
extern const struct ctl_cmd ctl_cmd_reload;
extern const struct ctl_cmd ctl_cmd_show;
extern const struct ctl_cmd ctl_cmd_stats;
extern const struct ctl_cmd ctl_cmd_tail;
extern const struct ctl_cmd ctl_cmd_token;
extern const struct ctl_cmd ctl_cmd_top;
extern const struct ctl_cmd ctl_cmd_topics;
extern const struct ctl_cmd ctl_cmd_version;

/* Every command, NULL-terminated, in the order "ssectl help" lists them. */
extern const struct ctl_cmd *const ctl_cmds[];

/* ssectl.c */
int		 ctl_usage_error(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
int		 ctl_nomem(void);
int		 ctl_flush(void);
int		 ctl_stdout_check(void);
const char	*ctl_cmd_summary(const struct ctl_cmd *);
int		 ctl_args_has(const struct ctl_args *, int);
const char	*ctl_args_get(const struct ctl_args *, int);
const struct ctl_cmd *ctl_cmd_find(const char *, int);
int		 ctl_word_find(const struct ctl_cmd *, const char *);
int		 ctl_cmd_run(const struct ctl_cmd *, struct ctl_ctx *, int,
		    char **);
void		 ctl_catch_signals(int);
int		 ctl_parse_uint(const char *, const char *, uint64_t *);

/* shell.c */
int		 ctl_shell(struct ctl_ctx *);

/* ctl_client.c */
void		 ctl_client_init(struct ctl_client *, const char *);
void		 ctl_client_close(struct ctl_client *);
int		 ctl_client_connect(struct ctl_client *);
msgpack_packer	*ctl_client_request(struct ctl_client *, int, size_t);
int		 ctl_client_call(struct ctl_client *, const msgpack_object **);
int		 ctl_client_next(struct ctl_client *, const msgpack_object **);
void		 ctl_client_disconnect(struct ctl_client *);
int		 ctl_client_is_stale(struct ctl_client *);
int		 ctl_bad_reply(const struct ctl_client *, const char *);
void		 ctl_client_refused(const struct ctl_client *, const char *);
int		 ctl_call_simple(struct ctl_ctx *, int,
		    const msgpack_object **);

/* output.c */
/* The unit of a value, for people (ctl_fmt_unit). */
enum ctl_unit {
	CTL_UNIT_NONE,
	CTL_UNIT_AGE,		/* unix ms: time since, in seconds */
	CTL_UNIT_UNTIL,		/* unix ms: time until, 0 = never */
	CTL_UNIT_SECONDS,	/* a duration in s */
	CTL_UNIT_MS,		/* a duration in ms */
	CTL_UNIT_BYTES,
	CTL_UNIT_RATE,		/* per second */
};
json_t		*ctl_json_from_msgpack(const msgpack_object *);
int		 ctl_json_dump(const json_t *, size_t flags);
int		 ctl_json_print(const msgpack_object *);
int		 ctl_result_array(const struct ctl_client *,
		    const msgpack_object *, const char *,
		    const msgpack_object **);
char		*ctl_fmt_value(const msgpack_object *);
char		*ctl_fmt_unit(const struct ctl_ctx *, const msgpack_object *,
		    enum ctl_unit);
char		*ctl_fmt_cell(const struct ctl_ctx *, const msgpack_object *,
		    const char *, enum ctl_unit);
void		 ctl_fmt_duration(char *, size_t, uint64_t);
void		 ctl_fmt_bytes(char *, size_t, uint64_t);
uint64_t	 ctl_now_ms(void);

/* table.c */
/* A column: its title, and the field and unit of its cells. */
struct ctl_column {
	const char	*title;
	int		 right;		/* align right (numbers) */
	const char	*key;
	enum ctl_unit	 unit;
};
struct ctl_table;
struct ctl_table *ctl_table_new(const struct ctl_column *, size_t);
int		 ctl_table_add(struct ctl_table *, char **);
int		 ctl_table_add_map(struct ctl_table *, const struct ctl_ctx *,
		    const msgpack_object *);
void		 ctl_table_print(const struct ctl_table *, FILE *, int);
void		 ctl_table_free(struct ctl_table *);
int		 ctl_print_records(const struct ctl_ctx *,
		    const msgpack_object *, const char *,
		    const struct ctl_column *, size_t);
int		 ctl_print_kv(const struct ctl_ctx *, const msgpack_object *);
int		 ctl_print_map(const struct ctl_ctx *, const msgpack_object *);

#endif /* SSECTL_H */

/*
 * ssecat.h: the parts of ssecat, and what they share.
 *
 * ssecat is a thin front over libsseproto's parser and libcurl, as curl's
 * tool_*.c are over libcurl.  opts.c reads the command line; output.c
 * prints events in the chosen format; request.c builds what is sent and
 * reply.c reads what the server answered (status, Content-Type, the JSON
 * error in a body); stream.c connects, feeds the parser and reconnects,
 * as backoff.c says; utf8.c decodes the bytes first; filter.c picks the
 * events shown and the one that stops; state.c keeps the last id in a
 * file; ssecat.c owns the process: exit status, signals, messages on
 * stderr.
 */
#ifndef SSECAT_H
#define SSECAT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "sseproto.h"

/* Exit status, as documented in ssecat(1). */
enum {
	CAT_EXIT_OK = 0,	/* stop condition met, or the server sent 204 */
	CAT_EXIT_USAGE = 1,	/* bad command line */
	CAT_EXIT_FATAL = 2,	/* fatal HTTP status, or retrying cannot help */
	CAT_EXIT_GAVEUP = 3,	/* --max-retries failed reconnects in a row */
	CAT_EXIT_TIMEOUT = 4,	/* --timeout reached */
	CAT_EXIT_SIGNAL = 128,	/* plus the signal number: 130, 143 */
};

enum out_format {
	OUT_DATA,		/* each event's data, then a newline */
	OUT_RAW,		/* each event's block as received */
	OUT_JSON,		/* {"id","event","data"}, one per line */
};

/* The command line, read once; stream.c never changes it. */
struct opts {
	char			*url;		/* as normalised by curl_url */
	struct curl_slist	*headers;	/* -H, in order given */
	const char		*token;
	const char		*token_file;
	char			*token_buf;	/* read from token_file */
	const char		*last_id;	/* --last-event-id, or state */
	const char		*state;		/* --state FILE */
	char			*state_id;	/* read from state */
	const char		*types;		/* "a,b": shown; NULL: all */
	const char		*until_type;	/* --until TYPE */
	regex_t			 until_re;	/* --until data~REGEX */
	int			 until_re_set;
	long			 count;		/* -n; 0: no limit */
	long			 max_retries;	/* -1: no limit */
	int64_t			 timeout_ms;	/* 0: none */
	int64_t			 idle_ms;	/* 0: none */
	int64_t			 backoff_max_ms;
	enum out_format		 format;
	int			 data_json;	/* print data parsed as JSON */
	int			 quiet;		/* no output, no notes */
	int			 verbose;
	int			 insecure;
	const char		*cacert;
};

/*
 * ssecat.c: messages on stderr, all "ssecat: ..." on one line, coloured
 * when stderr is a terminal and NO_COLOR is unset or empty.
 */
void	msg_init(int quiet);
/* A status message (connected, reconnecting...); -q silences it. */
void	msg_note(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* An error; always shown. */
void	msg_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* A usage error, with the hint to --help; returns -1 for the caller. */
int	msg_usage(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* opts.c */
/*
 * Fill o from argv.  Returns 0 when ssecat should run; -1 when it should
 * exit at once with *exitp (after --help, --version or a usage error,
 * which has been reported).  opts_free releases o either way.
 */
int	opts_parse(struct opts *o, int argc, char *argv[], int *exitp);
void	opts_free(struct opts *o);
/* 1 when the user gave header name (any case) with -H, else 0. */
int	opts_has_header(const struct opts *o, const char *name);

/* filter.c: --types and --until. */
/* Check and keep arg; 0, or -1 after a usage error. */
int	filter_set_types(struct opts *o, const char *arg);
int	filter_set_until(struct opts *o, const char *arg);
/* 1 when --types lets events of type through, else 0. */
int	filter_is_shown(const struct opts *o, const char *type);
/* 1 when ev meets --until, else 0. */
int	filter_is_last(const struct opts *o, const struct sse_event *ev);
void	filter_free(struct opts *o);

/* state.c */
/*
 * Read --token-file and --state into o (token, last_id); 0, or -1 after
 * a message (a usage error: exit 1).
 */
int	state_load(struct opts *o);
/* Replace path with a file holding id, atomically; -1 with errno set. */
int	state_save(const char *path, const char *id);

/* utf8.c: the WHATWG UTF-8 decoder, streaming. */
struct utf8_dec {
	unsigned int	need;		/* continuation bytes expected */
	unsigned int	seen;		/* bytes of the sequence in seq */
	unsigned char	lower, upper;	/* bounds of the next byte */
	char		seq[4];
};
/* Room out needs for len bytes in. */
#define UTF8_DEC_MAX(len)	(3 * (len) + 4)

void	utf8_dec_init(struct utf8_dec *d);
/*
 * Decode len bytes of in into out (room for UTF8_DEC_MAX(len)); returns
 * the bytes written.  Bytes of an unfinished sequence are kept in d.
 */
size_t	utf8_dec_feed(struct utf8_dec *d, const char *in, size_t len,
	    char *out);
/*
 * The length of the well-formed UTF-8 sequence (one character) that
 * starts s, of len bytes; 0 when the bytes there are not one.
 */
size_t	utf8_seq_len(const char *s, size_t len);
/* 1 when the len bytes of s are well-formed UTF-8, else 0. */
int	utf8_is_valid(const char *s, size_t len);

/* output.c */
/*
 * Print ev on stdout as o says (nothing with -q) and flush, so a pipe
 * sees each event as it comes.  retry >= 0 is added to --json output.
 * Returns 0; 1 when --data-json finds no JSON in the data (reported, and
 * nothing printed); -1 with errno set (EPIPE, ENOMEM...).
 */
int	output_event(const struct opts *o, const struct sse_event *ev,
	    int64_t retry);

/* request.c */
/*
 * The headers of the next request: Accept, Cache-Control, Authorization
 * from --token, Last-Event-ID when id is not "", then -H.  A new list the
 * caller frees with curl_slist_free_all, or NULL when out of memory.
 */
struct curl_slist *request_headers(const struct opts *o, const char *id);
/*
 * Set the options of easy that hold for every connection: o's URL and
 * TLS choices, redirects (bounded), errbuf and the callbacks, each
 * called with arg.  0, or -1 when libcurl refuses one.
 */
int	request_setup(CURL *easy, const struct opts *o, char *errbuf,
	    curl_write_callback on_header, curl_write_callback on_body,
	    void *arg);
/*
 * url as status messages show it, with the value of a token= query
 * parameter hidden: those messages end up in CI logs.
 */
void	request_url_shown(char *buf, size_t size, const char *url);

/* reply.c: the response to one request, as it arrives. */
#define REPLY_BODY_MAX	(16 * 1024)

struct reply {
	long		 status;
	char		 reason[64];	/* from the status line; may be "" */
	char		 ctype[128];	/* Content-Type, "" when none */
	int		 location;	/* a Location to follow: curl does */
	int64_t		 retry_after_ms; /* Retry-After, or -1 */
	int		 final;		/* last response's headers are in */
	int		 sse;		/* 200 event stream: body to parser */
	char		*body;		/* error bodies only, NUL-terminated */
	size_t		 bodylen;
	int64_t		 last_rx;	/* monotonic ms of the last byte */
};

void	reply_init(struct reply *r);
void	reply_reset(struct reply *r);
/*
 * Feed one header line as libcurl gives it (line end included).  Returns
 * 1 when it ends the headers of the final response (not a 1xx, not a
 * redirect being followed), else 0.
 */
int	reply_header(struct reply *r, const char *line, size_t len);
/* 1 when the Content-Type is text/event-stream (any parameters). */
int	reply_is_sse(const struct reply *r);
/* Keep body bytes; -1 once REPLY_BODY_MAX is passed (enough to judge). */
int	reply_body(struct reply *r, const char *buf, size_t len);
/* "404 Not Found", or "HTTP 418" when no reason is known. */
void	reply_status_text(const struct reply *r, char *buf, size_t size);
/*
 * The "message" of a JSON error body, or of the JSON data of an SSE
 * error event in the body (as in a 429), made safe for a terminal.
 * A new string the caller frees, or NULL when there is none.
 */
char	*reply_message(const struct reply *r);
/*
 * Copy s into buf with each control character, C1 included, shown as
 * '?', and cut before a character that does not fit.
 */
void	reply_printable(char *buf, size_t size, const char *s, size_t len);

/* sink.c: what becomes of each event. */
struct sink {
	const struct opts	*o;
	int			 sigfd;		/* see stream_run */
	int			 exit;		/* -1 while running */
	int64_t			 retry_ms;	/* the server's retry:, >= 0 */
	int64_t			 retry_shown;	/* last "retry" in --json */
	long			 printed;	/* counted for -n */
	long			 events;	/* of this connection */
	char			*saved_id;	/* in --state */
	int			 state_warned;
};

/* retry_ms: the reconnection time until retry: says; -1: no memory. */
int	sink_init(struct sink *k, const struct opts *o, int sigfd,
	    int64_t retry_ms);
void	sink_free(struct sink *k);
/*
 * The parser's callbacks; arg is the sink.  sink_retry keeps ms, capped
 * at INT64_MAX (the parser saturates a huge retry: at ULONG_MAX).
 */
void	sink_event(const struct sse_event *ev, void *arg);
void	sink_retry(unsigned long ms, void *arg);
/* 1 (and k->exit set) when a signal came through sigfd, else 0. */
int	sink_signalled(struct sink *k);

/* backoff.c: what a failed attempt means, and how long to wait. */
/*
 * The hint to show when libcurl's error res cannot be mended by another
 * attempt (a bad URL, a bad --cacert file...), else NULL: refused
 * connections, DNS and TLS failures are all retried.
 */
const char *backoff_fatal_hint(CURLcode res);
/*
 * The wait before attempt number failures + 1: a uniform draw in
 * [0, base * 2^failures] ("full jitter", so that clients cut off
 * together do not come back together), where base is the server's
 * retry: (at least 100 ms), then Retry-After (retry_after_ms >= 0)
 * raises it; max_ms caps it all.
 */
int64_t	backoff_delay(int64_t retry_ms, long failures, int64_t retry_after_ms,
	    int64_t max_ms);

/* stream.c */
/*
 * Follow the stream described by o until a stop condition, printing its
 * events.  A byte on sigfd (written by a signal handler: the signal
 * number) stops it.  Returns the exit status.
 */
int	stream_run(const struct opts *o, int sigfd);

#endif /* SSECAT_H */

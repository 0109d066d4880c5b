/*
 * stream.c: follow one SSE stream with libcurl, reconnecting as needed.
 *
 * One easy handle, reused for every connection, runs in a multi handle,
 * so that a single curl_multi_poll waits for the socket, the --timeout
 * and --idle-timeout clocks and the signal pipe at once, without threads.
 * The parser lives as long as the program: the last event id survives
 * reconnects (it is the Last-Event-ID we send), while each connection
 * starts with a reset, so half an event is dropped, as EventSource does.
 * What is sent is request.c's, reading the answer reply.c's, printing
 * events output.c's.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ssecat.h"

/* EventSource's reconnection time until the server sends retry:. */
#define RETRY_DEFAULT_MS	3000
/* Backoff grows from retry:, but a "retry: 0" must not mean hammering. */
#define BACKOFF_BASE_MIN_MS	100
#define MAX_REDIRECTS		5L

enum conn_end {
	END_STOP,		/* s->exit says how ssecat ends */
	END_HEALTHY,		/* a stream we had ended: closed, cut or idle */
	END_FAILED,		/* no stream: network error, 429 or 5xx */
};

struct stream {
	const struct opts	*o;
	CURLM			*multi;
	CURL			*easy;
	struct sse_parser	*parser;
	int			 sigfd;
	int			 exit;		/* -1 while running */
	int64_t			 deadline;	/* --timeout; 0: none */
	unsigned long		 retry_ms;	/* the server's retry: */
	long			 failures;	/* in a row, since a stream */
	long			 printed;
	struct reply		 r;		/* of the current connection */
	char			 why[CURL_ERROR_SIZE + 128];
	char			 errbuf[CURL_ERROR_SIZE];
};

/*
 * Errors that another attempt cannot mend, each with what to do next;
 * everything else (refused, reset, DNS, TLS handshake...) is retried.
 */
static const struct {
	CURLcode	 code;
	const char	*hint;
} fatal_errors[] = {
	{ CURLE_UNSUPPORTED_PROTOCOL,	"" },
	{ CURLE_URL_MALFORMAT,		" (check the URL)" },
	{ CURLE_NOT_BUILT_IN,		"" },
	{ CURLE_TOO_MANY_REDIRECTS,	"" },
	{ CURLE_PEER_FAILED_VERIFICATION, " (see --cacert, or --insecure)" },
	{ CURLE_SSL_CACERT_BADFILE,	" (check --cacert)" },
	{ CURLE_SSL_CERTPROBLEM,	"" },
	{ CURLE_OUT_OF_MEMORY,		"" },
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 (and s->exit set) when a signal came through the pipe, else 0. */
static int
stream_signalled(struct stream *s)
{
	unsigned char	sig;

	if (read(s->sigfd, &sig, 1) != 1)
		return 0;
	s->exit = CAT_EXIT_SIGNAL + sig;
	return 1;
}

static void
on_event(const struct sse_event *ev, void *arg)
{
	struct stream	*s = arg;

	/* -n is reached: the rest of this chunk is not ours to print. */
	if (s->exit != -1)
		return;
	if (output_event(s->o->format, ev) == -1) {
		/* A closed pipe is the reader saying "enough", as for cat. */
		if (errno == EPIPE)
			s->exit = CAT_EXIT_SIGNAL + SIGPIPE;
		/* A signal cut a write to a slow reader: it wins. */
		else if (errno == EINTR && stream_signalled(s))
			return;
		else {
			msg_warn("stdout: %s", strerror(errno));
			s->exit = CAT_EXIT_FATAL;
		}
		return;
	}
	if (s->o->count > 0 && ++s->printed >= s->o->count)
		s->exit = CAT_EXIT_OK;
}

static void
on_retry(unsigned long ms, void *arg)
{
	struct stream	*s = arg;

	s->retry_ms = ms;
}

/*
 * The headers of the final response are in: a stream, a stop, or an
 * error status whose body will say more.  -1 aborts the transfer (then
 * s->exit is set).
 */
static int
stream_answered(struct stream *s)
{
	struct reply	*r = &s->r;
	char		*eff = NULL, url[1024], id[256];
	const char	*last;

	curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_URL, &eff);
	request_url_shown(url, sizeof(url), eff != NULL ? eff : s->o->url);
	if (r->status == 200 && reply_is_sse(r)) {
		r->sse = 1;
		s->failures = 0;
		msg_note("connected to %s", url);
		if (*(last = sse_parser_last_id(s->parser)) != '\0') {
			reply_printable(id, sizeof(id), last, strlen(last));
			msg_note("resuming after id %s", id);
		}
		return 0;
	}
	if (r->status == 204) {
		msg_note("204 No Content: the server ended the stream");
		s->exit = CAT_EXIT_OK;
		return -1;
	}
	if (r->status == 200) {
		msg_warn("%s answered %s%s, not text/event-stream "
		    "(is it an SSE endpoint?)", url,
		    *r->ctype != '\0' ? "with Content-Type " :
		    "without Content-Type", r->ctype);
		s->exit = CAT_EXIT_FATAL;
		return -1;
	}
	return 0;
}

static size_t
on_header(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct stream	*s = arg;
	size_t		 len = size * nmemb;

	s->r.last_rx = mono_ms();
	if (reply_header(&s->r, buf, len) == 1 && stream_answered(s) == -1)
		return 0;
	return len;
}

static size_t
on_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct stream	*s = arg;
	size_t		 len = size * nmemb;
	int		 rc;

	s->r.last_rx = mono_ms();
	if (!s->r.sse)
		return reply_body(&s->r, buf, len) == 0 ? len : 0;
	if ((rc = sse_parser_feed(s->parser, buf, len)) != 0) {
		msg_warn("%s", sse_strerror(rc));
		s->exit = CAT_EXIT_FATAL;
		return 0;
	}
	/*
	 * Once -n is reached, on_event drops the rest and stream_pump ends
	 * the transfer; failing here would only add a curl error to -v.
	 */
	return len;
}

/* 1 (and s->exit set) once --timeout has passed, else 0. */
static int
stream_timed_out(struct stream *s, int64_t now)
{
	if (s->deadline == 0 || now < s->deadline)
		return 0;
	msg_note("--timeout of %.1f s reached", s->o->timeout_ms / 1000.0);
	s->exit = CAT_EXIT_TIMEOUT;
	return 1;
}

/*
 * Wait up to ms for curl's sockets or a signal.  -1 when a signal came
 * (or polling failed): s->exit is then set.
 */
static int
stream_poll(struct stream *s, int64_t ms)
{
	struct curl_waitfd	wfd = {
		.fd = s->sigfd,
		.events = CURL_WAIT_POLLIN,
	};

	if (ms > INT_MAX)
		ms = INT_MAX;
	if (ms < 0)
		ms = 0;
	if (curl_multi_poll(s->multi, &wfd, 1, (int)ms, NULL) != CURLM_OK) {
		msg_warn("curl_multi_poll failed");
		s->exit = CAT_EXIT_FATAL;
		return -1;
	}
	return stream_signalled(s) ? -1 : 0;
}

/* Sleep ms, unless --timeout or a signal comes first (then -1). */
static int
stream_sleep(struct stream *s, int64_t ms)
{
	int64_t	now = mono_ms(), until = now + ms, wake;

	while (!stream_timed_out(s, now) && now < until) {
		wake = s->deadline != 0 && s->deadline < until ?
		    s->deadline : until;
		if (stream_poll(s, wake - now) == -1)
			return -1;
		now = mono_ms();
	}
	return s->exit == -1 ? 0 : -1;
}

/* The transfer is over: say why, and whether it was a stream. */
static enum conn_end
stream_judge(struct stream *s, CURLcode res)
{
	const char	*err = s->errbuf[0] != '\0' ? s->errbuf :
			    curl_easy_strerror(res);
	char		 status[96], *msg;
	size_t		 i;

	if (!s->r.final) {
		for (i = 0; i < sizeof(fatal_errors) / sizeof(fatal_errors[0]);
		    i++) {
			if (fatal_errors[i].code != res)
				continue;
			msg_warn("%s%s", err, fatal_errors[i].hint);
			s->exit = CAT_EXIT_FATAL;
			return END_STOP;
		}
		snprintf(s->why, sizeof(s->why), "%s", err);
		return END_FAILED;
	}
	if (s->r.sse) {
		if (res == CURLE_OK)
			snprintf(s->why, sizeof(s->why), "stream ended");
		else
			snprintf(s->why, sizeof(s->why), "connection lost: %s",
			    err);
		return END_HEALTHY;
	}
	reply_status_text(&s->r, status, sizeof(status));
	msg = reply_message(&s->r);
	if (s->r.status == 429 || s->r.status / 100 == 5) {
		snprintf(s->why, sizeof(s->why), "%s%s%s", status,
		    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		free(msg);
		return END_FAILED;
	}
	msg_warn("%s%s%s", status, msg != NULL ? ": " : "",
	    msg != NULL ? msg : "");
	free(msg);
	s->exit = CAT_EXIT_FATAL;
	return END_STOP;
}

/* Run the transfer until it ends, goes idle, or ssecat must stop. */
static enum conn_end
stream_pump(struct stream *s)
{
	const struct opts	*o = s->o;
	CURLMsg			*m;
	CURLcode		 res = CURLE_OK;
	int64_t			 now, wake;
	int			 running, left, done = 0;

	for (;;) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK) {
			msg_warn("curl_multi_perform failed");
			s->exit = CAT_EXIT_FATAL;
		}
		while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
			if (m->msg == CURLMSG_DONE) {
				res = m->data.result;
				done = 1;
			}
		}
		if (s->exit != -1)
			return END_STOP;
		if (done)
			return stream_judge(s, res);
		now = mono_ms();
		if (stream_timed_out(s, now))
			return END_STOP;
		wake = INT64_MAX;
		if (o->idle_ms > 0) {
			wake = s->r.last_rx + o->idle_ms;
			if (now >= wake) {
				snprintf(s->why, sizeof(s->why),
				    "no data for %.1f s", o->idle_ms / 1000.0);
				return s->r.sse ? END_HEALTHY : END_FAILED;
			}
		}
		if (s->deadline != 0 && s->deadline < wake)
			wake = s->deadline;
		if (stream_poll(s, wake == INT64_MAX ? INT_MAX : wake - now)
		    == -1)
			return END_STOP;
	}
}

/* One connection, from request to its end. */
static enum conn_end
stream_connect(struct stream *s)
{
	struct curl_slist	*hdrs;
	enum conn_end		 end = END_STOP;

	if ((hdrs = request_headers(s->o,
	    sse_parser_last_id(s->parser))) == NULL) {
		msg_warn("out of memory");
		s->exit = CAT_EXIT_FATAL;
		goto out;
	}
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdrs);
	sse_parser_reset(s->parser);
	reply_reset(&s->r);
	s->r.last_rx = mono_ms();
	s->errbuf[0] = '\0';
	if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK) {
		msg_warn("curl_multi_add_handle failed");
		s->exit = CAT_EXIT_FATAL;
		goto out;
	}
	end = stream_pump(s);
	curl_multi_remove_handle(s->multi, s->easy);
	/*
	 * A last block ended by a lone CR is only known to be whole now;
	 * it may be the -n'th event.
	 */
	if (s->r.sse && s->exit == -1 && sse_parser_end(s->parser) != 0) {
		msg_warn("out of memory");
		s->exit = CAT_EXIT_FATAL;
	}
	if (s->exit != -1)
		end = END_STOP;
out:
	curl_slist_free_all(hdrs);
	return end;
}

/*
 * Between two connections.  After a stream we had, wait what the server
 * asked (retry:), as EventSource does.  After f failures in a row, wait
 * a uniform draw in [0, retry * 2^f] ("full jitter": clients cut off
 * together do not all come back together).  No wait is longer than
 * --backoff-max, except that a server's Retry-After is honoured.
 * -1 when ssecat must stop instead (s->exit is set).
 */
static int
stream_wait(struct stream *s, enum conn_end end)
{
	const struct opts	*o = s->o;
	int64_t			 ms, ceiling;
	char			 tries[64] = "";
	long			 i;

	if (end == END_HEALTHY) {
		ms = (int64_t)s->retry_ms;
		if (ms > o->backoff_max_ms)
			ms = o->backoff_max_ms;
		msg_note("%s, reconnecting in %.1f s", s->why, ms / 1000.0);
		return stream_sleep(s, ms);
	}
	if (s->failures < LONG_MAX)
		s->failures++;
	if (o->max_retries >= 0 && s->failures > o->max_retries) {
		msg_warn("%s; giving up (--max-retries %ld)", s->why,
		    o->max_retries);
		s->exit = CAT_EXIT_GAVEUP;
		return -1;
	}
	ceiling = s->retry_ms > BACKOFF_BASE_MIN_MS ?
	    (int64_t)s->retry_ms : BACKOFF_BASE_MIN_MS;
	for (i = 0; i < s->failures && ceiling < o->backoff_max_ms; i++)
		ceiling *= 2;
	if (ceiling > o->backoff_max_ms)
		ceiling = o->backoff_max_ms;
	ms = (int64_t)(drand48() * (double)ceiling);
	if (s->r.retry_after_ms > ms)
		ms = s->r.retry_after_ms;
	if (o->max_retries >= 0)
		snprintf(tries, sizeof(tries), " (retry %ld of %ld)",
		    s->failures, o->max_retries);
	else
		snprintf(tries, sizeof(tries), " (retry %ld)", s->failures);
	msg_note("%s, reconnecting in %.1f s%s", s->why, ms / 1000.0, tries);
	return stream_sleep(s, ms);
}

/* The options of the easy handle that hold for every connection. */
static int
stream_setup(struct stream *s)
{
	const struct opts	*o = s->o;
	CURL			*e;

	if ((s->multi = curl_multi_init()) == NULL ||
	    (s->easy = e = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, o->url);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ssecat/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A proxy's "200 Connection established" is not the answer. */
	curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	/* A quiet stream over a dead link is only found by probing. */
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_VERBOSE, o->verbose ? 1L : 0L);
	if (o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
	return 0;
}

int
stream_run(const struct opts *o, int sigfd)
{
	struct stream		 s;
	struct sse_parser_cb	 cb = {
		.on_event = on_event,
		.on_retry = on_retry,
		.arg = &s,
	};
	enum conn_end		 end;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.sigfd = sigfd;
	s.exit = -1;
	s.retry_ms = RETRY_DEFAULT_MS;
	reply_init(&s.r);
	if (o->timeout_ms > 0)
		s.deadline = mono_ms() + o->timeout_ms;
	srand48((long)time(NULL) ^ (long)getpid() ^ (long)mono_ms());

	if ((s.parser = sse_parser_new(&cb)) == NULL ||
	    (o->last_id != NULL &&
	    sse_parser_set_last_id(s.parser, o->last_id) != 0)) {
		msg_warn("out of memory");
		s.exit = CAT_EXIT_FATAL;
		goto out;
	}
	if (stream_setup(&s) == -1) {
		msg_warn("cannot set up libcurl");
		s.exit = CAT_EXIT_FATAL;
		goto out;
	}
	while ((end = stream_connect(&s)) != END_STOP &&
	    stream_wait(&s, end) == 0)
		;
out:
	if (s.easy != NULL)
		curl_easy_cleanup(s.easy);
	if (s.multi != NULL)
		curl_multi_cleanup(s.multi);
	if (s.parser != NULL)
		sse_parser_free(s.parser);
	reply_reset(&s.r);
	return s.exit;
}

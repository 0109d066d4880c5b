/*
 * stream.c: follow one SSE stream with libcurl, reconnecting as needed.
 *
 * One easy handle, reused for every connection, runs in a multi handle,
 * so that a single curl_multi_poll waits for the socket, the --timeout
 * and --idle-timeout clocks and the signal pipe at once, without threads.
 * The parser lives as long as the program: the last event id survives
 * reconnects (it is the Last-Event-ID we send), while each connection
 * starts with a reset, so half an event is dropped, as EventSource does.
 * Bytes go through utf8.c's decoder (ASCII needs none) on their way to
 * the parser.  What is sent is request.c's, reading the answer reply.c's,
 * printing events output.c's, which events count filter.c's, how long to
 * wait backoff.c's.
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
/*
 * A stream is healthy, and ends a streak of failures, once it delivered
 * an event or stayed open this long: a server that accepts and hangs up
 * at once must meet backoff and --max-retries, not be hammered.
 */
#define HEALTHY_MS		10000

enum conn_end {
	END_STOP,		/* s->k.exit says how ssecat ends */
	END_HEALTHY,		/* a healthy stream ended (closed, cut, idle) */
	END_FAILED,		/* no stream (network error, 429, 5xx...) */
};

/*
 * What a failed attempt ran into, so that a streak of the same failure
 * is reported once: a libcurl code, or one of these plus a status.
 */
enum {
	FAIL_NONE = 0,
	FAIL_STATUS = 1000,	/* + the HTTP status */
	FAIL_EMPTY = 2000,	/* a stream that ended unhealthy */
	FAIL_IDLE,		/* --idle-timeout before the answer */
};

struct stream {
	const struct opts	*o;
	CURLM			*multi;
	CURL			*easy;
	struct sse_parser	*parser;
	int64_t			 deadline;	/* --timeout; 0: none */
	long			 failures;	/* in a row, since a stream */
	int			 fail;		/* FAIL_*: the last one */
	int			 fail_shown;	/* reported in this streak */
	int64_t			 connected;	/* when the stream began */
	struct utf8_dec		 dec;
	char			*ubuf;		/* decoded bytes */
	size_t			 ubufsize;
	struct reply		 r;		/* of the current connection */
	struct sink		 k;		/* the events, the exit */
	char			 why[CURL_ERROR_SIZE + 128];
	char			 errbuf[CURL_ERROR_SIZE];
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The headers of the final response are in: a stream, a stop, or an
 * error status whose body will say more.  -1 aborts the transfer (then
 * s->k.exit is set).
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
		s->connected = mono_ms();
		msg_note("connected to %s", url);
		if (*(last = sse_parser_last_id(s->parser)) != '\0') {
			reply_printable(id, sizeof(id), last, strlen(last));
			msg_note("resuming after id %s", id);
		}
		return 0;
	}
	if (r->status == 204) {
		msg_note("204 No Content: the server ended the stream");
		s->k.exit = CAT_EXIT_OK;
		return -1;
	}
	if (r->status == 200) {
		msg_warn("%s answered %s%s, not text/event-stream "
		    "(is it an SSE endpoint?)", url,
		    *r->ctype != '\0' ? "with Content-Type " :
		    "without Content-Type", r->ctype);
		s->k.exit = CAT_EXIT_FATAL;
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
	size_t		 len = size * nmemb, n;
	char		*p;
	int		 rc;

	s->r.last_rx = mono_ms();
	if (!s->r.sse)
		return reply_body(&s->r, buf, len) == 0 ? len : 0;
	/* A chunk of ASCII outside a sequence needs no decoding. */
	for (n = 0; s->dec.need == 0 && n < len; n++)
		if ((unsigned char)buf[n] >= 0x80)
			break;
	if (s->dec.need == 0 && n == len)
		rc = sse_parser_feed(s->parser, buf, len);
	else {
		if (UTF8_DEC_MAX(len) > s->ubufsize) {
			if ((p = realloc(s->ubuf, UTF8_DEC_MAX(len))) == NULL) {
				rc = SSE_ENOMEM;
				goto fail;
			}
			s->ubuf = p;
			s->ubufsize = UTF8_DEC_MAX(len);
		}
		rc = sse_parser_feed(s->parser, s->ubuf,
		    utf8_dec_feed(&s->dec, buf, len, s->ubuf));
	}
	if (rc != 0)
		goto fail;
	/*
	 * Once a stop is reached, sink_event drops the rest and stream_pump
	 * ends the transfer; failing here would only add a curl error to -v.
	 */
	return len;
fail:
	if (rc == SSE_ETOOBIG)
		msg_warn("an event larger than %u MiB: giving up",
		    SSE_PARSER_MAX_BLOCK >> 20);
	else
		msg_warn("%s", sse_strerror(rc));
	s->k.exit = CAT_EXIT_FATAL;
	return 0;
}

/* 1 (and s->k.exit set) once --timeout has passed, else 0. */
static int
stream_timed_out(struct stream *s, int64_t now)
{
	if (s->deadline == 0 || now < s->deadline)
		return 0;
	msg_note("--timeout of %.1f s reached", s->o->timeout_ms / 1000.0);
	s->k.exit = CAT_EXIT_TIMEOUT;
	return 1;
}

/*
 * Wait up to ms for curl's sockets or a signal.  -1 when a signal came
 * (or polling failed): s->k.exit is then set.
 */
static int
stream_poll(struct stream *s, int64_t ms)
{
	struct curl_waitfd	wfd = {
		.fd = s->k.sigfd,
		.events = CURL_WAIT_POLLIN,
	};

	if (ms > INT_MAX)
		ms = INT_MAX;
	if (ms < 0)
		ms = 0;
	if (curl_multi_poll(s->multi, &wfd, 1, (int)ms, NULL) != CURLM_OK) {
		msg_warn("curl_multi_poll failed");
		s->k.exit = CAT_EXIT_FATAL;
		return -1;
	}
	return sink_signalled(&s->k) ? -1 : 0;
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
	return s->k.exit == -1 ? 0 : -1;
}

/* A stream ended: healthy (see HEALTHY_MS), or one more failure. */
static enum conn_end
stream_ended(struct stream *s)
{
	size_t	n = strlen(s->why);

	if (s->k.events > 0 || mono_ms() - s->connected >= HEALTHY_MS)
		return END_HEALTHY;
	snprintf(s->why + n, sizeof(s->why) - n, " before any event");
	s->fail = FAIL_EMPTY;
	return END_FAILED;
}

/* The transfer is over: say why, and whether it was a stream. */
static enum conn_end
stream_judge(struct stream *s, CURLcode res)
{
	const char	*err = s->errbuf[0] != '\0' ? s->errbuf :
			    curl_easy_strerror(res);
	const char	*hint;
	char		 status[96], *msg;

	/*
	 * A transfer that went well ended with the last response, even one
	 * taken for a redirect that curl did not follow after all: judge
	 * its status, rather than a network error with no error.
	 */
	if (res == CURLE_OK)
		s->r.final = 1;
	if (!s->r.final) {
		if ((hint = backoff_fatal_hint(res)) != NULL) {
			msg_warn("%s%s", err, hint);
			s->k.exit = CAT_EXIT_FATAL;
			return END_STOP;
		}
		snprintf(s->why, sizeof(s->why), "%s%s", err,
		    res == CURLE_PEER_FAILED_VERIFICATION ?
		    " (see --cacert, or --insecure)" : "");
		s->fail = (int)res;
		return END_FAILED;
	}
	if (s->r.sse) {
		if (res == CURLE_OK)
			snprintf(s->why, sizeof(s->why), "stream ended");
		else
			snprintf(s->why, sizeof(s->why), "connection lost: %s",
			    err);
		return stream_ended(s);
	}
	reply_status_text(&s->r, status, sizeof(status));
	msg = reply_message(&s->r);
	snprintf(s->why, sizeof(s->why), "%s%s%s", status,
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	free(msg);
	if (s->r.status == 429 || s->r.status / 100 == 5) {
		s->fail = FAIL_STATUS + (int)s->r.status;
		return END_FAILED;
	}
	msg_warn("%s", s->why);
	s->k.exit = CAT_EXIT_FATAL;
	return END_STOP;
}

/*
 * A stream is over (or about to be retried): a last block ended by a
 * lone CR is only known to be whole now, and it may be the -n'th event,
 * or the one that makes the stream healthy.  -1 when ssecat must stop
 * (s->k.exit is set), else 0.
 */
static int
stream_parser_end(struct stream *s)
{
	if (s->r.sse && sse_parser_end(s->parser) != 0) {
		msg_warn("out of memory");
		s->k.exit = CAT_EXIT_FATAL;
	}
	return s->k.exit == -1 ? 0 : -1;
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
			s->k.exit = CAT_EXIT_FATAL;
		}
		while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
			if (m->msg == CURLMSG_DONE) {
				res = m->data.result;
				done = 1;
			}
		}
		if (s->k.exit != -1)
			return END_STOP;
		if (done)
			return stream_parser_end(s) == -1 ? END_STOP :
			    stream_judge(s, res);
		now = mono_ms();
		if (stream_timed_out(s, now))
			return END_STOP;
		wake = INT64_MAX;
		if (o->idle_ms > 0) {
			wake = s->r.last_rx + o->idle_ms;
			if (now >= wake) {
				snprintf(s->why, sizeof(s->why),
				    "no data for %.1f s", o->idle_ms / 1000.0);
				if (s->r.sse)
					return stream_parser_end(s) == -1 ?
					    END_STOP : stream_ended(s);
				s->fail = FAIL_IDLE;
				return END_FAILED;
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
		s->k.exit = CAT_EXIT_FATAL;
		goto out;
	}
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdrs);
	/*
	 * An unfinished UTF-8 sequence at the end of the last stream sat
	 * in an unfinished line, which the parser dropped: so start afresh.
	 */
	utf8_dec_init(&s->dec);
	sse_parser_reset(s->parser);
	s->k.events = 0;
	reply_reset(&s->r);
	s->r.last_rx = mono_ms();
	s->errbuf[0] = '\0';
	if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK) {
		msg_warn("curl_multi_add_handle failed");
		s->k.exit = CAT_EXIT_FATAL;
		goto out;
	}
	end = stream_pump(s);
	curl_multi_remove_handle(s->multi, s->easy);
out:
	curl_slist_free_all(hdrs);
	return end;
}

/*
 * Between two connections.  After a healthy stream, wait what the server
 * asked (retry:), as EventSource does, up to --backoff-max.  After a
 * failure, back off (backoff.c), and say so once per streak of the same
 * failure (each time with -v): a CI log wants to know that the server
 * is down, not once a second.  -1 when ssecat must stop instead
 * (s->k.exit is set).
 */
static int
stream_wait(struct stream *s, enum conn_end end)
{
	const struct opts	*o = s->o;
	int64_t			 ms;
	char			 tries[64] = "";

	if (end == END_HEALTHY) {
		s->failures = 0;
		s->fail_shown = FAIL_NONE;
		ms = s->k.retry_ms;
		if (ms > o->backoff_max_ms)
			ms = o->backoff_max_ms;
		msg_note("%s, reconnecting in %.1f s", s->why, ms / 1000.0);
		return stream_sleep(s, ms);
	}
	if (s->failures < LONG_MAX)
		s->failures++;
	if (o->max_retries >= 0 && s->failures > o->max_retries) {
		msg_warn("%s; giving up after %ld %s (--max-retries)",
		    s->why, s->failures - 1,
		    s->failures == 2 ? "retry" : "retries");
		s->k.exit = CAT_EXIT_GAVEUP;
		return -1;
	}
	ms = backoff_delay(s->k.retry_ms, s->failures,
	    s->r.retry_after_ms, o->backoff_max_ms);
	if (o->verbose) {
		if (o->max_retries >= 0)
			snprintf(tries, sizeof(tries), " (retry %ld of %ld)",
			    s->failures, o->max_retries);
		else
			snprintf(tries, sizeof(tries), " (retry %ld)",
			    s->failures);
		msg_note("%s, reconnecting in %.1f s%s", s->why, ms / 1000.0,
		    tries);
	} else if (s->fail != s->fail_shown)
		msg_note("%s; retrying with backoff (next in %.1f s)", s->why,
		    ms / 1000.0);
	s->fail_shown = s->fail;
	return stream_sleep(s, ms);
}

int
stream_run(const struct opts *o, int sigfd)
{
	struct stream		 s;
	struct sse_parser_cb	 cb = {
		.on_event = sink_event,
		.on_retry = sink_retry,
		.arg = &s.k,
	};
	enum conn_end		 end;

	memset(&s, 0, sizeof(s));
	s.o = o;
	reply_init(&s.r);
	if (o->timeout_ms > 0)
		s.deadline = mono_ms() + o->timeout_ms;
	srand48((long)time(NULL) ^ (long)getpid() ^ (long)mono_ms());

	if (sink_init(&s.k, o, sigfd, RETRY_DEFAULT_MS) == -1 ||
	    (s.parser = sse_parser_new(&cb)) == NULL ||
	    (o->last_id != NULL &&
	    sse_parser_set_last_id(s.parser, o->last_id) != 0)) {
		msg_warn("out of memory");
		s.k.exit = CAT_EXIT_FATAL;
		goto out;
	}
	if ((s.multi = curl_multi_init()) == NULL ||
	    (s.easy = curl_easy_init()) == NULL ||
	    request_setup(s.easy, o, s.errbuf, on_header, on_body, &s) == -1) {
		msg_warn("cannot set up libcurl");
		s.k.exit = CAT_EXIT_FATAL;
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
	sink_free(&s.k);
	free(s.ubuf);
	reply_reset(&s.r);
	return s.k.exit;
}

/*
 * reply.c: what the server answered to one request.
 *
 * stream.c hands over the header lines and, for an error status, the
 * body, as libcurl delivers them; this file reads the status, the
 * Content-Type and Retry-After, and finds the human message in ssed's
 * JSON errors.  No I/O, no policy: what to do about a 503 is stream.c's.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "ssecat.h"

/* HTTP/2 and HTTP/3 send no reason phrase: these fill the gap. */
static const struct {
	long		 status;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 410, "Gone" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

void
reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

void
reply_reset(struct reply *r)
{
	free(r->body);
	reply_init(r);
}

/*
 * What a terminal could take for a control: C0 and DEL, and C1 as UTF-8
 * (U+0080 to U+009F) or as a raw byte (0x9b is CSI to an 8-bit one), not
 * the continuation byte of a well-formed sequence.  The other bytes go
 * through, well-formed or not.
 */
void
reply_printable(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char	*u;
	size_t			 i, o = 0, n;
	int			 ctl;

	if (size == 0)
		return;
	for (i = 0; i < len; i += n) {
		u = (const unsigned char *)s + i;
		if ((n = utf8_seq_len(s + i, len - i)) == 0) {
			n = 1;
			ctl = *u < 0xa0;
		} else
			ctl = (n == 1 && (*u < 0x20 || *u == 0x7f)) ||
			    (n == 2 && *u == 0xc2 && u[1] < 0xa0);
		if ((ctl ? 1 : n) > size - 1 - o)
			break;
		if (ctl)
			buf[o++] = '?';
		else {
			memcpy(buf + o, s + i, n);
			o += n;
		}
	}
	buf[o] = '\0';
}

/* "HTTP/1.1 404 Not Found": a new response, forget the previous one. */
static void
reply_status_line(struct reply *r, const char *line, size_t len)
{
	const char	*p = line, *end = line + len;
	long		 status = 0;

	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	while (p < end && isdigit((unsigned char)*p))
		status = status * 10 + (*p++ - '0');
	while (p < end && *p == ' ')
		p++;
	free(r->body);
	reply_init(r);
	r->status = status;
	reply_printable(r->reason, sizeof(r->reason), p, (size_t)(end - p));
}

/* Retry-After is seconds, or an HTTP date. */
static void
reply_retry_after(struct reply *r, const char *v)
{
	char	*end;
	long	 sec;
	time_t	 when;

	sec = strtol(v, &end, 10);
	if (end != v && *end == '\0' && sec >= 0 && sec < 86400) {
		r->retry_after_ms = (int64_t)sec * 1000;
		return;
	}
	if ((when = curl_getdate(v, NULL)) != -1)
		r->retry_after_ms = when > time(NULL) ?
		    (int64_t)(when - time(NULL)) * 1000 : 0;
}

int
reply_header(struct reply *r, const char *line, size_t len)
{
	const char	*colon;
	char		 buf[256], *v;
	size_t		 n;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0) {
		/* Curl goes on to the next response after these. */
		if (r->status / 100 == 1 ||
		    (r->status / 100 == 3 && r->location))
			return 0;
		r->final = 1;
		return 1;
	}
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		reply_status_line(r, line, len);
		return 0;
	}
	/* Only short headers matter here; longer ones are not ours. */
	if (len >= sizeof(buf) || (colon = memchr(line, ':', len)) == NULL)
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	n = (size_t)(colon - line);
	buf[n] = '\0';
	for (v = buf + n + 1; *v == ' ' || *v == '\t'; v++)
		;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	if (strcasecmp(buf, "Content-Type") == 0)
		reply_printable(r->ctype, sizeof(r->ctype), v, n);
	else if (strcasecmp(buf, "Location") == 0)
		/* Curl ignores an empty one, and stops at its 3xx. */
		r->location = n > 0;
	else if (strcasecmp(buf, "Retry-After") == 0)
		reply_retry_after(r, v);
	return 0;
}

int
reply_is_sse(const struct reply *r)
{
	static const char	 sse[] = "text/event-stream";
	size_t			 n = sizeof(sse) - 1;

	return strncasecmp(r->ctype, sse, n) == 0 &&
	    strchr("; \t", r->ctype[n]) != NULL;
}

int
reply_body(struct reply *r, const char *buf, size_t len)
{
	char	*p;

	if (len > REPLY_BODY_MAX - r->bodylen)
		len = REPLY_BODY_MAX - r->bodylen;
	if ((p = realloc(r->body, r->bodylen + len + 1)) == NULL)
		return -1;
	r->body = p;
	memcpy(r->body + r->bodylen, buf, len);
	r->bodylen += len;
	r->body[r->bodylen] = '\0';
	return r->bodylen < REPLY_BODY_MAX ? 0 : -1;
}

void
reply_status_text(const struct reply *r, char *buf, size_t size)
{
	const char	*reason = r->reason;
	size_t		 i;

	for (i = 0; *reason == '\0' && i < sizeof(reasons) /
	    sizeof(reasons[0]); i++)
		if (reasons[i].status == r->status)
			reason = reasons[i].reason;
	if (*reason == '\0')
		snprintf(buf, size, "HTTP %ld", r->status);
	else
		snprintf(buf, size, "%ld %s", r->status, reason);
}

/* The "message" of a JSON object in s (len bytes), or NULL. */
static char *
json_message(const char *s, size_t len)
{
	json_t		*j;
	const char	*msg;
	char		*out = NULL;
	size_t		 n;

	if ((j = json_loadb(s, len, 0, NULL)) == NULL)
		return NULL;
	if ((msg = json_string_value(json_object_get(j, "message"))) != NULL &&
	    *msg != '\0') {
		n = json_string_length(json_object_get(j, "message"));
		if ((out = malloc(n + 1)) != NULL)
			reply_printable(out, n + 1, msg, n);
	}
	json_decref(j);
	return out;
}

/* The parser's callback: the message of the first event that has one. */
static void
reply_on_event(const struct sse_event *ev, void *arg)
{
	char	**msgp = arg;

	if (*msgp == NULL)
		*msgp = json_message(ev->data, ev->datalen);
}

/*
 * ssed answers errors with a JSON body, except the 429 of a stream
 * endpoint, whose body is an SSE "error" event with JSON data: look at
 * the whole body first, then at the data of each event in it.
 */
char *
reply_message(const struct reply *r)
{
	struct sse_parser_cb	 cb;
	struct sse_parser	*p;
	char			*msg = NULL;

	if (r->body == NULL)
		return NULL;
	if ((msg = json_message(r->body, r->bodylen)) != NULL)
		return msg;
	memset(&cb, 0, sizeof(cb));
	cb.on_event = reply_on_event;
	cb.arg = &msg;
	if ((p = sse_parser_new(&cb)) == NULL)
		return NULL;
	if (sse_parser_feed(p, r->body, r->bodylen) == 0)
		(void)sse_parser_end(p);
	sse_parser_free(p);
	return msg;
}

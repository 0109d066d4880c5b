/*
 * log.c: timestamped log lines on stderr.  The daemon runs in the
 * foreground; a supervisor (systemd, runit) owns where stderr goes.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"

static int log_json;
static int log_verbose;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_init(int json, int verbose)
{
	log_json = json;
	log_verbose = verbose;
}

static void
timestamp(char ts[64])
{
	struct timespec	 now;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
}

/*
 * Append s to line[len..size) with control characters (and, when high is
 * set, bytes past ASCII) as \xNN, so that a client_id or a token's subject
 * holding a newline cannot forge a log line; the new length, < size.
 */
static size_t
put_escaped(char *line, size_t size, size_t len, const char *s, int high)
{
	for (; *s != '\0' && len + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (high && c >= 0x80))
			len += (size_t)snprintf(line + len, size - len,
			    "\\x%02x", c);
		else
			line[len++] = (char)c;
	}
	line[len] = '\0';
	return len;
}

/* A JSON string of s; one that is not UTF-8 is kept, escaped. */
static json_t *
json_str(const char *s)
{
	char	 buf[1024];
	json_t	*v;

	if ((v = json_string(s)) == NULL) {
		put_escaped(buf, sizeof(buf), 0, s, 1);
		v = json_string(buf);
	}
	return v;
}

/* A count as an integer (1, not 1.0: some decoders refuse that). */
static json_t *
json_num(double v)
{
	if (v > -9e15 && v < 9e15 && v == (double)(json_int_t)v)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static void
emit_json(json_t *o)
{
	char *s;

	if (o != NULL && (s = json_dumps(o, JSON_COMPACT)) != NULL) {
		fprintf(stderr, "%s\n", s);
		free(s);
	}
	json_decref(o);
}

void
log_fields(enum log_level lvl, const char *what, const struct log_field *f,
    size_t n)
{
	char	 line[2048], ts[64];
	size_t	 i, len;
	json_t	*o;

	if (lvl == LOG_LVL_DEBUG && !log_verbose)
		return;
	timestamp(ts);
	if (log_json) {
		o = json_pack("{s:s, s:s, s:o}", "time", ts,
		    "level", level_names[lvl], "msg", json_str(what));
		for (i = 0; o != NULL && i < n; i++)
			json_object_set_new(o, f[i].key, f[i].str != NULL ?
			    json_str(f[i].str) : json_num(f[i].num));
		emit_json(o);
		return;
	}
	len = put_escaped(line, sizeof(line), 0, what, 0);
	for (i = 0; i < n && len + 1 < sizeof(line); i++) {
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=",
		    f[i].key);
		if (len >= sizeof(line))
			break;
		if (f[i].str != NULL)
			len = put_escaped(line, sizeof(line), len, f[i].str, 0);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			    "%.15g", f[i].num);
	}
	fprintf(stderr, "%s ssed[%s]: %s\n", ts, level_names[lvl], line);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char	 msg[2048];
	va_list	 ap;

	if (lvl == LOG_LVL_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fields(lvl, msg, NULL, 0);
}

/*
 * log.c: timestamped log lines on stderr.  The daemon runs in the
 * foreground; a supervisor (systemd, runit) owns where stderr goes.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
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

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char		 msg[2048], ts[64];
	struct timespec	 now;
	struct tm	 tm;
	va_list		 ap;

	if (lvl == LOG_LVL_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);

	if (log_json) {
		json_t	*o;
		char	*s;

		o = json_pack("{s:s, s:s, s:s}", "time", ts,
		    "level", level_names[lvl], "msg", msg);
		if (o != NULL && (s = json_dumps(o, JSON_COMPACT)) != NULL) {
			fprintf(stderr, "%s\n", s);
			free(s);
		}
		json_decref(o);
	} else
		fprintf(stderr, "%s ssed[%s]: %s\n", ts, level_names[lvl], msg);
}

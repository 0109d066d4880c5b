/*
 * sub_timers.c: what happens to subscribers with time: heartbeats, the
 * write timeout of stalled subscribers, and the shutdown farewell.
 *
 * A heartbeat is one shared frame per tick (": ping" on topic streams, a
 * typed ping with a timestamp on the per-user stream); the write-timeout
 * check walks only the stalled subscribers, never all of them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "log.h"
#include "subscriber.h"

static struct loop_timer heartbeat_timer, stall_timer;
static int64_t		 heartbeat_period;	/* ms, as the timer is armed */
static struct frame	*comment_ping;

/* event: ping / data: {"timestamp":"<RFC 3339 UTC>"}, no id. */
static struct frame *
typed_ping(void)
{
	char		 data[64], ts[32];
	struct sse_msg	 m = { .event = "ping", .retry = -1 };
	time_t		 now = (time_t)(loop_wallclock() / 1000);
	struct tm	 tm;
	int		 err;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(data, sizeof(data), "{\"timestamp\":\"%s\"}", ts);
	m.data = data;
	m.datalen = strlen(data);
	return frame_encode(&m, &err);
}

static void
heartbeat(struct loop_timer *t)
{
	struct frame	*tp = NULL;
	struct sub	*s, *next;

	for (s = sub_first(); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (s->state != SUB_LIVE)
			continue;
		if (s->kind == SUB_UPDATES) {
			if (comment_ping != NULL)	/* NULL: out of memory */
				sub_send_frame(s, comment_ping);
			continue;
		}
		if (s->types != 0 && (s->types & SUB_T_PING) == 0)
			continue;
		if (tp == NULL && (tp = typed_ping()) == NULL)
			continue;
		sub_send_frame(s, tp);
	}
	frame_unref(tp);
	loop_timer_set(t, broker.cfg.heartbeat_ms);
}

static void
stall_check(struct loop_timer *t)
{
	int64_t		 now = loop_now();
	struct sub	*s, *next;

	for (s = sub_stalled_first(); s != NULL; s = next) {
		next = LIST_NEXT(s, sentry);
		if (s->owned && broker.cfg.write_timeout_ms > 0 &&
		    now - s->stalled_since >= broker.cfg.write_timeout_ms) {
			sub_abort(s, CLOSE_WRITE_TIMEOUT);
		}
	}
	if (sub_stalled_first() != NULL && broker.cfg.write_timeout_ms > 0)
		loop_timer_set(t, 1000);
}

void
sub_stall_watch(void)
{
	if (stall_timer.when == 0 && broker.cfg.write_timeout_ms > 0)
		loop_timer_set(&stall_timer, 1000);
}

void
sub_timers_start(void)
{
	static const char ping[] = ": ping\n\n";

	if (comment_ping == NULL)
		comment_ping = frame_new(ping, sizeof(ping) - 1);
	heartbeat_timer.cb = heartbeat;
	stall_timer.cb = stall_check;
	/* A --write-timeout set by a reload applies to streams stalled now. */
	if (sub_stalled_first() != NULL)
		sub_stall_watch();
	/*
	 * A reload that keeps the period keeps the beat: reloads every few
	 * seconds must not put heartbeats off for good.
	 */
	if (broker.cfg.heartbeat_ms <= 0)
		loop_timer_stop(&heartbeat_timer);
	else if (heartbeat_timer.when == 0 ||
	    broker.cfg.heartbeat_ms != heartbeat_period) {
		loop_timer_set(&heartbeat_timer, broker.cfg.heartbeat_ms);
		heartbeat_period = broker.cfg.heartbeat_ms;
	}
}

void
sub_timers_stop(void)
{
	loop_timer_stop(&heartbeat_timer);
	loop_timer_stop(&stall_timer);
	frame_unref(comment_ping);
	comment_ping = NULL;
}

void
sub_close_all(int reason)
{
	static const char bye[] = "retry: 1000\n\n";
	struct frame	*f = frame_new(bye, sizeof(bye) - 1);
	struct sub	*s, *next;

	for (s = sub_first(); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		sub_close_with(s, f, reason);
	}
	frame_unref(f);
}

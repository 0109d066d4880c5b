/*
 * http_metrics.c: GET /metrics in the Prometheus text format (0.0.4).
 * The names of CONTRACT section 2, and a few more.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSED_HTTP_INTERNAL
#include "broker.h"
#include "control.h"
#include "http.h"
#include "subscriber.h"
#include "topic.h"

struct out {
	char	*buf;
	size_t	 len, cap;
	int	 failed;
};

static void
out_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		{
			size_t	 ncap = o->cap * 2 + (size_t)n + 1;
			char	*nb = realloc(o->buf, ncap);

			if (nb == NULL) {
				o->failed = 1;
				return;
			}
			o->buf = nb;
			o->cap = ncap;
		}
	}
}

static void
metric(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
connections(struct out *o)
{
	struct sub	*s;
	unsigned	 n[2] = { 0, 0 };

	for (s = sub_first(); s != NULL; s = LIST_NEXT(s, entry))
		if (sub_is_active(s))
			n[s->kind == SUB_EVENTS]++;
	metric(o, "ssed_connections", "gauge", "open event streams");
	out_printf(o, "ssed_connections{endpoint=\"updates\"} %u\n"
	    "ssed_connections{endpoint=\"events\"} %u\n", n[0], n[1]);
}

enum MHD_Result
http_metrics(struct MHD_Connection *c)
{
	static const unsigned	 codes[] = { 200, 204, 400, 401, 403, 404,
				    405, 413, 429, 500, 503 };
	const struct broker_stats *st = &broker.stats;
	const struct {
		const char	*name, *type, *help;
		const uint64_t	*value;
	} simple[] = {
		{ "ssed_connections_opened_total", "counter", "streams opened",
		    &st->connections_total },
		{ "ssed_events_published_total", "counter", "events published",
		    &st->events_published },
		{ "ssed_events_delivered_total", "counter",
		    "events handed to subscribers", &st->events_delivered },
		{ "ssed_bytes_sent_total", "counter",
		    "stream bytes written to sockets", &st->bytes_sent },
		{ "ssed_replays_total", "counter", "streams resumed from an id",
		    &st->replays },
		{ "ssed_replays_incomplete_total", "counter",
		    "resumes that could not replay everything",
		    &st->replays_incomplete },
		{ "ssed_kicks_total", "counter", "streams kicked", &st->kicks },
		{ "ssed_queue_high_water_bytes", "gauge",
		    "largest output queue of any subscriber so far",
		    &st->queue_high_water },
	};
	struct MHD_Response	*r;
	struct out		 o = { .cap = 4096 };
	const char		*code;
	size_t			 i;

	if ((o.buf = malloc(o.cap)) == NULL)
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL",
		    "out of memory");
	connections(&o);
	metric(&o, "ssed_connections_closed_total", "counter",
	    "streams ended, by reason");
	for (i = 0; i < CLOSE_NREASONS; i++)
		out_printf(&o, "ssed_connections_closed_total{reason=\"%s\"} "
		    "%llu\n", close_reason_names[i],
		    (unsigned long long)st->closed[i]);
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		metric(&o, simple[i].name, simple[i].type, simple[i].help);
		out_printf(&o, "%s %llu\n", simple[i].name,
		    (unsigned long long)*simple[i].value);
	}
	metric(&o, "ssed_topics", "gauge", "topics known");
	out_printf(&o, "ssed_topics %zu\n", topic_count());
	metric(&o, "ssed_auth_failures_total", "counter",
	    "requests refused for their token, by code");
	for (i = 0; (code = http_auth_code(i)) != NULL; i++)
		out_printf(&o, "ssed_auth_failures_total{code=\"%s\"} %llu\n",
		    code, http_auth_failures(code));
	metric(&o, "ssed_http_responses_total", "counter",
	    "HTTP answers by status");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		out_printf(&o, "ssed_http_responses_total{code=\"%u\"} %llu\n",
		    codes[i], http_status_count(codes[i]));
	metric(&o, "ssed_control_clients", "gauge", "control socket clients");
	out_printf(&o, "ssed_control_clients %u\n", control_nclients());
	if (o.failed) {
		free(o.buf);
		return http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL",
		    "out of memory");
	}
	r = MHD_create_response_from_buffer(o.len, o.buf,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(o.buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
	    "text/plain; version=0.0.4");
	return http_queue(c, MHD_HTTP_OK, r);
}

/*
 * report.c: turn what a run measured into a readable report and one
 * "RESULT k=v ..." line (bench/run.sh builds its table from those).
 * The exit status says whether the run was clean: 0, or 3 when streams
 * failed, events were lost or malformed, publishes failed (a publisher
 * that cannot connect included) or none was answered, or the run hit
 * --duration.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sseload.h"

#define W32(f)	workers_sum32(offsetof(struct worker, f))
#define W64(f)	workers_sum(offsetof(struct worker, f))

/* First and last receipt over every thread (monotonic ns, 0 if none). */
static void
receipt_window(uint64_t *first, uint64_t *last)
{
	uint64_t f, l;
	uint32_t k;

	*first = *last = 0;
	for (k = 0; k < L.nthreads; k++) {
		f = atomic_load(&L.w[k].t_first);
		l = atomic_load(&L.w[k].t_last);
		if (f != 0 && (*first == 0 || f < *first))
			*first = f;
		if (l > *last)
			*last = l;
	}
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

int
report(const struct run *r)
{
	struct hist lat, conn;
	uint64_t received, lost, bad, first, last;
	uint32_t est, failed, dropped, k;
	double conn_s, sub_b, idle_cpu, pub_s, deliv_s, srv_cpu, tool_cpu;
	double wall;

	memset(&lat, 0, sizeof(lat));
	memset(&conn, 0, sizeof(conn));
	for (k = 0; k < L.nthreads; k++) {
		hist_merge(&lat, &L.w[k].lat);
		hist_merge(&conn, &L.w[k].conn_lat);
	}
	est = W32(established);
	failed = W32(failed);
	dropped = W32(dropped);
	received = W64(received);
	bad = W64(bad);
	lost = r->expected > received ? r->expected - received : 0;
	receipt_window(&first, &last);
	if (r->pub.t_start != 0)
		first = r->pub.t_start;
	conn_s = (double)(r->t_connected - r->t_begin) / 1e9;
	sub_b = ratio(((double)r->ps_open.rss_kb - r->ps_before.rss_kb) *
	    1024.0, est);
	idle_cpu = r->hold_s > 0 ? r->ps_held.cpu_s - r->ps_open.cpu_s : 0;
	/* t_end is set by the first answer: none, no publishing time. */
	pub_s = r->pub.t_end > r->pub.t_start ?
	    (double)(r->pub.t_end - r->pub.t_start) / 1e9 : 0;
	deliv_s = last > first ? (double)(last - first) / 1e9 : 0;
	srv_cpu = r->ps_pub1.cpu_s - r->ps_pub0.cpu_s;
	tool_cpu = r->tool1 - r->tool0;
	wall = (double)(r->t_end - r->t_pub) / 1e9;

	printf("== sseload %s%s%s\n", L.label, L.pids ? "  server pids " : "",
	    L.pids ? L.pids : "");
	if (L.nsubs > 0)
		printf("streams  : %u asked, %u open, %u failed, %u closed by "
		    "the server; opened in %.2f s, connect->head p50 %.2f "
		    "p99 %.2f ms (%u threads)\n", L.nsubs, est, failed, dropped,
		    conn_s, hist_pct_ms(&conn, 50), hist_pct_ms(&conn, 99),
		    L.nthreads);
	if (L.pids && L.nsubs > 0)
		printf("memory   : server RSS %" PRIu64 " -> %" PRIu64 " KiB "
		    "with the streams open = %.0f B/stream; %" PRIu64 " KiB "
		    "at the end\n", r->ps_before.rss_kb, r->ps_open.rss_kb,
		    sub_b, r->ps_pub1.rss_kb);
	if (L.pids && r->hold_s > 0)
		printf("idle     : server CPU %.3f s over %.1f s held "
		    "(%.2f%% of a core)\n", idle_cpu, r->hold_s,
		    100 * ratio(idle_cpu, r->hold_s));
	if (L.events > 0)
		printf("publish  : %" PRIu64 " requests (%" PRIu64 " events), "
		    "%" PRIu64 " answered, %" PRIu64 " errors in %.3f s = "
		    "%.0f answers/s, %.0f events/s; answer p50 %.2f p99 %.2f "
		    "max %.2f ms\n", r->pub.requests, r->pub.events_sent,
		    r->pub.acked, r->pub.errors, pub_s, ratio(r->pub.acked,
		    pub_s), ratio(r->pub.events_acked, pub_s),
		    hist_pct_ms(&r->pub.ack, 50), hist_pct_ms(&r->pub.ack, 99),
		    hist_pct_ms(&r->pub.ack, 100));
	if (r->expected > 0 || received > 0)
		printf("delivery : expected %" PRIu64 " (server counted %"
		    PRIu64 "), received %" PRIu64 ", lost %" PRIu64 ", "
		    "malformed %" PRIu64 ", before publishing %" PRIu64 "; "
		    "%.0f deliveries/s over %.3f s\n", r->expected,
		    r->pub.server_subs, received, lost, bad, W64(early),
		    ratio(received, deliv_s), deliv_s);
	if (lat.n > 0)
		printf("latency  : p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max "
		    "%.2f ms over %" PRIu64 " events\n", hist_pct_ms(&lat, 50),
		    hist_pct_ms(&lat, 90), hist_pct_ms(&lat, 99),
		    hist_pct_ms(&lat, 99.9), hist_pct_ms(&lat, 100), lat.n);
	if (received > 0 || L.events > 0)
		printf("cpu      : server %.2f s (%.2f us/delivery), sseload "
		    "%.2f s, over %.2f s\n", srv_cpu, ratio(srv_cpu * 1e6,
		    received), tool_cpu, wall);
	if (r->timed_out)
		printf("note     : --duration ended the run\n");
	if (L.events > 0 && r->pub.acked == 0)
		printf("note     : no publish was answered\n");

	printf("RESULT label=%s subs=%u est=%u failed=%u dropped=%u "
	    "conn_s=%.3f conn_p99_ms=%.3f rss0_kb=%" PRIu64 " rss1_kb=%"
	    PRIu64 " rss_end_kb=%" PRIu64 " b_per_sub=%.0f hold_s=%.2f "
	    "idle_cpu_s=%.3f requests=%" PRIu64 " acked=%" PRIu64
	    " pub_err=%" PRIu64 " pub_events=%" PRIu64 " pub_s=%.3f "
	    "acks_per_s=%.0f pub_ev_per_s=%.0f ack_p50_ms=%.3f "
	    "ack_p99_ms=%.3f expected=%" PRIu64 " srv_subs=%" PRIu64
	    " received=%" PRIu64 " lost=%" PRIu64 " bad=%" PRIu64
	    " deliv_s=%.3f deliv_per_s=%.0f lat_p50_ms=%.3f lat_p99_ms=%.3f "
	    "lat_max_ms=%.3f srv_cpu_s=%.3f us_per_deliv=%.3f tool_cpu_s=%.3f "
	    "wall_s=%.3f timed_out=%d\n", L.label, L.nsubs, est, failed,
	    dropped, conn_s, hist_pct_ms(&conn, 99), r->ps_before.rss_kb,
	    r->ps_open.rss_kb, r->ps_pub1.rss_kb, sub_b, r->hold_s, idle_cpu,
	    r->pub.requests, r->pub.acked, r->pub.errors, r->pub.events_acked,
	    pub_s, ratio(r->pub.acked, pub_s), ratio(r->pub.events_acked,
	    pub_s), hist_pct_ms(&r->pub.ack, 50), hist_pct_ms(&r->pub.ack, 99),
	    r->expected, r->pub.server_subs, received, lost, bad, deliv_s,
	    ratio(received, deliv_s), hist_pct_ms(&lat, 50),
	    hist_pct_ms(&lat, 99), hist_pct_ms(&lat, 100), srv_cpu,
	    ratio(srv_cpu * 1e6, received), tool_cpu, wall, r->timed_out);
	fflush(stdout);
	return r->timed_out || failed > 0 || dropped > 0 || lost > 0 ||
	    bad > 0 || r->pub.errors > 0 ||
	    (L.events > 0 && r->pub.acked == 0) ? 3 : 0;
}

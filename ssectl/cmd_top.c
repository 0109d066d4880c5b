/*
 * cmd_top.c: "ssectl top", a live view of the broker, like top(1).
 *
 * Every interval it asks for stats, list and topics, and shows rates
 * computed from two successive stats (events in and out, bytes out),
 * connections by topic and by user, and the subscribers with queued
 * output.  On a terminal it redraws one screen with plain ANSI escapes,
 * reading keys in cbreak mode ('q' quits) and restoring the terminal on
 * every way out; otherwise it prints one line (or JSON object) per
 * interval, for logs and tests.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ssectl.h"

#define TOP_MAX_ROWS	64	/* kept per section, most first */

/* Short options too, as top(1) has them: -d and -n. */
enum {
	OPT_DELAY = 'd',
	OPT_COUNT = 'n',
};

static const struct option top_options[] = {
	{ "delay",	required_argument,	NULL,	OPT_DELAY },
	{ "count",	required_argument,	NULL,	OPT_COUNT },
	{ NULL,		0,			NULL,	0 }
};

struct top_row {
	char		 name[64];
	char		 extra[64];
	uint64_t	 n;		/* what rows are sorted by */
	double		 x;
};

struct top_section {
	struct top_row	 rows[TOP_MAX_ROWS];
	size_t		 nrows;
};

/* The counters of stats; rates are the difference of two samples. */
enum { C_CONNS, C_TOPICS, C_PUBLISHED, C_DELIVERED, C_BYTES, C_KICKS,
    C_UPTIME, NCOUNTERS };
static const char *const counter_keys[NCOUNTERS] = { "connections",
    "topics", "events_published", "events_delivered", "bytes_sent", "kicks",
    "uptime" };

struct top_sample {
	uint64_t		 c[NCOUNTERS];
	uint64_t		 at_ms;
	char			 version[32];
	struct top_section	 topics, users, queued;
	uint64_t		 nqueued;	/* subscribers with queued bytes */
};

/* Add n to the row named name, or keep it among the TOP_MAX_ROWS most. */
static void
section_add(struct top_section *s, const char *name, const char *extra,
    uint64_t n, double x)
{
	struct top_row *r = NULL;
	size_t i;

	for (i = 0; i < s->nrows && extra == NULL; i++)
		if (strcmp(s->rows[i].name, name) == 0) {
			s->rows[i].n += n;
			return;
		}
	if (s->nrows < TOP_MAX_ROWS)
		r = &s->rows[s->nrows++];
	else
		for (i = 0; i < s->nrows; i++)
			if (s->rows[i].n < n && (r == NULL || s->rows[i].n < r->n))
				r = &s->rows[i];
	if (r == NULL)
		return;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->extra, sizeof(r->extra), "%s", extra ? extra : "");
	r->n = n;
	r->x = x;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct top_row *ra = a, *rb = b;

	if (ra->n != rb->n)
		return ra->n < rb->n ? 1 : -1;
	return strcmp(ra->name, rb->name);
}

/* The field key of map as text, cut to size ("-" when out of memory). */
static void
text(const struct ctl_ctx *ctx, const msgpack_object *map, const char *key,
    char *buf, size_t size)
{
	char *v = ctl_fmt_cell(ctx, map, key, CTL_UNIT_NONE);

	snprintf(buf, size, "%s", v != NULL ? v : "-");
	free(v);
}

static int
sample_conns(struct ctl_ctx *ctx, struct top_sample *s)
{
	const msgpack_object *res, *a, *conn;
	char user[32], name[64], topics[64];
	uint64_t q;
	uint32_t i;
	int rc;

	if ((rc = ctl_call_simple(ctx, SSE_CTL_LIST, &res)) != 0 ||
	    (rc = ctl_result_array(&ctx->client, res, "connections", &a)) != 0)
		return rc;
	for (i = 0; i < a->via.array.size; i++) {
		conn = &a->via.array.ptr[i];
		text(ctx, conn, "user", user, sizeof(user));
		section_add(&s->users, user, NULL, 1, 0);
		if (sse_ctl_get_uint(conn, "queued_bytes", &q) != 0 || q == 0)
			continue;
		s->nqueued++;
		text(ctx, conn, "id", name, 24);
		text(ctx, conn, "topics", topics, sizeof(topics));
		snprintf(name + strlen(name), sizeof(name) - 24, " %s", user);
		section_add(&s->queued, name, topics, q, 0);
	}
	return 0;
}

static int
sample_topics(struct ctl_ctx *ctx, struct top_sample *s)
{
	const msgpack_object *res, *a, *t, *rate;
	msgpack_packer *pk;
	char name[64];
	uint64_t n;
	uint32_t i;
	int rc;

	pk = ctl_client_request(&ctx->client, SSE_CTL_TOPICS, 1);
	sse_ctl_pack_str(pk, "action");
	sse_ctl_pack_str(pk, "list");
	if ((rc = ctl_client_call(&ctx->client, &res)) != 0 ||
	    (rc = ctl_result_array(&ctx->client, res, "topics", &a)) != 0)
		return rc;
	for (i = 0; i < a->via.array.size; i++) {
		t = &a->via.array.ptr[i];
		text(ctx, t, "name", name, sizeof(name));
		rate = sse_ctl_get(t, "rate");
		if (sse_ctl_get_uint(t, "subscribers", &n) != 0)
			n = 0;
		section_add(&s->topics, name, "", n, rate != NULL &&
		    (rate->type == MSGPACK_OBJECT_FLOAT64 ||
		    rate->type == MSGPACK_OBJECT_FLOAT32) ? rate->via.f64 : 0);
	}
	return 0;
}

/* One refresh: stats, list and topics.  0, or a CTL_EXIT_* code. */
static int
sample(struct ctl_ctx *ctx, struct top_sample *s)
{
	const msgpack_object *res;
	int i, rc;

	memset(s, 0, sizeof(*s));
	if ((rc = ctl_call_simple(ctx, SSE_CTL_STATS, &res)) != 0)
		return rc;
	s->at_ms = ctl_now_ms();
	for (i = 0; i < NCOUNTERS; i++)
		if (sse_ctl_get_uint(res, counter_keys[i], &s->c[i]) != 0)
			s->c[i] = 0;
	text(ctx, res, "version", s->version, sizeof(s->version));
	if ((rc = sample_conns(ctx, s)) != 0 ||
	    (rc = sample_topics(ctx, s)) != 0)
		return rc;
	qsort(s->topics.rows, s->topics.nrows, sizeof(struct top_row), row_cmp);
	qsort(s->users.rows, s->users.nrows, sizeof(struct top_row), row_cmp);
	qsort(s->queued.rows, s->queued.nrows, sizeof(struct top_row), row_cmp);
	return 0;
}

/* The per-second rate of counter i between two samples; -1 when unknown. */
static double
rate(const struct top_sample *prev, const struct top_sample *cur, int i)
{
	double dt;

	if (prev == NULL || cur->at_ms <= prev->at_ms || cur->c[i] < prev->c[i])
		return -1;
	dt = (double)(cur->at_ms - prev->at_ms) / 1000;
	return (double)(cur->c[i] - prev->c[i]) / dt;
}

/* The plain line, or JSON object, of one interval: name=value pairs. */
static void
print_plain(const struct ctl_ctx *ctx, const struct top_sample *prev,
    const struct top_sample *cur)
{
	static const char *const keys[] = { "connections", "topics",
	    "events_in_per_s", "events_out_per_s", "bytes_out_per_s",
	    "queued", "kicks" };
	double v[] = { (double)cur->c[C_CONNS], (double)cur->c[C_TOPICS],
	    rate(prev, cur, C_PUBLISHED), rate(prev, cur, C_DELIVERED),
	    rate(prev, cur, C_BYTES), (double)cur->nqueued,
	    (double)cur->c[C_KICKS] };
	time_t now = (time_t)(cur->at_ms / 1000);
	char when[32];
	size_t i;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	if (ctx->json)
		printf("{\"time\":%llu", (unsigned long long)cur->at_ms);
	else
		printf("%s", when);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* Two decimals at most, integers as such. */
		v[i] = (double)(long long)(v[i] * 100 + (v[i] < 0 ? -0.5 :
		    0.5)) / 100;
		printf(ctx->json ? ",\"%s\":%.15g" : " %s=%.15g", keys[i],
		    v[i]);
	}
	printf(ctx->json ? "}\n" : "\n");
	fflush(stdout);
}

/* A rate for people: "12.5", "1.2 MiB" with bytes, "-" when unknown. */
static void
fmt_rate(char *buf, size_t size, double r, int bytes)
{
	if (r < 0)
		snprintf(buf, size, "-");
	else if (bytes)
		ctl_fmt_bytes(buf, size, (uint64_t)r);
	else
		snprintf(buf, size, "%.1f", r);
}

/* Append one screen line, cut to the terminal's width. */
static void
line(FILE *fp, int width, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
line(FILE *fp, int width, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (width > 0 && (size_t)width < sizeof(buf))
		buf[width] = '\0';
	/* Erase the rest of the old line. */
	fprintf(fp, "%s\033[K\n", buf);
}

/* The whole screen, drawn over the last one. */
static void
render(const struct top_sample *prev, const struct top_sample *cur,
    int width, int height, double delay)
{
	char in[32], out[32], bytes[32], up[32], q[32], left[64], right[32];
	int rows = height > 12 ? height - 7 : 5, side, rest, i;
	const struct top_row *t, *u, *r;

	side = rows / 2 + rows % 2;
	rest = rows - side;
	fmt_rate(in, sizeof(in), rate(prev, cur, C_PUBLISHED), 0);
	fmt_rate(out, sizeof(out), rate(prev, cur, C_DELIVERED), 0);
	fmt_rate(bytes, sizeof(bytes), rate(prev, cur, C_BYTES), 1);
	ctl_fmt_duration(up, sizeof(up), cur->c[C_UPTIME]);
	fputs("\033[H", stdout);
	line(stdout, width, "ssed %s  up %s  connections %llu  topics %llu  "
	    "kicks %llu", cur->version, up,
	    (unsigned long long)cur->c[C_CONNS],
	    (unsigned long long)cur->c[C_TOPICS],
	    (unsigned long long)cur->c[C_KICKS]);
	line(stdout, width, "events/s in %s  out %s   bytes/s out %s   "
	    "queued %llu", in, out, bytes, (unsigned long long)cur->nqueued);
	line(stdout, width, "%s", "");
	line(stdout, width, "%-30s %6s %8s   %-20s %6s", "TOPIC", "SUBS",
	    "EVENTS/S", "USER", "CONNS");
	for (i = 0; i < side; i++) {
		t = (size_t)i < cur->topics.nrows ? &cur->topics.rows[i] : NULL;
		u = (size_t)i < cur->users.nrows ? &cur->users.rows[i] : NULL;
		if (t != NULL)
			snprintf(left, sizeof(left), "%-30.30s %6llu %8.1f",
			    t->name, (unsigned long long)t->n, t->x);
		else
			snprintf(left, sizeof(left), "%46s", "");
		if (u != NULL)
			snprintf(right, sizeof(right), "%-20.20s %6llu",
			    u->name, (unsigned long long)u->n);
		else
			right[0] = '\0';
		line(stdout, width, "%s   %s", left, right);
	}
	line(stdout, width, "%s", "");
	line(stdout, width, "%-20s %-46s %10s", "SLOW/QUEUED ID USER",
	    "TOPICS", "QUEUED");
	for (i = 0; i < rest - 2 && (size_t)i < cur->queued.nrows; i++) {
		r = &cur->queued.rows[i];
		ctl_fmt_bytes(q, sizeof(q), r->n);
		line(stdout, width, "%-20.20s %-46.46s %10s", r->name,
		    r->extra, q);
	}
	fputs("\033[J", stdout);
	printf("\033[%d;1H\033[7m q quit, refresh %gs \033[m", height, delay);
	fflush(stdout);
}

/* The terminal's size, 80x24 when it cannot be had. */
static void
term_size(int *width, int *height)
{
	struct winsize ws;

	*width = 80;
	*height = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
	    ws.ws_row > 0) {
		*width = ws.ws_col;
		*height = ws.ws_row;
	}
}

/*
 * Wait for the next refresh: delay seconds, or less when 'q' is typed
 * (returns 1) or a signal came (ctl_interrupted).  Keys are read only
 * when the terminal is ours (keys set).
 */
static int
wait_key(double delay, int keys)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	uint64_t end = ctl_now_ms() + (uint64_t)(delay * 1000), now;
	char c;

	while (!ctl_interrupted && (now = ctl_now_ms()) < end) {
		if (poll(&pfd, keys ? 1 : 0, (int)(end - now)) <= 0)
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1)
			return 1;	/* end of input: nothing can quit us */
		if (c == 'q' || c == 'Q')
			return 1;
	}
	return 0;
}

static int
cmd_top_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	struct top_sample *s = NULL, *prev, *cur;
	struct termios saved, raw;
	const char *v;
	uint64_t count = 0, shown = 0, i;
	double delay = 1;
	int screen = ctx->human && !ctx->json, keys = 0, width, height, rc;
	char *end;

	(void)self;
	if ((v = ctl_args_get(args, OPT_DELAY)) != NULL) {
		delay = strtod(v, &end);
		if (end == v || *end != '\0' || !(delay >= 0.1 &&
		    delay <= 86400))
			return ctl_usage_error("top: -d takes seconds from "
			    "0.1 to 86400, not '%s'", v);
	}
	if ((v = ctl_args_get(args, OPT_COUNT)) != NULL) {
		if (ctl_parse_uint("top: -n", v, &count) == -1)
			return CTL_EXIT_USAGE;
		/* Below, 0 is no -n: running forever. */
		if (count == 0)
			return ctl_usage_error("top: -n takes a count of at "
			    "least 1, not '%s'", v);
	}
	if ((s = calloc(2, sizeof(*s))) == NULL)
		return ctl_nomem();
	ctl_catch_signals(1);
	if (screen && isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		keys = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
	}
	if (screen)
		fputs("\033[?25l\033[H\033[2J", stdout);
	for (prev = NULL, i = 0;; prev = cur, i++) {
		cur = &s[i % 2];
		if ((rc = sample(ctx, cur)) != 0)
			break;
		if (screen) {
			term_size(&width, &height);
			render(prev, cur, width, height, delay);
			shown++;
		} else if (prev != NULL) {
			print_plain(ctx, prev, cur);
			shown++;
		}
		/* Stdout gone (a closed pipe): main says so. */
		if (ferror(stdout)) {
			rc = CTL_EXIT_USAGE;
			break;
		}
		if ((count > 0 && shown >= count) || wait_key(delay, keys) ||
		    ctl_interrupted)
			break;
	}
	if (screen)
		fputs("\033[?25h\n", stdout);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	if (ctl_interrupted || rc == CTL_EXIT_INTERRUPTED)
		rc = CTL_EXIT_OK;
	ctl_catch_signals(0);
	free(s);
	return rc;
}

const struct ctl_cmd ctl_cmd_top = {
	.name = "top",
	.usage = "top [-d SECS] [-n COUNT]",
	.summary = "show a live view of the broker",
	.help =
	    "  -d, --delay SECS   refresh every SECS seconds (default 1)\n"
	    "  -n, --count COUNT  stop after COUNT refreshes\n"
	    "On a terminal, a screen redrawn every SECS: rates, connections\n"
	    "by topic and by user, subscribers with queued output; 'q'\n"
	    "quits.  Otherwise one line of name=value pairs per interval\n"
	    "(with --json, one object).\n",
	.op = SSE_CTL_STATS,
	.options = top_options,
	.minargs = 0,
	.maxargs = 0,
	.exec = cmd_top_exec,
};

/*
 * sseload.c: ssed's load generator: options, the phases of a run and the
 * report.
 *
 *	sseload sub      -c N --url URL [--pub-url URL -e E -r R]
 *	sseload pub-http --pub-url URL -e E [-k K] [-c N --url URL]
 *	sseload pub-ctl  --ctl PATH -e E [-b B] [-k K] [-c N --url URL]
 *
 * A run: open the streams (sub.c, -j threads), let them settle, sample
 * the server (--pid: RSS, CPU), hold them idle, publish (pub.c) and wait
 * for the deliveries, then print a report and one "RESULT k=v ..." line
 * for bench/run.sh.  Every run ends by --duration; only 127.0.0.0/8 and
 * a Unix socket are ever connected to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sseload.h"

struct load L = {
	.topic_prefix = "t", .ntopics = 1, .inflight = 256, .pub_conns = 1,
	.batch = 100, .size = 64, .duration = 60, .settle = 1, .drain = 10,
	.connect_timeout = 15, .label = "-",
};

enum opt_type { O_U32, O_U64, O_DBL, O_SIZE, O_STR, O_FLAG };

struct opt {
	const char	*name;
	int		 key;
	enum opt_type	 type;
	void		*dst;
	const char	*arg;
	const char	*help;
};

static const struct opt opts[] = {
	{ "subs", 'c', O_U32, &L.nsubs, "N", "subscriber streams (0)" },
	{ "url", 'u', O_STR, &L.url, "URL", "stream URL, {topic} expands" },
	{ "topics", 'T', O_U32, &L.ntopics, "T", "stream i follows topic "
	    "i%T, event e goes to e%T (1)" },
	{ "topic-prefix", 'P', O_STR, &L.topic_prefix, "S", "topic names "
	    "are S0, S1... (t)" },
	{ "threads", 'j', O_U32, &L.nthreads, "N", "subscriber threads "
	    "(one per CPU we may run on)" },
	{ "inflight", 'I', O_U32, &L.inflight, "N", "handshakes at once (256)" },
	{ "src-ips", 'S', O_U32, &L.src_ips, "K", "bind streams to "
	    "127.0.0.1..127.0.0.K (for more than ~28k ports)" },
	{ "connect-timeout", 'O', O_DBL, &L.connect_timeout, "S",
	    "handshake limit (15)" },
	{ "settle", 's', O_DBL, &L.settle, "S", "wait after connecting, "
	    "before the memory sample (1)" },
	{ "hold", 'H', O_DBL, &L.hold, "S", "hold the streams idle, "
	    "measuring server CPU (0)" },
	{ "pid", 'p', O_STR, &L.pids, "P,...", "server pids: VmRSS and "
	    "utime+stime from /proc" },
	{ "pub-url", 'U', O_STR, &L.pub_url, "URL", "POST URL, {topic} "
	    "expands" },
	{ "ctl", 'C', O_STR, &L.ctl_path, "PATH", "control socket "
	    "(pub-ctl)" },
	{ "events", 'e', O_U64, &L.events, "E", "events to publish (0)" },
	{ "rate", 'r', O_DBL, &L.rate, "R", "events/s over all publishers, "
	    "0 = each as soon as the last is answered (0)" },
	{ "pub-conns", 'k', O_U32, &L.pub_conns, "K", "publisher "
	    "connections, one request in flight each (1)" },
	{ "batch", 'b', O_U32, &L.batch, "B", "events per control request "
	    "(100)" },
	{ "size", 'z', O_SIZE, &L.size, "BYTES", "payload size, at most "
	    "65535 (64)" },
	{ "drain", 'D', O_DBL, &L.drain, "S", "wait for deliveries after "
	    "the last answer (10)" },
	{ "duration", 'd', O_DBL, &L.duration, "S", "hard limit of the "
	    "whole run (60)" },
	{ "expect", 'x', O_U64, &L.expect, "N", "no publisher: wait for N "
	    "deliveries published by someone else" },
	{ "any-data", 'a', O_FLAG, &L.any_data, NULL, "accept any event "
	    "data (no payload check, no latency)" },
	{ "ready", 'R', O_STR, &L.ready_path, "FILE", "create FILE once "
	    "the streams are open and held" },
	{ "label", 'L', O_STR, &L.label, "NAME", "label of the RESULT line" },
	{ "quiet", 'q', O_FLAG, &L.quiet, NULL, "no progress on stderr" },
	{ "help", 'h', O_FLAG, NULL, NULL, "this help" },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

static void
usage(FILE *fp)
{
	char left[48];
	size_t i;

	fprintf(fp, "usage: sseload (sub | pub-http | pub-ctl) [OPTIONS]\n\n");
	for (i = 0; i < NOPTS; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name,
		    opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(fp, "  -%c %-24s %s\n", opts[i].key, left,
		    opts[i].help);
	}
	fprintf(fp, "\nSee bench/README.md.\n");
}

static int
opt_apply(const struct opt *o, const char *arg)
{
	char *end = NULL;
	double d;

	errno = 0;
	switch (o->type) {
	case O_U32:
	case O_U64:
	case O_SIZE:
		if (*arg < '0' || *arg > '9')
			return -1;
		d = (double)strtoull(arg, &end, 10);
		if (o->type == O_U32 && d > UINT32_MAX)
			return -1;
		if (o->type == O_U32)
			*(uint32_t *)o->dst = (uint32_t)d;
		else if (o->type == O_U64)
			*(uint64_t *)o->dst = (uint64_t)d;
		else
			*(size_t *)o->dst = (size_t)d;
		break;
	case O_DBL:
		d = strtod(arg, &end);
		if (d < 0)
			return -1;
		*(double *)o->dst = d;
		break;
	case O_STR:
		*(const char **)o->dst = arg;
		return 0;
	case O_FLAG:
		*(int *)o->dst = 1;
		return 0;
	}
	return errno != 0 || end == arg || *end != '\0' ? -1 : 0;
}

/* 0, 1 for --help, -1 on a usage error (message printed). */
static int
opts_parse(int argc, char *argv[])
{
	struct option lo[NOPTS + 1];
	char shorts[NOPTS * 2 + 1], *sp = shorts;
	size_t i;
	int c;

	memset(lo, 0, sizeof(lo));
	for (i = 0; i < NOPTS; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].arg ? required_argument : no_argument;
		lo[i].val = opts[i].key;
		*sp++ = (char)opts[i].key;
		if (opts[i].arg)
			*sp++ = ':';
	}
	*sp = '\0';
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		for (i = 0; i < NOPTS && opts[i].key != c; i++)
			;
		if (i == NOPTS)
			return -1;
		if (opts[i].dst == NULL)
			return 1;
		if (opt_apply(&opts[i], optarg) == -1) {
			fprintf(stderr, "sseload: bad value for --%s: %s\n",
			    opts[i].name, optarg);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sseload: unexpected argument %s\n",
		    argv[optind]);
		return -1;
	}
	return 0;
}

/* Cross-checks, URLs, thread count and the open-files limit. */
static int
opts_check(void)
{
	struct rlimit rl;
	cpu_set_t set;
	rlim_t need;

	if (L.ntopics == 0 || L.pub_conns == 0 || L.batch == 0 ||
	    L.duration <= 0 || L.duration > 3600) {
		fprintf(stderr, "sseload: --topics, --pub-conns and --batch "
		    "must be positive, --duration in (0, 3600]\n");
		return -1;
	}
	if (L.nsubs > 0 && (L.url == NULL || url_parse(L.url, &L.sub_sa,
	    L.sub_host, sizeof(L.sub_host), &L.sub_path) == -1)) {
		fprintf(stderr, "sseload: -c needs --url http://127.x.x.x:"
		    "PORT/path/{topic} (loopback only)\n");
		return -1;
	}
	if (L.events > 0 && L.mode != MODE_PUB_CTL && (L.pub_url == NULL ||
	    url_parse(L.pub_url, &L.pub_sa, L.pub_host, sizeof(L.pub_host),
	    &L.pub_path) == -1)) {
		fprintf(stderr, "sseload: --events needs --pub-url "
		    "http://127.x.x.x:PORT/path/{topic} (loopback only)\n");
		return -1;
	}
	if (L.events > 0 && L.mode == MODE_PUB_CTL && L.ctl_path == NULL) {
		fprintf(stderr, "sseload: pub-ctl needs --ctl PATH\n");
		return -1;
	}
	if (L.size > PAYLOAD_MAX - 1) {
		fprintf(stderr, "sseload: --size is at most %d bytes\n",
		    PAYLOAD_MAX - 1);
		return -1;
	}
	if (L.mode != MODE_SUB && L.events == 0) {
		fprintf(stderr, "sseload: give --events\n");
		return -1;
	}
	if (L.nthreads == 0) {
		L.nthreads = sched_getaffinity(0, sizeof(set), &set) == 0 ?
		    (uint32_t)CPU_COUNT(&set) : 1;
	}
	if (L.nthreads > SL_MAX_THREADS)
		L.nthreads = SL_MAX_THREADS;
	if (L.nthreads > L.nsubs)
		L.nthreads = L.nsubs > 0 ? L.nsubs : 1;
	need = (rlim_t)L.nsubs + L.pub_conns + L.nthreads + 32;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		fprintf(stderr, "sseload: %u streams need %llu open files, "
		    "the limit is %llu (lower -c, or run several sseloads)\n",
		    L.nsubs, (unsigned long long)need,
		    (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&L.stop, 1);
}

static void
nap_until(uint64_t t, uint64_t deadline)
{
	struct timespec ts = { 0, 5000000 };

	while (!atomic_load(&L.stop) && mono_ns() < t && mono_ns() < deadline)
		nanosleep(&ts, NULL);
}

static int
all_connected(void)
{
	uint32_t k;

	for (k = 0; k < L.nthreads; k++)
		if (!atomic_load(&L.w[k].connected))
			return 0;
	return 1;
}

int
main(int argc, char *argv[])
{
	struct run r;
	uint64_t deadline, end, want;
	int rc, fd, setup_failed = 0;

	memset(&r, 0, sizeof(r));
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || (int)(L.mode = strcmp(argv[1], "sub") == 0 ?
	    MODE_SUB : strcmp(argv[1], "pub-http") == 0 ? MODE_PUB_HTTP :
	    strcmp(argv[1], "pub-ctl") == 0 ? MODE_PUB_CTL : MODE_BAD) ==
	    MODE_BAD || (rc = opts_parse(argc - 1, argv + 1)) == -1) {
		fprintf(stderr, "sseload: give a mode and options; try "
		    "'sseload --help'\n");
		return 1;
	}
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (opts_check() == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((L.tsubs = calloc(L.ntopics, sizeof(*L.tsubs))) == NULL)
		return 2;

	r.t_begin = mono_ns();
	deadline = r.t_begin + (uint64_t)(L.duration * 1e9);
	proc_sample(L.pids, &r.ps_before);
	if (workers_start() == -1) {
		atomic_store(&L.stop, 1);
		workers_join();
		return 2;
	}
	while (!atomic_load(&L.stop) && !all_connected() &&
	    mono_ns() < deadline)
		nap_until(mono_ns() + 5000000, deadline);
	r.t_connected = mono_ns();
	if (!L.quiet)
		fprintf(stderr, "sseload: %u streams open, %u failed in %.2f s\n",
		    workers_sum32(offsetof(struct worker, established)),
		    workers_sum32(offsetof(struct worker, failed)),
		    (double)(r.t_connected - r.t_begin) / 1e9);
	nap_until(r.t_connected + (uint64_t)(L.settle * 1e9), deadline);
	proc_sample(L.pids, &r.ps_open);
	if (L.hold > 0) {
		r.t_hold = mono_ns();
		nap_until(r.t_hold + (uint64_t)(L.hold * 1e9), deadline);
		r.hold_s = (double)(mono_ns() - r.t_hold) / 1e9;
		proc_sample(L.pids, &r.ps_held);
	}

	proc_sample(L.pids, &r.ps_pub0);
	r.tool0 = self_cpu_s();
	r.t_pub = mono_ns();
	atomic_store(&L.phase, PH_PUB);
	/* Only now: what arrives from here on is not counted as early. */
	if (L.ready_path != NULL && (fd = open(L.ready_path, O_WRONLY |
	    O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) != -1)
		close(fd);
	want = L.expect;
	if (L.events > 0) {
		if (pub_run(&r.pub, deadline) == -1) {
			fprintf(stderr, "sseload: no publisher could start\n");
			setup_failed = 1;
		}
		want = r.pub.expected;
	}
	atomic_store(&L.phase, PH_DRAIN);
	end = L.events > 0 ? mono_ns() + (uint64_t)(L.drain * 1e9) : deadline;
	while (want > 0 && workers_sum(offsetof(struct worker, received)) < want &&
	    !atomic_load(&L.stop) && mono_ns() < end && mono_ns() < deadline)
		nap_until(mono_ns() + 1000000, deadline);
	r.timed_out = mono_ns() >= deadline;
	r.t_end = mono_ns();
	proc_sample(L.pids, &r.ps_pub1);
	r.tool1 = self_cpu_s();
	r.expected = want;
	atomic_store(&L.phase, PH_END);
	workers_join();
	rc = report(&r);
	return setup_failed ? 2 : rc;
}

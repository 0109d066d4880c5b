/*
 * main.c: ssed, the Server-Sent Events broker.  Parses the options, wires
 * the core to its two fronts (HTTP and the control socket) and runs the
 * loop until SIGTERM or SIGINT, then drains: every subscriber is told to
 * come back (a retry: hint) and its stream is ended cleanly.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "auth.h"
#include "broker.h"
#include "conf.h"
#include "control.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "subscriber.h"
#include "ulimit.h"

#define DRAIN_MS	3000
#define FD_RESERVE	64	/* listeners, control clients, logs */

static struct loop_io	 signal_io = { .fd = -1 };
static struct loop_timer drain_timer;
static int64_t		 drain_deadline;

static void
drain_check(struct loop_timer *t)
{
	if (sub_first() == NULL || loop_now() >= drain_deadline) {
		loop_break();
		return;
	}
	loop_timer_set(t, 50);
}

static void
shutdown_begin(const char *why)
{
	if (drain_deadline != 0)
		return;
	log_info("%s: closing %u subscribers and exiting", why, broker.nsubs);
	http_quiesce();
	sub_close_all("shutdown");
	drain_deadline = loop_now() + DRAIN_MS;
	drain_timer.cb = drain_check;
	loop_timer_set(&drain_timer, 0);
}

static void
signal_cb(struct loop_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
			shutdown_begin("SIGTERM");
			break;
		case SIGINT:
			shutdown_begin("SIGINT");
			break;
		case SIGHUP:
			log_info("SIGHUP: nothing to reload yet");
			break;
		}
	}
}

static int
signals_init(void)
{
	sigset_t	ss;
	int		fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) == -1 ||
	    (fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return -1;
	return loop_add(&signal_io, fd, EPOLLIN, signal_cb, NULL);
}

/* Raise the soft open-files limit to the hard one; return the soft one. */
static rlim_t
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

int
main(int argc, char *argv[])
{
	struct ssed_config	cfg;
	rlim_t			nofile;
	int			rc, status = 1;

	if ((rc = config_parse(&cfg, argc, argv)) != 0)
		return rc > 0 ? 0 : 1;
	log_init(cfg.log_json, cfg.verbose);

	nofile = raise_nofile();
	if (cfg.http.max_conns == 0)
		cfg.http.max_conns = nofile > FD_RESERVE * 2 ?
		    (unsigned)(nofile - FD_RESERVE) : (unsigned)nofile / 2;
	log_info("ssed %s: open-files limit %llu, up to %u connections",
	    PACKAGE_VERSION, (unsigned long long)nofile, cfg.http.max_conns);
	if (cfg.auth.none)
		log_warn("*** --auth=none: anyone who can reach ssed may "
		    "subscribe and publish; for local development only ***");
	if (auth_init(&cfg.auth) == -1)
		goto out;
	ulimit_set_max(cfg.http.max_per_user);

	if (loop_init() == -1 || signals_init() == -1) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	broker_init(&cfg.broker);
	if (http_start(&cfg.http) == -1 || control_start(cfg.control_path) == -1)
		goto out;
	sub_timers_start();
	log_info("try: ssecat http://%s/sse/updates/builds", http_address());
	log_info("try: echo '{\"state\":\"green\"}' | ssectl%s%s notify builds",
	    strcmp(cfg.control_path, control_default_path()) ? " -s " : "",
	    strcmp(cfg.control_path, control_default_path()) ?
	    cfg.control_path : "");
	if (loop_run() == 0)
		status = 0;
out:
	control_stop();
	sub_close_all("shutdown");
	http_stop();
	sub_timers_stop();
	broker_shutdown();
	auth_free();
	ulimit_free();
	loop_free();
	config_free(&cfg);
	if (status == 0)
		log_info("stopped");
	return status;
}

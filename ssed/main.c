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
#include "topic.h"
#include "ulimit.h"

#define DRAIN_MS	3000
#define FD_RESERVE	64	/* listeners, control clients, logs */

static struct loop_io	 signal_io = { .fd = -1 };
static struct ssed_config cfg;
static int		 saved_argc;
static char		**saved_argv;

static int	reload(char *, size_t);
static struct loop_timer drain_timer;
static int64_t		 drain_deadline;

/*
 * Done when no stream is left and no request is half read or answered
 * (a publish whose body is still coming gets its 503), or at the deadline.
 */
static void
drain_check(struct loop_timer *t)
{
	if ((sub_first() == NULL && http_requests() == 0) ||
	    loop_now() >= drain_deadline) {
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
	sub_close_all(CLOSE_SHUTDOWN);
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
		case SIGHUP: {
			char why[512];

			log_info("SIGHUP: reloading the configuration");
			reload(why, sizeof(why));
			break;
		}
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

static int
same_listen(const struct http_config *a, const struct http_config *b)
{
	size_t i;

	if (a->nlisten != b->nlisten)
		return 0;
	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return 0;
	return 1;
}

static void
topic_limits(struct topic *t, void *arg)
{
	broker.store->set_limits(t->hist, arg);
	/* A shorter age applies at once too, not at the next sweep. */
	broker.store->expire(t->hist, loop_wallclock());
}

/*
 * SIGHUP and "ssectl reload": parse the file and the command line again
 * and apply what can change without dropping anyone: limits, history
 * bounds, heartbeat, CORS, keys, logging.  A broken configuration is
 * refused whole and the one in force stays.
 */
static int
reload(char *why, size_t len)
{
	struct ssed_config	*n;
	int			 rc;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if ((rc = config_parse(n, saved_argc, saved_argv)) != 0) {
		snprintf(why, len, "%s", rc > 0 ? "--help or --version given" :
		    n->err[0] ? n->err : "invalid configuration");
		goto fail;
	}
	/* Taken only at a restart, but a restart must work. */
	if (http_listen_check(&n->http, why, len) == -1)
		goto fail;
	if (control_set_group(n->control_group) == -1) {
		snprintf(why, len, "--control-group %s: no such group",
		    n->control_group);
		goto fail;
	}
	if (auth_init(&n->auth) == -1) {
		control_set_group(cfg.control_group);
		snprintf(why, len, "keys or state directory unusable (see the "
		    "log)");
		goto fail;
	}
	if (!same_listen(&n->http, &cfg.http) ||
	    strcmp(n->control_path, cfg.control_path) != 0)
		log_warn("reload: listen addresses and the control socket "
		    "change only with a restart");
	n->http.max_conns = cfg.http.max_conns;
	n->http.max_requests = cfg.http.max_requests;
	n->broker.max_streams = cfg.broker.max_streams;
	config_free(&cfg);
	cfg = *n;
	free(n);
	log_init(cfg.log_json, cfg.verbose);
	broker_reconfigure(&cfg.broker);
	topic_foreach(topic_limits, &broker.cfg.history);
	http_reconfigure(&cfg.http);
	ulimit_set_max(cfg.http.max_per_user);
	sub_timers_start();
	log_info("configuration reloaded");
	return 0;
fail:
	config_free(n);
	free(n);
	log_warn("reload refused: %s", why);
	return -1;
}

/* What to try next, for the person who just started ssed. */
static void
hints(void)
{
	int		 own = strcmp(cfg.control_path, control_default_path());
	const char	*s = own ? " -s " : "", *path = own ? cfg.control_path :
			    "";

	if (auth_is_none()) {
		log_info("try: ssecat http://%s/sse/updates/builds",
		    http_address());
	} else {
		log_info("try: TOKEN=$(ssectl%s%s token --sub me --subscribe "
		    "builds --publish builds)", s, path);
		log_info("try: ssecat --token \"$TOKEN\" "
		    "http://%s/sse/updates/builds", http_address());
	}
	log_info("try: echo '{\"state\":\"green\"}' | ssectl%s%s notify "
	    "builds", s, path);
}

int
main(int argc, char *argv[])
{
	rlim_t	nofile;
	int	rc, status = 1;

	saved_argc = argc;
	saved_argv = argv;
	if ((rc = config_parse(&cfg, argc, argv)) != 0) {
		if (rc < 0)
			fprintf(stderr, "ssed: %s\n", cfg.err[0] ? cfg.err :
			    "out of memory");
		config_free(&cfg);
		return rc > 0 ? 0 : 1;
	}
	log_init(cfg.log_json, cfg.verbose);

	nofile = raise_nofile();
	/* Streams and requests being read share the descriptors left. */
	cfg.http.max_requests = nofile > FD_RESERVE * 2 ?
	    (unsigned)(nofile - FD_RESERVE) : (unsigned)nofile / 2;
	if (cfg.http.max_conns == 0)
		cfg.http.max_conns = cfg.http.max_requests;
	cfg.broker.max_streams = cfg.http.max_conns;
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
	broker.reload = reload;
	if (control_set_group(cfg.control_group) == -1 ||
	    http_start(&cfg.http) == -1 || control_start(cfg.control_path) == -1)
		goto out;
	sub_timers_start();
	hints();
	if (loop_run() == 0)
		status = 0;
out:
	control_stop();
	sub_abort_all(CLOSE_SHUTDOWN);
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

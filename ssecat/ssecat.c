/*
 * ssecat.c: the process of ssecat.
 *
 * Owns main(), the exit status, the signals and the one-line messages on
 * stderr.  Reading options, printing events and the HTTP stream itself
 * are the other files' business (see ssecat.h).
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ssecat.h"

static int	msg_quiet;
static int	msg_colour;
/* Write end of the self-pipe: how a signal reaches the curl poll loop. */
static int	sig_wfd = -1;

/* Colours of the "ssecat:" prefix: notes dim, errors bold red. */
#define MSG_NOTE_SGR	"\033[2m"
#define MSG_WARN_SGR	"\033[1;31m"
#define MSG_RESET_SGR	"\033[0m"

void
msg_init(int quiet)
{
	const char	*nc = getenv("NO_COLOR");

	msg_quiet = quiet;
	msg_colour = isatty(STDERR_FILENO) && (nc == NULL || *nc == '\0');
}

/*
 * The prefix is spelled out rather than taken from argv[0]: in the build
 * tree libtool runs us as "lt-ssecat", and scripts match "ssecat:".
 */
static void
msg_vprint(const char *sgr, const char *fmt, va_list ap, const char *tail)
{
	if (msg_colour)
		fprintf(stderr, "%sssecat:%s ", sgr, MSG_RESET_SGR);
	else
		fputs("ssecat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
	fputc('\n', stderr);
}

void
msg_note(const char *fmt, ...)
{
	va_list	ap;

	if (msg_quiet)
		return;
	va_start(ap, fmt);
	msg_vprint(MSG_NOTE_SGR, fmt, ap, "");
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint(MSG_WARN_SGR, fmt, ap, "");
	va_end(ap);
}

int
msg_usage(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint(MSG_WARN_SGR, fmt, ap, " (try 'ssecat --help')");
	va_end(ap);
	return -1;
}

/*
 * After SIGINT or SIGTERM, SIGALRM comes this often until ssecat exits.
 * The signal itself cuts only the write() under way: when some bytes
 * had gone through, stdio writes the rest, and blocks again on a reader
 * that stalled.
 */
#define SIG_REPEAT_US	(50 * 1000)

static void
sig_handler(int sig)
{
	static const struct itimerval it = {
		.it_value = { .tv_usec = SIG_REPEAT_US },
		.it_interval = { .tv_usec = SIG_REPEAT_US },
	};
	unsigned char		c = (unsigned char)sig;
	int			saved = errno;
	ssize_t			n;

	/* A full pipe already holds a signal: the loop will see that one. */
	n = write(sig_wfd, &c, 1);
	(void)n;
	/*
	 * Cut it again and again, as the timer of --timeout does, which
	 * this one replaces: ssecat is stopping anyway, and the byte of
	 * this signal, ahead of SIGALRM's in the pipe, sets the exit
	 * status.  setitimer is a system call, safe here.
	 */
	if (sig != SIGALRM)
		(void)setitimer(ITIMER_REAL, &it, NULL);
	errno = saved;
}

/*
 * SIGINT and SIGTERM go through a self-pipe that curl_multi_poll watches,
 * so they end a wait at once without threads or racy flags.  So does
 * SIGALRM, from the timer of --timeout (sink.c makes it exit 4).  None
 * restarts a system call: a write to a stdout that nobody reads fails
 * with EINTR instead of blocking past them (see sig_handler).  SIGPIPE
 * is ignored: a closed stdout shows up as EPIPE from output_event, and
 * a server that hangs up as an error from libcurl.  Returns the read
 * end, or -1.
 */
static int
sig_setup(int fds[2])
{
	struct sigaction	sa;
	int			i;

	if (pipe(fds) == -1) {
		msg_warn("pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1) {
			msg_warn("fcntl: %s", strerror(errno));
			return -1;
		}
	}
	sig_wfd = fds[1];

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sig_handler;
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGALRM, &sa, NULL) == -1) {
		msg_warn("sigaction: %s", strerror(errno));
		return -1;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		msg_warn("sigaction: %s", strerror(errno));
		return -1;
	}
	return fds[0];
}

/*
 * stream.c watches the clock of --timeout too, but only between writes:
 * this timer also cuts a write that blocks on a stalled reader.  It goes
 * on ticking once due, since a write cut after some bytes went through
 * is not failed but resumed by stdio, and blocks again.
 */
static int
timeout_arm(int64_t ms)
{
	struct itimerval	it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)(ms / 1000);
	it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	it.it_interval.tv_usec = 100 * 1000;
	if (setitimer(ITIMER_REAL, &it, NULL) == -1) {
		msg_warn("setitimer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts	o;
	int		fds[2] = { -1, -1 };
	int		rc = CAT_EXIT_FATAL, sigfd;

	memset(&o, 0, sizeof(o));
	/* --until data~REGEX reads characters, not bytes. */
	setlocale(LC_CTYPE, "");
	msg_init(0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		msg_warn("cannot initialise libcurl");
		return CAT_EXIT_FATAL;
	}
	if (opts_parse(&o, argc, argv, &rc) == -1)
		goto out;
	msg_init(o.quiet);
	rc = CAT_EXIT_FATAL;
	if ((sigfd = sig_setup(fds)) == -1 ||
	    (o.timeout_ms > 0 && timeout_arm(o.timeout_ms) == -1))
		goto out;
	rc = stream_run(&o, sigfd);
out:
	if (fflush(stdout) == EOF && errno != EPIPE && rc == CAT_EXIT_OK) {
		msg_warn("stdout: %s", strerror(errno));
		rc = CAT_EXIT_FATAL;
	}
	opts_free(&o);
	curl_global_cleanup();
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	return rc;
}

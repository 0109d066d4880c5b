/*
 * sink.c: what becomes of the events the parser gives.
 *
 * Each one is shown or not (--types), printed (output.c), counted, and
 * remembered in --state; the stop conditions -n and --until, a closed
 * stdout and the signals all end in the exit status kept here.  Getting
 * the events is stream.c's business.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssecat.h"

int
sink_init(struct sink *k, const struct opts *o, int sigfd,
    int64_t retry_ms)
{
	memset(k, 0, sizeof(*k));
	k->o = o;
	k->sigfd = sigfd;
	k->exit = -1;
	k->retry_ms = k->retry_shown = retry_ms;
	if (o->state_id != NULL && (k->saved_id = strdup(o->state_id)) == NULL)
		return -1;
	return 0;
}

void
sink_free(struct sink *k)
{
	free(k->saved_id);
	k->saved_id = NULL;
}

int
sink_signalled(struct sink *k)
{
	unsigned char	sig;

	if (read(k->sigfd, &sig, 1) != 1)
		return 0;
	/* The first signal decides; SIGALRM repeats after SIGINT/SIGTERM. */
	if (k->exit != -1)
		return 1;
	/* ssecat.c's timer for --timeout, which may cut a blocked write. */
	if (sig == SIGALRM) {
		msg_note("--timeout of %.1f s reached",
		    k->o->timeout_ms / 1000.0);
		k->exit = CAT_EXIT_TIMEOUT;
	} else
		k->exit = CAT_EXIT_SIGNAL + sig;
	return 1;
}

static void
sink_output_failed(struct sink *k)
{
	/* A closed pipe is the reader saying "enough", as for cat. */
	if (errno == EPIPE)
		k->exit = CAT_EXIT_SIGNAL + SIGPIPE;
	/* A signal or --timeout cut a write to a slow reader: it wins. */
	else if (errno == EINTR && sink_signalled(k))
		return;
	else {
		msg_warn("stdout: %s", strerror(errno));
		k->exit = CAT_EXIT_FATAL;
	}
}

/*
 * Remember id in --state once its event is dealt with (printed, or not
 * shown by --types), never before: a run stopped by -n resumes with the
 * next event.  A failure to write is reported once until one succeeds;
 * the stream goes on, since the server can replay what a stale state
 * file misses.
 */
static void
sink_save_state(struct sink *k, const char *id)
{
	char	*copy;

	if (k->o->state == NULL ||
	    (k->saved_id != NULL && strcmp(k->saved_id, id) == 0))
		return;
	if (state_save(k->o->state, id) == -1) {
		if (!k->state_warned)
			msg_warn("cannot write --state %s: %s", k->o->state,
			    strerror(errno));
		k->state_warned = 1;
		return;
	}
	k->state_warned = 0;
	if ((copy = strdup(id)) != NULL) {
		free(k->saved_id);
		k->saved_id = copy;
	}
}

void
sink_event(const struct sse_event *ev, void *arg)
{
	struct sink	*k = arg;
	const struct opts *o = k->o;
	int		 rc = 1;

	/* A stop is reached: the rest of this chunk is not ours to print. */
	if (k->exit != -1)
		return;
	k->events++;
	if (filter_is_shown(o, ev->type) && (rc = output_event(o, ev,
	    k->retry_ms != k->retry_shown ? k->retry_ms : -1)) == -1) {
		sink_output_failed(k);
		return;
	}
	sink_save_state(k, ev->id);
	/* Not shown, or --data-json skipped it: it does not count. */
	if (rc != 0)
		return;
	k->retry_shown = k->retry_ms;
	if ((o->count > 0 && ++k->printed >= o->count) ||
	    filter_is_last(o, ev))
		k->exit = CAT_EXIT_OK;
}

void
sink_retry(unsigned long ms, void *arg)
{
	struct sink	*k = arg;

	/* Every reader adds to it or compares it with --backoff-max. */
	k->retry_ms = (uint64_t)ms > INT64_MAX ? INT64_MAX : (int64_t)ms;
}

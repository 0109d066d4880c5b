/*
 * cmd_notify.c: "ssectl notify", publishing from the command line.
 *
 * One event from the argument or from all of standard input, or, with
 * --lines, one event per input line as the lines arrive.  Lines are sent
 * in batches (one publish request with "events") of whatever input is
 * ready, so a fast producer costs one round trip per batch and a slow one
 * (tail -f) gets each line out at once.  ssed takes or refuses a batch
 * whole; a refused one is sent again line by line, so that the lines
 * before the refused one go out however the input was batched.  The
 * socket is ctl_client.c's.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssectl.h"

#define NOTIFY_BATCH_EVENTS	1000
#define NOTIFY_BATCH_BYTES	(256 * 1024)
#define NOTIFY_READ_CHUNK	(64 * 1024)
/*
 * The data of one event, all of stdin or one line: as much as fits in
 * the largest request frame ssed takes (16 MiB, ssed-control(7)), less
 * 64 KiB for the rest of the request.  More would get FRAME_TOO_LARGE and
 * a closed connection instead of a message saying what is wrong.
 */
#define NOTIFY_MAX_DATA		(SSE_CTL_MAX_REQUEST - 64 * 1024)

enum {
	OPT_USER = 0x200,
	OPT_EVENT,
	OPT_LINES,
};

static const struct option notify_options[] = {
	{ "user",	required_argument,	NULL,	OPT_USER },
	{ "event",	required_argument,	NULL,	OPT_EVENT },
	{ "lines",	no_argument,		NULL,	OPT_LINES },
	{ NULL,		0,			NULL,	0 }
};

/* Standard input, read in --lines mode. */
struct input {
	char		*buf;
	size_t		 len, cap;
	size_t		 complete;	/* bytes up to and including the last LF */
	uint64_t	 line;		/* number of the line at buf, from 1 */
	int		 eof;
	int		 toolong;	/* the line after complete is */
};

/* One line, one event. */
struct span {
	size_t		 off, len;
	uint64_t	 line;
};

/* What every event of one notify shares. */
struct notify {
	struct ctl_ctx	*ctx;
	int		 op;		/* SSE_CTL_PUBLISH, from the table */
	const char	*topic;
	const char	*event;		/* or NULL */
	uint64_t	 lost;		/* lines taken but not published */
};

static void
pack_event_fields(msgpack_packer *pk, const struct notify *n,
    const char *data, size_t len)
{
	sse_ctl_pack_str(pk, "topic");
	sse_ctl_pack_str(pk, n->topic);
	sse_ctl_pack_str(pk, "data");
	sse_ctl_pack_strn(pk, data, len);
	if (n->event != NULL) {
		sse_ctl_pack_str(pk, "event");
		sse_ctl_pack_str(pk, n->event);
	}
}

/*
 * Print an id from a reply, a str or nil (no id): alone on its line ("-"
 * for nil), or as {"id": ...}.  A CTL_EXIT_* code.
 */
static int
print_id(const struct notify *n, const msgpack_object *id)
{
	json_t *j;
	int rc = CTL_EXIT_OK;

	if (!n->ctx->json) {
		if (id->type == MSGPACK_OBJECT_STR)
			printf("%.*s\n", (int)id->via.str.size,
			    id->via.str.ptr);
		else
			puts("-");
		return CTL_EXIT_OK;
	}
	if ((j = json_object()) == NULL ||
	    json_object_set_new(j, "id", ctl_json_from_msgpack(id)) == -1)
		rc = ctl_nomem();
	else
		rc = ctl_json_dump(j, 0);
	json_decref(j);
	return rc;
}

/*
 * All of standard input into *bufp (caller frees), at most
 * NOTIFY_MAX_DATA bytes; one final newline (LF or CRLF) is dropped, as
 * $(...) does.  A CTL_EXIT_* code: CTL_EXIT_INTERRUPTED, silently, for
 * Ctrl-C in the shell, where the input is the terminal and nothing read
 * must go out.
 */
static int
read_all(char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *p;
	ssize_t r;
	int rc = CTL_EXIT_USAGE;

	for (;;) {
		if (ctl_interrupted) {
			rc = CTL_EXIT_INTERRUPTED;
			goto out;
		}
		if (len > NOTIFY_MAX_DATA) {
			fprintf(stderr, "ssectl: notify: standard input is "
			    "larger than %d bytes\n", NOTIFY_MAX_DATA);
			goto out;
		}
		/* Up to one byte more than allowed, to see it is more. */
		if (cap - len < NOTIFY_READ_CHUNK && cap <= NOTIFY_MAX_DATA) {
			cap = cap > 0 ? cap * 2 : NOTIFY_READ_CHUNK * 2;
			if (cap > NOTIFY_MAX_DATA + 1)
				cap = NOTIFY_MAX_DATA + 1;
			if ((p = realloc(buf, cap)) == NULL) {
				ctl_nomem();
				goto out;
			}
			buf = p;
		}
		if ((r = read(STDIN_FILENO, buf + len, cap - len)) == -1) {
			if (errno == EINTR)	/* Ctrl-C: seen above */
				continue;
			fprintf(stderr, "ssectl: notify: reading standard "
			    "input: %s\n", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len -= len > 1 && buf[len - 2] == '\r' ? 2 : 1;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	rc = CTL_EXIT_OK;
out:
	free(buf);
	return rc;
}

static int
notify_one(const struct notify *n, const char *data, size_t len)
{
	const msgpack_object *res, *id;
	msgpack_packer *pk;
	int rc;

	pk = ctl_client_request(&n->ctx->client, n->op,
	    n->event != NULL ? 3 : 2);
	pack_event_fields(pk, n, data, len);
	if ((rc = ctl_client_call(&n->ctx->client, &res)) != 0)
		return rc;
	if (n->ctx->json)
		return ctl_json_print(res);
	if ((id = sse_ctl_get(res, "id")) == NULL ||
	    id->type != MSGPACK_OBJECT_STR)
		return ctl_bad_reply(&n->ctx->client, "no 'id' string");
	return print_id(n, id);
}

/*
 * Read what standard input has ready, without blocking, except that the
 * first read blocks when block is set.  Stops at EOF, when a batch's
 * worth of complete lines is buffered, or at a line longer than
 * NOTIFY_MAX_DATA (toolong), which ends the input, after the complete
 * lines before it are published.  A CTL_EXIT_* code, with its
 * message printed; CTL_EXIT_INTERRUPTED, silently, for Ctrl-C in the
 * shell.
 */
static int
input_fill(struct input *in, int block)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	size_t cap, end;
	ssize_t r;
	char *p, *nl;

	while (!in->eof && !in->toolong && in->complete < NOTIFY_BATCH_BYTES) {
		if (ctl_interrupted)
			return CTL_EXIT_INTERRUPTED;
		if (!block) {
			r = poll(&pfd, 1, 0);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				return CTL_EXIT_OK;
		}
		if (in->cap - in->len < NOTIFY_READ_CHUNK) {
			cap = in->cap > 0 ? in->cap * 2 : NOTIFY_READ_CHUNK * 4;
			if ((p = realloc(in->buf, cap)) == NULL)
				return ctl_nomem();
			in->buf = p;
			in->cap = cap;
		}
		/*
		 * A chunk at a time, so that only the line it ends or
		 * extends can be too long: those wholly in it are shorter.
		 */
		r = read(STDIN_FILENO, in->buf + in->len, NOTIFY_READ_CHUNK);
		if (r == -1 && errno == EINTR)	/* Ctrl-C: seen above */
			continue;
		if (r == -1) {
			fprintf(stderr, "ssectl: notify: reading standard "
			    "input: %s\n", strerror(errno));
			return CTL_EXIT_USAGE;
		}
		block = 0;
		if (r == 0) {
			in->eof = 1;
			break;
		}
		/* That line, from the last LF before, less a CR at its end. */
		nl = memchr(in->buf + in->len, '\n', (size_t)r);
		end = nl != NULL ? (size_t)(nl - in->buf) : in->len + (size_t)r;
		if (end > in->complete && in->buf[end - 1] == '\r')
			end--;
		if (end - in->complete > NOTIFY_MAX_DATA) {
			in->toolong = 1;
			break;
		}
		if ((nl = memrchr(in->buf + in->len, '\n', (size_t)r)) != NULL)
			in->complete = (size_t)(nl - in->buf) + 1;
		in->len += (size_t)r;
	}
	return CTL_EXIT_OK;
}

/*
 * Cut the next batch of non-empty lines off the front of the input:
 * complete lines (and at EOF the last, unterminated one), a trailing CR
 * dropped, at most NOTIFY_BATCH_EVENTS events and, unless a single line
 * is larger, NOTIFY_BATCH_BYTES bytes.  Returns how many bytes of input
 * the batch (empty lines included) covers, and in *nlines how many
 * lines.
 */
static size_t
input_batch(const struct input *in, struct span *ev, size_t *nev,
    uint64_t *nlines)
{
	size_t end = in->eof ? in->len : in->complete, pos = 0, bytes = 0;
	size_t len, next;
	const char *nl;

	*nev = 0;
	*nlines = 0;
	while (pos < end && *nev < NOTIFY_BATCH_EVENTS) {
		nl = memchr(in->buf + pos, '\n', end - pos);
		len = nl != NULL ? (size_t)(nl - in->buf) - pos : end - pos;
		next = pos + len + (nl != NULL);
		if (len > 0 && in->buf[pos + len - 1] == '\r')
			len--;
		if (len > 0) {
			if (*nev > 0 && bytes + len > NOTIFY_BATCH_BYTES)
				break;
			ev[*nev].off = pos;
			ev[*nev].len = len;
			ev[*nev].line = in->line + *nlines;
			(*nev)++;
			bytes += len;
		}
		pos = next;
		(*nlines)++;
	}
	return pos;
}

/*
 * Publish the lines ev[0..nev-1] in one request and print their ids.  A
 * refusal is printed, with the line's number, only for a single line:
 * for several, the caller finds the line.  An id that ssed could not
 * publish after it took the batch (nil) is printed as "-" and counted
 * in n->lost.  A CTL_EXIT_* code.
 */
static int
publish_batch(struct notify *n, const struct input *in,
    const struct span *ev, size_t nev)
{
	struct ctl_client *c = &n->ctx->client;
	const msgpack_object *res, *ids, *id;
	msgpack_packer *pk;
	char what[64];
	size_t i;
	int rc;

	pk = ctl_client_request(c, n->op, 1);
	sse_ctl_pack_str(pk, "events");
	msgpack_pack_array(pk, nev);
	for (i = 0; i < nev; i++) {
		msgpack_pack_map(pk, n->event != NULL ? 3 : 2);
		pack_event_fields(pk, n, in->buf + ev[i].off, ev[i].len);
	}
	c->mute_refused = 1;
	rc = ctl_client_call(c, &res);
	c->mute_refused = 0;
	if (rc == CTL_EXIT_REFUSED && nev == 1) {
		snprintf(what, sizeof(what), "notify: line %llu: ",
		    (unsigned long long)ev[0].line);
		ctl_client_refused(c, what);
	}
	if (rc != 0)
		return rc;
	if ((ids = sse_ctl_get(res, "ids")) == NULL ||
	    ids->type != MSGPACK_OBJECT_ARRAY || ids->via.array.size != nev)
		return ctl_bad_reply(c, "no 'ids' array of one id per event");
	for (i = 0; i < nev; i++) {
		id = &ids->via.array.ptr[i];
		if (id->type != MSGPACK_OBJECT_STR &&
		    id->type != MSGPACK_OBJECT_NIL)
			return ctl_bad_reply(c, "an id is not a string");
		if (id->type == MSGPACK_OBJECT_NIL) {
			fprintf(stderr, "ssectl: notify: line %llu: ssed "
			    "could not publish it\n",
			    (unsigned long long)ev[i].line);
			n->lost++;
		}
		if ((rc = print_id(n, id)) != 0)
			return rc;
	}
	return ctl_flush();
}

/*
 * Publish a batch.  ssed checks all of it before it publishes any, so
 * when it refuses a batch of several lines none went out: send them
 * again one per request, up to the line it refuses, which is reported.
 * What is published then does not depend on how the lines happened to
 * be batched.
 */
static int
notify_batch(struct notify *n, const struct input *in,
    const struct span *ev, size_t nev)
{
	size_t i;
	int rc;

	if ((rc = publish_batch(n, in, ev, nev)) != CTL_EXIT_REFUSED ||
	    nev == 1)
		return rc;
	for (i = 0; i < nev; i++)
		if ((rc = publish_batch(n, in, &ev[i], 1)) != 0)
			break;
	return rc;
}

/*
 * --lines: until EOF, wait for input, take every line that is ready and
 * publish them as one batch; wait for its ids before the next.  While a
 * batch is in flight new lines pile up in the pipe, so the batches grow
 * with the input rate.  Empty lines are skipped.
 */
static int
notify_lines(struct notify *n)
{
	struct input in = { .line = 1 };
	struct span *ev;
	size_t nev, used;
	uint64_t nlines;
	int rc = CTL_EXIT_USAGE;

	if ((ev = calloc(NOTIFY_BATCH_EVENTS, sizeof(*ev))) == NULL) {
		ctl_nomem();
		goto out;
	}
	for (;;) {
		/* Block only when no whole line is waiting to be sent. */
		if (!in.eof && !in.toolong &&
		    (rc = input_fill(&in, in.complete == 0)) != 0)
			goto out;
		used = input_batch(&in, ev, &nev, &nlines);
		if (nev > 0 && (rc = notify_batch(n, &in, ev, nev)) != 0)
			goto out;
		memmove(in.buf, in.buf + used, in.len - used);
		in.len -= used;
		in.complete = in.complete > used ? in.complete - used : 0;
		in.line += nlines;
		if (in.toolong && in.complete == 0) {
			fprintf(stderr, "ssectl: notify: line %llu is longer "
			    "than %d bytes\n", (unsigned long long)in.line,
			    NOTIFY_MAX_DATA);
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		if (in.eof && in.len == 0)
			break;
	}
	/* Each lost line was said; the status says some were. */
	rc = n->lost > 0 ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
out:
	free(ev);
	free(in.buf);
	return rc;
}

static int
cmd_notify_exec(const struct ctl_cmd *self, struct ctl_ctx *ctx,
    const struct ctl_args *args)
{
	struct notify n = { .ctx = ctx, .op = self->op };
	const char *user, *data = NULL;
	char *topic = NULL, *buf = NULL;
	size_t len = 0;
	int i = 0, rc = CTL_EXIT_USAGE;

	n.event = ctl_args_get(args, OPT_EVENT);
	if ((user = ctl_args_get(args, OPT_USER)) != NULL) {
		if (asprintf(&topic, "user:%s", user) == -1) {
			topic = NULL;
			ctl_nomem();
			goto out;
		}
		n.topic = topic;
	} else if (args->argc > 0)
		n.topic = args->argv[i++];
	else {
		ctl_usage_error("notify: give a TOPIC or --user NAME");
		goto out;
	}
	if (i < args->argc)
		data = args->argv[i++];
	if (i < args->argc) {
		ctl_usage_error("notify: unexpected argument '%s'",
		    args->argv[i]);
		goto out;
	}
	if (ctl_args_has(args, OPT_LINES)) {
		if (data != NULL) {
			ctl_usage_error("notify: --lines reads standard "
			    "input, not DATA");
			goto out;
		}
		rc = notify_lines(&n);
		goto out;
	}
	if (data != NULL)
		len = strlen(data);
	else if ((rc = read_all(&buf, &len)) != 0)
		goto out;
	else
		data = buf;
	rc = notify_one(&n, data, len);
out:
	free(buf);
	free(topic);
	return rc;
}

const struct ctl_cmd ctl_cmd_notify = {
	.name = "notify",
	.usage = "notify [--event TYPE] [--lines] (TOPIC | --user NAME) "
	    "[DATA]",
	.summary = "publish an event and print its id",
	.help =
	    "  --user NAME   publish to the topic user:NAME\n"
	    "  --event TYPE  the event's type (the SSE 'event:' field)\n"
	    "  --lines       each line of standard input is one event,\n"
	    "                published as soon as it arrives; empty lines\n"
	    "                are skipped, a CR before the LF is dropped;\n"
	    "                a refused line ends the input (exit 2), the\n"
	    "                lines before it are published\n"
	    "Without DATA, all of standard input is one event, less one\n"
	    "final newline.  Prints each new event id on its own line.\n",
	.op = SSE_CTL_PUBLISH,
	.options = notify_options,
	.minargs = 0,
	.maxargs = 2,
	.exec = cmd_notify_exec,
};

/*
 * state.c: the small files ssecat reads and writes.
 *
 * --state FILE holds the last event id, one line, so that the next run
 * resumes where this one stopped; --token-file FILE holds a token on its
 * first line.  A state file is replaced whole, by a rename, so a reader
 * (or a killed ssecat) never sees half an id.  Which id wins over which
 * is opts.c's business, when to save stream.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssecat.h"

/*
 * The first line of path without its line end, in a new string *linep
 * (the caller frees it; "" for an empty file).  Returns its length,
 * which tells a NUL in it, or -1 with errno set.
 */
static ssize_t
state_read_line(const char *path, char **linep)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n, rc = -1;
	int	 saved;

	*linep = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	errno = 0;
	if ((n = getline(&line, &size, f)) == -1) {
		if (errno != 0)
			goto out;
		/* An empty file is an empty line; getline may have a buffer. */
		free(line);
		if ((line = strdup("")) == NULL)
			goto out;
		n = 0;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	*linep = line;
	line = NULL;
	rc = n;
out:
	saved = errno;
	free(line);
	fclose(f);
	errno = saved;
	return rc;
}

/*
 * The first line of the file of option name, in *linep: 0; 1 when it
 * does not exist and missing_ok; -1 after a message.
 */
static int
state_read_option(const char *name, const char *path, int missing_ok,
    char **linep)
{
	ssize_t	n;

	if ((n = state_read_line(path, linep)) == -1) {
		if (errno == ENOENT && missing_ok)
			return 1;
		msg_warn("cannot read --%s %s: %s", name, path,
		    strerror(errno));
		return -1;
	}
	/* The string would end there: a token or an id cut short. */
	if (strlen(*linep) != (size_t)n)
		return msg_usage("bad --%s %s: a NUL byte in its first line",
		    name, path);
	if (strpbrk(*linep, "\r\n") != NULL)
		return msg_usage("bad --%s %s: a line break in its first line",
		    name, path);
	return 0;
}

/*
 * An explicit --last-event-id wins over the id in --state: it is how a
 * user rewinds (the state file is still updated as events arrive).  A
 * state file that does not exist yet means "from now".
 */
int
state_load(struct opts *o)
{
	int	rc;

	if (o->token_file != NULL) {
		if (o->token != NULL)
			return msg_usage("--token and --token-file: "
			    "give one of them");
		if (state_read_option("token-file", o->token_file, 0,
		    &o->token_buf) != 0)
			return -1;
		if (*o->token_buf == '\0')
			return msg_usage("bad --token-file %s: its first line "
			    "is empty", o->token_file);
		o->token = o->token_buf;
	}
	if (o->state != NULL && o->last_id == NULL) {
		if ((rc = state_read_option("state", o->state, 1,
		    &o->state_id)) == -1)
			return -1;
		if (rc == 0) {
			/* ssecat writes only ids it received, UTF-8 all. */
			if (!utf8_is_valid(o->state_id, strlen(o->state_id)))
				return msg_usage("bad --state %s: its id is "
				    "not UTF-8", o->state);
			o->last_id = o->state_id;
		}
	}
	return 0;
}

/*
 * A temporary file next to path, then rename: readers see the old id or
 * the new one.  No fsync: an event a crash forgets is replayed from the
 * server's history, and a fsync per event would slow a busy stream.
 */
int
state_save(const char *path, const char *id)
{
	char	*tmp = NULL;
	FILE	*f = NULL;
	int	 fd, rc = -1, saved;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		tmp = NULL;
		goto out;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto out;
	}
	if (fprintf(f, "%s\n", id) < 0)
		goto out;
	if (fclose(f) == EOF) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) == -1)
		goto out;
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	saved = errno;
	if (f != NULL)
		fclose(f);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	errno = saved;
	return rc;
}

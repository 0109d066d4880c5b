/*
 * output.c: one event on stdout, in the format the user chose.
 *
 * Each event is flushed as soon as it is written: ssecat sits in pipes
 * (ssecat URL | jq), and an event held in a buffer is an event late.
 * What counts as an event, and its id, is the parser's business; the
 * text is valid UTF-8 by now, as utf8.c decoded it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ssecat.h"

/* Key order kept for jansson before 2.8, which sorted by hash. */
#define DUMP_FLAGS	(JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)

/*
 * The data of ev as a JSON value: a string, or with --data-json the
 * value the data holds.  NULL with *notjson set when it holds none
 * (reported), NULL alone when out of memory.
 */
static json_t *
output_data(const struct opts *o, const struct sse_event *ev, int *notjson)
{
	json_error_t	 err;
	json_t		*j;
	char		 id[128], type[128], text[sizeof(err.text)];

	*notjson = 0;
	if (!o->data_json)
		return json_stringn(ev->data, ev->datalen);
	if ((j = json_loadb(ev->data, ev->datalen, JSON_DECODE_ANY, &err)) !=
	    NULL)
		return j;
	*notjson = 1;
	/* All three may hold the server's bytes: no escapes on a terminal. */
	reply_printable(id, sizeof(id), ev->id, strlen(ev->id));
	reply_printable(type, sizeof(type), ev->type, strlen(ev->type));
	reply_printable(text, sizeof(text), err.text, strlen(err.text));
	msg_note("event %s%s: data is not JSON (%s), skipped",
	    *id != '\0' ? "id " : "of type ", *id != '\0' ? id : type, text);
	return NULL;
}

/* {"id","event","data"[,"retry"]}, or the data alone in data format. */
static json_t *
output_json(const struct opts *o, const struct sse_event *ev, int64_t retry,
    int *notjson)
{
	json_t	*obj, *data;
	int	 rc = 0;

	if ((data = output_data(o, ev, notjson)) == NULL ||
	    o->format == OUT_DATA)
		return data;
	if ((obj = json_object()) == NULL) {
		json_decref(data);
		return NULL;
	}
	/* set_new takes each reference even when it fails: call them all. */
	rc |= json_object_set_new(obj, "id", json_string(ev->id));
	rc |= json_object_set_new(obj, "event", json_string(ev->type));
	rc |= json_object_set_new(obj, "data", data);
	if (retry >= 0)
		rc |= json_object_set_new(obj, "retry",
		    json_integer((json_int_t)retry));
	if (rc != 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int
output_write(const struct opts *o, const struct sse_event *ev, int64_t retry)
{
	json_t	*j;
	int	 notjson, rc = -1;

	if (o->format == OUT_RAW)
		return fwrite(ev->raw, 1, ev->rawlen, stdout) == ev->rawlen ?
		    0 : -1;
	if (o->format == OUT_DATA && !o->data_json)
		return fwrite(ev->data, 1, ev->datalen, stdout) ==
		    ev->datalen && putchar('\n') != EOF ? 0 : -1;
	if ((j = output_json(o, ev, retry, &notjson)) == NULL) {
		if (notjson)
			return 1;
		errno = ENOMEM;
		return -1;
	}
	if (o->quiet || (json_dumpf(j, stdout, DUMP_FLAGS) == 0 &&
	    putchar('\n') != EOF))
		rc = 0;
	json_decref(j);
	return rc;
}

int
output_event(const struct opts *o, const struct sse_event *ev,
    int64_t retry)
{
	int	rc;

	/* -q prints nothing, but --data-json still skips what is not JSON. */
	if (o->quiet && !o->data_json)
		return 0;
	if ((rc = output_write(o, ev, retry)) == 0 && fflush(stdout) == EOF)
		rc = -1;
	return rc;
}

/*
 * output.c: how ssectl prints replies.
 *
 * One generic msgpack -> JSON converter for every --json output (jansson
 * does the JSON), text for the values of a reply (safe on a terminal: a
 * client_id is whatever a browser sent), and values in their units, for
 * people on a terminal and as plain numbers for scripts.  Tables are
 * table.c's; which fields a command shows, and in which order, is the
 * command's.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssectl.h"

/* Replies nest a few levels; deeper is not ssed talking. */
#define CTL_JSON_MAX_DEPTH	64

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * A NUL-terminated copy of p (n bytes) where each byte that is not part
 * of valid UTF-8 becomes U+FFFD, so JSON output stays valid.  NULL on
 * allocation failure; the caller frees.
 */
static char *
utf8_sanitize(const char *p, size_t n, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, o = 0, l;
	char *out;

	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	while (i < n) {
		if ((l = utf8_seqlen(s + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static json_t *
json_from_bytes(const char *p, size_t n)
{
	json_t *j;
	size_t len;
	char *s;

	if ((j = json_stringn(p, n)) != NULL)
		return j;
	if ((s = utf8_sanitize(p, n, &len)) == NULL)
		return NULL;
	j = json_stringn(s, len);
	free(s);
	return j;
}

static json_t *
json_convert(const msgpack_object *o, int depth)
{
	const msgpack_object_kv *kv;
	json_t *j = NULL, *v;
	char *key = NULL;
	size_t i, len;

	if (depth > CTL_JSON_MAX_DEPTH)
		return json_null();
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)LLONG_MAX)
			return json_real((double)o->via.u64);
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		return json_from_bytes(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:
		return json_from_bytes(o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_ARRAY:
		if ((j = json_array()) == NULL)
			goto fail;
		for (i = 0; i < o->via.array.size; i++) {
			v = json_convert(&o->via.array.ptr[i], depth + 1);
			if (v == NULL || json_array_append_new(j, v) == -1)
				goto fail;
		}
		return j;
	case MSGPACK_OBJECT_MAP:
		if ((j = json_object()) == NULL)
			goto fail;
		for (i = 0; i < o->via.map.size; i++) {
			kv = &o->via.map.ptr[i];
			if (kv->key.type == MSGPACK_OBJECT_STR)
				key = utf8_sanitize(kv->key.via.str.ptr,
				    kv->key.via.str.size, &len);
			else
				key = ctl_fmt_value(&kv->key);
			if (key == NULL)
				goto fail;
			v = json_convert(&kv->val, depth + 1);
			if (v == NULL || json_object_set_new(j, key, v) == -1)
				goto fail;
			free(key);
			key = NULL;
		}
		return j;
	default:	/* nil, ext */
		return json_null();
	}
fail:
	free(key);
	json_decref(j);
	return NULL;
}

/*
 * The JSON value of a msgpack object: nil is null, str and bin are
 * strings (invalid UTF-8 replaced by U+FFFD), non-str map keys are written
 * as text, unsigned integers beyond JSON's range become reals.  NULL when
 * out of memory; the caller owns the reference.
 */
json_t *
ctl_json_from_msgpack(const msgpack_object *o)
{
	return json_convert(o, 0);
}

/*
 * Print j as one line of compact JSON on stdout (flags added to
 * JSON_COMPACT): CTL_EXIT_OK, or CTL_EXIT_USAGE (a local failure, as
 * ssectl(1) says) when out of memory (printed) or stdout fails (left to
 * main's check).
 */
int
ctl_json_dump(const json_t *j, size_t flags)
{
	if (json_dumpf(j, stdout, JSON_COMPACT | flags) == -1)
		return ferror(stdout) ? CTL_EXIT_USAGE : ctl_nomem();
	putchar('\n');
	return CTL_EXIT_OK;
}

/* o as one line of compact JSON on stdout, as ctl_json_dump(). */
int
ctl_json_print(const msgpack_object *o)
{
	json_t	*j;
	int	 rc;

	if ((j = ctl_json_from_msgpack(o)) == NULL)
		return ctl_nomem();
	rc = ctl_json_dump(j, JSON_ENCODE_ANY);
	json_decref(j);
	return rc;
}

/*
 * Bytes as text, with each control character (C0, DEL and C1, U+0080 to
 * U+009F) and each byte that is not part of valid UTF-8 shown as '?': a
 * terminal may take U+009B, or a lone 0x9b, for CSI.
 */
static void
fmt_bytes_safe(FILE *fp, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i, len;

	for (i = 0; i < n; i += len) {
		if ((len = utf8_seqlen(s + i, n - i)) == 0)
			len = 1;
		if (len == 1 ? s[i] < 0x20 || s[i] >= 0x7f :
		    s[i] == 0xc2 && s[i + 1] < 0xa0)
			putc('?', fp);
		else
			fwrite(p + i, 1, len, fp);
	}
}

static void
fmt_value(FILE *fp, const msgpack_object *o, int depth)
{
	json_t *j;
	size_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("-", fp);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", fp);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(fp, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(fp, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		fprintf(fp, "%g", o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		fmt_bytes_safe(fp, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		fmt_bytes_safe(fp, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		if (o->via.array.size == 0)
			fputs("-", fp);
		for (i = 0; i < o->via.array.size && depth < 2; i++) {
			if (i > 0)
				putc(',', fp);
			fmt_value(fp, &o->via.array.ptr[i], depth + 1);
		}
		break;
	default:	/* a map or ext: as JSON */
		if ((j = ctl_json_from_msgpack(o)) != NULL)
			json_dumpf(j, fp, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(j);
		break;
	}
}

/*
 * A value as text for a table or a key/value line: nil is "-", an array
 * is its elements joined by ",", a map is JSON.  A new string the caller
 * frees, or NULL when out of memory.
 */
char *
ctl_fmt_value(const msgpack_object *o)
{
	char *buf = NULL;
	size_t len;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fmt_value(fp, o, 0);
	if (fclose(fp) == EOF) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* 42s, 3m12s, 5h07m, 2d03h. */
void
ctl_fmt_duration(char *buf, size_t size, uint64_t s)
{
	if (s < 60)
		snprintf(buf, size, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus",
		    (unsigned long long)s / 60, (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum",
		    (unsigned long long)s / 3600,
		    (unsigned long long)s % 3600 / 60);
	else
		snprintf(buf, size, "%llud%02lluh",
		    (unsigned long long)s / 86400,
		    (unsigned long long)s % 86400 / 3600);
}

/* 512 B, 1.2 KiB, 3.0 MiB ... */
void
ctl_fmt_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)n);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

uint64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A number in unit u for people ("3m12s", "1.2 MiB", "in 59m"). */
static void
fmt_human(char *buf, size_t size, uint64_t v, double f, enum ctl_unit u)
{
	uint64_t now = ctl_now_ms();
	char d[32];

	switch (u) {
	case CTL_UNIT_AGE:
		ctl_fmt_duration(buf, size, now > v ? (now - v) / 1000 : 0);
		break;
	case CTL_UNIT_UNTIL:
		if (v == 0) {
			snprintf(buf, size, "never");
			break;
		}
		ctl_fmt_duration(d, sizeof(d), v > now ? (v - now) / 1000 : 0);
		snprintf(buf, size, v > now ? "in %s" : "%s ago", d);
		break;
	case CTL_UNIT_SECONDS:
		ctl_fmt_duration(buf, size, v);
		break;
	case CTL_UNIT_MS:
		if (v < 1000)
			snprintf(buf, size, "%llums", (unsigned long long)v);
		else
			ctl_fmt_duration(buf, size, v / 1000);
		break;
	case CTL_UNIT_BYTES:
		ctl_fmt_bytes(buf, size, v);
		break;
	default:	/* CTL_UNIT_RATE */
		snprintf(buf, size, "%.1f/s", f);
		break;
	}
}

/*
 * The value o as text, in unit u: for people when stdout is a terminal,
 * else a plain number (an age in seconds, a rate as is).  An absent value
 * (NULL), or one that is not a number, is shown as ctl_fmt_value shows
 * it ("-" when absent).  A new string, or NULL when out of memory.
 */
char *
ctl_fmt_unit(const struct ctl_ctx *ctx, const msgpack_object *o,
    enum ctl_unit u)
{
	uint64_t v = 0, now;
	double f = 0;
	char buf[64];

	if (o == NULL)
		return strdup("-");
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		f = (double)(v = o->via.u64);
	else if (o->type == MSGPACK_OBJECT_FLOAT32 ||
	    o->type == MSGPACK_OBJECT_FLOAT64)
		f = o->via.f64;
	else
		u = CTL_UNIT_NONE;
	if (u == CTL_UNIT_NONE || (!ctx->human && u != CTL_UNIT_AGE))
		return ctl_fmt_value(o);
	if (ctx->human)
		fmt_human(buf, sizeof(buf), v, f, u);
	else {
		now = ctl_now_ms();
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)
		    (now > v ? (now - v) / 1000 : 0));
	}
	return strdup(buf);
}

/* The field key of map as text, in unit u, as ctl_fmt_unit has it. */
char *
ctl_fmt_cell(const struct ctl_ctx *ctx, const msgpack_object *map,
    const char *key, enum ctl_unit u)
{
	return ctl_fmt_unit(ctx, sse_ctl_get(map, key), u);
}

/*
 * The array key of the result res in *ap: CTL_EXIT_OK, or
 * CTL_EXIT_UNREACHABLE (printed) when the reply has none.
 */
int
ctl_result_array(const struct ctl_client *c, const msgpack_object *res,
    const char *key, const msgpack_object **ap)
{
	char what[64];

	*ap = sse_ctl_get(res, key);
	if (*ap != NULL && (*ap)->type == MSGPACK_OBJECT_ARRAY)
		return CTL_EXIT_OK;
	snprintf(what, sizeof(what), "no '%s' array", key);
	return ctl_bad_reply(c, what);
}

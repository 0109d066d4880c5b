/*
 * sse_parse_test.c: the SSE parser against the vectors in
 * tests/vectors/parse (format in tests/vectors/README), each fed whole,
 * a byte at a time and split in two at every position, plus the parts of
 * the API the vectors cannot reach.
 */
#include <check.h>
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

/* A growable byte string for the test's own bookkeeping. */
struct bytes {
	char	*p;
	size_t	 len;
};

static void
bytes_add(struct bytes *b, const void *s, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	ck_assert_ptr_nonnull(b->p);
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * One callback, or one expectation.  Both are kept as text lines in the
 * vector syntax, so a mismatch prints as readable as the vector itself.
 */
static void
quote(struct bytes *out, const char *s, size_t n)
{
	char hex[8];
	size_t i;
	unsigned char c;

	bytes_add(out, "\"", 1);
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '\r')
			bytes_add(out, "\\r", 2);
		else if (c == '\n')
			bytes_add(out, "\\n", 2);
		else if (c == '\t')
			bytes_add(out, "\\t", 2);
		else if (c == '\\' || c == '"') {
			bytes_add(out, "\\", 1);
			bytes_add(out, &c, 1);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(hex, sizeof(hex), "\\x%02X", c);
			bytes_add(out, hex, 4);
		} else
			bytes_add(out, &c, 1);
	}
	bytes_add(out, "\"", 1);
}

struct vector {
	struct bytes	 input;
	struct bytes	 expect;	/* canonical lines */
	struct bytes	 rawmask;	/* per event: 'r' when raw is checked */
	int		 has_lastid;
	struct bytes	 lastid;
};

/* What the callbacks saw, as canonical lines. */
struct transcript {
	struct bytes		 out;
	const struct vector	*v;
	size_t			 nevents;
};

static void
on_event(const struct sse_event *ev, void *arg)
{
	struct transcript *t = arg;

	ck_assert_ptr_nonnull(ev->data);
	ck_assert_int_eq(ev->data[ev->datalen], '\0');
	bytes_add(&t->out, "event ", 6);
	quote(&t->out, ev->id, strlen(ev->id));
	bytes_add(&t->out, " ", 1);
	quote(&t->out, ev->type, strlen(ev->type));
	bytes_add(&t->out, " ", 1);
	quote(&t->out, ev->data, ev->datalen);
	if (t->nevents < t->v->rawmask.len &&
	    t->v->rawmask.p[t->nevents] == 'r') {
		bytes_add(&t->out, " raw ", 5);
		quote(&t->out, ev->raw, ev->rawlen);
	}
	bytes_add(&t->out, "\n", 1);
	t->nevents++;
}

static void
on_retry(unsigned long ms, void *arg)
{
	struct transcript *t = arg;
	char line[64];

	snprintf(line, sizeof(line), "retry %lu\n", ms);
	bytes_add(&t->out, line, strlen(line));
}

static void
on_comment(const char *text, size_t len, void *arg)
{
	struct transcript *t = arg;

	bytes_add(&t->out, "comment ", 8);
	quote(&t->out, text, len);
	bytes_add(&t->out, "\n", 1);
}

/* Undo the vector escapes of s[0..n) into out; -1 on a bad escape. */
static int
unescape(struct bytes *out, const char *s, size_t n)
{
	char c, hex[3] = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c != '\\') {
			bytes_add(out, &c, 1);
			continue;
		}
		if (++i == n)
			return -1;
		switch (s[i]) {
		case 'r': c = '\r'; break;
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case '\\': c = '\\'; break;
		case '"': c = '"'; break;
		case 'x':
			if (n - i < 3 || strspn(s + i + 1, "0123456789abcdefABCDEF") < 2)
				return -1;
			memcpy(hex, s + i + 1, 2);
			c = (char)strtoul(hex, NULL, 16);
			i += 2;
			break;
		default:
			return -1;
		}
		bytes_add(out, &c, 1);
	}
	return 0;
}

/*
 * Read one quoted string at *sp into out (unescaped) and move *sp past
 * it and the blanks after it; -1 when there is none.
 */
static int
take_string(const char **sp, struct bytes *out)
{
	const char *s = *sp, *q;

	if (*s != '"')
		return -1;
	for (q = s + 1; *q != '\0' && *q != '"'; q++) {
		if (*q == '\\' && q[1] != '\0')
			q++;
	}
	if (*q != '"' || unescape(out, s + 1, q - s - 1) != 0)
		return -1;
	for (q++; *q == ' ' || *q == '\t'; q++)
		;
	*sp = q;
	return 0;
}

/* Turn one expect line into its canonical form in v. */
static int
parse_expect(struct vector *v, const char *line)
{
	struct bytes f[4] = { { NULL, 0 } };
	const char *s = line;
	char *end, num[64];
	unsigned long n;
	int i, rc = -1;

	if (strncmp(s, "event ", 6) == 0) {
		s += 6;
		for (i = 0; i < 3; i++) {
			if (take_string(&s, &f[i]) != 0)
				goto out;
		}
		bytes_add(&v->expect, "event ", 6);
		for (i = 0; i < 3; i++) {
			if (i > 0)
				bytes_add(&v->expect, " ", 1);
			quote(&v->expect, f[i].p ? f[i].p : "", f[i].len);
		}
		if (strncmp(s, "raw ", 4) == 0) {
			s += 4;
			if (take_string(&s, &f[3]) != 0)
				goto out;
			bytes_add(&v->expect, " raw ", 5);
			quote(&v->expect, f[3].p ? f[3].p : "", f[3].len);
			bytes_add(&v->rawmask, "r", 1);
		} else
			bytes_add(&v->rawmask, "-", 1);
		bytes_add(&v->expect, "\n", 1);
	} else if (strncmp(s, "retry ", 6) == 0) {
		errno = 0;
		n = strtoul(s + 6, &end, 10);
		if (errno != 0 || end == s + 6)
			goto out;
		s = end;
		snprintf(num, sizeof(num), "retry %lu\n", n);
		bytes_add(&v->expect, num, strlen(num));
	} else if (strncmp(s, "comment ", 8) == 0) {
		s += 8;
		if (take_string(&s, &f[0]) != 0)
			goto out;
		bytes_add(&v->expect, "comment ", 8);
		quote(&v->expect, f[0].p ? f[0].p : "", f[0].len);
		bytes_add(&v->expect, "\n", 1);
	} else if (strncmp(s, "lastid ", 7) == 0) {
		s += 7;
		if (take_string(&s, &v->lastid) != 0)
			goto out;
		bytes_add(&v->lastid, "", 0);
		v->has_lastid = 1;
	} else
		goto out;
	rc = *s == '\0' ? 0 : -1;
out:
	for (i = 0; i < 4; i++)
		free(f[i].p);
	return rc;
}

static void
vector_free(struct vector *v)
{
	free(v->input.p);
	free(v->expect.p);
	free(v->rawmask.p);
	free(v->lastid.p);
}

/* Load path into v; fails the test, naming the line, when it is bad. */
static void
vector_load(const char *path, struct vector *v)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, section = 0;
	FILE *fp;

	memset(v, 0, sizeof(*v));
	bytes_add(&v->expect, "", 0);
	bytes_add(&v->input, "", 0);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#')
			continue;
		if (strcmp(line, "input:") == 0 && section == 0)
			section = 1;
		else if (strcmp(line, "expect:") == 0 && section == 1)
			section = 2;
		else if (section == 1)
			ck_assert_msg(unescape(&v->input, line, n) == 0,
			    "%s:%d: bad escape", path, lineno);
		else if (section == 2 && n > 0)
			ck_assert_msg(parse_expect(v, line) == 0,
			    "%s:%d: bad expect line", path, lineno);
		else if (n > 0)
			ck_abort_msg("%s:%d: text outside a section", path,
			    lineno);
	}
	ck_assert_msg(section == 2, "%s: no input: and expect: sections",
	    path);
	free(line);
	fclose(fp);
}

/* Feed v cut at the given offsets (ascending, then len) and compare. */
static void
run_cut(const char *name, const struct vector *v, const size_t *cuts,
    size_t ncuts, const char *how)
{
	struct transcript t = { { NULL, 0 }, v, 0 };
	struct sse_parser_cb cb = { on_event, on_retry, on_comment, &t };
	struct sse_parser *p;
	size_t i, from = 0;

	bytes_add(&t.out, "", 0);
	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < ncuts; i++) {
		ck_assert_int_eq(sse_parser_feed(p, v->input.p + from,
		    cuts[i] - from), 0);
		from = cuts[i];
	}
	ck_assert_int_eq(sse_parser_feed(p, v->input.p + from,
	    v->input.len - from), 0);
	ck_assert_int_eq(sse_parser_end(p), 0);
	ck_assert_msg(strcmp(t.out.p, v->expect.p) == 0,
	    "%s fed %s:\nexpected:\n%sgot:\n%s", name, how, v->expect.p,
	    t.out.p);
	if (v->has_lastid)
		ck_assert_msg(strcmp(sse_parser_last_id(p), v->lastid.p) == 0,
		    "%s fed %s: last id \"%s\", expected \"%s\"", name, how,
		    sse_parser_last_id(p), v->lastid.p);
	sse_parser_free(p);
	free(t.out.p);
}

static glob_t vectors;

START_TEST(parser_gives_the_expected_callbacks_however_a_vector_is_cut)
{
	const char *path = vectors.gl_pathv[_i], *name;
	struct vector v;
	size_t *cuts, i;
	char how[64];

	name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	vector_load(path, &v);
	cuts = calloc(v.input.len + 1, sizeof(*cuts));
	ck_assert_ptr_nonnull(cuts);

	run_cut(name, &v, NULL, 0, "whole");
	for (i = 0; i < v.input.len; i++)
		cuts[i] = i + 1;
	run_cut(name, &v, cuts, v.input.len, "one byte at a time");
	for (i = 0; i <= v.input.len; i++) {
		snprintf(how, sizeof(how), "split at %zu", i);
		cuts[0] = i;
		run_cut(name, &v, cuts, 1, how);
	}
	free(cuts);
	vector_free(&v);
}
END_TEST

struct count {
	size_t	 events;
	size_t	 bytes;
	char	 lastdata[64];
};

static void
count_event(const struct sse_event *ev, void *arg)
{
	struct count *c = arg;

	c->events++;
	c->bytes += ev->datalen;
	snprintf(c->lastdata, sizeof(c->lastdata), "%s", ev->data);
}

START_TEST(parser_new_refuses_null_callbacks)
{
	ck_assert_ptr_null(sse_parser_new(NULL));
}
END_TEST

START_TEST(parser_runs_without_any_callback_set)
{
	static const char in[] = ": c\nretry: 1\ndata: a\n\n";
	struct sse_parser_cb cb = { NULL, NULL, NULL, NULL };
	struct sse_parser *p;

	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sse_parser_feed(p, in, sizeof(in) - 1), 0);
	ck_assert_int_eq(sse_parser_end(p), 0);
	sse_parser_free(p);
}
END_TEST

START_TEST(parser_reports_a_set_last_id_until_the_stream_sets_another)
{
	static const char a[] = "data: a\n\n", b[] = "id: 2\ndata: b\n\n";
	struct sse_parser_cb cb = { on_event, NULL, NULL, NULL };
	struct transcript t = { { NULL, 0 }, NULL, 0 };
	struct vector none;
	struct sse_parser *p;

	memset(&none, 0, sizeof(none));
	t.v = &none;
	cb.arg = &t;
	bytes_add(&t.out, "", 0);
	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(sse_parser_last_id(p), "");
	ck_assert_int_eq(sse_parser_set_last_id(p, "41"), 0);
	ck_assert_str_eq(sse_parser_last_id(p), "41");
	ck_assert_int_eq(sse_parser_feed(p, a, sizeof(a) - 1), 0);
	ck_assert_int_eq(sse_parser_feed(p, b, sizeof(b) - 1), 0);
	ck_assert_str_eq(t.out.p, "event \"41\" \"message\" \"a\"\n"
	    "event \"2\" \"message\" \"b\"\n");
	ck_assert_str_eq(sse_parser_last_id(p), "2");
	ck_assert_int_eq(sse_parser_set_last_id(p, NULL), 0);
	ck_assert_str_eq(sse_parser_last_id(p), "");
	sse_parser_free(p);
	free(t.out.p);
}
END_TEST

START_TEST(parser_reset_drops_the_partial_event_and_keeps_the_last_id)
{
	static const char a[] = "id: 1\ndata: a\n\nid: 2\ndata: half",
	    b[] = "\xEF\xBB\xBF" "data: b\n\n";
	struct count c = { 0, 0, "" };
	struct sse_parser_cb cb = { count_event, NULL, NULL, &c };
	struct sse_parser *p;

	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sse_parser_feed(p, a, sizeof(a) - 1), 0);
	sse_parser_reset(p);
	ck_assert_str_eq(sse_parser_last_id(p), "1");
	/* A new stream: its BOM is skipped again. */
	ck_assert_int_eq(sse_parser_feed(p, b, sizeof(b) - 1), 0);
	ck_assert_uint_eq(c.events, 2);
	ck_assert_str_eq(c.lastdata, "b");
	ck_assert_str_eq(sse_parser_last_id(p), "1");
	sse_parser_free(p);
}
END_TEST

/*
 * A load generator feeds big chunks: the line search must stay linear
 * when only one of CR and LF occurs (CK_DEFAULT_TIMEOUT catches it).
 */
START_TEST(parser_stays_linear_on_big_chunks_of_cr_or_lf_lines)
{
	static const char ends[] = { '\r', '\n' };
	static const char line[] = "data: x";
	const size_t nlines = 200000, linelen = sizeof(line) + 1;
	struct count c;
	struct sse_parser_cb cb = { count_event, NULL, NULL, &c };
	struct sse_parser *p;
	char *in;
	size_t i, k;

	in = malloc(nlines * linelen);
	ck_assert_ptr_nonnull(in);
	for (k = 0; k < 2; k++) {
		memset(&c, 0, sizeof(c));
		for (i = 0; i < nlines; i++) {
			memcpy(in + i * linelen, line, sizeof(line) - 1);
			in[i * linelen + linelen - 2] = ends[k];
			in[i * linelen + linelen - 1] = ends[k];
		}
		p = sse_parser_new(&cb);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(sse_parser_feed(p, in, nlines * linelen), 0);
		ck_assert_int_eq(sse_parser_end(p), 0);
		ck_assert_uint_eq(c.events, nlines);
		ck_assert_uint_eq(c.bytes, nlines);
		sse_parser_free(p);
	}
	free(in);
}
END_TEST

/* A data line far longer than any chunk, as a big JSON payload is. */
START_TEST(parser_joins_a_line_spread_over_many_chunks)
{
	struct count c = { 0, 0, "" };
	struct sse_parser_cb cb = { count_event, NULL, NULL, &c };
	struct sse_parser *p;
	char chunk[1000];
	size_t i;

	memset(chunk, 'x', sizeof(chunk));
	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sse_parser_feed(p, "data: ", 6), 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(sse_parser_feed(p, chunk, sizeof(chunk)), 0);
	ck_assert_int_eq(sse_parser_feed(p, "\r\n\r\n", 4), 0);
	ck_assert_uint_eq(c.events, 1);
	ck_assert_uint_eq(c.bytes, 1000 * sizeof(chunk));
	sse_parser_free(p);
}
END_TEST

/*
 * Feed in[0..len) to a parser whose blocks may be max bytes: first cut
 * bytes, then the rest step bytes at a time (all at once when step is 0),
 * then end it.  The callbacks go to t; returns the first error, or 0.
 */
static int
feed_limited(const char *in, size_t len, size_t max, size_t cut, size_t step,
    struct transcript *t)
{
	struct sse_parser_cb cb = { on_event, on_retry, on_comment, t };
	struct sse_parser *p;
	size_t i, n;
	int rc;

	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	sse_parser_set_max(p, max);
	rc = sse_parser_feed(p, in, cut);
	for (i = cut; i < len && rc == 0; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		rc = sse_parser_feed(p, in + i, n);
	}
	if (rc == 0)
		rc = sse_parser_end(p);
	sse_parser_free(p);
	return rc;
}

/*
 * The limit counts a block's bytes with their line ends, the blank line
 * included: a block of exactly max bytes passes and one more byte is
 * refused, with the same callbacks before the error however it is cut.
 */
START_TEST(parser_refuses_a_block_over_the_maximum_however_it_is_cut)
{
	static const struct {
		const char	*in;
		size_t		 max;
		int		 rc;
		const char	*out;
	} cases[] = {
		{ "data: 12345\n\n", 13, 0,
		    "event \"\" \"message\" \"12345\"\n" },
		{ "data: 123456\n\n", 13, SSE_ETOOBIG, "" },
		{ "data: x\r\n\r\n", 11, 0,
		    "event \"\" \"message\" \"x\"\n" },
		{ "data: x\r\n\r\n", 10, SSE_ETOOBIG, "" },
		{ "data: x\r\r", 9, 0, "event \"\" \"message\" \"x\"\n" },
		{ "data: x\r\r", 8, SSE_ETOOBIG, "" },
		/* Each block counts alone; the line over the limit is unseen. */
		{ "data: a\n\n:c\nretry: 5\n:d\n\n", 9, SSE_ETOOBIG,
		    "event \"\" \"message\" \"a\"\ncomment \"c\"\n" },
		{ "data: a\n\n:c\nretry: 5\n:d\n\n", 16, 0,
		    "event \"\" \"message\" \"a\"\ncomment \"c\"\nretry 5\n"
		    "comment \"d\"\n" },
		/* The blank line counts. */
		{ "data: a\n\n:c\nretry: 5\n:d\n\n", 15, SSE_ETOOBIG,
		    "event \"\" \"message\" \"a\"\ncomment \"c\"\nretry 5\n"
		    "comment \"d\"\n" },
		/* An unended line is refused before it ends. */
		{ "data: a\n\ndata: bbbbbbbbbbbbbbbbbbbb", 12, SSE_ETOOBIG,
		    "event \"\" \"message\" \"a\"\n" },
	};
	struct transcript t;
	struct vector none;
	size_t i, len, cut, step;
	char how[64];
	int rc;

	memset(&none, 0, sizeof(none));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		for (cut = 0; cut <= len; cut++) {
			for (step = 0; step <= len; step++) {
				memset(&t, 0, sizeof(t));
				t.v = &none;
				bytes_add(&t.out, "", 0);
				rc = feed_limited(cases[i].in, len,
				    cases[i].max, cut, step, &t);
				snprintf(how, sizeof(how), "cut %zu step %zu",
				    cut, step);
				ck_assert_msg(rc == cases[i].rc,
				    "case %zu %s: %d", i, how, rc);
				ck_assert_msg(strcmp(t.out.p, cases[i].out) ==
				    0, "case %zu %s:\nexpected:\n%sgot:\n%s",
				    i, how, cases[i].out, t.out.p);
				free(t.out.p);
			}
		}
	}
}
END_TEST

/*
 * A server that never ends its line is stopped at the default maximum,
 * and the parser, reset by the error, reads the next stream.
 */
START_TEST(parser_stops_an_endless_line_at_the_default_maximum)
{
	static const char next[] = "data: ok\n\n";
	struct count c = { 0, 0, "" };
	struct sse_parser_cb cb = { count_event, NULL, NULL, &c };
	struct sse_parser *p;
	const size_t chunk = 1024 * 1024;
	char *buf;
	size_t fed = 0;
	int rc;

	buf = malloc(chunk);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', chunk);
	p = sse_parser_new(&cb);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sse_parser_feed(p, "data: ", 6), 0);
	fed = 6;
	while ((rc = sse_parser_feed(p, buf, chunk)) == 0) {
		fed += chunk;
		ck_assert_uint_le(fed, SSE_PARSER_MAX_BLOCK);
	}
	ck_assert_int_eq(rc, SSE_ETOOBIG);
	ck_assert_uint_gt(fed + chunk, SSE_PARSER_MAX_BLOCK);
	ck_assert_uint_eq(c.events, 0);
	ck_assert_int_eq(sse_parser_feed(p, next, sizeof(next) - 1), 0);
	ck_assert_uint_eq(c.events, 1);
	ck_assert_str_eq(c.lastdata, "ok");
	/* Lifted, the limit lets the same line through. */
	sse_parser_set_max(p, SIZE_MAX);
	ck_assert_int_eq(sse_parser_feed(p, "data: ", 6), 0);
	for (fed = 6; fed <= SSE_PARSER_MAX_BLOCK; fed += chunk)
		ck_assert_int_eq(sse_parser_feed(p, buf, chunk), 0);
	ck_assert_int_eq(sse_parser_feed(p, "\n\n", 2), 0);
	ck_assert_uint_eq(c.events, 2);
	ck_assert_uint_eq(c.bytes, 2 + (fed - 6));
	sse_parser_free(p);
	free(buf);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("sse_parse");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc,
	    parser_gives_the_expected_callbacks_however_a_vector_is_cut,
	    0, (int)vectors.gl_pathc);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, parser_new_refuses_null_callbacks);
	tcase_add_test(tc, parser_runs_without_any_callback_set);
	tcase_add_test(tc,
	    parser_reports_a_set_last_id_until_the_stream_sets_another);
	tcase_add_test(tc,
	    parser_reset_drops_the_partial_event_and_keeps_the_last_id);
	tcase_add_test(tc, parser_stays_linear_on_big_chunks_of_cr_or_lf_lines);
	tcase_add_test(tc, parser_joins_a_line_spread_over_many_chunks);
	tcase_add_test(tc,
	    parser_refuses_a_block_over_the_maximum_however_it_is_cut);
	tcase_add_test(tc, parser_stops_an_endless_line_at_the_default_maximum);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (glob(VECTORS_DIR "/parse/*.vec", 0, NULL, &vectors) != 0 ||
	    vectors.gl_pathc < 1) {
		fprintf(stderr, "no vectors in %s/parse\n", VECTORS_DIR);
		return EXIT_FAILURE;
	}
	sr = srunner_create(parse_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	globfree(&vectors);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * sse_encode_test.c: the SSE encoder, and its output read back through
 * the parser.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

/*
 * Encode m three ways, check they agree, and return the frame.  Every
 * buffer too small by any amount is refused, and written (if at all)
 * only within its size: each is malloc'd to size, for ASan to watch.
 */
static char *
encode(const struct sse_msg *m, size_t *lenp)
{
	char *a, *b, *c;
	ssize_t n, len;
	size_t alen, size;

	len = sse_encode_len(m);
	ck_assert_int_gt(len, 0);
	for (size = 0; size < (size_t)len; size++) {
		c = malloc(size > 0 ? size : 1);
		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(sse_encode(c, size, m), SSE_EINVAL);
		free(c);
	}
	b = malloc(len + 1);
	ck_assert_ptr_nonnull(b);
	b[len] = '#';
	n = sse_encode(b, len + 1, m);
	ck_assert_int_eq(n, len);
	ck_assert_int_eq(b[len], '#');
	n = sse_encode(b, len, m);
	ck_assert_int_eq(n, len);
	b[len] = '\0';
	ck_assert_int_eq(sse_encode_alloc(m, &a, &alen), 0);
	ck_assert_uint_eq(alen, (size_t)len);
	ck_assert_mem_eq(a, b, alen);
	free(a);
	*lenp = len;
	return b;
}

static void
assert_frame(const struct sse_msg *m, const char *want)
{
	size_t len;
	char *got = encode(m, &len);

	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(encoder_writes_id_event_retry_and_data_in_order)
{
	struct sse_msg m = { "42", "update", "hello", 5, 1500 };

	assert_frame(&m, "id: 42\nevent: update\nretry: 1500\ndata: hello\n\n");
}
END_TEST

START_TEST(encoder_leaves_out_null_or_empty_id_and_event_and_negative_retry)
{
	struct sse_msg m = { NULL, "", "x", 1, -1 };

	assert_frame(&m, "data: x\n\n");
	m.id = "";
	m.event = NULL;
	m.retry = 0;
	assert_frame(&m, "retry: 0\ndata: x\n\n");
}
END_TEST

START_TEST(encoder_writes_empty_data_as_one_data_line)
{
	struct sse_msg m = { NULL, NULL, NULL, 0, -1 };

	assert_frame(&m, "data: \n\n");
	m.data = "";
	assert_frame(&m, "data: \n\n");
}
END_TEST

START_TEST(encoder_splits_data_at_lf_cr_and_crlf)
{
	static const char data[] = "a\nb\rc\r\nd";
	struct sse_msg m = { NULL, NULL, data, sizeof(data) - 1, -1 };

	assert_frame(&m, "data: a\ndata: b\ndata: c\ndata: d\n\n");
}
END_TEST

/*
 * The frame a plain loop over the bytes gives: each CR, LF or CRLF ends a
 * "data: " line.  The encoder searches with memchr() and remembers the
 * next LF; random data of CR, LF, NUL and a letter checks it agrees.
 */
static size_t
reference_frame(const char *d, size_t n, char *out)
{
	size_t i, o = 0;

	memcpy(out, "data: ", 6);
	o = 6;
	for (i = 0; i < n; i++) {
		if (d[i] == '\r' || d[i] == '\n') {
			if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')
				i++;
			memcpy(out + o, "\ndata: ", 7);
			o += 7;
		} else
			out[o++] = d[i];
	}
	out[o++] = '\n';
	out[o++] = '\n';
	return o;
}

START_TEST(encoder_splits_random_data_as_a_byte_loop_would)
{
	static const char alphabet[] = { 'a', '\r', '\n', '\0' };
	char data[64], want[64 * 7 + 8];
	struct sse_msg m = { NULL, NULL, data, 0, -1 };
	unsigned seed = 12345;
	size_t i, len, wantlen;
	int round;
	char *got;

	for (round = 0; round < 2000; round++) {
		m.datalen = (size_t)rand_r(&seed) % (sizeof(data) + 1);
		for (i = 0; i < m.datalen; i++)
			data[i] = alphabet[rand_r(&seed) % 4];
		wantlen = reference_frame(data, m.datalen, want);
		got = encode(&m, &len);
		ck_assert_uint_eq(len, wantlen);
		ck_assert_mem_eq(got, want, wantlen);
		free(got);
	}
}
END_TEST

START_TEST(encoder_keeps_empty_lines_at_both_ends_of_data)
{
	static const char data[] = "\r\n\nx\r\r";
	struct sse_msg m = { NULL, NULL, data, sizeof(data) - 1, -1 };

	/* CRLF, LF, "x", CR, CR: five lines, two of them after x. */
	assert_frame(&m, "data: \ndata: \ndata: x\ndata: \ndata: \n\n");
}
END_TEST

START_TEST(encoder_keeps_nul_bytes_in_data)
{
	static const char data[] = "a\0b";
	struct sse_msg m = { NULL, NULL, data, 3, -1 };
	size_t len;
	char *got = encode(&m, &len);

	ck_assert_uint_eq(len, 11);
	ck_assert_mem_eq(got, "data: a\0b\n\n", 11);
	free(got);
}
END_TEST

START_TEST(encoder_refuses_id_or_event_with_cr_lf_or_nul)
{
	static const char *const bad[] = { "a\rb", "a\nb", "\r", "x\n" };
	struct sse_msg m = { NULL, NULL, "x", 1, -1 };
	char buf[64], *out = NULL;
	size_t i, len = 0;

	memset(buf, '#', sizeof(buf));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.id = bad[i];
		m.event = NULL;
		ck_assert_int_eq(sse_encode_len(&m), SSE_EBADFIELD);
		ck_assert_int_eq(sse_encode(buf, sizeof(buf), &m),
		    SSE_EBADFIELD);
		/* Fields are judged before anything is written. */
		ck_assert_int_eq(buf[0], '#');
		/* And before the buffer is: a bad field is the error. */
		ck_assert_int_eq(sse_encode(buf, 1, &m), SSE_EBADFIELD);
		ck_assert_int_eq(sse_encode(NULL, 0, &m), SSE_EBADFIELD);
		ck_assert_int_eq(sse_encode_alloc(&m, &out, &len),
		    SSE_EBADFIELD);
		ck_assert_ptr_null(out);
		m.id = NULL;
		m.event = bad[i];
		ck_assert_int_eq(sse_encode(buf, sizeof(buf), &m),
		    SSE_EBADFIELD);
	}
	ck_assert_int_eq(sse_field_is_valid("a\0b", 3), 0);
	ck_assert_int_eq(sse_field_is_valid("a\rb", 3), 0);
	ck_assert_int_eq(sse_field_is_valid("a\nb", 3), 0);
	ck_assert_int_eq(sse_field_is_valid("a b:c", 5), 1);
	ck_assert_int_eq(sse_field_is_valid("", 0), 1);
}
END_TEST

START_TEST(encoder_refuses_a_null_message_or_a_too_small_buffer)
{
	struct sse_msg m = { NULL, NULL, "x", 1, -1 };
	char buf[9];

	ck_assert_int_eq(sse_encode_len(NULL), SSE_EINVAL);
	ck_assert_int_eq(sse_encode(buf, sizeof(buf) - 1, &m), SSE_EINVAL);
	ck_assert_int_eq(sse_encode(NULL, 0, &m), SSE_EINVAL);
	ck_assert_int_eq(sse_encode(buf, sizeof(buf), &m), 9);
	m.data = NULL;
	ck_assert_int_eq(sse_encode_len(&m), SSE_EINVAL);
}
END_TEST

struct seen {
	int	 events;
	char	 id[64];
	char	 type[64];
	char	 data[256];
	size_t	 datalen;
	long	 retry;
};

static void
seen_event(const struct sse_event *ev, void *arg)
{
	struct seen *s = arg;

	s->events++;
	snprintf(s->id, sizeof(s->id), "%s", ev->id);
	snprintf(s->type, sizeof(s->type), "%s", ev->type);
	ck_assert_uint_lt(ev->datalen, sizeof(s->data));
	memcpy(s->data, ev->data, ev->datalen);
	s->datalen = ev->datalen;
}

static void
seen_retry(unsigned long ms, void *arg)
{
	struct seen *s = arg;

	s->retry = (long)ms;
}

/*
 * What the parser gives back is the data with every line break turned
 * into LF: the one thing SSE cannot carry is the kind of line break.
 */
START_TEST(encoder_output_parses_back_to_the_same_event)
{
	static const struct {
		const char	*data;
		size_t		 len;
		const char	*want;
		size_t		 wantlen;
	} cases[] = {
		{ "hello", 5, "hello", 5 },
		{ "", 0, "", 0 },
		{ "a\nb", 3, "a\nb", 3 },
		{ "a\r\nb\rc", 6, "a\nb\nc", 5 },
		{ "\n", 1, "\n", 1 },
		{ "x\r\n\r\n", 5, "x\n\n", 3 },
		{ " lead", 5, " lead", 5 },
		{ ": not a comment", 15, ": not a comment", 15 },
		{ "a\0b", 3, "a\0b", 3 },
	};
	struct seen s;
	struct sse_parser_cb cb = { seen_event, seen_retry, NULL, &s };
	struct sse_msg m = { " id 1", "ping", NULL, 0, 250 };
	struct sse_parser *p;
	size_t i, len;
	char *frame;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		m.data = cases[i].data;
		m.datalen = cases[i].len;
		frame = encode(&m, &len);
		p = sse_parser_new(&cb);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(sse_parser_feed(p, frame, len), 0);
		ck_assert_int_eq(s.events, 1);
		ck_assert_str_eq(s.id, " id 1");
		ck_assert_str_eq(s.type, "ping");
		ck_assert_int_eq(s.retry, 250);
		ck_assert_uint_eq(s.datalen, cases[i].wantlen);
		ck_assert_mem_eq(s.data, cases[i].want, cases[i].wantlen);
		sse_parser_free(p);
		free(frame);
	}
}
END_TEST

static Suite *
encode_suite(void)
{
	Suite *s = suite_create("sse_encode");
	TCase *tc = tcase_create("encode");

	tcase_add_test(tc, encoder_writes_id_event_retry_and_data_in_order);
	tcase_add_test(tc,
	    encoder_leaves_out_null_or_empty_id_and_event_and_negative_retry);
	tcase_add_test(tc, encoder_writes_empty_data_as_one_data_line);
	tcase_add_test(tc, encoder_splits_data_at_lf_cr_and_crlf);
	tcase_add_test(tc, encoder_splits_random_data_as_a_byte_loop_would);
	tcase_add_test(tc, encoder_keeps_empty_lines_at_both_ends_of_data);
	tcase_add_test(tc, encoder_keeps_nul_bytes_in_data);
	tcase_add_test(tc, encoder_refuses_id_or_event_with_cr_lf_or_nul);
	tcase_add_test(tc, encoder_refuses_a_null_message_or_a_too_small_buffer);
	tcase_add_test(tc, encoder_output_parses_back_to_the_same_event);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(encode_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

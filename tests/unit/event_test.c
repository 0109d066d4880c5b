/*
 * event_test.c: ssed's event ids, wire frames and events (ssed/event.c),
 * with the clock supplied by the test.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "loop.h"

static int64_t clock_ms = 1700000000000LL;

/* event.c reads the wall clock through the loop; this is the loop. */
int64_t
loop_wallclock(void)
{
	return clock_ms;
}

static void
assert_id_text(uint64_t ms, uint64_t seq, const char *want)
{
	struct evid	id = { ms, seq }, back;
	char		buf[EVID_STRLEN];

	evid_format(&id, buf);
	ck_assert_str_eq(buf, want);
	if (strlen(want) <= 39) {	/* 19 digits a side are parsed */
		ck_assert_int_eq(evid_parse(buf, strlen(buf), &back), 0);
		ck_assert_int_eq(evid_cmp(&id, &back), 0);
	}
}

START_TEST(ids_are_formatted_as_decimal_ms_dash_seq)
{
	assert_id_text(0, 0, "0-0");
	assert_id_text(9, 10, "9-10");
	assert_id_text(1700000000000ULL, 12, "1700000000000-12");
	assert_id_text(1000000000000000000ULL, 999999, "1000000000000000000-999999");
	assert_id_text(UINT64_MAX, UINT64_MAX,
	    "18446744073709551615-18446744073709551615");
}
END_TEST

START_TEST(malformed_ids_are_refused)
{
	static const char *bad[] = { "", "-", "1-", "-1", "1", "a-1", "1-a",
	    "1-2-3", " 1-2", "1-2 ", "+1-2", "12345678901234567890-1" };
	struct evid	id;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(evid_parse(bad[i], strlen(bad[i]), &id) == -1,
		    "\"%s\" was accepted", bad[i]);
}
END_TEST

START_TEST(ids_increase_even_when_the_clock_steps_back)
{
	struct evid a, b, c, d;

	a = evid_next(5000);
	b = evid_next(5000);
	c = evid_next(4000);
	d = evid_next(6000);
	ck_assert_int_lt(evid_cmp(&a, &b), 0);
	ck_assert_int_lt(evid_cmp(&b, &c), 0);
	ck_assert_int_lt(evid_cmp(&c, &d), 0);
	ck_assert_uint_eq(c.ms, 5000);
	ck_assert_uint_eq(d.ms, 6000);
	ck_assert_uint_eq(d.seq, 0);
}
END_TEST

/*
 * Chunk sizes of one to five hex digits, at the edges: 0, 1 and 15 (one),
 * 16 and 255 (two), 256 and 4095 (three), 4096 and 65535 (four), 65536
 * (five).
 */
START_TEST(a_frame_is_one_http_chunk_around_its_text)
{
	static const size_t lens[] = { 0, 1, 15, 16, 255, 256, 4095, 4096,
	    65535, 65536 };
	size_t	i, len, hl;
	char	hdr[32], *text;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct frame	*f;
		const char	*p;

		text = malloc(lens[i] + 1);
		ck_assert_ptr_nonnull(text);
		memset(text, 'x', lens[i]);
		f = frame_new(text, lens[i]);
		ck_assert_ptr_nonnull(f);

		p = frame_bytes(f, 0, &len);
		ck_assert_uint_eq(len, lens[i]);
		ck_assert_mem_eq(p, text, len);

		hl = (size_t)snprintf(hdr, sizeof(hdr), "%zx\r\n", lens[i]);
		p = frame_bytes(f, 1, &len);
		ck_assert_uint_eq(len, hl + lens[i] + 2);
		ck_assert_mem_eq(p, hdr, hl);
		ck_assert_mem_eq(p + hl, text, lens[i]);
		ck_assert_mem_eq(p + hl + lens[i], "\r\n", 2);
		frame_unref(f);
		free(text);
	}
}
END_TEST

START_TEST(an_event_carries_its_id_in_its_frames)
{
	struct event	*ev;
	struct frame	*typed;
	const char	*p;
	char		 want[128];
	size_t		 len;
	int		 err = 0;

	clock_ms = 1800000000000LL;
	ev = event_new("builds", NULL, "a\nb", 3, &err);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->topic, "builds");
	ck_assert_ptr_null(ev->type);
	ck_assert_int_eq(ev->created, clock_ms);
	ck_assert_uint_eq(ev->id.ms, 1800000000000ULL);
	ck_assert_str_eq(ev->idstr, "1800000000000-0");

	snprintf(want, sizeof(want), "id: %s\ndata: a\ndata: b\n\n", ev->idstr);
	p = frame_bytes(ev->frame, 0, &len);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(p, want, len);

	typed = event_typed_frame(ev);
	ck_assert_ptr_nonnull(typed);
	ck_assert_ptr_eq(event_typed_frame(ev), typed);	/* built once */
	snprintf(want, sizeof(want), "id: %s\nevent: notification\n"
	    "data: a\ndata: b\n\n", ev->idstr);
	p = frame_bytes(typed, 0, &len);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(p, want, len);
	event_unref(ev);

	ev = event_new("builds", "deploy", "x", 1, &err);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->idstr, "1800000000000-1");
	ck_assert_ptr_eq(event_typed_frame(ev), ev->frame);
	event_unref(ev);
}
END_TEST

START_TEST(a_type_with_a_line_break_is_refused_without_taking_an_id)
{
	struct event	*ev;
	int		 err = 0;

	clock_ms = 1900000000000LL;
	ck_assert_ptr_null(event_new("t", "a\nb", "x", 1, &err));
	ck_assert_int_eq(err, SSE_EBADFIELD);
	ev = event_new("t", "ok", "x", 1, &err);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->idstr, "1900000000000-0");
	event_unref(ev);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("event");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, ids_are_formatted_as_decimal_ms_dash_seq);
	tcase_add_test(tc, malformed_ids_are_refused);
	tcase_add_test(tc, ids_increase_even_when_the_clock_steps_back);
	tcase_add_test(tc, a_frame_is_one_http_chunk_around_its_text);
	tcase_add_test(tc, an_event_carries_its_id_in_its_frames);
	tcase_add_test(tc,
	    a_type_with_a_line_break_is_refused_without_taking_an_id);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

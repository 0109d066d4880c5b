/*
 * sse_fault_test.c: libsseproto when memory runs out.  The library's
 * sources are linked into this program with malloc, calloc and realloc
 * wrapped (-Wl,--wrap): the wrappers fail the Nth allocation, and every
 * operation is run again with N = 1, 2, ... until it no longer allocates.
 * Each failure must give SSE_ENOMEM (or NULL) and leave things usable:
 * no crash, no leak (the sanitizer build checks), and the parser and the
 * writer work again once memory is back.  msgpack-c's own allocations
 * happen inside its shared library and are not wrapped.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);

static int	fail_at;	/* 0: never fail */
static int	calls;

static int
should_fail(void)
{
	return fail_at > 0 && ++calls == fail_at;
}

void *
__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return should_fail() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

static void
arm(int n)
{
	fail_at = n;
	calls = 0;
}

/* Did the armed failure happen (so a later N is worth trying)? */
static int
fired(void)
{
	int f = fail_at > 0 && calls >= fail_at;

	fail_at = 0;
	return f;
}

static void
count_event(const struct sse_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
}

/* Three events, one with data long enough to grow every buffer twice. */
static char *
stream(size_t *lenp)
{
	static const char head[] = "\xEF\xBB\xBFid: 1\nevent: a\ndata: x\n\n"
	    "data: ";
	static const char tail[] = "\n\n: c\nretry: 10\nid: 3\ndata: z\r\n\r\n";
	size_t	 big = 5000, n = sizeof(head) - 1 + big + sizeof(tail) - 1;
	char	*s = __real_malloc(n);

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'y', big);
	memcpy(s + sizeof(head) - 1 + big, tail, sizeof(tail) - 1);
	*lenp = n;
	return s;
}

START_TEST(parser_reports_every_failed_allocation_and_recovers)
{
	struct sse_parser	*p;
	size_t			 len, i;
	char			*s = stream(&len);
	int			 n, events, rc, failures = 0;

	for (n = 1; n < 200; n++) {
		struct sse_parser_cb cb = { count_event, NULL, NULL, &events };

		events = 0;
		arm(n);
		p = sse_parser_new(&cb);
		rc = 0;
		for (i = 0; p != NULL && i < len && rc == 0; i += 7)
			rc = sse_parser_feed(p, s + i, len - i < 7 ? len - i :
			    7);
		if (!fired()) {
			ck_assert_ptr_nonnull(p);
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(events, 3);
			sse_parser_free(p);
			break;
		}
		failures++;
		if (p == NULL)
			continue;
		ck_assert_int_eq(rc, SSE_ENOMEM);
		/* Reset by the failure; with memory back it parses again. */
		events = 0;
		ck_assert_int_eq(sse_parser_feed(p, s, len), 0);
		ck_assert_int_eq(events, 3);
		ck_assert_str_eq(sse_parser_last_id(p), "3");
		sse_parser_free(p);
	}
	ck_assert_int_gt(failures, 2);
	ck_assert_int_lt(n, 200);
	free(s);
}
END_TEST

/*
 * The id of the last event seen.  No ck_assert here: Check allocates
 * even for an assertion that holds, which would use up the armed failure.
 */
static void
save_id(const struct sse_event *ev, void *arg)
{
	char *id = arg;

	snprintf(id, 200, "%s", ev->id);
}

/* An id longer than any buffer the parser has so far: they must grow. */
static const char long_id[] = "a-very-long-id-0123456789"
    "0123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789";

/*
 * A new parser whose last id is "1" and whose data buffer is in use,
 * so that what fails later is the growth of the id buffers.
 */
static struct sse_parser *
parser_at_id_1(char *id)
{
	static const char warm[] = "data: warm\n\n";
	struct sse_parser_cb	 cb = { save_id, NULL, NULL, id };
	struct sse_parser	*p = sse_parser_new(&cb);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sse_parser_set_last_id(p, "1"), 0);
	ck_assert_int_eq(sse_parser_feed(p, warm, sizeof(warm) - 1), 0);
	ck_assert_str_eq(id, "1");
	return p;
}

/* After a failure the last id is still "1", for the next event too. */
static void
check_id_1_kept(struct sse_parser *p, char *id)
{
	static const char next[] = "data: next\n\n";

	ck_assert_str_eq(sse_parser_last_id(p), "1");
	id[0] = '\0';
	ck_assert_int_eq(sse_parser_feed(p, next, sizeof(next) - 1), 0);
	ck_assert_str_eq(id, "1");
	ck_assert_str_eq(sse_parser_last_id(p), "1");
}

START_TEST(parser_set_last_id_fails_cleanly)
{
	struct sse_parser	*p;
	char			 id[200];
	int			 n, rc;

	for (n = 1; n < 20; n++) {
		p = parser_at_id_1(id);
		arm(n);
		rc = sse_parser_set_last_id(p, long_id);
		if (!fired()) {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(sse_parser_last_id(p), long_id);
			sse_parser_free(p);
			break;
		}
		ck_assert_int_eq(rc, SSE_ENOMEM);
		check_id_1_kept(p, id);
		sse_parser_free(p);
	}
	/* Both id buffers grow: both failures were tried. */
	ck_assert_int_eq(n, 3);
}
END_TEST

/*
 * A block fed in two chunks is kept whole for its raw bytes; the blank
 * line's chunk is appended to it at dispatch.  Every allocation there
 * failed in turn: a failure delivers nothing and keeps id 1 in force,
 * not the id of the block it did not deliver.
 */
START_TEST(parser_keeps_the_last_id_when_a_split_block_runs_out)
{
	struct sse_parser	*p;
	char			 in[128], id[200];
	int			 len, n, rc;

	len = snprintf(in, sizeof(in), "id: 2\ndata: %050d", 0);
	for (n = 1; n < 20; n++) {
		p = parser_at_id_1(id);
		ck_assert_int_eq(sse_parser_feed(p, in, (size_t)len), 0);
		arm(n);
		rc = sse_parser_feed(p, "\n\n", 2);
		if (!fired()) {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(id, "2");
			ck_assert_str_eq(sse_parser_last_id(p), "2");
			sse_parser_free(p);
			break;
		}
		ck_assert_int_eq(rc, SSE_ENOMEM);
		check_id_1_kept(p, id);
		sse_parser_free(p);
	}
	ck_assert_int_lt(n, 20);
	ck_assert_int_gt(n, 1);		/* the append did fail once */
}
END_TEST

/*
 * An id line, then the blank line that puts it in force, with every
 * allocation on the way failed in turn, among them the growth of the
 * last id at dispatch: a failure must leave the id in force before it.
 */
START_TEST(parser_keeps_the_last_id_when_memory_runs_out)
{
	struct sse_parser	*p;
	char			 in[300], id[200];
	size_t			 len, i, step;
	int			 n, rc, failures;

	len = snprintf(in, sizeof(in), "id: %s\ndata: b\n\n", long_id);
	for (step = 1; step <= len; step += len - 1) {
		failures = 0;
		for (n = 1; n < 50; n++) {
			p = parser_at_id_1(id);
			arm(n);
			rc = 0;
			for (i = 0; i < len && rc == 0; i += step)
				rc = sse_parser_feed(p, in + i,
				    len - i < step ? len - i : step);
			if (!fired()) {
				ck_assert_int_eq(rc, 0);
				ck_assert_str_eq(id, long_id);
				ck_assert_str_eq(sse_parser_last_id(p),
				    long_id);
				sse_parser_free(p);
				break;
			}
			failures++;
			ck_assert_int_eq(rc, SSE_ENOMEM);
			check_id_1_kept(p, id);
			sse_parser_free(p);
		}
		ck_assert_int_lt(n, 50);
		/* At least the id line's buffer and the last id grew. */
		ck_assert_int_ge(failures, 2);
	}
}
END_TEST

START_TEST(encoder_alloc_fails_with_enomem)
{
	struct sse_msg	 m = { .id = "1-0", .event = "t", .data = "a\nb",
			    .datalen = 3, .retry = -1 };
	char		*out = NULL;
	size_t		 len = 0;

	arm(1);
	ck_assert_int_eq(sse_encode_alloc(&m, &out, &len), SSE_ENOMEM);
	ck_assert(fired());
	ck_assert_ptr_null(out);
	ck_assert_int_eq(sse_encode_alloc(&m, &out, &len), 0);
	ck_assert_ptr_nonnull(out);
	free(out);
}
END_TEST

START_TEST(writer_drops_the_frame_that_ran_out_and_keeps_the_others)
{
	struct sse_ctl_writer	 w;
	msgpack_unpacked	 u;
	size_t			 flen, first;
	static char		 big[20000];	/* past the first buffer */
	int			 n, rc;

	memset(big, 'x', sizeof(big));
	for (n = 1; n < 50; n++) {
		sse_ctl_writer_init(&w);
		sse_ctl_begin(&w);
		sse_ctl_pack_request(&w.pk, SSE_CTL_STATS, 1, 0);
		ck_assert_int_eq(sse_ctl_end(&w), 0);
		first = w.sb.size;
		arm(n);
		sse_ctl_begin(&w);
		sse_ctl_pack_request(&w.pk, SSE_CTL_PUBLISH, 2, 2);
		sse_ctl_pack_str(&w.pk, "topic");
		sse_ctl_pack_str(&w.pk, "t");
		sse_ctl_pack_str(&w.pk, "data");
		sse_ctl_pack_strn(&w.pk, big, sizeof(big));
		rc = sse_ctl_end(&w);
		if (!fired()) {
			ck_assert_int_eq(rc, 0);
			sse_ctl_writer_destroy(&w);
			break;
		}
		ck_assert_int_eq(rc, SSE_ENOMEM);
		/* The frame before is whole and alone. */
		ck_assert_uint_eq(w.sb.size, first);
		msgpack_unpacked_init(&u);
		ck_assert_int_eq(sse_ctl_frame_decode(w.sb.data, w.sb.size,
		    SSE_CTL_MAX_FRAME, &u, &flen), 0);
		ck_assert_uint_eq(flen, first);
		msgpack_unpacked_destroy(&u);
		sse_ctl_writer_destroy(&w);
	}
	ck_assert_int_gt(n, 1);
	ck_assert_int_lt(n, 50);
}
END_TEST

START_TEST(get_strdup_fails_with_enomem)
{
	struct sse_ctl_writer	 w;
	msgpack_unpacked	 u;
	size_t			 flen;
	char			*s = NULL;

	sse_ctl_writer_init(&w);
	sse_ctl_begin(&w);
	msgpack_pack_map(&w.pk, 1);
	sse_ctl_pack_str(&w.pk, "k");
	sse_ctl_pack_str(&w.pk, "value");
	ck_assert_int_eq(sse_ctl_end(&w), 0);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(sse_ctl_frame_decode(w.sb.data, w.sb.size,
	    SSE_CTL_MAX_FRAME, &u, &flen), 0);
	arm(1);
	ck_assert_int_eq(sse_ctl_get_strdup(&u.data, "k", &s), SSE_ENOMEM);
	ck_assert(fired());
	ck_assert_int_eq(sse_ctl_get_strdup(&u.data, "k", &s), 0);
	ck_assert_str_eq(s, "value");
	free(s);
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
}
END_TEST

static Suite *
fault_suite(void)
{
	Suite	*s = suite_create("fault");
	TCase	*tc = tcase_create("allocations");

	tcase_add_test(tc, parser_reports_every_failed_allocation_and_recovers);
	tcase_add_test(tc, parser_set_last_id_fails_cleanly);
	tcase_add_test(tc, parser_keeps_the_last_id_when_memory_runs_out);
	tcase_add_test(tc,
	    parser_keeps_the_last_id_when_a_split_block_runs_out);
	tcase_add_test(tc, encoder_alloc_fails_with_enomem);
	tcase_add_test(tc,
	    writer_drops_the_frame_that_ran_out_and_keeps_the_others);
	tcase_add_test(tc, get_strdup_fails_with_enomem);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(fault_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

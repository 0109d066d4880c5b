/*
 * sse_ctl_test.c: the control-protocol codec: frames whole, cut short,
 * oversized and made of garbage; the request and reply envelopes; the
 * typed getters; the op table; sse_strerror().
 *
 * Every frame handed to sse_ctl_frame_decode() here sits in a malloc'd
 * buffer of exactly its length, so that reading past len is an
 * AddressSanitizer error in the sanitizer build.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

/* Decode buf[0..len) from an exact-size copy. */
static int
decode(const void *buf, size_t len, size_t max, msgpack_unpacked *out,
    size_t *framelen)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	if (len > 0)
		memcpy(copy, buf, len);
	rc = sse_ctl_frame_decode(copy, len, max, out, framelen);
	/* Strings in out point into copy: only keep it for a non-map check. */
	if (rc == 0)
		ck_assert_int_eq(out->data.type, MSGPACK_OBJECT_MAP);
	free(copy);
	return rc;
}

/* Wrap body[0..n) in a frame header (announcing hdrlen) into w. */
static void
frame_raw(struct sse_ctl_writer *w, const void *body, size_t n,
    uint32_t hdrlen)
{
	unsigned char hdr[4] = { hdrlen >> 24, hdrlen >> 16, hdrlen >> 8,
	    hdrlen };

	msgpack_sbuffer_write(&w->sb, (const char *)hdr, 4);
	msgpack_sbuffer_write(&w->sb, body, n);
}

static int
decode_body(const void *body, size_t n)
{
	struct sse_ctl_writer w;
	msgpack_unpacked u;
	size_t framelen = 0;
	int rc;

	sse_ctl_writer_init(&w);
	frame_raw(&w, body, n, n);
	msgpack_unpacked_init(&u);
	rc = decode(w.sb.data, w.sb.size, SSE_CTL_MAX_FRAME, &u, &framelen);
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
	return rc;
}

/* A publish request with topic and data, as ssectl sends it. */
static void
pack_publish(struct sse_ctl_writer *w, uint64_t seq)
{
	sse_ctl_begin(w);
	sse_ctl_pack_request(&w->pk, SSE_CTL_PUBLISH, seq, 2);
	sse_ctl_pack_str(&w->pk, "topic");
	sse_ctl_pack_str(&w->pk, "news");
	sse_ctl_pack_str(&w->pk, "data");
	msgpack_pack_bin(&w->pk, 3);
	msgpack_pack_bin_body(&w->pk, "a\0b", 3);
	ck_assert_int_eq(sse_ctl_end(w), 0);
}

/*
 * End the only frame in w and decode it into u, which is set up here
 * and destroyed by the caller.
 */
static void
end_and_decode(struct sse_ctl_writer *w, msgpack_unpacked *u)
{
	size_t framelen;

	ck_assert_int_eq(sse_ctl_end(w), 0);
	msgpack_unpacked_init(u);
	ck_assert_int_eq(sse_ctl_frame_decode(w->sb.data, w->sb.size,
	    SSE_CTL_MAX_FRAME, u, &framelen), 0);
	ck_assert_uint_eq(framelen, w->sb.size);
}

START_TEST(ctl_request_round_trips_through_a_frame)
{
	struct sse_ctl_writer w;
	msgpack_unpacked u;
	const char *s;
	size_t framelen, len;
	uint64_t seq;
	int op;

	sse_ctl_writer_init(&w);
	pack_publish(&w, 77);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(sse_ctl_frame_decode(w.sb.data, w.sb.size,
	    SSE_CTL_MAX_FRAME, &u, &framelen), 0);
	ck_assert_uint_eq(framelen, w.sb.size);
	ck_assert_int_eq(sse_ctl_request_check(&u.data, &op, &seq), 0);
	ck_assert_int_eq(op, SSE_CTL_PUBLISH);
	ck_assert_uint_eq(seq, 77);
	ck_assert_int_eq(sse_ctl_get_str(&u.data, "topic", &s, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(s, "news", 4);
	ck_assert_int_eq(sse_ctl_get_str(&u.data, "data", &s, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(s, "a\0b", 3);
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
}
END_TEST

START_TEST(ctl_replies_round_trip_as_result_and_as_error)
{
	struct sse_ctl_writer w;
	struct sse_ctl_reply r;
	msgpack_unpacked u;
	size_t framelen, off;
	uint64_t n;

	sse_ctl_writer_init(&w);
	sse_ctl_begin(&w);
	sse_ctl_pack_result(&w.pk, 5, 1);
	sse_ctl_pack_str(&w.pk, "kicked");
	msgpack_pack_uint64(&w.pk, 3);
	ck_assert_int_eq(sse_ctl_end(&w), 0);
	sse_ctl_begin(&w);
	sse_ctl_pack_error(&w.pk, 6, "UNKNOWN_OP", "no op \"frob\"");
	ck_assert_int_eq(sse_ctl_end(&w), 0);

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(sse_ctl_frame_decode(w.sb.data, w.sb.size,
	    SSE_CTL_MAX_FRAME, &u, &framelen), 0);
	ck_assert_int_eq(sse_ctl_reply_parse(&u.data, &r), 0);
	ck_assert_uint_eq(r.seq, 5);
	ck_assert_ptr_nonnull(r.result);
	ck_assert_int_eq(sse_ctl_get_uint(r.result, "kicked", &n), 0);
	ck_assert_uint_eq(n, 3);

	/* The second frame follows the first in the same writer. */
	off = framelen;
	ck_assert_int_eq(sse_ctl_frame_decode(w.sb.data + off,
	    w.sb.size - off, SSE_CTL_MAX_FRAME, &u, &framelen), 0);
	ck_assert_uint_eq(off + framelen, w.sb.size);
	ck_assert_int_eq(sse_ctl_reply_parse(&u.data, &r), 1);
	ck_assert_uint_eq(r.seq, 6);
	ck_assert_ptr_null(r.result);
	ck_assert_uint_eq(r.codelen, 10);
	ck_assert_mem_eq(r.code, "UNKNOWN_OP", 10);
	ck_assert_uint_eq(r.messagelen, 12);
	ck_assert_mem_eq(r.message, "no op \"frob\"", 12);
	msgpack_unpacked_destroy(&u);

	sse_ctl_writer_reset(&w);
	ck_assert_uint_eq(w.sb.size, 0);
	sse_ctl_writer_destroy(&w);
}
END_TEST

START_TEST(ctl_frame_cut_short_at_every_length_needs_more_bytes)
{
	struct sse_ctl_writer w;
	msgpack_unpacked u;
	size_t i, framelen;

	sse_ctl_writer_init(&w);
	pack_publish(&w, 1);
	msgpack_unpacked_init(&u);
	for (i = 0; i < w.sb.size; i++)
		ck_assert_msg(decode(w.sb.data, i, SSE_CTL_MAX_FRAME, &u,
		    &framelen) == SSE_EAGAIN, "cut at %zu", i);
	ck_assert_int_eq(decode(w.sb.data, w.sb.size, SSE_CTL_MAX_FRAME, &u,
	    &framelen), 0);
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
}
END_TEST

START_TEST(ctl_header_over_the_maximum_is_too_big_before_the_body_comes)
{
	static const unsigned char big[] = { 0x04, 0x00, 0x00, 0x01 },
	    max[] = { 0xff, 0xff, 0xff, 0xff }, small[] = { 0, 0, 0, 11 };
	msgpack_unpacked u;
	size_t framelen;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(decode(big, 4, SSE_CTL_MAX_FRAME, &u, &framelen),
	    SSE_ETOOBIG);
	ck_assert_int_eq(decode(max, 4, SSE_CTL_MAX_FRAME, &u, &framelen),
	    SSE_ETOOBIG);
	ck_assert_int_eq(decode(small, 4, 10, &u, &framelen), SSE_ETOOBIG);
	ck_assert_int_eq(decode(small, 4, 11, &u, &framelen), SSE_EAGAIN);
	msgpack_unpacked_destroy(&u);
}
END_TEST

START_TEST(ctl_zero_length_frame_is_a_protocol_error)
{
	static const unsigned char zero[] = { 0, 0, 0, 0, 0x80 };
	msgpack_unpacked u;
	size_t framelen;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(decode(zero, 4, SSE_CTL_MAX_FRAME, &u, &framelen),
	    SSE_EPROTO);
	ck_assert_int_eq(decode(zero, 5, SSE_CTL_MAX_FRAME, &u, &framelen),
	    SSE_EPROTO);
	msgpack_unpacked_destroy(&u);
}
END_TEST

START_TEST(ctl_body_that_is_not_a_map_is_a_protocol_error)
{
	static const struct {
		const char	*body;
		size_t		 len;
	} cases[] = {
		{ "\x90", 1 },			/* [] */
		{ "\x91\x80", 2 },		/* [{}] */
		{ "\xa3" "abc", 4 },		/* "abc" */
		{ "\x01", 1 },			/* 1 */
		{ "\xc0", 1 },			/* nil */
		{ "\xc3", 1 },			/* true */
		{ "\xc1", 1 },			/* never used */
		{ "\xd4\x01\x02", 3 },		/* fixext1 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(decode_body(cases[i].body, cases[i].len) ==
		    SSE_EPROTO, "case %zu", i);
	ck_assert_int_eq(decode_body("\x80", 1), 0);
}
END_TEST

START_TEST(ctl_trailing_bytes_inside_the_frame_are_a_protocol_error)
{
	ck_assert_int_eq(decode_body("\x80\x80", 2), SSE_EPROTO);
	ck_assert_int_eq(decode_body("\x80\x00", 2), SSE_EPROTO);
	ck_assert_int_eq(decode_body("\x81\xa1" "a\x01\xc0", 5), SSE_EPROTO);
}
END_TEST

START_TEST(ctl_msgpack_cut_short_inside_a_whole_frame_is_a_protocol_error)
{
	struct sse_ctl_writer w;
	size_t i, body;

	sse_ctl_writer_init(&w);
	pack_publish(&w, 1);
	body = w.sb.size - SSE_CTL_HDRLEN;
	for (i = 1; i < body; i++)
		ck_assert_msg(decode_body(w.sb.data + SSE_CTL_HDRLEN, i) ==
		    SSE_EPROTO, "body cut at %zu", i);
	ck_assert_int_eq(decode_body(w.sb.data + SSE_CTL_HDRLEN, body), 0);
	sse_ctl_writer_destroy(&w);
}
END_TEST

/*
 * A few bytes may announce billions of entries; the decoder must say
 * EPROTO without first allocating for them.
 */
START_TEST(ctl_huge_announced_counts_are_refused_cheaply)
{
	static const struct {
		const char	*body;
		size_t		 len;
	} cases[] = {
		{ "\xdf\xff\xff\xff\xff", 5 },			/* map32 */
		{ "\x81\xa1x\xdd\xff\xff\xff\xff", 8 },		/* array32 */
		{ "\x81\xa1x\xdb\xff\xff\xff\xff", 8 },		/* str32 */
		{ "\x81\xa1x\xc6\x7f\xff\xff\xff", 8 },		/* bin32 */
		{ "\x81\xa1x\xc9\xff\xff\xff\xff\x01", 9 },	/* ext32 */
		{ "\x81\xa1x\xde\x00\x02\xc0\xc0\xc0", 9 },	/* map16 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(decode_body(cases[i].body, cases[i].len) ==
		    SSE_EPROTO, "case %zu", i);
}
END_TEST

/*
 * ssed-control(7): containers nested more than 32 deep get BAD_FRAME.
 * The outer map counts: {"x": [[...]]} with 31 arrays is 32 deep and
 * passes, with 32 arrays it is refused, whether the innermost array
 * holds nil or is empty.  msgpack-c itself stops at 32 (with a NOMEM
 * error), so both sides of the limit are pinned.
 */
START_TEST(ctl_deep_nesting_is_refused_as_bad_input_not_as_no_memory)
{
	const size_t depth = 100000, limit = 32;
	unsigned char *body;
	size_t i, n, arrays;
	int empty, rc;

	body = malloc(depth + 4);
	ck_assert_ptr_nonnull(body);
	body[0] = 0x81;
	body[1] = 0xa1;
	body[2] = 'x';
	for (arrays = 1; arrays < 80; arrays++) {
		for (empty = 0; empty < 2; empty++) {
			/* n - 1 arrays of one, then [nil] or [] */
			n = arrays - 1;
			for (i = 0; i < n; i++)
				body[3 + i] = 0x91;
			if (empty)
				body[3 + n++] = 0x90;
			else {
				body[3 + n++] = 0x91;
				body[3 + n++] = 0xc0;
			}
			rc = decode_body(body, 3 + n);
			if (1 + arrays <= limit)
				ck_assert_msg(rc == 0, "depth %zu%s: %d",
				    1 + arrays, empty ? " (empty)" : "", rc);
			else
				ck_assert_msg(rc == SSE_EPROTO,
				    "depth %zu%s: %d", 1 + arrays,
				    empty ? " (empty)" : "", rc);
		}
	}
	for (i = 0; i < depth - 1; i++)
		body[3 + i] = 0x91;
	body[3 + i] = 0xc0;
	ck_assert_int_eq(decode_body(body, depth + 3), SSE_EPROTO);
	free(body);
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/*
 * Garbage, and valid frames with bytes flipped: whatever comes back must
 * be one of the documented answers, and never a crash or a read past
 * len (ASan).  Bounded and seeded, so a failure replays.
 */
START_TEST(ctl_random_garbage_and_mutated_frames_never_crash_the_decoder)
{
	struct sse_ctl_writer w, g;
	msgpack_unpacked u;
	unsigned char body[64];
	size_t i, j, n, framelen, len;
	int rc;

	sse_ctl_writer_init(&w);
	sse_ctl_writer_init(&g);
	pack_publish(&w, 123456789);
	msgpack_unpacked_init(&u);
	for (i = 0; i < 20000; i++) {
		sse_ctl_writer_reset(&g);
		if (i % 2 == 0) {
			n = next_random() % sizeof(body);
			for (j = 0; j < n; j++)
				body[j] = next_random();
			frame_raw(&g, body, n, i % 8 == 0 ? next_random() % 80 :
			    n);
		} else {
			msgpack_sbuffer_write(&g.sb, w.sb.data, w.sb.size);
			for (j = next_random() % 4; j < 4; j++)
				g.sb.data[next_random() % g.sb.size] ^=
				    1u << (next_random() % 8);
		}
		len = g.sb.size;
		if (i % 5 == 0 && len > 0)
			len = next_random() % len;
		framelen = 0;
		rc = decode(g.sb.data, len, 1024, &u, &framelen);
		ck_assert_msg(rc == 0 || rc == SSE_EAGAIN || rc == SSE_EPROTO ||
		    rc == SSE_ETOOBIG, "round %zu: %d", i, rc);
		if (rc == 0)
			ck_assert_uint_le(framelen, len);
	}
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&g);
	sse_ctl_writer_destroy(&w);
}
END_TEST

/* Decode the request map {k: v...} that pack() writes, and check it. */
static int
check_request(void (*pack)(msgpack_packer *), int *op, uint64_t *seq)
{
	struct sse_ctl_writer w;
	msgpack_unpacked u;
	int rc;

	sse_ctl_writer_init(&w);
	sse_ctl_begin(&w);
	pack(&w.pk);
	end_and_decode(&w, &u);
	rc = sse_ctl_request_check(&u.data, op, seq);
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
	return rc;
}

static void
req_no_v(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "op");
	sse_ctl_pack_str(pk, "stats");
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, 9);
}

static void
req_with_v(msgpack_packer *pk, int vtype, int64_t v)
{
	msgpack_pack_map(pk, 3);
	sse_ctl_pack_str(pk, "v");
	if (vtype == 'u')
		msgpack_pack_uint64(pk, (uint64_t)v);
	else if (vtype == 'i')
		msgpack_pack_int64(pk, v);
	else if (vtype == 's')
		sse_ctl_pack_str(pk, "1");
	else
		msgpack_pack_nil(pk);
	sse_ctl_pack_str(pk, "op");
	sse_ctl_pack_str(pk, "list");
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, 4);
}

static void req_v1(msgpack_packer *pk) { req_with_v(pk, 'u', 1); }
static void req_v2(msgpack_packer *pk) { req_with_v(pk, 'u', 2); }
static void req_v0(msgpack_packer *pk) { req_with_v(pk, 'u', 0); }
static void req_vneg(msgpack_packer *pk) { req_with_v(pk, 'i', -1); }
static void req_vstr(msgpack_packer *pk) { req_with_v(pk, 's', 0); }
static void req_vnil(msgpack_packer *pk) { req_with_v(pk, 'n', 0); }

static void
req_no_seq(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	sse_ctl_pack_str(pk, "op");
	sse_ctl_pack_str(pk, "stats");
}

static void
req_str_seq(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "op");
	sse_ctl_pack_str(pk, "stats");
	sse_ctl_pack_str(pk, "seq");
	sse_ctl_pack_str(pk, "9");
}

static void
req_neg_seq(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "op");
	sse_ctl_pack_str(pk, "stats");
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_int64(pk, -9);
}

static void
req_no_op(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, 12);
}

static void
req_int_op(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, 12);
	sse_ctl_pack_str(pk, "op");
	msgpack_pack_uint64(pk, SSE_CTL_KICK);
}

static void
req_unknown_op(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, 13);
	sse_ctl_pack_str(pk, "op");
	sse_ctl_pack_str(pk, "stat");
}

static void
req_unknown_op_code(msgpack_packer *pk)
{
	sse_ctl_pack_request(pk, 999, 14, 0);
}

START_TEST(ctl_request_without_v_is_version_1)
{
	uint64_t seq;
	int op;

	ck_assert_int_eq(check_request(req_no_v, &op, &seq), 0);
	ck_assert_int_eq(op, SSE_CTL_STATS);
	ck_assert_uint_eq(seq, 9);
	ck_assert_int_eq(check_request(req_v1, &op, &seq), 0);
	ck_assert_int_eq(op, SSE_CTL_LIST);
	ck_assert_int_eq(check_request(req_vnil, &op, &seq), 0);
}
END_TEST

START_TEST(ctl_request_with_a_newer_or_zero_version_is_refused_with_its_seq)
{
	uint64_t seq;
	int op;

	ck_assert_int_eq(check_request(req_v2, &op, &seq), SSE_EVERSION);
	ck_assert_uint_eq(seq, 4);
	ck_assert_int_eq(op, SSE_CTL_NONE);
	ck_assert_int_eq(check_request(req_v0, &op, &seq), SSE_EVERSION);
}
END_TEST

START_TEST(ctl_request_with_v_not_a_uint_is_a_protocol_error)
{
	uint64_t seq;
	int op;

	ck_assert_int_eq(check_request(req_vneg, &op, &seq), SSE_EPROTO);
	ck_assert_int_eq(check_request(req_vstr, &op, &seq), SSE_EPROTO);
}
END_TEST

START_TEST(ctl_request_without_a_uint_seq_is_a_protocol_error)
{
	uint64_t seq = 99;
	int op;

	ck_assert_int_eq(check_request(req_no_seq, &op, &seq), SSE_EPROTO);
	ck_assert_uint_eq(seq, 0);
	ck_assert_int_eq(check_request(req_str_seq, &op, &seq), SSE_EPROTO);
	ck_assert_int_eq(check_request(req_neg_seq, &op, &seq), SSE_EPROTO);
	ck_assert_uint_eq(seq, 0);
}
END_TEST

START_TEST(ctl_request_without_a_str_op_is_a_protocol_error)
{
	uint64_t seq;
	int op;

	ck_assert_int_eq(check_request(req_no_op, &op, &seq), SSE_EPROTO);
	ck_assert_uint_eq(seq, 12);
	ck_assert_int_eq(check_request(req_int_op, &op, &seq), SSE_EPROTO);
}
END_TEST

START_TEST(ctl_request_with_an_unknown_op_is_refused_with_its_seq)
{
	uint64_t seq;
	int op;

	ck_assert_int_eq(check_request(req_unknown_op, &op, &seq),
	    SSE_EUNKNOWNOP);
	ck_assert_uint_eq(seq, 13);
	/* pack_request packs nil for an op it does not know. */
	ck_assert_int_eq(check_request(req_unknown_op_code, &op, &seq),
	    SSE_EPROTO);
	ck_assert_uint_eq(seq, 14);
}
END_TEST

START_TEST(ctl_request_check_refuses_what_is_not_a_map)
{
	msgpack_object o;
	uint64_t seq;
	int op;

	memset(&o, 0, sizeof(o));
	o.type = MSGPACK_OBJECT_ARRAY;
	ck_assert_int_eq(sse_ctl_request_check(&o, &op, &seq), SSE_EPROTO);
	ck_assert_int_eq(sse_ctl_request_check(NULL, &op, &seq), SSE_EPROTO);
}
END_TEST

/*
 * {s: "str", b: bin, u: 7, n: -7, big: 2^63, t: true, z: nil, m: {},
 * a: ["x", bin "y", 1]}
 */
static void
pack_fields(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 9);
	sse_ctl_pack_str(pk, "s");
	sse_ctl_pack_strn(pk, "str", 3);
	sse_ctl_pack_str(pk, "b");
	msgpack_pack_bin(pk, 2);
	msgpack_pack_bin_body(pk, "\0\1", 2);
	sse_ctl_pack_str(pk, "u");
	msgpack_pack_uint64(pk, 7);
	sse_ctl_pack_str(pk, "n");
	msgpack_pack_int64(pk, -7);
	sse_ctl_pack_str(pk, "big");
	msgpack_pack_uint64(pk, UINT64_C(1) << 63);
	sse_ctl_pack_str(pk, "t");
	msgpack_pack_true(pk);
	sse_ctl_pack_str(pk, "z");
	msgpack_pack_nil(pk);
	sse_ctl_pack_str(pk, "m");
	msgpack_pack_map(pk, 0);
	sse_ctl_pack_str(pk, "a");
	msgpack_pack_array(pk, 3);
	sse_ctl_pack_str(pk, "x");
	msgpack_pack_bin(pk, 1);
	msgpack_pack_bin_body(pk, "y", 1);
	msgpack_pack_uint64(pk, 1);
}

START_TEST(ctl_getters_read_their_type_and_refuse_the_others)
{
	struct sse_ctl_writer w;
	msgpack_unpacked u;
	const msgpack_object *m, *a;
	const char *s;
	char *d;
	size_t len;
	uint64_t uv;
	int64_t iv;
	int b;

	sse_ctl_writer_init(&w);
	sse_ctl_begin(&w);
	pack_fields(&w.pk);
	end_and_decode(&w, &u);
	m = &u.data;

	ck_assert_int_eq(sse_ctl_get_str(m, "s", &s, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(s, "str", 3);
	ck_assert_int_eq(sse_ctl_get_str(m, "b", &s, &len), 0);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(s, "\0\1", 2);
	ck_assert_int_eq(sse_ctl_get_str(m, "u", &s, &len), SSE_ETYPE);
	ck_assert_int_eq(sse_ctl_get_str(m, "z", &s, &len), SSE_ENOENT);
	ck_assert_int_eq(sse_ctl_get_str(m, "nope", &s, &len), SSE_ENOENT);

	ck_assert_int_eq(sse_ctl_get_uint(m, "u", &uv), 0);
	ck_assert_uint_eq(uv, 7);
	ck_assert_int_eq(sse_ctl_get_uint(m, "n", &uv), SSE_ETYPE);
	ck_assert_int_eq(sse_ctl_get_uint(m, "s", &uv), SSE_ETYPE);
	ck_assert_int_eq(sse_ctl_get_uint(m, "z", &uv), SSE_ENOENT);

	ck_assert_int_eq(sse_ctl_get_int(m, "u", &iv), 0);
	ck_assert_int_eq(iv, 7);
	ck_assert_int_eq(sse_ctl_get_int(m, "n", &iv), 0);
	ck_assert_int_eq(iv, -7);
	ck_assert_int_eq(sse_ctl_get_int(m, "big", &iv), SSE_ETYPE);
	ck_assert_int_eq(sse_ctl_get_int(m, "t", &iv), SSE_ETYPE);

	ck_assert_int_eq(sse_ctl_get_bool(m, "t", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(sse_ctl_get_bool(m, "u", &b), SSE_ETYPE);
	ck_assert_int_eq(sse_ctl_get_bool(m, "z", &b), SSE_ENOENT);

	ck_assert_int_eq(sse_ctl_get_strdup(m, "s", &d), 0);
	ck_assert_str_eq(d, "str");
	free(d);
	ck_assert_int_eq(sse_ctl_get_strdup(m, "m", &d), SSE_ETYPE);

	ck_assert_int_eq(sse_ctl_get_array(m, "a", &a), 0);
	ck_assert_uint_eq(a->via.array.size, 3);
	ck_assert_int_eq(sse_ctl_str(&a->via.array.ptr[0], &s, &len), 0);
	ck_assert_mem_eq(s, "x", len);
	ck_assert_int_eq(sse_ctl_str(&a->via.array.ptr[1], &s, &len), 0);
	ck_assert_mem_eq(s, "y", len);
	ck_assert_int_eq(sse_ctl_str(&a->via.array.ptr[2], &s, &len),
	    SSE_ETYPE);
	ck_assert_int_eq(sse_ctl_get_array(m, "z", &a), SSE_ENOENT);
	ck_assert_int_eq(sse_ctl_get_array(m, "nope", &a), SSE_ENOENT);
	ck_assert_int_eq(sse_ctl_get_array(m, "m", &a), SSE_ETYPE);

	ck_assert_ptr_nonnull(sse_ctl_get(m, "z"));
	ck_assert_ptr_null(sse_ctl_get(m, "zz"));
	ck_assert_ptr_null(sse_ctl_get(sse_ctl_get(m, "u"), "x"));
	ck_assert_ptr_null(sse_ctl_get(NULL, "x"));
	ck_assert_int_eq(sse_ctl_get_uint(sse_ctl_get(m, "s"), "x", &uv),
	    SSE_ENOENT);
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
}
END_TEST

/* Pack reply maps and check what sse_ctl_reply_parse makes of them. */
static int
parse_reply(int which)
{
	struct sse_ctl_writer w;
	struct sse_ctl_reply r;
	msgpack_unpacked u;
	msgpack_packer *pk = &w.pk;
	int rc;

	sse_ctl_writer_init(&w);
	sse_ctl_begin(&w);
	switch (which) {
	case 0:		/* no seq */
		msgpack_pack_map(pk, 1);
		sse_ctl_pack_str(pk, "result");
		msgpack_pack_map(pk, 0);
		break;
	case 1:		/* neither result nor error */
		msgpack_pack_map(pk, 1);
		sse_ctl_pack_str(pk, "seq");
		msgpack_pack_uint64(pk, 1);
		break;
	case 2:		/* both */
		msgpack_pack_map(pk, 3);
		sse_ctl_pack_str(pk, "seq");
		msgpack_pack_uint64(pk, 1);
		sse_ctl_pack_str(pk, "result");
		msgpack_pack_map(pk, 0);
		sse_ctl_pack_str(pk, "error");
		msgpack_pack_map(pk, 0);
		break;
	case 3:		/* result not a map */
		msgpack_pack_map(pk, 2);
		sse_ctl_pack_str(pk, "seq");
		msgpack_pack_uint64(pk, 1);
		sse_ctl_pack_str(pk, "result");
		msgpack_pack_array(pk, 0);
		break;
	case 4:		/* error without message */
		msgpack_pack_map(pk, 2);
		sse_ctl_pack_str(pk, "seq");
		msgpack_pack_uint64(pk, 1);
		sse_ctl_pack_str(pk, "error");
		msgpack_pack_map(pk, 1);
		sse_ctl_pack_str(pk, "code");
		sse_ctl_pack_str(pk, "INTERNAL");
		break;
	default:	/* nil error beside a result counts as absent */
		msgpack_pack_map(pk, 3);
		sse_ctl_pack_str(pk, "seq");
		msgpack_pack_uint64(pk, 1);
		sse_ctl_pack_str(pk, "result");
		msgpack_pack_map(pk, 0);
		sse_ctl_pack_str(pk, "error");
		msgpack_pack_nil(pk);
		break;
	}
	end_and_decode(&w, &u);
	rc = sse_ctl_reply_parse(&u.data, &r);
	if (rc < 0) {
		ck_assert_ptr_null(r.result);
		ck_assert_ptr_null(r.code);
	}
	msgpack_unpacked_destroy(&u);
	sse_ctl_writer_destroy(&w);
	return rc;
}

START_TEST(ctl_reply_needs_a_seq_and_exactly_one_of_result_and_error)
{
	ck_assert_int_eq(parse_reply(0), SSE_EPROTO);
	ck_assert_int_eq(parse_reply(1), SSE_EPROTO);
	ck_assert_int_eq(parse_reply(2), SSE_EPROTO);
	ck_assert_int_eq(parse_reply(3), SSE_EPROTO);
	ck_assert_int_eq(parse_reply(4), SSE_EPROTO);
	ck_assert_int_eq(parse_reply(5), 0);
}
END_TEST

START_TEST(ctl_end_drops_a_frame_over_the_maximum_and_keeps_the_others)
{
	struct sse_ctl_writer w;
	char *blob;
	size_t before;

	blob = calloc(1, SSE_CTL_MAX_FRAME);
	ck_assert_ptr_nonnull(blob);
	sse_ctl_writer_init(&w);
	pack_publish(&w, 1);
	before = w.sb.size;
	sse_ctl_begin(&w);
	msgpack_pack_map(&w.pk, 1);
	sse_ctl_pack_str(&w.pk, "data");
	msgpack_pack_bin(&w.pk, SSE_CTL_MAX_FRAME);
	msgpack_pack_bin_body(&w.pk, blob, SSE_CTL_MAX_FRAME);
	ck_assert_int_eq(sse_ctl_end(&w), SSE_ETOOBIG);
	ck_assert_uint_eq(w.sb.size, before);
	pack_publish(&w, 2);
	ck_assert_uint_eq(w.sb.size, 2 * before);
	sse_ctl_writer_destroy(&w);
	free(blob);
}
END_TEST

START_TEST(ctl_op_table_names_summaries_and_lookups_agree)
{
	static const int codes[] = {
#define X(name, code, wire, summary) SSE_CTL_##name,
#include "sse_ctl_ops.def"
#undef X
	};
	const char *name;
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		name = sse_ctl_op_name(codes[i]);
		ck_assert_ptr_nonnull(name);
		ck_assert_ptr_nonnull(sse_ctl_op_summary(codes[i]));
		ck_assert_int_eq(sse_ctl_op_lookup(name, strlen(name)),
		    codes[i]);
	}
	ck_assert_int_eq(sse_ctl_op_lookup("publish", 7), SSE_CTL_PUBLISH);
	ck_assert_int_eq(sse_ctl_op_lookup("publis", 6), SSE_EUNKNOWNOP);
	ck_assert_int_eq(sse_ctl_op_lookup("publish!", 7), SSE_CTL_PUBLISH);
	ck_assert_int_eq(sse_ctl_op_lookup("publishx", 8), SSE_EUNKNOWNOP);
	ck_assert_int_eq(sse_ctl_op_lookup("", 0), SSE_EUNKNOWNOP);
	ck_assert_ptr_null(sse_ctl_op_name(SSE_CTL_NONE));
	ck_assert_ptr_null(sse_ctl_op_summary(999));
}
END_TEST

START_TEST(strerror_names_every_error_code)
{
	static const int codes[] = {
#define X(name, val, msg) SSE_E##name,
#include "sse_errors.def"
#undef X
	};
	size_t i;

	/* Every code is negative and has its own message. */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_int_lt(codes[i], 0);
		ck_assert_str_ne(sse_strerror(codes[i]), "unknown error");
		if (i > 0)
			ck_assert_str_ne(sse_strerror(codes[i]),
			    sse_strerror(codes[i - 1]));
	}
	/* A few that users see, spelt out: the table may not drift. */
	ck_assert_str_eq(sse_strerror(SSE_ENOMEM), "out of memory");
	ck_assert_str_eq(sse_strerror(SSE_EBADFIELD),
	    "id or event contains CR, LF or NUL");
	ck_assert_str_eq(sse_strerror(SSE_ETOOBIG),
	    "frame larger than the allowed maximum");
	ck_assert_str_eq(sse_strerror(SSE_EVERSION),
	    "unsupported protocol version");
	ck_assert_str_eq(sse_strerror(0), "success");
	ck_assert_str_eq(sse_strerror(-1000), "unknown error");
	ck_assert_str_eq(sse_strerror(1), "unknown error");
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("sse_ctl");
	TCase *tc;

	tc = tcase_create("frames");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ctl_request_round_trips_through_a_frame);
	tcase_add_test(tc, ctl_replies_round_trip_as_result_and_as_error);
	tcase_add_test(tc, ctl_frame_cut_short_at_every_length_needs_more_bytes);
	tcase_add_test(tc,
	    ctl_header_over_the_maximum_is_too_big_before_the_body_comes);
	tcase_add_test(tc, ctl_zero_length_frame_is_a_protocol_error);
	tcase_add_test(tc, ctl_body_that_is_not_a_map_is_a_protocol_error);
	tcase_add_test(tc,
	    ctl_trailing_bytes_inside_the_frame_are_a_protocol_error);
	tcase_add_test(tc,
	    ctl_msgpack_cut_short_inside_a_whole_frame_is_a_protocol_error);
	tcase_add_test(tc, ctl_huge_announced_counts_are_refused_cheaply);
	tcase_add_test(tc,
	    ctl_deep_nesting_is_refused_as_bad_input_not_as_no_memory);
	tcase_add_test(tc,
	    ctl_random_garbage_and_mutated_frames_never_crash_the_decoder);
	tcase_add_test(tc,
	    ctl_end_drops_a_frame_over_the_maximum_and_keeps_the_others);
	suite_add_tcase(s, tc);

	tc = tcase_create("envelope");
	tcase_add_test(tc, ctl_request_without_v_is_version_1);
	tcase_add_test(tc,
	    ctl_request_with_a_newer_or_zero_version_is_refused_with_its_seq);
	tcase_add_test(tc, ctl_request_with_v_not_a_uint_is_a_protocol_error);
	tcase_add_test(tc, ctl_request_without_a_uint_seq_is_a_protocol_error);
	tcase_add_test(tc, ctl_request_without_a_str_op_is_a_protocol_error);
	tcase_add_test(tc,
	    ctl_request_with_an_unknown_op_is_refused_with_its_seq);
	tcase_add_test(tc, ctl_request_check_refuses_what_is_not_a_map);
	tcase_add_test(tc, ctl_getters_read_their_type_and_refuse_the_others);
	tcase_add_test(tc,
	    ctl_reply_needs_a_seq_and_exactly_one_of_result_and_error);
	tcase_add_test(tc, ctl_op_table_names_summaries_and_lookups_agree);
	tcase_add_test(tc, strerror_names_every_error_code);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

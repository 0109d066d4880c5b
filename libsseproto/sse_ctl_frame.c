/*
 * sse_ctl_frame.c: control-protocol frames: a 4-byte big-endian length,
 * then one msgpack map.
 *
 * The decoder is what stands between ssed and any local user who can
 * reach the control socket, so it checks a body's structure itself
 * before msgpack-c unpacks it.  The writer patches the length in after
 * the map is packed.  What goes in the map is sse_ctl.c's business.
 */
#include <stdint.h>
#include <string.h>

#include "sseproto.h"

static uint64_t
get_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * How deep maps and arrays may nest, as ssed-control(7) says: the outer
 * map counts, so 32 is the map and 31 levels inside it.  msgpack-c
 * refuses deeper nesting with a NOMEM error, which would read as a
 * memory shortage rather than bad input.  Its limit is
 * MSGPACK_EMBED_STACK_SIZE, 32 by default, from msgpack/unpack_define.h,
 * which <msgpack.h> does not include: keep MAX_DEPTH no larger.
 */
#define MAX_DEPTH	32

/*
 * 1 when p[0..len) is exactly one well-formed msgpack object, else 0.
 *
 * msgpack-c allocates an array's or map's slots from the count in its
 * header before it reads them, so a 5-byte body announcing 2^32 map
 * entries would cost 64 GiB.  This walk bounds the objects still expected
 * by the bytes left (each takes at least one) and the nesting by
 * MAX_DEPTH, before msgpack-c sees the body.
 */
static int
body_is_one_object(const unsigned char *p, size_t len)
{
	uint64_t left[MAX_DEPTH], want = 1, count, skip;
	size_t i = 0, hdr, depth = 0;
	unsigned char c;
	int container;

	for (;;) {
		if (i >= len)
			return 0;
		c = p[i++];
		want--;
		count = skip = 0;
		hdr = 0;
		container = 0;
		if (c <= 0x7f || c >= 0xe0)		/* fixint */
			;
		else if (c <= 0x8f) {			/* fixmap */
			count = 2 * (c & 0x0f);
			container = 1;
		} else if (c <= 0x9f) {			/* fixarray */
			count = c & 0x0f;
			container = 1;
		} else if (c <= 0xbf)			/* fixstr */
			skip = c & 0x1f;
		else {
			switch (c) {
			case 0xc0: case 0xc2: case 0xc3:  /* nil, bool */
				break;
			case 0xc4: case 0xd9:		/* bin8, str8 */
			case 0xc5: case 0xda:		/* bin16, str16 */
			case 0xc6: case 0xdb:		/* bin32, str32 */
				hdr = c == 0xc4 || c == 0xd9 ? 1 :
				    c == 0xc5 || c == 0xda ? 2 : 4;
				break;
			case 0xc7: case 0xc8: case 0xc9: /* ext8/16/32 */
				hdr = c == 0xc7 ? 1 : c == 0xc8 ? 2 : 4;
				skip = 1;		/* the type byte */
				break;
			case 0xca: case 0xcb:		/* float32/64 */
				skip = c == 0xca ? 4 : 8;
				break;
			case 0xcc: case 0xcd: case 0xce: case 0xcf:
			case 0xd0: case 0xd1: case 0xd2: case 0xd3:
				skip = 1u << (c & 0x03);	/* [u]int8-64 */
				break;
			case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
				skip = 1 + (1u << (c - 0xd4));	/* fixext */
				break;
			case 0xdc: case 0xdd:		/* array16/32 */
			case 0xde: case 0xdf:		/* map16/32 */
				hdr = c == 0xdc || c == 0xde ? 2 : 4;
				container = 1;
				break;
			default:			/* 0xc1: never used */
				return 0;
			}
		}
		if (hdr > 0) {
			if (hdr > len - i)
				return 0;
			if (container)
				count = get_be(p + i, hdr) * (c >= 0xde ? 2 : 1);
			else
				skip += get_be(p + i, hdr);
			i += hdr;
		}
		if (skip > len - i)
			return 0;
		i += skip;
		if (container) {
			if (depth == MAX_DEPTH)
				return 0;
			want += count;
			if (want > len - i)
				return 0;
			if (count > 0) {
				left[depth++] = count;
				continue;
			}
		}
		/* One object done: close the containers it completes. */
		while (depth > 0 && --left[depth - 1] == 0)
			depth--;
		if (depth == 0)
			break;
	}
	return want == 0 && i == len;
}

int
sse_ctl_frame_decode(const char *buf, size_t len, size_t max,
    msgpack_unpacked *out, size_t *framelen)
{
	msgpack_unpack_return ret;
	size_t body, off = 0;

	if (len < SSE_CTL_HDRLEN)
		return SSE_EAGAIN;
	body = get_be((const unsigned char *)buf, SSE_CTL_HDRLEN);
	/* Judge the header before waiting for a body we would refuse. */
	if (body > max)
		return SSE_ETOOBIG;
	if (body == 0)
		return SSE_EPROTO;
	if (len - SSE_CTL_HDRLEN < body)
		return SSE_EAGAIN;
	buf += SSE_CTL_HDRLEN;
	if (!body_is_one_object((const unsigned char *)buf, body))
		return SSE_EPROTO;
	ret = msgpack_unpack_next(out, buf, body, &off);
	if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
		return SSE_ENOMEM;
	if (ret != MSGPACK_UNPACK_SUCCESS || off != body ||
	    out->data.type != MSGPACK_OBJECT_MAP)
		return SSE_EPROTO;
	*framelen = SSE_CTL_HDRLEN + body;
	return 0;
}

/*
 * The packer writes through here rather than straight into the sbuffer:
 * msgpack_pack_* report a failed write only to a caller that checks every
 * call, and the writer's users pack many values in a row.
 */
static int
writer_write(void *data, const char *buf, size_t len)
{
	struct sse_ctl_writer *w = data;

	if (msgpack_sbuffer_write(&w->sb, buf, len) != 0) {
		w->nomem = 1;
		return -1;
	}
	return 0;
}

void
sse_ctl_writer_init(struct sse_ctl_writer *w)
{
	msgpack_sbuffer_init(&w->sb);
	msgpack_packer_init(&w->pk, w, writer_write);
	w->start = 0;
	w->nomem = 0;
}

void
sse_ctl_writer_reset(struct sse_ctl_writer *w)
{
	msgpack_sbuffer_clear(&w->sb);
	w->start = 0;
	w->nomem = 0;
}

void
sse_ctl_writer_destroy(struct sse_ctl_writer *w)
{
	msgpack_sbuffer_destroy(&w->sb);
	msgpack_sbuffer_init(&w->sb);
}

void
sse_ctl_begin(struct sse_ctl_writer *w)
{
	static const char hdr[SSE_CTL_HDRLEN];

	w->start = w->sb.size;
	w->nomem = 0;
	writer_write(w, hdr, sizeof(hdr));
}

int
sse_ctl_end(struct sse_ctl_writer *w)
{
	unsigned char *hdr;
	size_t body;
	int rc = 0;

	if (w->nomem) {
		rc = SSE_ENOMEM;
		goto out;
	}
	body = w->sb.size - w->start - SSE_CTL_HDRLEN;
	if (body > SSE_CTL_MAX_FRAME) {
		rc = SSE_ETOOBIG;
		goto out;
	}
	hdr = (unsigned char *)w->sb.data + w->start;
	hdr[0] = body >> 24;
	hdr[1] = body >> 16;
	hdr[2] = body >> 8;
	hdr[3] = body;
out:
	if (rc != 0)
		w->sb.size = w->start;
	w->nomem = 0;
	return rc;
}

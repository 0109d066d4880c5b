/*
 * utf8.c: the byte stream as EventSource sees it.
 *
 * WHATWG decodes an event stream as UTF-8 before parsing it, and every
 * byte that is not part of a well-formed sequence becomes U+FFFD.  This
 * is that decoder, run on the bytes libcurl hands over, in any chunking:
 * well-formed UTF-8 goes through untouched, and a sequence cut between
 * two chunks waits for its end.  The same decoder tells what is
 * well-formed elsewhere: an id given by the user, a message shown.
 * Parsing is libsseproto's business.
 */
#include "config.h"

#include <string.h>

#include "ssecat.h"

static const char	replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

void
utf8_dec_init(struct utf8_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->lower = 0x80;
	d->upper = 0xbf;
}

static size_t
utf8_dec_fail(struct utf8_dec *d, char *out)
{
	utf8_dec_init(d);
	memcpy(out, replacement, 3);
	return 3;
}

/*
 * The WHATWG "UTF-8 decoder" handler, one byte at a time.  A byte that
 * breaks a sequence ends it with one U+FFFD and is then looked at again
 * as the possible start of the next one.
 */
size_t
utf8_dec_feed(struct utf8_dec *d, const char *in, size_t len, char *out)
{
	const unsigned char	*u = (const unsigned char *)in;
	size_t			 i = 0, o = 0;
	unsigned char		 b;

	while (i < len) {
		b = u[i];
		if (d->need == 0) {
			i++;
			if (b < 0x80) {
				out[o++] = (char)b;
				continue;
			}
			if (b >= 0xc2 && b <= 0xdf)
				d->need = 1;
			else if (b >= 0xe0 && b <= 0xef) {
				d->need = 2;
				if (b == 0xe0)
					d->lower = 0xa0;
				else if (b == 0xed)
					d->upper = 0x9f;
			} else if (b >= 0xf0 && b <= 0xf4) {
				d->need = 3;
				if (b == 0xf0)
					d->lower = 0x90;
				else if (b == 0xf4)
					d->upper = 0x8f;
			} else {
				o += utf8_dec_fail(d, out + o);
				continue;
			}
			d->seq[d->seen++] = (char)b;
			continue;
		}
		if (b < d->lower || b > d->upper) {
			o += utf8_dec_fail(d, out + o);
			continue;
		}
		i++;
		d->lower = 0x80;
		d->upper = 0xbf;
		d->seq[d->seen++] = (char)b;
		if (d->seen == d->need + 1) {
			memcpy(out + o, d->seq, d->seen);
			o += d->seen;
			utf8_dec_init(d);
		}
	}
	return o;
}

size_t
utf8_seq_len(const char *s, size_t len)
{
	struct utf8_dec	d;
	char		out[UTF8_DEC_MAX(1)];
	size_t		i, n;

	/*
	 * The decoder gives back a well-formed sequence whole once its last
	 * byte is in, and U+FFFD (then maybe the next byte) for one that
	 * breaks: a sequence of its own that is not the input's.
	 */
	utf8_dec_init(&d);
	for (i = 0; i < len && i < sizeof(d.seq); i++) {
		if ((n = utf8_dec_feed(&d, s + i, 1, out)) == 0)
			continue;
		return n == i + 1 && memcmp(out, s, n) == 0 ? n : 0;
	}
	return 0;
}

int
utf8_is_valid(const char *s, size_t len)
{
	size_t	i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_seq_len(s + i, len - i)) == 0)
			return 0;
	return 1;
}

/*
 * util.c: small pieces the load generator's threads share: the clock,
 * the latency histogram, /proc readers, the chunked-body decoder, the
 * payload format and the loopback-only URL parser.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sseload.h"

uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Below 64 one bucket per value, then 64 buckets per power of two. */
static unsigned
hist_index(uint64_t v)
{
	unsigned e;

	if (v < 64)
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v);
	return 64 + (e - 6) * 64 + (unsigned)((v >> (e - 6)) - 64);
}

static uint64_t
hist_value(unsigned i)
{
	unsigned e;

	if (i < 64)
		return i;
	e = (i - 64) / 64 + 6;
	return ((uint64_t)((i - 64) % 64 + 64)) << (e - 6);
}

void
hist_add(struct hist *h, uint64_t us)
{
	h->b[hist_index(us)]++;
	h->n++;
	if (us > h->max)
		h->max = us;
}

void
hist_merge(struct hist *to, const struct hist *from)
{
	size_t i;

	for (i = 0; i < SL_HIST_BUCKETS; i++)
		to->b[i] += from->b[i];
	to->n += from->n;
	if (from->max > to->max)
		to->max = from->max;
}

/* The pct percentile in milliseconds; -1 when empty. */
double
hist_pct_ms(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	size_t i;

	if (h->n == 0)
		return -1;
	if (pct >= 100)
		return (double)h->max / 1000.0;
	rank = (uint64_t)(pct / 100.0 * (double)h->n + 0.999999);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < SL_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	v = hist_value((unsigned)i);
	return (double)(v < h->max ? v : h->max) / 1000.0;
}

static int
proc_one(const char *pid, struct proc_sample *ps)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE *f = NULL;
	size_t n;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		goto out;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	f = NULL;
	/* Fields 14 and 15 (utime, stime), counted after the ")". */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		goto out;
	ps->cpu_s += (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		goto out;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strncmp(buf, "VmRSS:", 6) == 0)
			ps->rss_kb += strtoull(buf + 6, NULL, 10);
	fclose(f);
	f = NULL;
	ps->npids++;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	return rc;
}

/* Sum VmRSS and utime+stime over a comma list of pids. */
int
proc_sample(const char *pids, struct proc_sample *ps)
{
	char pid[32];
	const char *p, *comma;
	size_t len;

	memset(ps, 0, sizeof(*ps));
	for (p = pids; p != NULL && *p != '\0'; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(pid))
			continue;
		memcpy(pid, p, len);
		pid[len] = '\0';
		if (proc_one(pid, ps) == -1)
			return -1;
	}
	return 0;
}

double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
    CH_TRAILER, CH_DONE };

/*
 * Decode a chunked body; the payload goes to sink.  0 while more may
 * come, 1 at the last chunk, -1 on a framing error or when sink fails.
 */
int
chunk_feed(struct chunk *ch, const char *p, size_t n,
    int (*sink)(void *, const char *, size_t), void *arg)
{
	size_t i = 0, take;
	int c;

	while (i < n) {
		c = (unsigned char)p[i];
		switch (ch->state) {
		case CH_SIZE:
			if (isxdigit(c)) {
				if (ch->left >> 56)
					return -1;
				ch->left = ch->left * 16 + (uint64_t)(isdigit(c) ?
				    c - '0' : tolower(c) - 'a' + 10);
			} else if (c == ';')
				ch->state = CH_EXT;
			else if (c == '\r')
				ch->state = CH_SIZE_LF;
			else
				return -1;
			i++;
			break;
		case CH_EXT:
			if (c == '\r')
				ch->state = CH_SIZE_LF;
			i++;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return -1;
			ch->state = ch->left > 0 ? CH_DATA : CH_TRAILER;
			i++;
			break;
		case CH_DATA:
			take = n - i < ch->left ? n - i : (size_t)ch->left;
			if (sink(arg, p + i, take) == -1)
				return -1;
			i += take;
			if ((ch->left -= take) == 0)
				ch->state = CH_DATA_CR;
			break;
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (c != (ch->state == CH_DATA_CR ? '\r' : '\n'))
				return -1;
			ch->state = ch->state == CH_DATA_CR ? CH_DATA_LF :
			    CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			ch->state = CH_DONE;
			return 1;
		default:
			return 1;
		}
	}
	return ch->state == CH_TRAILER || ch->state == CH_DONE;
}

void
topic_name(char *buf, size_t size, uint32_t topic)
{
	snprintf(buf, size, "%s%" PRIu32, L.topic_prefix, topic);
}

#define PAYLOAD_FMT	"sseload seq=%" PRIu64 " topic=%" PRIu32 " ts=%" PRIu64 " "

/* "sseload seq=S topic=T ts=NS " padded with 'x' to L.size bytes. */
size_t
payload_make(char *buf, size_t size, uint64_t seq, uint32_t topic,
    uint64_t ts)
{
	int n;

	n = snprintf(buf, size, PAYLOAD_FMT, seq, topic, ts);
	if (n < 0 || (size_t)n >= size)
		return 0;
	while ((size_t)n < L.size && (size_t)n < size - 1)
		buf[n++] = 'x';
	buf[n] = '\0';
	return (size_t)n;
}

/*
 * Check an event's data against what payload_make() writes for this
 * topic (datalen bytes, NUL-terminated); 0 and *ts, or -1.
 */
int
payload_check(const char *data, size_t len, uint32_t topic, uint64_t *ts)
{
	uint64_t seq;
	uint32_t t;
	int used = 0;
	size_t i;

	if (sscanf(data, "sseload seq=%" SCNu64 " topic=%" SCNu32 " ts=%"
	    SCNu64 " %n", &seq, &t, ts, &used) != 3 || used == 0 ||
	    t != topic || data[used - 1] != ' ')
		return -1;
	if (len != ((size_t)used > L.size ? (size_t)used : L.size))
		return -1;
	for (i = (size_t)used; i < len; i++)
		if (data[i] != 'x')
			return -1;
	return 0;
}

/*
 * http://127.x.y.z:PORT/path: anything but a literal IPv4 loopback
 * address is refused, so the tool can only load this machine.
 */
int
url_parse(const char *url, struct sockaddr_in *sa, char *host,
    size_t hostlen, char **pathp)
{
	const char *h, *slash, *colon;
	char addr[32];
	unsigned long port = 80;
	size_t len;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	slash = strchr(h, '/');
	len = slash ? (size_t)(slash - h) : strlen(h);
	if (len == 0 || len >= hostlen)
		return -1;
	memcpy(host, h, len);
	host[len] = '\0';
	if ((colon = strchr(host, ':')) != NULL) {
		port = strtoul(colon + 1, NULL, 10);
		len = (size_t)(colon - host);
	}
	if (len >= sizeof(addr) || port == 0 || port > 65535)
		return -1;
	memcpy(addr, host, len);
	addr[len] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1 ||
	    (ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		return -1;
	if ((*pathp = strdup(slash ? slash : "/")) == NULL)
		return -1;
	return 0;
}

/* Copy tmpl with each {topic} replaced; the length, 0 when too long. */
size_t
url_expand(char *buf, size_t size, const char *tmpl, const char *topic)
{
	size_t o = 0, tl = strlen(topic);

	while (*tmpl != '\0') {
		if (strncmp(tmpl, "{topic}", 7) == 0) {
			if (o + tl >= size)
				return 0;
			memcpy(buf + o, topic, tl);
			o += tl;
			tmpl += 7;
		} else {
			if (o + 1 >= size)
				return 0;
			buf[o++] = *tmpl++;
		}
	}
	buf[o] = '\0';
	return o;
}

/*
 * A response head (len bytes up to and including the blank line):
 * status, Content-Length (-1 when absent) and chunked.  0, or -1.
 */
int
http_head_parse(const char *head, size_t len, int *status, long *clen,
    int *chunked)
{
	const char *l, *end = head + len, *nl;

	*clen = -1;
	*chunked = 0;
	if (sscanf(head, "HTTP/1.%*d %d", status) != 1)
		return -1;
	for (l = memchr(head, '\n', len); l != NULL && l + 1 < end; l = nl) {
		l++;
		if ((nl = memchr(l, '\n', (size_t)(end - l))) == NULL)
			break;
		if (strncasecmp(l, "Content-Length:", 15) == 0)
			*clen = strtol(l + 15, NULL, 10);
		else if (strncasecmp(l, "Transfer-Encoding:", 18) == 0 &&
		    memmem(l, (size_t)(nl - l), "chunked", 7) != NULL)
			*chunked = 1;
	}
	return 0;
}

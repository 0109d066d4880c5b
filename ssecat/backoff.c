/*
 * backoff.c: the reconnection policy's arithmetic.
 *
 * Which libcurl errors are worth another attempt, and how long to wait
 * before it.  Pure functions: the clock, the counting of failures and the
 * messages are stream.c's.
 */
#include "config.h"

#include <stdlib.h>

#include "ssecat.h"

/* Backoff grows from retry:, but a "retry: 0" must not mean hammering. */
#define BACKOFF_BASE_MIN_MS	100

/*
 * Errors that another attempt cannot mend, each with what to do next.
 * A certificate that fails verification is not among them: it may be
 * being rotated, and it is reported once per streak anyway.
 */
static const struct {
	CURLcode	 code;
	const char	*hint;
} fatal_errors[] = {
	{ CURLE_UNSUPPORTED_PROTOCOL,	"" },
	{ CURLE_URL_MALFORMAT,		" (check the URL)" },
	{ CURLE_NOT_BUILT_IN,		"" },
	{ CURLE_TOO_MANY_REDIRECTS,	" (a redirect loop?)" },
	{ CURLE_SSL_CACERT_BADFILE,	" (check --cacert)" },
	{ CURLE_SSL_CERTPROBLEM,	"" },
	{ CURLE_OUT_OF_MEMORY,		"" },
};

const char *
backoff_fatal_hint(CURLcode res)
{
	size_t	i;

	for (i = 0; i < sizeof(fatal_errors) / sizeof(fatal_errors[0]); i++)
		if (fatal_errors[i].code == res)
			return fatal_errors[i].hint;
	return NULL;
}

int64_t
backoff_delay(int64_t retry_ms, long failures, int64_t retry_after_ms,
    int64_t max_ms)
{
	int64_t	ceiling, ms;
	long	i;

	ceiling = retry_ms > BACKOFF_BASE_MIN_MS ? retry_ms :
	    BACKOFF_BASE_MIN_MS;
	for (i = 0; i < failures && ceiling < max_ms; i++)
		ceiling *= 2;
	if (ceiling > max_ms)
		ceiling = max_ms;
	ms = (int64_t)(drand48() * (double)ceiling);
	if (retry_after_ms > ms)
		ms = retry_after_ms;
	return ms < max_ms ? ms : max_ms;
}

/*
 * http_auth.c: tokens on HTTP requests.  The token comes from
 * "Authorization: Bearer" or, for browsers' EventSource which cannot set
 * headers, from ?token=.  A refused token is answered 401 with
 * WWW-Authenticate and counted by code; ssed running out of memory while
 * reading one is a 500.  The token itself is never logged.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define SSED_HTTP_INTERNAL
#include "auth.h"
#include "http.h"
#include "log.h"

static unsigned long long failures[AUTH_NRESULTS];

/*
 * The codes of the refusals, AUTH_MISSING onwards, each once: the i-th
 * (from 0), or NULL past the last.
 */
const char *
http_auth_code(size_t i)
{
	int r, q;

	for (r = AUTH_MISSING; r < AUTH_NRESULTS; r++) {
		for (q = AUTH_MISSING; q < r; q++)
			if (strcmp(auth_code(q), auth_code(r)) == 0)
				break;
		if (q == r && i-- == 0)
			return auth_code(r);
	}
	return NULL;
}

unsigned long long
http_auth_failures(const char *code)
{
	unsigned long long	n = 0;
	int			i;

	for (i = AUTH_MISSING; i < AUTH_NRESULTS; i++)
		if (strcmp(auth_code(i), code) == 0)
			n += failures[i];
	return n;
}

void
http_request_id(char buf[24])
{
	static uint32_t	 boot;
	static uint32_t	 counter;

	if (boot == 0 && getrandom(&boot, sizeof(boot), GRND_NONBLOCK) !=
	    sizeof(boot))
		boot = 0x5eed;
	snprintf(buf, 24, "%08x%08x", boot, ++counter);
}

static const char *
bearer(struct MHD_Connection *c)
{
	const char *h, *q;

	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		/* "Bearer " and nothing: no token there, try ?token=. */
		if (*h != '\0')
			return h;
	}
	q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	return q;
}

int
http_authenticate(struct MHD_Connection *c, struct auth_token **tok,
    enum MHD_Result *ret)
{
	enum auth_result	r;
	char			remote[64];

	*tok = NULL;
	if (auth_is_none())
		return 0;
	if ((r = auth_verify(bearer(c), tok)) == AUTH_OK)
		return 0;
	if (r == AUTH_INTERNAL) {
		log_warn("auth: out of memory reading a token");
		*ret = http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    auth_code(r), auth_message(r));
		return -1;
	}
	failures[r]++;
	http_remote(c, remote, sizeof(remote));
	log_info("auth %s refused: %s", remote, auth_code(r));
	*ret = http_error(c, MHD_HTTP_UNAUTHORIZED, auth_code(r),
	    auth_message(r));
	return -1;
}

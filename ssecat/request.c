/*
 * request.c: what ssecat sends.
 *
 * The headers of each request are built afresh for every connection,
 * because Last-Event-ID follows the events received; the user's -H
 * headers win over ours.  Also the options of the easy handle that hold
 * for every connection, and the URL as status messages show it.  When
 * to connect is stream.c's business.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssecat.h"

#define MAX_REDIRECTS	5L

/* Headers every request carries unless the user gave their own (-H). */
static const struct {
	const char	*name;
	const char	*value;
} default_headers[] = {
	{ "Accept", "text/event-stream" },
	/* Proxies must not answer from a cache, or hold events back. */
	{ "Cache-Control", "no-cache" },
};

/* Append one formatted header to *lp; -1 when out of memory. */
static int
hdr_add(struct curl_slist **lp, const char *fmt, ...)
{
	struct curl_slist	*l;
	va_list			 ap;
	char			*h;
	int			 n;

	va_start(ap, fmt);
	n = vasprintf(&h, fmt, ap);
	va_end(ap);
	if (n == -1)
		return -1;
	l = curl_slist_append(*lp, h);
	free(h);
	if (l == NULL)
		return -1;
	*lp = l;
	return 0;
}

struct curl_slist *
request_headers(const struct opts *o, const char *id)
{
	const struct curl_slist	*u;
	struct curl_slist	*l = NULL;
	size_t			 i;

	for (i = 0; i < sizeof(default_headers) / sizeof(default_headers[0]);
	    i++) {
		if (!opts_has_header(o, default_headers[i].name) &&
		    hdr_add(&l, "%s: %s", default_headers[i].name,
		    default_headers[i].value) == -1)
			goto fail;
	}
	if (o->token != NULL && !opts_has_header(o, "Authorization") &&
	    hdr_add(&l, "Authorization: Bearer %s", o->token) == -1)
		goto fail;
	if (*id != '\0' && hdr_add(&l, "Last-Event-ID: %s", id) == -1)
		goto fail;
	for (u = o->headers; u != NULL; u = u->next)
		if (hdr_add(&l, "%s", u->data) == -1)
			goto fail;
	return l;
fail:
	curl_slist_free_all(l);
	return NULL;
}

int
request_setup(CURL *e, const struct opts *o, char *errbuf,
    curl_write_callback on_header, curl_write_callback on_body, void *arg)
{
	curl_easy_setopt(e, CURLOPT_URL, o->url);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ssecat/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A proxy's "200 Connection established" is not the answer. */
	curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	/* A quiet stream over a dead link is only found by probing. */
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, arg);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, arg);
	curl_easy_setopt(e, CURLOPT_VERBOSE, o->verbose ? 1L : 0L);
	/* SIGALRM is ssecat.c's (--timeout): libcurl must not take it. */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	/* Proxies (the *_proxy variables) and HTTP/2 are libcurl's. */
	if (o->cacert != NULL &&
	    curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert) != CURLE_OK)
		return -1;
	return 0;
}

void
request_url_shown(char *buf, size_t size, const char *url)
{
	const char	*p = url, *q = url, *t;
	size_t		 n;

	buf[0] = '\0';
	/* Each of them: "?token=a&token=b" may give either to a server. */
	while ((t = strstr(q, "token=")) != NULL) {
		q = t + 6;
		if (t == url || (t[-1] != '?' && t[-1] != '&'))
			continue;
		n = strlen(buf);
		snprintf(buf + n, size - n, "%.*s***", (int)(q - p), p);
		p = q = q + strcspn(q, "&#");
	}
	n = strlen(buf);
	snprintf(buf + n, size - n, "%s", p);
}

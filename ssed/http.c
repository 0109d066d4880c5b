/*
 * http.c: libmicrohttpd daemons (one per --listen address) driven from
 * the daemon's own epoll loop, request routing and JSON answers.
 *
 * MHD runs in external-epoll mode: its epoll fd sits in our loop and
 * MHD_run() is called after each round, so every callback runs on the one
 * loop thread and the core needs no locks.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#define SSED_HTTP_INTERNAL
#include "auth.h"
#include "http.h"
#include "log.h"
#include "loop.h"

#define MAX_DAEMONS	16

struct httpd {
	struct MHD_Daemon	*mhd;
	struct loop_io		 io;
	struct loop_timer	 timer;
	int			 run_queued;
	char			 name[80];
};

static struct httpd	daemons[MAX_DAEMONS];
static size_t		ndaemons;
int			http_draining;

static void	httpd_run(void *);

static void
httpd_schedule(struct httpd *d)
{
	if (!d->run_queued && loop_defer(httpd_run, d) == 0)
		d->run_queued = 1;
}

static void
httpd_io(struct loop_io *io, uint32_t events)
{
	(void)events;
	httpd_schedule(io->arg);
}

static void
httpd_timer(struct loop_timer *t)
{
	httpd_schedule(t->arg);
}

static void
httpd_run(void *arg)
{
	struct httpd		*d = arg;
	MHD_UNSIGNED_LONG_LONG	 to;

	d->run_queued = 0;
	if (d->mhd == NULL)
		return;
	MHD_run(d->mhd);
	if (MHD_get_timeout(d->mhd, &to) == MHD_YES)
		loop_timer_set(&d->timer, (int64_t)to);
	else
		loop_timer_stop(&d->timer);
}

/* The endpoints of CONTRACT section 2: path, methods, handler. */
enum route_kind { R_NOTIFY, R_UPDATES, R_UPDATES_MULTI, R_EVENTS, R_HEALTHZ,
    R_METRICS };

static const struct route {
	const char	*path;
	int		 prefix;	/* path is a prefix, the rest an arg */
	enum route_kind	 kind;
	const char	*methods;
} routes[] = {
	{ "/sse/notify/", 1, R_NOTIFY, "POST, OPTIONS" },
	{ "/sse/updates/", 1, R_UPDATES, "GET, OPTIONS" },
	{ "/sse/updates", 0, R_UPDATES_MULTI, "GET, OPTIONS" },
	{ "/api/v1/client/events", 0, R_EVENTS, "GET, OPTIONS" },
	{ "/healthz", 0, R_HEALTHZ, "GET, OPTIONS" },
	{ "/metrics", 0, R_METRICS, "GET, OPTIONS" },
};

/* Is method one of the comma-separated words of methods? */
static int
method_allowed(const char *method, const char *methods)
{
	size_t len;

	if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		method = MHD_HTTP_METHOD_GET;
	len = strlen(method);
	while (*methods != '\0') {
		size_t n = strcspn(methods, ",");

		if (n == len && strncmp(methods, method, n) == 0)
			return 1;
		methods += n;
		methods += strspn(methods, ", ");
	}
	return 0;
}

/* Requests libmicrohttpd has begun to give us and not yet completed. */
static unsigned	live_requests;

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	const struct route	*r = NULL;
	const char		*arg = NULL;
	size_t			 i;
	char			 msg[80];

	(void)cls;
	/*
	 * The first call of a request: every request but a publish is
	 * answered on it, and a publish keeps its state in *con_cls.
	 */
	if (*con_cls == NULL)
		live_requests++;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]) && r == NULL; i++) {
		size_t n = strlen(routes[i].path);

		if (routes[i].prefix ? strncmp(url, routes[i].path, n) == 0 :
		    strcmp(url, routes[i].path) == 0) {
			r = &routes[i];
			arg = url + n;
		}
	}
	if (r == NULL)
		return http_error(c, MHD_HTTP_NOT_FOUND, "NOT_FOUND",
		    "no such endpoint (see ssed(8))");
	if (r->kind == R_NOTIFY && *con_cls != NULL) {
		/* A body begun before the drain: read it past, then refuse. */
		if (http_draining && *upload_size > 0) {
			*upload_size = 0;
			return MHD_YES;
		}
		if (http_draining)
			return http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "SHUTTING_DOWN", "ssed is shutting down");
		return http_publish(c, arg, upload, upload_size, con_cls);
	}
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
		return http_preflight(c, r->methods);
	if (http_draining)
		return http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "SHUTTING_DOWN", "ssed is shutting down");
	if (!method_allowed(method, r->methods)) {
		snprintf(msg, sizeof(msg), "%s is not allowed here (use %s)",
		    method, r->methods);
		return http_error_allow(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "METHOD_NOT_ALLOWED", msg, r->methods);
	}
	/* HEAD of a stream: the head alone, no subscriber. */
	if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 && (r->kind == R_UPDATES ||
	    r->kind == R_UPDATES_MULTI || r->kind == R_EVENTS)) {
		struct auth_token	*tok;
		enum MHD_Result		 ret;

		if (http_authenticate(c, &tok, &ret) == -1)
			return ret;
		auth_token_free(tok);
		return http_stream_head(c);
	}
	switch (r->kind) {
	case R_NOTIFY:
		return http_publish(c, arg, upload, upload_size, con_cls);
	case R_UPDATES:
		return http_stream(c, version, arg, con_cls);
	case R_UPDATES_MULTI:
		return http_stream_multi(c, version, con_cls);
	case R_EVENTS:
		return http_events(c, version, con_cls);
	case R_METRICS:
		return http_metrics(c);
	case R_HEALTHZ:
		break;
	}
	return http_healthz(c);
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (live_requests > 0)
		live_requests--;
	if (*con_cls != NULL)
		http_req_done(*con_cls);
	*con_cls = NULL;
}

unsigned
http_requests(void)
{
	return live_requests;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The URL's path and parameters decoded as libmicrohttpd does (%XX only;
 * a malformed escape stays as it is), except "%00": a NUL would cut a
 * topic, type or id short where ssed reads it as a string.  Left as three
 * characters it is refused by the syntax of topics and ids.
 */
static size_t
unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
	char	*r = s, *w = s;
	int	 hi, lo;

	(void)cls;
	(void)c;
	while (*r != '\0') {
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 &&
		    (lo = hexval(r[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* "host:port", "[v6]:port" or ":port" to an address. */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss)
{
	struct addrinfo	 hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
			    .ai_socktype = SOCK_STREAM }, *res = NULL;
	char		 host[256];
	const char	*port, *h = host;
	size_t		 hlen;
	int		 rc = -1;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':')
			goto out;
		hlen = (size_t)(end - spec - 1);
		port = end + 2;
		if (hlen >= sizeof(host))
			goto out;
		memcpy(host, spec + 1, hlen);
	} else {
		if ((port = strrchr(spec, ':')) == NULL)
			goto out;
		hlen = (size_t)(port - spec);
		port++;
		if (hlen >= sizeof(host))
			goto out;
		memcpy(host, spec, hlen);
	}
	host[hlen] = '\0';
	if (hlen == 0)
		h = "0.0.0.0";
	/* glibc keeps the low 16 bits of a larger number: 99999 is 34463. */
	if (*port == '\0' || strlen(port) > 5 ||
	    strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535 ||
	    getaddrinfo(h, port, &hints, &res) != 0)
		goto out;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

int
http_listen_check(const struct http_config *cfg, char *why, size_t len)
{
	struct sockaddr_storage	ss;
	size_t			i;

	if (cfg->nlisten > MAX_DAEMONS) {
		snprintf(why, len, "too many --listen addresses (at most %d)",
		    MAX_DAEMONS);
		return -1;
	}
	for (i = 0; i < cfg->nlisten; i++)
		if (parse_listen(cfg->listen[i], &ss) == -1) {
			snprintf(why, len, "--listen %s: not an address:port "
			    "(e.g. 127.0.0.1:8002 or [::1]:8002)",
			    cfg->listen[i]);
			return -1;
		}
	return 0;
}

int
http_start(const struct http_config *cfg)
{
	size_t	i;
	char	why[512];

	http_reply_config(cfg);
	if (http_listen_check(cfg, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return -1;
	}
	for (i = 0; i < cfg->nlisten; i++) {
		struct httpd		*d = &daemons[i];
		struct sockaddr_storage	 ss = { 0 };
		const union MHD_DaemonInfo *di;
		/* TURBO: no shutdown() of sockets handed to subscribers. */
		unsigned		 flags = MHD_USE_EPOLL | MHD_USE_TURBO |
		    MHD_USE_ITC | MHD_USE_ERROR_LOG;
		char			 host[NI_MAXHOST];

		if (parse_listen(cfg->listen[i], &ss) == -1)
			return -1;	/* checked above */
		if (ss.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		d->mhd = MHD_start_daemon(flags, 0, NULL, NULL,
		    access_cb, NULL,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->conn_memory,
		    MHD_OPTION_CONNECTION_LIMIT, cfg->max_requests,
		    MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL,
		    MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
		    MHD_OPTION_END);
		if (d->mhd == NULL) {
			log_err("cannot listen on %s: %s", cfg->listen[i],
			    strerror(errno ? errno : EADDRINUSE));
			return -1;
		}
		ndaemons = i + 1;
		di = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_EPOLL_FD);
		if (di == NULL || loop_add(&d->io, di->epoll_fd, EPOLLIN,
		    httpd_io, d) == -1) {
			log_err("%s: cannot watch libmicrohttpd's epoll fd",
			    __func__);
			return -1;
		}
		d->timer.cb = httpd_timer;
		d->timer.arg = d;
		di = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
		getnameinfo((struct sockaddr *)&ss, sizeof(ss), host,
		    sizeof(host), NULL, 0, NI_NUMERICHOST);
		snprintf(d->name, sizeof(d->name), ss.ss_family == AF_INET6 ?
		    "[%s]:%u" : "%s:%u", host, di != NULL ? di->port : 0);
		log_info("listening on http://%s", d->name);
		httpd_schedule(d);
	}
	return 0;
}

/*
 * A connection MHD let go (a stream handed over) is reaped only by a
 * later MHD_run(); without one it would count against MHD's limit until
 * the next request happened to arrive.
 */
void
http_wakeup(void)
{
	size_t i;

	for (i = 0; i < ndaemons; i++)
		httpd_schedule(&daemons[i]);
}

void
http_reconfigure(const struct http_config *cfg)
{
	http_reply_config(cfg);
}

const char *
http_address(void)
{
	return ndaemons > 0 ? daemons[0].name : "127.0.0.1:8002";
}

void
http_quiesce(void)
{
	size_t i;

	http_draining = 1;
	for (i = 0; i < ndaemons; i++) {
		MHD_socket s;

		if (daemons[i].mhd == NULL)
			continue;
		s = MHD_quiesce_daemon(daemons[i].mhd);
		if (s != MHD_INVALID_SOCKET)
			close(s);
	}
}

void
http_stop(void)
{
	size_t i;

	for (i = 0; i < ndaemons; i++) {
		struct httpd *d = &daemons[i];

		if (d->mhd == NULL)
			continue;
		loop_del(&d->io);
		loop_timer_stop(&d->timer);
		MHD_stop_daemon(d->mhd);
		d->mhd = NULL;
	}
	ndaemons = 0;
}

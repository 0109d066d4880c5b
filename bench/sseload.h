/*
 * sseload.h: the load generator's shared types.
 *
 * sseload.c owns the options, the phases and the report; sub.c runs the
 * subscriber threads (one epoll each); pub.c runs the publishers (HTTP
 * keep-alive or the control socket) on the main thread; util.c holds the
 * histogram, /proc readers, the chunked decoder and the payload format.
 * The parsing of every event is libsseproto's.
 */
#ifndef SSELOAD_H
#define SSELOAD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sseproto.h>

#define SL_MAX_THREADS	64
#define SL_HIST_BUCKETS	(64 + 58 * 64)
#define SL_RBUF		(64 * 1024)
/* The publishers' payload buffer: --size is at most one less (the NUL). */
#define PAYLOAD_MAX	(64 * 1024)

enum sl_mode {
	MODE_SUB,		/* subscribers, optional HTTP publisher */
	MODE_PUB_HTTP,		/* HTTP publisher, optional subscribers */
	MODE_PUB_CTL,		/* control-socket publisher, same */
	MODE_BAD,
};

enum sl_phase {
	PH_CONNECT,
	PH_HOLD,
	PH_PUB,
	PH_DRAIN,
	PH_END,
};

/* Log-linear histogram of microseconds, about 1.6% resolution. */
struct hist {
	uint64_t	 n;
	uint64_t	 max;
	uint32_t	 b[SL_HIST_BUCKETS];
};

/* Chunked transfer decoding state. */
struct chunk {
	int		 state;
	uint64_t	 left;
};

struct worker;

struct sub_conn {
	int		 fd;
	int		 state;		/* SC_* in sub.c */
	int		 chunked;
	uint32_t	 topic;
	uint64_t	 t_start;
	uint64_t	 last_ms, last_seq;	/* last event id seen */
	struct chunk	 ch;
	struct sse_parser *parser;
	char		*head;		/* response head, while it arrives */
	size_t		 headlen;	/* or request bytes sent */
	struct worker	*w;
};

/* A subscriber thread: connections [first, first + n). */
struct worker {
	pthread_t	 th;
	int		 id;
	int		 ep;
	struct sub_conn	*c;
	uint32_t	 first, n;
	uint32_t	 started, inflight, inflight_max;
	uint64_t	 last_scan;
	_Atomic int	 connected;		/* every connection tried */
	_Atomic uint32_t established, failed, dropped;
	_Atomic uint64_t received, bad, early, comments;
	_Atomic uint64_t t_first, t_last;	/* of received events */
	struct hist	 lat;		/* read after the thread ended */
	struct hist	 conn_lat;
	uint64_t	 now_mono;	/* of the recv() being parsed */
	char		 rbuf[SL_RBUF];
};

/* Options, then state shared by the threads. */
struct load {
	enum sl_mode	 mode;
	const char	*url, *pub_url, *ctl_path;
	struct sockaddr_in sub_sa, pub_sa;
	char		*sub_path, *pub_path;
	char		 sub_host[32], pub_host[32];
	const char	*topic_prefix;
	uint32_t	 nsubs, ntopics, nthreads, inflight, src_ips;
	uint32_t	 pub_conns, batch;
	uint64_t	 events, expect;
	double		 rate;
	size_t		 size;
	double		 duration, settle, hold, drain, connect_timeout;
	const char	*pids, *label, *ready_path;
	int		 any_data, quiet;

	_Atomic int	 phase;
	_Atomic int	 stop;
	_Atomic uint32_t *tsubs;	/* established streams per topic */
	struct worker	*w;
};

extern struct load L;

struct proc_sample {
	uint64_t	 rss_kb;
	double		 cpu_s;
	int		 npids;
};

/* Publisher results, filled by pub_run(). */
struct pub_result {
	uint64_t	 requests, acked, errors, events_sent, events_acked;
	uint64_t	 expected, server_subs;
	uint64_t	 t_start, t_end;	/* monotonic ns */
	struct hist	 ack;
};

/* What sseload.c measured, for report.c. */
struct run {
	uint64_t	 t_begin, t_connected, t_hold, t_pub, t_end;
	struct proc_sample ps_before, ps_open, ps_held, ps_pub0, ps_pub1;
	double		 hold_s, tool0, tool1;
	uint64_t	 expected;
	int		 timed_out;
	struct pub_result pub;
};

/* report.c */
int		 report(const struct run *);

/* util.c */
uint64_t	 mono_ns(void);
void		 hist_add(struct hist *, uint64_t us);
void		 hist_merge(struct hist *, const struct hist *);
double		 hist_pct_ms(const struct hist *, double pct);
int		 proc_sample(const char *pids, struct proc_sample *);
double		 self_cpu_s(void);
int		 chunk_feed(struct chunk *, const char *, size_t,
		    int (*sink)(void *, const char *, size_t), void *);
void		 topic_name(char *, size_t, uint32_t topic);
size_t		 payload_make(char *, size_t, uint64_t seq, uint32_t topic,
		    uint64_t ts);
int		 payload_check(const char *, size_t, uint32_t topic,
		    uint64_t *ts);
int		 url_parse(const char *url, struct sockaddr_in *,
		    char *host, size_t hostlen, char **pathp);
size_t		 url_expand(char *, size_t, const char *tmpl, const char *topic);
int		 http_head_parse(const char *, size_t, int *status,
		    long *clen, int *chunked);

/* sub.c */
int		 workers_start(void);
void		 workers_join(void);
uint64_t	 workers_sum(size_t off);
uint32_t	 workers_sum32(size_t off);

/* pub.c */
int		 pub_run(struct pub_result *, uint64_t deadline);

#endif /* SSELOAD_H */

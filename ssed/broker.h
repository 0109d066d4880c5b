/*
 * broker.h: the broker core: configuration in force, counters, and the
 * operations both fronts (HTTP and the control socket) call.  Nothing
 * here knows about HTTP or msgpack.
 */
#ifndef SSED_BROKER_H
#define SSED_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "history.h"

struct sub;
struct topic;

/* Why a stream ended: log words, metric labels and stats keys. */
#define CLOSE_REASONS(X)			\
	X(CLIENT, "client")			\
	X(HANGUP, "hangup")			\
	X(KICKED, "kicked")			\
	X(SLOW, "slow")				\
	X(WRITE_TIMEOUT, "write-timeout")	\
	X(TOKEN_EXPIRED, "token-expired")	\
	X(TOPIC_DELETED, "topic-deleted")	\
	X(SHUTDOWN, "shutdown")			\
	X(NOMEM, "out-of-memory")		\
	X(INTERNAL, "internal-error")

enum close_reason {
#define X(name, word) CLOSE_##name,
	CLOSE_REASONS(X)
#undef X
	CLOSE_NREASONS
};

extern const char *const close_reason_names[];

struct broker_config {
	struct history_limits	 history;
	int			 heartbeat_ms;
	int			 retry_ms;
	size_t			 max_event_size;
	size_t			 queue_bytes;	/* per-subscriber bound */
	size_t			 queue_events;
	int			 write_timeout_ms;
	int			 registered_only;	/* --topics=registered */
	unsigned		 max_streams;		/* --max-conns */
};

struct broker_stats {
	uint64_t	events_published;
	uint64_t	events_delivered;
	uint64_t	bytes_sent;
	uint64_t	connections_total;
	uint64_t	kicks;
	uint64_t	replays;
	uint64_t	replays_incomplete;
	uint64_t	closed[CLOSE_NREASONS];	/* by enum close_reason */
	uint64_t	queue_high_water;
};

struct broker {
	struct broker_config	 cfg;
	struct broker_stats	 stats;
	const struct history_ops *store;
	int64_t			 started;	/* wall clock ms */
	int64_t			 started_mono;	/* monotonic ms: the uptime */
	unsigned		 nsubs;
	/* Called after each fan-out (the control socket's tail op). */
	void			(*on_publish)(const struct event *);
	/* Re-read the configuration; 0, or -1 with why filled in. */
	int			(*reload)(char *why, size_t len);
};

extern struct broker broker;

int	 broker_init(const struct broker_config *);
void	 broker_shutdown(void);
/* New settings in force (a reload). */
void	 broker_reconfigure(const struct broker_config *);

/*
 * The topic called name: created on first use, unless topics must be
 * registered (user:NAME topics always exist).  NULL with *err set to
 * SSE_ENOENT or SSE_ENOMEM.
 */
struct topic	*broker_topic(const char *name, size_t len, int *err);
/* 0 when broker_topic() would find or create name, else SSE_ENOENT. */
int		 broker_topic_check(const char *name, size_t len);

/*
 * Check an event before it is published: on user:NAME topics the type is
 * notification (the default), status_update or error, and the data of a
 * notification or status_update is a JSON object.  0, or -1 with *why.
 */
int	 broker_check_event(const char *topic, const char *type,
	    const char *data, size_t len, const char **why);

/*
 * Publish data on topic t.  On success returns 0, with *evp holding a
 * reference the caller drops (event_unref) and *nsubs the number of
 * streams it was handed to (a type filter may leave some out); else
 * SSE_EBADFIELD for a bad type, or SSE_ENOMEM.
 */
int	 broker_publish(struct topic *t, const char *type, const char *data,
	    size_t len, struct event **evp, unsigned *nsubs);

/*
 * Queue for s every event retained by its topics after `after`, in id
 * order, preceded by a REPLAY_INCOMPLETE error event when some were
 * already evicted.  Returns the number of events queued.
 */
size_t	 broker_replay(struct sub *s, const struct evid *after);

#endif

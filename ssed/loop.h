/*
 * loop.h: the daemon's one event loop: an epoll set, a timer heap and a
 * list of work deferred to the end of each round.  Everything in ssed runs
 * on this thread, so the broker core needs no locks.
 */
#ifndef SSED_LOOP_H
#define SSED_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop_io;
typedef void	(*loop_io_cb)(struct loop_io *, uint32_t events);

struct loop_io {
	int		 fd;
	uint32_t	 events;	/* what is registered now */
	loop_io_cb	 cb;
	void		*arg;
};

struct loop_timer;
typedef void	(*loop_timer_cb)(struct loop_timer *);

struct loop_timer {
	int64_t		 when;		/* CLOCK_MONOTONIC ms; 0 = not armed */
	unsigned	 slot;		/* heap index */
	loop_timer_cb	 cb;
	void		*arg;
};

int	 loop_init(void);
void	 loop_free(void);
/* Add, change or remove fd's interest; 0 or -1 with errno. */
int	 loop_add(struct loop_io *, int fd, uint32_t events, loop_io_cb, void *);
int	 loop_mod(struct loop_io *, uint32_t events);
void	 loop_del(struct loop_io *);

/* Arm t to fire after ms milliseconds (re-arming moves it). */
void	 loop_timer_set(struct loop_timer *t, int64_t ms);
void	 loop_timer_stop(struct loop_timer *t);

/*
 * Run fn(arg) once the current round of events is done.  Objects that the
 * round may still reference are freed this way.
 */
int	 loop_defer(void (*fn)(void *), void *arg);

/* Run until loop_break(); returns 0, or -1 when epoll fails. */
int	 loop_run(void);
void	 loop_break(void);

/* Clocks, in milliseconds; inside loop_run(), as of this round. */
int64_t	 loop_now(void);		/* monotonic */
int64_t	 loop_wallclock(void);		/* unix time */
uint64_t loop_round(void);		/* counts epoll_wait() returns */

#endif

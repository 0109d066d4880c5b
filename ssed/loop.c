/*
 * loop.c: epoll, a binary min-heap of timers and deferred work.
 *
 * Callbacks may add or remove watchers and timers freely.  Memory that an
 * event of the current round might still point at must be released with
 * loop_defer(), never directly: epoll_wait hands out a batch at once.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define LOOP_BATCH	256

struct deferred {
	void		(*fn)(void *);
	void		 *arg;
};

static int			 epfd = -1;
static int			 running;
static struct loop_timer	**heap;
static unsigned			 nheap, capheap;
static struct deferred		*defq;
static unsigned			 ndefq, capdefq;
static int64_t			 cached_mono, cached_wall;
static uint64_t			 rounds;

static int64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Inside loop_run() the clocks are read once per round, when epoll_wait
 * returns and again before the timers run, as libuv does: a publish
 * does not pay for them, and ms is all anyone here needs.
 */
static void
update_time(void)
{
	cached_mono = clock_ms(CLOCK_MONOTONIC);
	cached_wall = clock_ms(CLOCK_REALTIME);
}

int64_t
loop_now(void)
{
	return running ? cached_mono : clock_ms(CLOCK_MONOTONIC);
}

int64_t
loop_wallclock(void)
{
	return running ? cached_wall : clock_ms(CLOCK_REALTIME);
}

uint64_t
loop_round(void)
{
	return rounds;
}

int
loop_init(void)
{
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	return 0;
}

static void	run_deferred(void);

void
loop_free(void)
{
	run_deferred();		/* what was deferred still owns memory */
	if (epfd != -1)
		close(epfd);
	epfd = -1;
	free(heap);
	heap = NULL;
	nheap = capheap = 0;
	free(defq);
	defq = NULL;
	ndefq = capdefq = 0;
}

int
loop_add(struct loop_io *io, int fd, uint32_t events, loop_io_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
	io->events = events;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
loop_mod(struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->events == events)
		return 0;
	io->events = events;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void
loop_del(struct loop_io *io)
{
	if (io->fd == -1)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
}

static void
heap_swap(unsigned a, unsigned b)
{
	struct loop_timer *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->slot = a;
	heap[b]->slot = b;
}

static void
heap_up(unsigned i)
{
	while (i > 0 && heap[(i - 1) / 2]->when > heap[i]->when) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < nheap && heap[l]->when < heap[m]->when)
			m = l;
		if (r < nheap && heap[r]->when < heap[m]->when)
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

void
loop_timer_stop(struct loop_timer *t)
{
	unsigned i = t->slot;

	if (t->when == 0)
		return;
	t->when = 0;
	nheap--;
	if (i != nheap) {
		heap[i] = heap[nheap];
		heap[i]->slot = i;
		heap_down(i);
		heap_up(i);
	}
}

void
loop_timer_set(struct loop_timer *t, int64_t ms)
{
	loop_timer_stop(t);
	if (nheap == capheap) {
		unsigned		 ncap = capheap ? capheap * 2 : 16;
		struct loop_timer	**n;

		if ((n = reallocarray(heap, ncap, sizeof(*n))) == NULL) {
			log_err("%s: out of memory, timer dropped", __func__);
			return;
		}
		heap = n;
		capheap = ncap;
	}
	t->when = loop_now() + (ms > 0 ? ms : 0);
	if (t->when == 0)
		t->when = 1;
	t->slot = nheap;
	heap[nheap++] = t;
	heap_up(t->slot);
}

int
loop_defer(void (*fn)(void *), void *arg)
{
	if (ndefq == capdefq) {
		unsigned	 ncap = capdefq ? capdefq * 2 : 16;
		struct deferred	*n;

		if ((n = reallocarray(defq, ncap, sizeof(*n))) == NULL)
			return -1;
		defq = n;
		capdefq = ncap;
	}
	defq[ndefq].fn = fn;
	defq[ndefq].arg = arg;
	ndefq++;
	return 0;
}

static void
run_deferred(void)
{
	unsigned i;

	/* fn may defer more work: it runs in this same pass. */
	for (i = 0; i < ndefq; i++)
		defq[i].fn(defq[i].arg);
	ndefq = 0;
}

static void
run_timers(void)
{
	int64_t now = loop_now();

	while (nheap > 0 && heap[0]->when <= now) {
		struct loop_timer *t = heap[0];

		loop_timer_stop(t);
		t->cb(t);
	}
}

void
loop_break(void)
{
	running = 0;
}

int
loop_run(void)
{
	struct epoll_event	 evs[LOOP_BATCH];
	int			 n, i, timeout;

	update_time();
	running = 1;
	while (running) {
		timeout = -1;
		if (ndefq > 0)
			timeout = 0;
		else if (nheap > 0) {
			int64_t d = heap[0]->when - loop_now();

			timeout = d < 0 ? 0 : (d > 60000 ? 60000 : (int)d);
		}
		n = epoll_wait(epfd, evs, LOOP_BATCH, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: epoll_wait: %s", __func__, strerror(errno));
			running = 0;
			return -1;
		}
		update_time();
		rounds++;
		for (i = 0; i < n; i++) {
			struct loop_io *io = evs[i].data.ptr;

			if (io->fd != -1)
				io->cb(io, evs[i].events);
		}
		if (n > 0)
			update_time();
		run_timers();
		run_deferred();
	}
	return 0;
}

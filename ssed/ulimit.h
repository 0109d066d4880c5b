/*
 * ulimit.h: concurrent streams per user (token sub, or remote address
 * for anonymous streams), for --max-conns-per-user.
 */
#ifndef SSED_ULIMIT_H
#define SSED_ULIMIT_H

#define ULIMIT_FULL	(-1)	/* key is at the limit */
#define ULIMIT_NOMEM	(-2)

void	ulimit_set_max(unsigned max);	/* 0: no limit */
/* Count one more stream for key: 0, ULIMIT_FULL or ULIMIT_NOMEM. */
int	ulimit_take(const char *key);
void	ulimit_release(const char *key);
void	ulimit_free(void);

#endif

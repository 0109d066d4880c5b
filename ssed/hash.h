/*
 * hash.h: the string hash of ssed's tables (FNV-1a, 64 bits).
 */
#ifndef SSED_HASH_H
#define SSED_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

#endif

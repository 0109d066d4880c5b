/*
 * sse_errors.c: sse_strerror().
 *
 * The messages come from sse_errors.def, the one list of libsseproto's
 * error codes; the enum in sseproto.h is built from the same list, so a
 * code and its message cannot drift apart.
 */
#include "sseproto.h"

const char *
sse_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define X(name, val, msg) case (val): return (msg);
#include "sse_errors.def"
#undef X
	default:
		return "unknown error";
	}
}

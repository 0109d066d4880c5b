/*
 * sse_ctl.c: the control protocol's messages: the op table, the envelope
 * of requests and replies, and typed reads of map fields.
 *
 * Framing is in sse_ctl_frame.c.  What each op carries is the business
 * of ssed and ssectl; the op list itself lives in sse_ctl_ops.def.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sseproto.h"

static const struct {
	int		 op;
	const char	*name;
	const char	*summary;
} ops[] = {
#define X(name, code, wire, summary) { SSE_CTL_##name, wire, summary },
#include "sse_ctl_ops.def"
#undef X
};
#define NOPS	(sizeof(ops) / sizeof(ops[0]))

const char *
sse_ctl_op_name(int op)
{
	size_t i;

	for (i = 0; i < NOPS; i++) {
		if (ops[i].op == op)
			return ops[i].name;
	}
	return NULL;
}

const char *
sse_ctl_op_summary(int op)
{
	size_t i;

	for (i = 0; i < NOPS; i++) {
		if (ops[i].op == op)
			return ops[i].summary;
	}
	return NULL;
}

int
sse_ctl_op_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPS; i++) {
		if (strlen(ops[i].name) == len &&
		    memcmp(ops[i].name, name, len) == 0)
			return ops[i].op;
	}
	return SSE_EUNKNOWNOP;
}

void
sse_ctl_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
sse_ctl_pack_str(msgpack_packer *pk, const char *s)
{
	sse_ctl_pack_strn(pk, s, strlen(s));
}

/* An unknown op is packed as nil, which the receiver refuses. */
void
sse_ctl_pack_request(msgpack_packer *pk, int op, uint64_t seq,
    size_t nfields)
{
	const char *name = sse_ctl_op_name(op);

	msgpack_pack_map(pk, 3 + nfields);
	sse_ctl_pack_str(pk, "v");
	msgpack_pack_uint64(pk, SSE_CTL_PROTO_VERSION);
	sse_ctl_pack_str(pk, "op");
	if (name != NULL)
		sse_ctl_pack_str(pk, name);
	else
		msgpack_pack_nil(pk);
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, seq);
}

void
sse_ctl_pack_result(msgpack_packer *pk, uint64_t seq, size_t nfields)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, seq);
	sse_ctl_pack_str(pk, "result");
	msgpack_pack_map(pk, nfields);
}

void
sse_ctl_pack_error(msgpack_packer *pk, uint64_t seq, const char *code,
    const char *message)
{
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "seq");
	msgpack_pack_uint64(pk, seq);
	sse_ctl_pack_str(pk, "error");
	msgpack_pack_map(pk, 2);
	sse_ctl_pack_str(pk, "code");
	sse_ctl_pack_str(pk, code);
	sse_ctl_pack_str(pk, "message");
	sse_ctl_pack_str(pk, message);
}

const msgpack_object *
sse_ctl_get(const msgpack_object *map, const char *key)
{
	const msgpack_object_kv *kv;
	size_t n, i;

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	n = strlen(key);
	for (i = 0; i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == n &&
		    memcmp(kv->key.via.str.ptr, key, n) == 0)
			return &kv->val;
	}
	return NULL;
}

/* The value of key, or NULL when it is absent or nil. */
static const msgpack_object *
get_value(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = sse_ctl_get(map, key);

	return o == NULL || o->type == MSGPACK_OBJECT_NIL ? NULL : o;
}

int
sse_ctl_str(const msgpack_object *o, const char **p, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*len = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*len = o->via.bin.size;
	} else
		return SSE_ETYPE;
	return 0;
}

int
sse_ctl_get_str(const msgpack_object *map, const char *key, const char **p,
    size_t *len)
{
	const msgpack_object *o;

	if ((o = get_value(map, key)) == NULL)
		return SSE_ENOENT;
	return sse_ctl_str(o, p, len);
}

int
sse_ctl_get_array(const msgpack_object *map, const char *key,
    const msgpack_object **arr)
{
	const msgpack_object *o;

	if ((o = get_value(map, key)) == NULL)
		return SSE_ENOENT;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return SSE_ETYPE;
	*arr = o;
	return 0;
}

int
sse_ctl_get_uint(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object *o;

	if ((o = get_value(map, key)) == NULL)
		return SSE_ENOENT;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return SSE_ETYPE;
	*v = o->via.u64;
	return 0;
}

/* A uint above INT64_MAX does not fit: SSE_ETYPE. */
int
sse_ctl_get_int(const msgpack_object *map, const char *key, int64_t *v)
{
	const msgpack_object *o;

	if ((o = get_value(map, key)) == NULL)
		return SSE_ENOENT;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*v = o->via.i64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT64_MAX)
		*v = (int64_t)o->via.u64;
	else
		return SSE_ETYPE;
	return 0;
}

int
sse_ctl_get_bool(const msgpack_object *map, const char *key, int *v)
{
	const msgpack_object *o;

	if ((o = get_value(map, key)) == NULL)
		return SSE_ENOENT;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return SSE_ETYPE;
	*v = o->via.boolean;
	return 0;
}

int
sse_ctl_get_strdup(const msgpack_object *map, const char *key, char **outp)
{
	const char *s;
	size_t n;
	char *d;
	int rc;

	if ((rc = sse_ctl_get_str(map, key, &s, &n)) != 0)
		return rc;
	if (n == SIZE_MAX || (d = malloc(n + 1)) == NULL)
		return SSE_ENOMEM;
	if (n > 0)
		memcpy(d, s, n);
	d[n] = '\0';
	*outp = d;
	return 0;
}

/*
 * The version is judged first: a newer protocol may have changed the
 * rest of the envelope, and its client deserves VERSION_MISMATCH rather
 * than BAD_REQUEST.  seq is read before anything can fail so that even
 * an error reply can carry it.  v 0 never existed, so it is refused too.
 */
int
sse_ctl_request_check(const msgpack_object *req, int *op, uint64_t *seq)
{
	const char *name;
	size_t len;
	uint64_t v = 1;
	int rc;

	*op = SSE_CTL_NONE;
	*seq = 0;
	if (req == NULL || req->type != MSGPACK_OBJECT_MAP)
		return SSE_EPROTO;
	rc = sse_ctl_get_uint(req, "seq", seq);	/* *seq stays 0 on failure */
	switch (sse_ctl_get_uint(req, "v", &v)) {
	case 0:
		if (v == 0 || v > SSE_CTL_PROTO_VERSION)
			return SSE_EVERSION;
		break;
	case SSE_ENOENT:
		break;
	default:
		return SSE_EPROTO;
	}
	if (rc != 0)
		return SSE_EPROTO;
	if (sse_ctl_get_str(req, "op", &name, &len) != 0)
		return SSE_EPROTO;
	if ((rc = sse_ctl_op_lookup(name, len)) < 0)
		return rc;
	*op = rc;
	return 0;
}

/* Exactly one of result and error, each a map; error holds two strs. */
int
sse_ctl_reply_parse(const msgpack_object *rep, struct sse_ctl_reply *out)
{
	const msgpack_object *result, *error;

	memset(out, 0, sizeof(*out));
	if (sse_ctl_get_uint(rep, "seq", &out->seq) != 0)
		return SSE_EPROTO;
	result = get_value(rep, "result");
	error = get_value(rep, "error");
	if ((result == NULL) == (error == NULL))
		return SSE_EPROTO;
	if (result != NULL) {
		if (result->type != MSGPACK_OBJECT_MAP)
			return SSE_EPROTO;
		out->result = result;
		return 0;
	}
	if (sse_ctl_get_str(error, "code", &out->code, &out->codelen) != 0 ||
	    sse_ctl_get_str(error, "message", &out->message,
	    &out->messagelen) != 0) {
		out->code = out->message = NULL;
		out->codelen = out->messagelen = 0;
		return SSE_EPROTO;
	}
	return 1;
}

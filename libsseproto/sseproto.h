/*
 * sseproto.h: the one public header of libsseproto.
 *
 * Three pieces shared by ssed, ssectl and ssecat:
 *   - the SSE encoder (sse_encode*): one event to its wire text;
 *   - the incremental SSE parser (sse_parser_*), WHATWG EventSource rules;
 *   - the control-protocol codec (sse_ctl_*): length-delimited msgpack maps
 *     spoken on ssed's Unix-domain control socket.
 *
 * Every function that can fail returns 0 (or a length) on success and a
 * negative SSE_E* code on failure; sse_strerror() names the code.
 */
#ifndef SSEPROTO_H
#define SSEPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Errors: generated from sse_errors.def. */
enum sse_error {
#define X(name, val, msg) SSE_E##name = (val),
#include <sse_errors.def>
#undef X
};

const char	*sse_strerror(int err);

/*
 * Encoder.
 *
 * An event is framed as:
 *	[id: ID LF] [event: TYPE LF] [retry: MS LF] data: LINE LF ... LF
 * Every line break in data (CR, LF or CRLF) starts a new "data:" line, so a
 * parser that follows the WHATWG rules gives back the data with each line
 * break turned into LF.  Empty data is one "data: " line (it is dispatched
 * with empty data).  id and event may not hold CR, LF or NUL: SSE_EBADFIELD.
 * A NULL or empty id / event is left out.  retry < 0 is left out.
 */
struct sse_msg {
	const char	*id;
	const char	*event;
	const char	*data;
	size_t		 datalen;
	long		 retry;
};

/*
 * Bytes sse_encode() will write for m; SSE_EBADFIELD as above; SSE_EINVAL
 * when m is NULL, when data is NULL with datalen > 0, or when datalen is
 * so large that the frame's length might not fit in a ssize_t.
 */
ssize_t		 sse_encode_len(const struct sse_msg *m);
/*
 * Writes the frame of m into buf (no NUL terminator) in one pass and
 * returns its length; SSE_EBADFIELD as above (nothing is written then);
 * SSE_EINVAL for the reasons above, when buf is NULL or when size is too
 * small.  After SSE_EINVAL buf may hold part of a frame: size it with
 * sse_encode_len() when the whole frame is wanted.
 */
ssize_t		 sse_encode(char *buf, size_t size, const struct sse_msg *m);
/* Same, into a new malloc'd buffer (*outp, *lenp); the caller frees it. */
int		 sse_encode_alloc(const struct sse_msg *m, char **outp,
		    size_t *lenp);
/* 1 when s (len bytes) may be used as an id or event type, else 0. */
int		 sse_field_is_valid(const char *s, size_t len);

/*
 * Parser.
 *
 * Feed it bytes in any chunking; it calls back once per dispatched event,
 * per valid retry field and per comment.  Feeding one byte at a time gives
 * exactly the same calls as feeding the whole buffer at once.
 *
 * In on_event, every pointer is valid only during the call.  id is the
 * last event id in force (persisting across events; "" when none), type is
 * the event type ("message" by default), data holds datalen bytes and is
 * NUL-terminated.  raw/rawlen is the event's block as received: its lines
 * with their original line ends, including comments and the blank line
 * that ended it, but not the BOM.  Callbacks may read the parser
 * (sse_parser_last_id) but must not feed, reset or free it.
 */
struct sse_event {
	const char	*id;
	const char	*type;
	const char	*data;
	size_t		 datalen;
	const char	*raw;
	size_t		 rawlen;
};

struct sse_parser_cb {
	void	(*on_event)(const struct sse_event *, void *arg);
	void	(*on_retry)(unsigned long ms, void *arg);	/* optional */
	void	(*on_comment)(const char *text, size_t len, void *arg); /* optional */
	void	 *arg;
};

struct sse_parser;

struct sse_parser *sse_parser_new(const struct sse_parser_cb *cb);
void		 sse_parser_free(struct sse_parser *p);
/* Forget any partial event and the BOM state, keep the last event id. */
void		 sse_parser_reset(struct sse_parser *p);
/*
 * 0; SSE_ETOOBIG when the event block being read (its lines with their
 * line ends, up to and including the blank line) grows past the maximum;
 * SSE_ENOMEM.  After an error the parser is reset, with the rest of the
 * block lost: the caller should drop the stream.  Calls made before the
 * error do not depend on how the input was chunked.
 */
int		 sse_parser_feed(struct sse_parser *p, const char *buf,
		    size_t len);
/*
 * Set the largest event block sse_parser_feed accepts, in bytes; the
 * default is SSE_PARSER_MAX_BLOCK, SIZE_MAX lifts the limit.  The parser
 * keeps a block that spans chunks, so a server that never ended a line or
 * a block would otherwise grow it without bound.  64 MiB leaves room for
 * ssed's largest events (16 MiB of data) in any ordinary framing.
 */
#define SSE_PARSER_MAX_BLOCK	(64u * 1024 * 1024)
void		 sse_parser_set_max(struct sse_parser *p, size_t max);
/*
 * The stream ended (EOF, or the connection is about to be retried).  A
 * block whose blank line was a lone CR at the very end of the input is
 * dispatched now: until the next byte the parser cannot tell CR from
 * CRLF, and raw must hold the whole line end.  Any partial event is
 * dropped, as the spec says, and the parser is reset for the next stream
 * (keeping the last event id).  0, or SSE_ENOMEM.
 */
int		 sse_parser_end(struct sse_parser *p);
/* The last event id in force ("" when none). */
const char	*sse_parser_last_id(const struct sse_parser *p);
/* Set the last event id (e.g. from --last-event-id); SSE_ENOMEM. */
int		 sse_parser_set_last_id(struct sse_parser *p, const char *id);

/*
 * Control protocol.
 *
 * A frame is a 4-byte big-endian length followed by that many bytes: one
 * msgpack map.  A request holds "v" (protocol version, uint), "op" (str),
 * "seq" (uint, chosen by the client) and the op's own fields.  A reply
 * holds the same "seq" and either "result" (a map) or "error" (a map with
 * "code" and "message", both str).  A streaming op answers many times with
 * the same seq.  The full schema is in ssed-control(7).
 */
/*
 * Not SSE_CTL_VERSION: that name is the "version" op, generated from
 * sse_ctl_ops.def below.
 */
#define SSE_CTL_PROTO_VERSION	1
#define SSE_CTL_HDRLEN		4
#define SSE_CTL_MAX_FRAME	(64u * 1024 * 1024)
/* The largest request ssed takes (ssed-control(7)); replies go to the above. */
#define SSE_CTL_MAX_REQUEST	(16u * 1024 * 1024)

enum sse_ctl_op {
	SSE_CTL_NONE = 0,
#define X(name, code, wire, summary) SSE_CTL_##name = (code),
#include <sse_ctl_ops.def>
#undef X
};

/* Wire name and summary of op, or NULL when op is unknown. */
const char	*sse_ctl_op_name(int op);
const char	*sse_ctl_op_summary(int op);
/* The op named (len bytes), or SSE_EUNKNOWNOP. */
int		 sse_ctl_op_lookup(const char *name, size_t len);

/*
 * Decode the first frame in buf (len bytes).  Returns 0 and fills *out
 * (which the caller set up with msgpack_unpacked_init and later destroys)
 * and *framelen (header included) when a whole frame is there;
 * SSE_EAGAIN when more bytes are needed; SSE_ETOOBIG when the header
 * announces more than max bytes; SSE_EPROTO when the body is not exactly
 * one msgpack map; SSE_ENOMEM.  Never reads past len.  Strings in *out
 * point into buf: keep buf unchanged while *out is in use.
 */
int		 sse_ctl_frame_decode(const char *buf, size_t len, size_t max,
		    msgpack_unpacked *out, size_t *framelen);

/*
 * Frame writer: an sbuffer with a packer on it.  sse_ctl_begin reserves
 * the length header; pack the map with msgpack_pack_* and the helpers
 * below; sse_ctl_end patches the header.  Several frames may be written
 * into one writer back to back.  sse_ctl_writer_reset empties it.
 */
struct sse_ctl_writer {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;	/* writes to sb; do not copy a writer */
	size_t		 start;
	int		 nomem;	/* a write failed since sse_ctl_begin */
};

void		 sse_ctl_writer_init(struct sse_ctl_writer *w);
void		 sse_ctl_writer_reset(struct sse_ctl_writer *w);
void		 sse_ctl_writer_destroy(struct sse_ctl_writer *w);
void		 sse_ctl_begin(struct sse_ctl_writer *w);
/*
 * SSE_ETOOBIG when the frame exceeds SSE_CTL_MAX_FRAME, SSE_ENOMEM when
 * memory ran out while it was packed; either way the frame is dropped
 * from the writer and the frames before it are kept.
 */
int		 sse_ctl_end(struct sse_ctl_writer *w);

/* Pack a str (NUL-terminated or with length). */
void		 sse_ctl_pack_str(msgpack_packer *pk, const char *s);
void		 sse_ctl_pack_strn(msgpack_packer *pk, const char *s, size_t n);
/* Begin a request map of n op-specific fields plus v, op and seq. */
void		 sse_ctl_pack_request(msgpack_packer *pk, int op, uint64_t seq,
		    size_t nfields);
/* Begin a reply map: {seq, result: <map of n fields follows>}. */
void		 sse_ctl_pack_result(msgpack_packer *pk, uint64_t seq,
		    size_t nfields);
/* A whole error reply: {seq, error: {code, message}}. */
void		 sse_ctl_pack_error(msgpack_packer *pk, uint64_t seq,
		    const char *code, const char *message);

/*
 * Reading maps.  sse_ctl_get returns the value of key in map, or NULL (also
 * when map is not a map).  The typed getters return 0, SSE_ENOENT when the
 * key is absent (or nil), SSE_ETYPE when it has another type.  Strings are
 * not NUL-terminated; str getters accept msgpack str and bin.  The int
 * getter takes both signs, but a uint above INT64_MAX is SSE_ETYPE.
 */
const msgpack_object *sse_ctl_get(const msgpack_object *map, const char *key);
int		 sse_ctl_get_str(const msgpack_object *map, const char *key,
		    const char **p, size_t *len);
int		 sse_ctl_get_uint(const msgpack_object *map, const char *key,
		    uint64_t *v);
int		 sse_ctl_get_int(const msgpack_object *map, const char *key,
		    int64_t *v);
int		 sse_ctl_get_bool(const msgpack_object *map, const char *key,
		    int *v);
/* An array field (*arr); nil is absent, as for the others. */
int		 sse_ctl_get_array(const msgpack_object *map, const char *key,
		    const msgpack_object **arr);
/* One value that must be a str or a bin, such as an array's entry. */
int		 sse_ctl_str(const msgpack_object *o, const char **p,
		    size_t *len);
/* Copy a str field into a new NUL-terminated string (*outp, caller frees). */
int		 sse_ctl_get_strdup(const msgpack_object *map, const char *key,
		    char **outp);

/*
 * Check the envelope of a request: a map with "v" (absent or nil means 1;
 * 0 or a version above SSE_CTL_PROTO_VERSION is SSE_EVERSION; not a uint
 * is SSE_EPROTO), a uint "seq" and a known "op" (str).  The version is
 * judged before seq and op.  Fills *op and *seq (seq is 0 when it could
 * not be read; it is read even when the check fails).  Returns 0,
 * SSE_EPROTO (not a map, no seq, no op), SSE_EVERSION or SSE_EUNKNOWNOP.
 */
int		 sse_ctl_request_check(const msgpack_object *req, int *op,
		    uint64_t *seq);

/*
 * Read a reply envelope: a uint "seq" and exactly one of "result" (a map)
 * and "error" (a map with str "code" and "message").  Returns 0 with
 * *result set when it is a result, or SSE_EPROTO; when it is an error,
 * returns 1 with *code and *message (pointers into the object, with
 * lengths) set.
 */
struct sse_ctl_reply {
	uint64_t		 seq;
	const msgpack_object	*result;
	const char		*code;
	size_t			 codelen;
	const char		*message;
	size_t			 messagelen;
};
int		 sse_ctl_reply_parse(const msgpack_object *rep,
		    struct sse_ctl_reply *out);

#ifdef __cplusplus
}
#endif

#endif /* SSEPROTO_H */

#!/bin/sh
# control_fields.sh: the control socket reads request fields as
# ssed-control(7) says: a kick reason and a token's sub and patterns are
# UTF-8 without NUL, a long reason is cut between characters, nil is
# absent and bin is str everywhere, an empty event type is untyped, tail
# counts each topic once, the KICKED event's id line and token_expires
# are as documented, and the uptime does not follow the wall clock.
. "$(dirname "$0")/lib.sh"
POKE="$top_builddir/tests/tools/ctlpoke"

# req PYTHON-DICT: the hex of one request frame, with "v" 1 and "seq" 1
# unless the dict has its own.  A Python str is packed as a str, bytes as
# a str holding exactly those bytes (not UTF-8, NUL), ("bin", bytes) as a
# bin, None as nil.
req() {
	python3 - "$1" <<'EOF'
import struct, sys

def pk(v):
    if v is None:
        return b'\xc0'
    if isinstance(v, bool):
        return b'\xc3' if v else b'\xc2'
    if isinstance(v, int):
        return b'\xcf' + struct.pack('>Q', v)
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b'\xdb' + struct.pack('>I', len(v)) + v
    if isinstance(v, tuple):
        b = v[1].encode() if isinstance(v[1], str) else v[1]
        return b'\xc6' + struct.pack('>I', len(b)) + b
    if isinstance(v, list):
        return b'\xdd' + struct.pack('>I', len(v)) + b''.join(map(pk, v))
    return (b'\xdf' + struct.pack('>I', len(v)) +
        b''.join(pk(k) + pk(x) for k, x in v.items()))

r = {'v': 1, 'seq': 1}
r.update(eval(sys.argv[1], {}))
body = pk(r)
print((struct.pack('>I', len(body)) + body).hex())
EOF
}

# poke PYTHON-DICT...: send the requests on one connection, print the
# replies, one a line.
poke() {
	local hex="" r
	for r in "$@"; do
		hex="$hex$(req "$r")"
	done
	"$POKE" "$SSED_SOCKET" "$hex"
}

# stream NAME PATH: open a stream with $TOK into $T_DIR/NAME
stream() {
	bg curl -sN -H "Authorization: Bearer $TOK" -o "$T_DIR/$1" "$BASE$2"
}

# claims TOKEN: the payload of a JWT, as JSON
claims() {
	python3 -c 'import base64, sys
p = sys.argv[1].split(".")[1]
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$1"
}

printf 'correct horse battery staple\n' >"$T_DIR/secret"
start_ssed --jwt-secret-file "$T_DIR/secret" || exit 1
TOK=$("$SSECTL" token --sub op --subscribe '*')

# kick: a reason longer than 255 bytes is cut between two characters,
# and the stream gets its KICKED event.
long=$(python3 -c 'print("Обслуживание сервера " * 8)')
want=$(python3 -c 'import sys
print(sys.argv[1].encode()[:255].decode(errors="ignore"))' "$long")
stream kk /sse/updates/kk
kk=$BG_PID
wait_for 5 streams_are 1 --topic kk
is "$("$SSECTL" kick --topic kk --reason "$long")" "kicked 1" \
    "a kick with a long UTF-8 reason kicks"
wait_pid "$kk" 5
like "$(tr '\n' ' ' <"$T_DIR/kk")" \
    '^retry: [0-9]+  event: error data: \{"code":"KICKED"' \
    "the stream gets its KICKED event"
got=$(sed -n 's/^data: //p' "$T_DIR/kk" | python3 -c 'import json, sys
print(json.load(sys.stdin)["message"])')
is "$got" "$want" "the reason is cut to 255 bytes between two characters"
unlike "$(cat "$T_DIR/kk")" '^id:' \
    "on /sse/updates the KICKED event has no id line"

# kick: a reason that is not UTF-8, or holds a NUL, is refused, and no
# stream is kicked.
stream k2 /sse/updates/k2
wait_for 5 streams_are 1 --topic k2
out=$("$SSECTL" kick --topic k2 --reason "$(printf 'bad \377 byte')" 2>&1)
is "$?" "2" "a reason that is not UTF-8 is refused"
like "$out" '^ssectl: BAD_REQUEST: reason: must be UTF-8 without NUL' \
    "with BAD_REQUEST naming the reason"
like "$(poke "{'op': 'kick', 'topic': 'k2', 'reason': b'cut\0here'}")" \
    '"code"=>"BAD_REQUEST", "message"=>"reason: must be UTF-8' \
    "a reason with a NUL is refused"
sleep 0.3
is "$(subscribers k2)" "1" "and the stream was not kicked"

# token: the sub's real length counts, and it must be UTF-8 without NUL.
like "$(poke "{'op': 'token', 'sub': b'alice\0' + b'x' * 200}")" \
    '"error"=>\{"code"=>"BAD_REQUEST", "message"=>"sub: 1-128 bytes' \
    "a sub of 206 bytes with a NUL after alice is refused"
like "$(poke "{'op': 'token', 'sub': b'alice\0'}")" \
    '"code"=>"BAD_REQUEST", "message"=>"sub: ' "a sub with a NUL is refused"
like "$(poke "{'op': 'token', 'sub': b'al\xffice'}")" \
    '"code"=>"BAD_REQUEST", "message"=>"sub: ' \
    "a sub that is not UTF-8 is BAD_REQUEST, not INTERNAL"
like "$(poke "{'op': 'token', 'sub': 'alice', 'subscribe': [b'a\0*']}")" \
    '"code"=>"BAD_REQUEST", "message"=>"subscribe: entries must be UTF-8' \
    "a pattern with a NUL is refused"
like "$(poke "{'op': 'token', 'sub': 'ünïcödé'}")" '"result"=>\{"token"=>"' \
    "a sub of multi-byte UTF-8 characters gets a token"

# nil is absent, and bin is str, in every field.
out=$(poke "{'op': 'publish', 'topic': 'pn', 'data': 'x', 'events': None}")
like "$out" '"result"=>\{"id"=>"[0-9]+-[0-9]+"' \
    "publish: events nil is a single event"
stream kn /sse/updates/kn
wait_for 5 streams_are 1 --topic kn
like "$(poke "{'op': 'kick', 'topic': 'kn', 'ids': None}")" \
    '"result"=>\{"kicked"=>1\}' "kick: ids nil beside a topic kicks by topic"
like "$(poke "{'op': 'kick', 'ids': None}")" \
    '"code"=>"BAD_REQUEST", "message"=>"kick needs' \
    "kick: ids nil alone selects nothing"
like "$(poke "{'op': 'tail', 'topics': None}")" '"result"=>\{"tailing"=>0\}' \
    "tail: topics nil tails every topic"
out=$(poke "{'op': 'tail', 'topics': [('bin', 'tb')]}" \
    "{'op': 'publish', 'seq': 2, 'topic': 'tb', 'data': 'y'}" | tr '\n' ' ')
ev='\{"seq"=>1, "result"=>\{"event"=>\{[^}]*"topic"=>"tb", [^}]*"data"=>"y"'
like "$out" '^\{"seq"=>1, "result"=>\{"tailing"=>1\}\} '"$ev" \
    "tail: a topic given as bin is followed"
out=$(poke "{'op': 'token', 'sub': 'u', 'subscribe': None, 'publish': None}")
like "$out" '"result"=>\{"token"=>"' \
    "token: subscribe and publish nil are absent"
out=$(poke "{'op': 'token', 'sub': ('bin', 'u'),
    'subscribe': [('bin', 'sb')], 'publish': [('bin', 'pb')]}")
tok=$(printf '%s' "$out" | sed -n 's/.*"token"=>"\([^"]*\)".*/\1/p')
like "$(claims "$tok")" '"sub":"u"' "token: a sub given as bin is the sub"
like "$(claims "$tok")" '"subscribe":\["sb"\]' \
    "token: subscribe patterns given as bin"
like "$(claims "$tok")" '"publish":\["pb"\]' \
    "token: publish patterns given as bin"

# publish: an empty event type is an untyped event, as over HTTP.
like "$(poke "{'op': 'publish', 'topic': 'te', 'data': 'x', 'event': ''}")" \
    '"result"=>\{"id"=>"' "publish: an empty event type is accepted"
like "$("$SSECTL" history --json te)" '"event":null,"data":"x"' \
    "and the event is untyped"
out=$(poke "{'op': 'publish',
    'events': [{'topic': 'te', 'data': 'z', 'event': ''}]}")
like "$out" '"result"=>\{"ids"=>\["' "in a batch too"

# tail: a topic named twice is counted once, and its events come once.
out=$(poke "{'op': 'tail', 'topics': ['ta', 'ta', 'tb']}" \
    "{'op': 'publish', 'seq': 2, 'topic': 'ta', 'data': 'once'}")
like "$out" '"result"=>\{"tailing"=>2\}' "tail: duplicate topics count once"
is "$(printf '%s\n' "$out" | grep -c '"data"=>"once"')" "1" \
    "and their events come once"

# tail: at most 1000 topics, each compared with every event.
out=$(poke "{'op': 'tail', 'topics': ['t%d' % i for i in range(1001)]}")
like "$out" '"code"=>"BAD_REQUEST", "message"=>"topics: at most 1000' \
    "tail: 1001 topics are refused"

# On /api/v1/client/events the KICKED event repeats the last event id.
TOK=$("$SSECTL" token --sub bob)
stream bob /api/v1/client/events
bob=$BG_PID
wait_for 5 streams_are 1 --user bob
id=$("$SSECTL" notify --user bob '{"n":1}')
wait_for 5 grep -q '^id: ' "$T_DIR/bob"
"$SSECTL" kick --user bob >/dev/null
wait_pid "$bob" 5
like "$(tr '\n' ' ' <"$T_DIR/bob")" \
    " id: $id event: error data: \\{\"code\":\"KICKED\"" \
    "on /api/v1/client/events the KICKED event repeats the last id"

# show: token_expires is the token's exp plus the leeway (30 s), in ms;
# it is read back from a timer on the monotonic clock, give or take 1 ms.
TOK=$("$SSECTL" token --sub carol --subscribe tx --ttl 1h)
exp=$(claims "$TOK" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
stream carol /sse/updates/tx
wait_for 5 streams_are 1 --user carol
cid=$("$SSECTL" list --json --user carol |
    sed -n 's/.*"id":\([0-9]*\),.*/\1/p')
te=$("$SSECTL" show --json "$cid" |
    sed -n 's/.*"token_expires":\([0-9]*\),.*/\1/p')
d=$((${te:-0} - (exp + 30) * 1000))
is "$((d >= -1 && d <= 1))" "1" "show: token_expires is exp plus the leeway"

# stats: the uptime counts on the monotonic clock.  A shim moves ssed's
# wall clock an hour back once a file exists.
stop_ssed
is "$WAIT_RC" "0" "ssed exits 0 on SIGTERM"
mv "$SSED_LOG" "$T_DIR/ssed-first.log"
cat >"$T_DIR/step.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int	(*real)(clockid_t, struct timespec *);
	const char	*f = getenv("STEP_FILE");
	int		 rc;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && id == CLOCK_REALTIME && f != NULL &&
	    access(f, F_OK) == 0)
		ts->tv_sec -= 3600;
	return rc;
}
EOF
if cc -shared -fPIC -o "$T_DIR/step.so" "$T_DIR/step.c" -ldl 2>/dev/null; then
	STEP_FILE="$T_DIR/stepped"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	LD_PRELOAD="$T_DIR/step.so"
	export STEP_FILE ASAN_OPTIONS LD_PRELOAD
	start_ssed --auth=none
	unset LD_PRELOAD
	like "$("$SSECTL" --json stats)" '"uptime":[0-9],' \
	    "stats: uptime starts at 0"
	: >"$STEP_FILE"
	sleep 0.2
	like "$("$SSECTL" --json stats)" '"uptime":[0-9],' \
	    "stats: uptime stays small when the wall clock steps back an hour"
else
	diag "no C compiler for the clock shim: uptime not tested"
fi
done_testing

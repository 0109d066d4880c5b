#!/bin/sh
# control.sh: the control socket answers garbage, truncated, oversized and
# unknown requests with an error (or a clean close) and keeps serving
# everyone else; ssectl reports each failure with its documented status.
. "$(dirname "$0")/lib.sh"
# poke_like HEX REGEX DESCRIPTION: send raw frames, match the replies.
poke_like() {
	like "$("$POKE" "$SSED_SOCKET" "$1")" "$2" "$3"
}
POKE="$top_builddir/tests/tools/ctlpoke"

# No daemon yet.
out=$("$SSECTL" stats 2>&1); rc=$?
is "$rc" "3" "ssectl exits 3 when no daemon listens"
is "$out" "ssectl: cannot connect to $SSED_SOCKET: No such file or directory (is ssed running?)" \
    "ssectl says which socket and asks whether ssed runs"

start_ssed --auth=none || exit 1
is "$(stat -c %a "$SSED_SOCKET")" "660" "the socket file has mode 0660"

# A client that holds a connection open while others misbehave.
stats='0000001283a17601a26f70a57374617473a373657103'
poke_like "$stats" '"seq"=>3, "result"=>\{' "a well-formed stats request is answered"

out=$("$POKE" "$SSED_SOCKET" 00000003c1c1c1); rc=$?
like "$out" '"code"=>"BAD_FRAME"' "garbage gets a BAD_FRAME error"
is "$rc" "0" "and the daemon closes that connection"
poke_like 000000029101 '"code"=>"BAD_FRAME"' "a frame that is not a map gets BAD_FRAME"
out=$("$POKE" "$SSED_SOCKET" ffffffff00); rc=$?
like "$out" '"code"=>"FRAME_TOO_LARGE"' "an oversized frame gets FRAME_TOO_LARGE"
is "$rc" "0" "and the connection is closed"
out=$("$POKE" "$SSED_SOCKET" 00000010838383); rc=$?
is "$out" "" "a truncated frame gets no reply"
is "$rc" "0" "the daemon closes it when the client leaves"
poke_like 0000001183a17601a26f70a46e6f7065a373657107 '"seq"=>7, "error"=>\{"code"=>"UNKNOWN_OP"' "an unknown op gets UNKNOWN_OP with its seq"
poke_like 0000001283a17602a26f70a57374617473a373657101 '"code"=>"VERSION_MISMATCH"' "a newer protocol version gets VERSION_MISMATCH"
poke_like 0000000d82a17601a26f70a57374617473 '"code"=>"BAD_REQUEST"' "a request without seq gets BAD_REQUEST"
# Two requests in one write, the first bad: both answered, in order.
out=$("$POKE" "$SSED_SOCKET" 0000001183a17601a26f70a46e6f7065a373657107"$stats" | tr '\n' ' ')
like "$out" 'UNKNOWN_OP.*"seq"=>3, "result"' "requests after a bad one on the same connection are served"
# publish with a wrong type: data is an integer
poke_like 0000002285a17601a26f70a77075626c697368a373657109a5746f706963a17aa46461746101 '"code"=>"BAD_REQUEST", "message"=>"data: wrong type"' "a field of the wrong type is named in the error"

# One connection tails topic tt, then publishes a batch of two events to
# it: the tail's events come first, whole, then the batch's reply.
tail_tt=0000001c84a17601a26f70a47461696ca373657101a6746f7069637391a27474
batch_tt=0000003e84a17601a26f70a77075626c697368a373657102a66576656e74739282a5746f706963a27474a464617461a16182a5746f706963a27474a464617461a162
out=$("$POKE" "$SSED_SOCKET" "$tail_tt$batch_tt"); rc=$?
is "$rc" "0" "tail and a batch publish on one connection: answered, connection closed cleanly"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "4" "they are four frames"
like "$(printf '%s' "$out" | tr '\n' ' ')" \
    '^\{"seq"=>1, "result"=>\{"tailing"=>1\}\} \{"seq"=>1, "result"=>\{"event"=>\{[^}]*"data"=>"a"[^}]*\}\}\} \{"seq"=>1, "result"=>\{"event"=>\{[^}]*"data"=>"b"[^}]*\}\}\} \{"seq"=>2, "result"=>\{"ids"=>\["[0-9]+-[0-9]+", "[0-9]+-[0-9]+"\], "subscribers"=>0\}\}$' \
    "the tail's events, then the batch's ids"

# A client that pipelines a tail, a publish to it and a second tail, then
# leaves before ssed reads them (ssed is stopped meanwhile): ssed drops
# it and keeps serving.
kill -STOP "$SSED_PID"
python3 - "$SSED_SOCKET" \
    "${tail_tt}0000002485a17601a26f70a77075626c697368a373657102a5746f706963a27474a464617461a1780000001183a17601a26f70a47461696ca373657103" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
s.close()
EOF
kill -CONT "$SSED_PID"
sleep 0.3
"$SSECTL" notify tt y >/dev/null 2>&1 && "$SSECTL" notify tt z >/dev/null 2>&1
is "$?" "0" "publishing after a tailing client left mid-request works"

# token: a ttl above 10 years is refused, whatever its size.
poke_like 0000002585a17601a26f70a5746f6b656ea373657105a3737562a175a374746ccf8000000000000000 '"seq"=>5, "error"=>\{"code"=>"BAD_REQUEST", "message"=>"ttl: at most 315360000 seconds' "a ttl of 2^63 is refused"
poke_like 0000002185a17601a26f70a5746f6b656ea373657106a3737562a175a374746cce12cc0301 '"seq"=>6, "error"=>\{"code"=>"BAD_REQUEST", "message"=>"ttl: at most' "a ttl of 10 years and a second is refused"
poke_like 0000002185a17601a26f70a5746f6b656ea373657107a3737562a175a374746cce12cc0300 '"seq"=>7, "error"=>\{"code"=>"NOT_SUPPORTED"' "a ttl of 10 years passes that check (no key with --auth=none)"

# token: a subscribe pattern that is not UTF-8 is refused, not dropped.
poke_like 0000002585a17601a26f70a5746f6b656ea373657108a3737562a175a973756273637269626591a1ff '"seq"=>8, "error"=>\{"code"=>"BAD_REQUEST", "message"=>"subscribe: entries must be UTF-8' \
    "a token pattern that is not UTF-8 is BAD_REQUEST"

# ssectl's exit statuses.
out=$("$SSECTL" notify 'bad topic' x 2>&1); rc=$?
is "$rc" "2" "a refused request exits 2"
like "$out" '^ssectl: INVALID_TOPIC: ' "and prints the daemon's code and message"
out=$("$SSECTL" frobnicate 2>&1); rc=$?
is "$rc" "1" "an unknown command exits 1"
like "$out" "^ssectl: .*try 'ssectl help'" "and points at help"
out=$("$SSECTL" kick 2>&1); rc=$?
is "$rc" "1" "kick without a selector is a usage error"
head -c 600000 /dev/zero | tr '\0' a >"$T_DIR/big"
out=$("$SSECTL" notify builds <"$T_DIR/big" 2>&1); rc=$?
is "$rc" "2" "an event over --max-event-size is refused"
like "$out" 'EVENT_TOO_LARGE' "with EVENT_TOO_LARGE"

# pipe.py SOCKET OP N [KEY=VALUE]...: N requests in one go, then the write
# side shut (as nc -N or socat do); prints "replies errors leftover-bytes".
cat >"$T_DIR/pipe.py" <<'PY'
import socket, struct, sys
def s(x):
    b = x.encode()
    return bytes([0xa0 | len(b)]) + b
def frame(op, seq, kw):
    m = bytes([0x80 | (3 + len(kw))]) + s("v") + b"\x01" + s("op") + s(op)
    m += s("seq") + struct.pack(">BH", 0xcd, seq)
    for k, v in kw:
        m += s(k) + s(v)
    return struct.pack(">I", len(m)) + m
path, op, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
kw = [a.split("=", 1) for a in sys.argv[4:]]
c = socket.socket(socket.AF_UNIX)
c.connect(path)
c.sendall(b"".join(frame(op, i, kw) for i in range(n)))
c.shutdown(socket.SHUT_WR)
c.settimeout(60)
buf = bytearray()
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    buf += d
off = replies = errors = 0
while len(buf) - off >= 4:
    (l,) = struct.unpack_from(">I", buf, off)
    if len(buf) - off < 4 + l:
        break
    replies += 1
    errors += s("error") in buf[off + 4:off + 4 + l]
    off += 4 + l
print(replies, errors, len(buf) - off)
PY
out=$(python3 "$T_DIR/pipe.py" "$SSED_SOCKET" stats 3000)
is "$out" "3000 0 0" "3,000 requests, then the write side shut: 3,000 replies"
head -c 400000 /dev/zero | tr '\0' a >"$T_DIR/400k"
i=0
while [ $i -lt 20 ]; do
	"$SSECTL" notify hbig <"$T_DIR/400k" >/dev/null
	i=$((i + 1))
done
out=$(python3 "$T_DIR/pipe.py" "$SSED_SOCKET" history 10 topic=hbig)
is "$out" "10 0 0" \
    "ten pipelined history requests of 8 MB each: ten replies, none cut"

# batch.py SOCKET N: one publish request of N events to topic "bt";
# prints the reply's error code, or "ok".
cat >"$T_DIR/batch.py" <<'PY'
import socket, struct, sys
def s(x):
    b = x.encode()
    return bytes([0xa0 | len(b)]) + b
n = int(sys.argv[2])
ev = bytes([0x82]) + s("topic") + s("bt") + s("data") + s("x")
m = bytes([0x84]) + s("v") + b"\x01" + s("op") + s("publish")
m += s("seq") + b"\x07" + s("events") + b"\xdd" + struct.pack(">I", n)
m += ev * n
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.sendall(struct.pack(">I", len(m)) + m)
buf = b""
while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
    d = c.recv(1 << 20)
    if not d:
        break
    buf += d
body = buf[4:]
if s("error") in body:
    i = body.index(s("code")) + 5
    print(body[i + 1:i + 1 + (body[i] & 0x1f)].decode())
else:
    print("ok")
PY
is "$(python3 "$T_DIR/batch.py" "$SSED_SOCKET" 10000)" "ok" \
    "a batch of 10,000 events is published"
is "$(python3 "$T_DIR/batch.py" "$SSED_SOCKET" 10001)" "BAD_REQUEST" \
    "a batch of 10,001 is refused whole"
is "$("$SSECTL" --json topics | grep -o '"name":"bt"[^}]*"published":[0-9]*' | sed 's/.*://')" \
    10000 "and none of it published"

# The daemon survived all of it.
out=$("$SSECTL" --json stats); rc=$?
is "$rc" "0" "ssectl stats still works"
like "$out" '"connections":0' "stats reports zero connections"
is "$("$SSECTL" version | tail -n 1)" "ssed 0.1.0 (protocol 1)" "version names the daemon and protocol"
stop_ssed

# --control naming a file that is not a socket: ssed does not start, and
# the file is left as it was.
echo keep >"$T_DIR/notasocket"
timeout 10 "$SSED" --listen 127.0.0.1:0 --control "$T_DIR/notasocket" \
    --state-dir "$T_DIR/state" 2>"$T_DIR/ns.log"; rc=$?
is "$rc" 1 "--control on a regular file: ssed exits 1"
like "$(cat "$T_DIR/ns.log")" 'notasocket exists and is not a socket' "and says why"
is "$(cat "$T_DIR/notasocket")" keep "the file is untouched"

# Out of descriptors: with a hard limit of 64 open files and 80 control
# connections held open, ssed pauses accepting instead of spinning on the
# pending connection, and serves again once they are gone.
printf '#!/bin/sh\nulimit -n 64 && exec "%s" "$@"\n' "$SSED" >"$T_DIR/lowfd.sh"
chmod +x "$T_DIR/lowfd.sh"
REAL_SSED=$SSED
SSED=$T_DIR/lowfd.sh
start_ssed --auth=none || exit 1
SSED=$REAL_SSED
cat >"$T_DIR/hold.py" <<'PY'
import socket, sys, time
held = []
for i in range(80):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[1])
    held.append(c)
open(sys.argv[2], "w").write("held\n")
time.sleep(float(sys.argv[3]))
PY
bg python3 "$T_DIR/hold.py" "$SSED_SOCKET" "$T_DIR/held" 4
HOLD=$BG_PID
wait_for 5 test -s "$T_DIR/held"
t0=$(awk '{ print $14 + $15 }' "/proc/$SSED_PID/stat")
sleep 2
t1=$(awk '{ print $14 + $15 }' "/proc/$SSED_PID/stat")
ok "$([ $((t1 - t0)) -lt 50 ] && echo 0 || echo 1)" \
    "ssed does not spin meanwhile ($((t1 - t0)) ticks of CPU in 2 s)"
like "$(cat "$SSED_LOG")" 'control socket: cannot accept: Too many open files' \
    "it says it cannot accept, and why"
wait "$HOLD"
wait_for 5 "$SSECTL" stats
ok $? "once the connections are gone, ssectl is served again"
stop_ssed
is "$WAIT_RC" 0 "ssed exits 0"
done_testing

#!/bin/sh
# http_edges.sh: the edges of the HTTP API: refused streams create no
# topic, the order of a publish's checks, empty event types, the head of
# HEAD, 64 topics with a repeat, and 503 SHUTTING_DOWN on connections
# still open when the drain begins.
. "$(dirname "$0")/lib.sh"

# Two streams at most, one per address (or ?user=): the second stream
# from 127.0.0.1 is 429, a third stream of any kind 503 SERVER_FULL.
start_ssed --auth=none --max-conns 2 --max-conns-per-user 1 || exit 1

topics() { "$SSECTL" topics 2>&1; }

# a stream refused for a parameter creates no topic
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Last-Event-ID: garbage' \
    "$BASE/sse/updates/freshlei")
is "$code" 400 "a stream with a bad Last-Event-ID is 400"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$BASE/sse/updates?topic=freshmulti&topic=bad%20name")
is "$code" 400 "a multi-topic stream with one invalid topic is 400"
cid=$(head -c 129 /dev/zero | tr '\0' c)
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$BASE/sse/updates/freshcid?client_id=$cid")
is "$code" 400 "a stream with a 129-byte client_id is 400"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$BASE/api/v1/client/events?user=freshev&lastEventId=x")
is "$code" 400 "a per-user stream with a bad resume id is 400"

# a stream refused for a limit creates no topic either
bg curl -sN "$BASE/sse/updates/held" -o "$T_DIR/held.out"
wait_for 5 grep -q 'retry:' "$T_DIR/held.out"
ok $? "a first stream opens"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/sse/updates/fresh429")
is "$code" 429 "a second stream from the same address is 429"
bg curl -sN "$BASE/api/v1/client/events?user=bob" -o "$T_DIR/bob.out"
wait_for 5 grep -q 'retry:' "$T_DIR/bob.out"
ok $? "a per-user stream opens (another limit key)"
code=$(curl -s -o "$T_DIR/full.json" -w '%{http_code}' \
    "$BASE/api/v1/client/events?user=fresh503")
is "$code" 503 "a stream past --max-conns is 503"
like "$(cat "$T_DIR/full.json")" '"code":"SERVER_FULL"' "503 says SERVER_FULL"
out=$(topics)
unlike "$out" 'fresh' "a refused stream (400, 429, 503) creates no topic"
like "$out" 'held' "an opened stream created its topic"

# the ?event= parameter is checked before the size (400 before 413)
head -c 614400 /dev/zero | tr '\0' a >"$T_DIR/big"
code=$(curl -s -o "$T_DIR/err.json" -w '%{http_code}' -X POST \
    --data-binary @"$T_DIR/big" "$BASE/sse/notify/order?event=a%0Db")
is "$code" 400 "a bad event type with a too large body is 400, not 413"
like "$(cat "$T_DIR/err.json")" '"code":"INVALID_PARAMETER"' \
    "the 400 says INVALID_PARAMETER"

# an empty event type is an untyped event
out=$(curl -s -X POST --data-binary '{"n":1}' \
    "$BASE/sse/notify/user:carol?event=")
like "$out" '"status":"success"' "an empty ?event= on a user: topic publishes"
id=$(printf '%s' "$out" | sed 's/.*"id":"\([^"]*\)".*/\1/')
out=$(curl -s -X POST --data-binary 'plain' "$BASE/sse/notify/held?event=")
like "$out" '"subscribers":1' "an empty ?event= publishes to a plain topic"
wait_for 5 grep -q 'data: plain' "$T_DIR/held.out"
unlike "$(cat "$T_DIR/held.out")" 'event:' \
    "an empty ?event= sends no event: line"

# HEAD of a stream: the stream's headers, no stream
hdrs=$(curl -s -m 2 -I "$BASE/sse/updates/held" | tr -d '\r')
like "$hdrs" '^HTTP/1.1 200' "HEAD of a stream is 200"
like "$hdrs" 'Content-Type: text/event-stream' "HEAD has the stream's Content-Type"
like "$hdrs" 'X-Accel-Buffering: no' "HEAD has X-Accel-Buffering: no"

# /metrics lists the statuses ssed sends, and no 431
out=$(curl -s "$BASE/metrics")
unlike "$out" 'code="431"' "/metrics has no 431 counter"
like "$out" 'ssed_http_responses_total\{code="503"\} [1-9]' \
    "/metrics counts the 503"
like "$out" 'ssed_auth_failures_total\{code="INVALID_AUDIENCE"\} 0' \
    "/metrics lists the auth failure codes"
is "$(printf '%s\n' "$out" | grep -c '^ssed_auth_failures_total')" 6 \
    "each auth failure code once"
stop_ssed
is "$WAIT_RC" 0 "ssed exits 0"

# 64 distinct topics and one named twice: one stream of 64 topics
start_ssed --auth=none --queue-bytes 64M || exit 1
q=""
i=1
while [ $i -le 64 ]; do
	q="${q}topic=t$i&"
	i=$((i + 1))
done
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' \
    "$BASE/sse/updates?${q}topic=t7")
is "$code" 200 "64 distinct topics and a repeat are one stream"
code=$(curl -s -m 1 -o "$T_DIR/err.json" -w '%{http_code}' \
    "$BASE/sse/updates?${q}topic=t65")
is "$code" 400 "a 65th distinct topic is 400"
like "$(cat "$T_DIR/err.json")" '"code":"TOO_MANY_TOPICS"' \
    "the 400 says TOO_MANY_TOPICS"

# Shutdown: requests on connections opened before the drain get 503
# SHUTTING_DOWN and publish nothing.  A subscriber that reads nothing,
# with megabytes queued for it, holds the drain open meanwhile.  (Only
# an answer given once the request is whole, as a publish's, leaves a
# connection open for another request.)
cat >"$T_DIR/drain.py" <<'EOF'
import os, signal, socket, sys, time

port, pid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def conn(rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s

def answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        c = s.recv(4096)
        if not c:
            return "closed", ""
        buf += c
    head, body = buf.split(b"\r\n\r\n", 1)
    n = 0
    for l in head.decode().split("\r\n")[1:]:
        k, v = l.split(":", 1)
        if k.lower() == "content-length":
            n = int(v)
    while len(body) < n:
        body += s.recv(4096)
    return head.decode(), body.decode()

def req(s, method, path, body=b""):
    s.sendall(("%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
               % (method, path, len(body))).encode() + body)

stalled = conn(4096)
stalled.sendall(b"GET /sse/updates/drain HTTP/1.1\r\nHost: t\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    head += stalled.recv(1)
ka = conn()
req(ka, "POST", "/sse/notify/other", b"x")
print("before", answer(ka)[0].split("\r\n")[0])
up = conn()
# The publish's headers and half its body come before the drain.
up.sendall(b"POST /sse/notify/drain HTTP/1.1\r\nHost: t\r\n"
           b"Content-Length: 10\r\n\r\nhello")
pub = conn()
chunk = b"x" * 262144
for i in range(24):
    req(pub, "POST", "/sse/notify/drain", chunk)
    answer(pub)
os.kill(pid, signal.SIGTERM)
for i in range(500):
    if "closing" in open(log).read():
        break
    time.sleep(0.01)
req(ka, "GET", "/sse/updates/drain2")
head, body = answer(ka)
print("get", head.split("\r\n")[0], body)
up.sendall(b"world")
head, body = answer(up)
print("post", head.split("\r\n")[0], body)
print("close", "Connection: close" in head)
EOF
out=$(python3 "$T_DIR/drain.py" "$PORT" "$SSED_PID" "$SSED_LOG" 2>&1)
like "$out" 'before HTTP/1.1 200' "a keep-alive connection is served before the drain"
like "$out" 'get HTTP/1.1 503 .*"code":"SHUTTING_DOWN"' \
    "a stream asked for on it during the drain is 503 SHUTTING_DOWN"
like "$out" 'post HTTP/1.1 503 .*"code":"SHUTTING_DOWN"' \
    "a publish whose body ends during the drain is 503 SHUTTING_DOWN"
like "$out" 'close True' "the 503 closes the connection"
unlike "$(cat "$SSED_LOG")" 'topic=drain2' "no stream opens during the drain"
wait_pid "$SSED_PID" 10
is "$WAIT_RC" 0 "ssed exits 0 after the drain"

done_testing

#!/bin/sh
# http_input.sh: odd requests, each answered as documented: "%00" in a
# path or parameter, an HTTP/1.2 stream, a replay's queued bytes, a
# refused publish on a user: topic, a JSON object holding \u0000, a token
# whose exp is past any clock, control characters bound for the log, the
# order of a multi-topic stream's checks, Vary: Origin, and a publish
# still arriving when the drain begins.
. "$(dirname "$0")/lib.sh"
MKJWT="$top_builddir/tests/tools/mkjwt"

start_ssed --auth=none || exit 1

# "%00" is not decoded: a NUL would cut the name short.
code=$(curl -s -o "$T_DIR/err.json" -w '%{http_code}' --data-binary x \
    "$BASE/sse/notify/abc%00def")
is "$code" 400 "a topic with %00 in it is 400"
like "$(cat "$T_DIR/err.json")" '"code":"INVALID_TOPIC"' "INVALID_TOPIC"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 1 \
    "$BASE/sse/updates?topic=abc%00def")
is "$code" 400 "a ?topic= with %00 in it is 400"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 1 \
    "$BASE/sse/updates/abc?last_event_id=1-0%00junk")
is "$code" 400 "a resume id with %00 in it is 400"
unlike "$("$SSECTL" topics 2>&1)" 'abc' "and none of them made a topic"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary x \
    "$BASE/sse/notify/a%2Db")
is "$code" 200 "other escapes are decoded (a%2Db is a-b)"
like "$("$SSECTL" topics 2>&1)" 'a-b' "the topic is a-b"

# A stream asked for as HTTP/1.2 is answered as 1.1, chunked: every event
# must come in a chunk.
cat >"$T_DIR/h12.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /sse/updates/h12 HTTP/1.2\r\nHost: t\r\n\r\n")
s.settimeout(5)
buf = b""
deadline = time.time() + 5
while b"data: hello" not in buf and time.time() < deadline:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d:
        break
    buf += d
    if b"retry:" in buf and not getattr(sys, "published", False):
        sys.published = True
        open(sys.argv[2], "w").write("ready\n")
sys.stdout.write(buf.decode("latin-1"))
PY
bg python3 "$T_DIR/h12.py" "$PORT" "$T_DIR/h12.ready" >"$T_DIR/h12.out"
H12=$BG_PID
wait_for 5 test -s "$T_DIR/h12.ready"
"$SSECTL" notify h12 hello >/dev/null
wait "$H12"
out=$(tr -d '\r' <"$T_DIR/h12.out")
like "$out" 'Transfer-Encoding: chunked' "an HTTP/1.2 stream is chunked"
like "$(printf '%s\n' "$out" | grep -B1 '^id: ' | head -n 1)" '^[0-9a-f]+$' \
    "and its event comes in a chunk"

# A replay queued before the stream starts is counted as it is sent
# (chunked): nothing stays counted once it is out.
for i in 1 2 3; do "$SSECTL" notify rq "r$i" >/dev/null; done
bg curl -sN -H 'Last-Event-ID: 0-0' "$BASE/sse/updates/rq" -o "$T_DIR/rq"
wait_for 5 sh -c "[ \$(grep -c '^data: r' '$T_DIR/rq') -eq 3 ]"
ok $? "a stream resumed from 0-0 gets the three events"
like "$("$SSECTL" --json list --topic rq)" '"queued_bytes":0[,}]' \
    "and holds no bytes queued once they are sent"

# A body where none belongs: answered all the same, then the connection
# is closed (libmicrohttpd does not read it), as ssed.8 says.
hdr=$(curl -s -i -X GET --data hello "$BASE/healthz" | tr -d '\r')
like "$hdr" '^HTTP/1.1 200' "a GET with a body is answered"
like "$hdr" 'Connection: close' "with Connection: close"

# A refused publish to a user: topic creates no topic.
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary '[1]' \
    "$BASE/sse/notify/user:zed")
is "$code" 400 "a user: publish that is not an object is 400"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary '{}' \
    "$BASE/sse/notify/user:zed2?event=bogus")
is "$code" 400 "a user: publish of an unknown type is 400"
unlike "$("$SSECTL" topics 2>&1)" 'zed' "neither made a topic"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    --data-binary '{"a":"x\u0000y"}' "$BASE/sse/notify/user:nul")
is "$code" 200 "a JSON object holding \\u0000 is a JSON object"

# Control characters in a client_id reach the log escaped, on one line.
bg curl -sN -m 2 "$BASE/sse/updates/inj?client_id=x%0Aforged%20line" -o /dev/null
wait_for 5 grep -q 'client_id=x' "$SSED_LOG"
like "$(grep 'client_id=x' "$SSED_LOG")" 'client_id=x\\x0aforged line' \
    "a newline in a client_id is logged as \\x0a"
unlike "$(cat "$SSED_LOG")" '^forged' "and starts no line of its own"

# The drain waits for a publish whose body is still coming, even with no
# stream open, and answers it 503 SHUTTING_DOWN.
cat >"$T_DIR/halfpost.py" <<'PY'
import os, signal, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /sse/notify/late HTTP/1.1\r\nHost: t\r\n"
          b"Content-Length: 20\r\n\r\n0123456789")
time.sleep(0.3)
os.kill(int(sys.argv[2]), signal.SIGTERM)
time.sleep(0.3)
s.sendall(b"abcdefghij")
s.settimeout(10)
buf = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode("latin-1"))
PY
out=$(python3 "$T_DIR/halfpost.py" "$PORT" "$SSED_PID" | tr -d '\r')
like "$out" '^HTTP/1.1 503' "a publish whose body ends during the drain gets 503"
like "$out" '"code":"SHUTTING_DOWN"' "SHUTTING_DOWN"
wait_pid "$SSED_PID" 10

# A token whose exp is past any clock (2^63 - 1, 1e300) has not expired.
printf 'correct horse battery staple\n' >"$T_DIR/secret"
start_ssed --jwt-secret-file "$T_DIR/secret" --jwt-leeway 3600 \
    --cors-origin https://app.example || exit 1
for exp in 9223372036854775807 1e300; do
	tok=$("$MKJWT" HS256 "$T_DIR/secret" "{\"sub\":\"alice\",\"exp\":$exp,\"sse\":{\"publish\":[\"far\"],\"subscribe\":[\"far\"]}}")
	code=$(curl -s -o "$T_DIR/out" -w '%{http_code}' --data-binary x \
	    -H "Authorization: Bearer $tok" "$BASE/sse/notify/far")
	is "$code" 200 "a token with exp $exp may publish"
	code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" "$BASE/sse/updates/far")
	is "$code" 200 "and stream"
done
# A multi-topic stream reports its faults in the documented order across
# all its topics: a bad name (400) before a forbidden topic (403).
code=$(curl -s -m 1 -o "$T_DIR/err.json" -w '%{http_code}' \
    -H "Authorization: Bearer $tok" \
    "$BASE/sse/updates?topic=forbidden&topic=bad%20name")
is "$code" 400 "a forbidden topic, then a bad name: 400 first"
like "$(cat "$T_DIR/err.json")" '"code":"INVALID_TOPIC"' "INVALID_TOPIC"

# With origins configured, every answer varies by Origin, refused or not.
hdr=$(curl -s -m 1 -D - -o /dev/null -H 'Origin: https://other.example' \
    -H "Authorization: Bearer $tok" "$BASE/sse/updates/far" | tr -d '\r')
like "$hdr" 'Vary: Origin' "an answer to a refused origin says Vary: Origin"
unlike "$hdr" 'Access-Control-Allow-Origin' "and allows nothing"
tok=$("$MKJWT" HS256 "$T_DIR/secret" '{"sub":"alice","exp":-1e300,"sse":{"publish":["far"]}}')
code=$(curl -s -o "$T_DIR/out" -w '%{http_code}' --data-binary x \
    -H "Authorization: Bearer $tok" "$BASE/sse/notify/far")
is "$code" 401 "a token with exp -1e300 has expired"
like "$(cat "$T_DIR/out")" 'TOKEN_EXPIRED' "TOKEN_EXPIRED"
stop_ssed
is "$WAIT_RC" 0 "ssed exits 0"

# "*" among the origins: every origin gets "*", the one listed too, so
# the answer does not vary by Origin.
start_ssed --auth=none --cors-origin https://app.example --cors-origin '*' ||
    exit 1
hdr=$(curl -s -D - -o /dev/null -H 'Origin: https://app.example' \
    "$BASE/healthz" | tr -d '\r')
like "$hdr" 'Access-Control-Allow-Origin: \*' "a listed origin gets * when * is listed too"
unlike "$hdr" 'Vary: Origin' "and no Vary: Origin"
stop_ssed
done_testing

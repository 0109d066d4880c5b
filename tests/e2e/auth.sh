#!/bin/sh
# auth.sh: every row of the bad-token table answers 401 with the JSON
# error and WWW-Authenticate; permissions give 403; a good token streams;
# the per-user stream, typed publishing, the per-user limit, CORS and a
# token expiring while its stream is open behave as CONTRACT section 2-3.
. "$(dirname "$0")/lib.sh"
MKJWT="$top_builddir/tests/tools/mkjwt"

printf 'correct horse battery staple\n' >"$T_DIR/secret"
printf 'another secret\n' >"$T_DIR/wrong"
start_ssed --jwt-secret-file "$T_DIR/secret" --jwt-issuer iss1 \
    --jwt-audience aud1 --jwt-leeway 1 --max-conns-per-user 2 \
    --cors-origin https://app.example || exit 1
now=$(date +%s)

# tok ALG KEYFILE [EXP]: alice's token, may read build* and publish builds
tok() {
	"$MKJWT" "$1" "$2" "{\"sub\":\"alice\",\"iss\":\"iss1\",\"aud\":\"aud1\",\"exp\":${3:-$((now + 3600))},\"sse\":{\"subscribe\":[\"build*\"],\"publish\":[\"builds\"]}}"
}
GOOD=$(tok HS256 "$T_DIR/secret")

# status URL [TOKEN]: HTTP status of a GET (streams cut after 1 s)
status() {
	if [ -n "${2:-}" ]; then
		curl -s -m 1 -o "$T_DIR/body" -D "$T_DIR/hdr" -w '%{http_code}' \
		    -H "Authorization: Bearer $2" "$1"
	else
		curl -s -m 1 -o "$T_DIR/body" -D "$T_DIR/hdr" -w '%{http_code}' "$1"
	fi
}

U="$BASE/sse/updates/builds"
is "$(status "$U")" 401 "no token: 401"
like "$(tr -d '\r' <"$T_DIR/hdr")" 'WWW-Authenticate: Bearer$' "no token: WWW-Authenticate without error"
like "$(cat "$T_DIR/body")" '"code":"UNAUTHORIZED"' "no token: JSON error UNAUTHORIZED"

# The bad-token table: description | token | expected code
while IFS='|' read -r desc token code; do
	[ -n "$desc" ] || continue
	is "$(status "$U" "$token")" 401 "$desc: 401"
	like "$(tr -d '\r' <"$T_DIR/hdr")" 'WWW-Authenticate: Bearer error="invalid_token"' "$desc: WWW-Authenticate names invalid_token"
	like "$(cat "$T_DIR/body")" "^\\{\"status\":\"error\",\"code\":\"$code\"" "$desc: JSON error $code"
done <<EOF2
malformed token|not.a.jwt|INVALID_TOKEN
garbage token|%%%|INVALID_TOKEN
bad signature|$(tok HS256 "$T_DIR/wrong")|INVALID_TOKEN
alg none|$(tok none /dev/null)|INVALID_TOKEN
expired|$(tok HS256 "$T_DIR/secret" $((now - 100)))|TOKEN_EXPIRED
not yet valid|$("$MKJWT" HS256 "$T_DIR/secret" "{\"sub\":\"alice\",\"iss\":\"iss1\",\"aud\":\"aud1\",\"nbf\":$((now + 600))}")|TOKEN_NOT_YET_VALID
wrong issuer|$("$MKJWT" HS256 "$T_DIR/secret" "{\"sub\":\"alice\",\"iss\":\"evil\",\"aud\":\"aud1\"}")|INVALID_ISSUER
wrong audience|$("$MKJWT" HS256 "$T_DIR/secret" "{\"sub\":\"alice\",\"iss\":\"iss1\",\"aud\":\"other\"}")|INVALID_AUDIENCE
no sub|$("$MKJWT" HS256 "$T_DIR/secret" "{\"iss\":\"iss1\",\"aud\":\"aud1\"}")|INVALID_TOKEN
EOF2

# A good token, from the header and from ?token=.
is "$(status "$U" "$GOOD")" 200 "a valid token streams (Authorization: Bearer)"
is "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$U?token=$GOOD")" 200 "a valid token streams (?token=)"
# An empty "Authorization: Bearer " holds no token: ?token= counts.
cat >"$T_DIR/emptybearer.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET /sse/updates/builds?token=%s HTTP/1.1\r\nHost: t\r\n"
           "Authorization: Bearer \r\n\r\n" % sys.argv[2]).encode())
s.settimeout(5)
sys.stdout.write(s.recv(4096).decode("latin-1").split("\r\n")[0])
PY
is "$(python3 "$T_DIR/emptybearer.py" "$PORT" "$GOOD")" "HTTP/1.1 200 OK" \
    "an empty Bearer header and a good ?token= stream"
is "$(status "$BASE/sse/updates/deploys" "$GOOD")" 403 "a topic outside the token's patterns: 403"
like "$(cat "$T_DIR/body")" '"code":"FORBIDDEN"' "403 has a JSON error"
is "$(status "$BASE/sse/updates/user:alice" "$GOOD")" 200 "a user may always read user:<sub>"
is "$(status "$BASE/sse/updates/user:bob" "$GOOD")" 403 "but not another user's stream"
is "$(status "$BASE/sse/updates?topic=builds&topic=build-2" "$GOOD")" 200 "a multi-topic stream within the patterns"
is "$(status "$BASE/sse/updates?topic=builds&topic=deploys" "$GOOD")" 403 "a multi-topic stream with one forbidden topic: 403"
is "$(grep -c 'eyJ' "$SSED_LOG")" 0 "no token is ever logged"

# Publishing needs a publish right.
pub() { curl -s -o "$T_DIR/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" --data-binary "$3" "$BASE/sse/notify/$2"; }
is "$(pub "$GOOD" builds x)" 200 "publishing within the publish patterns"
is "$(pub "$GOOD" build-2 x)" 403 "publishing elsewhere: 403"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$BASE/sse/notify/builds")" 401 "publishing without a token: 401"

# The per-user stream and typed publishing (through the trusted socket).
E="$BASE/api/v1/client/events"
is "$(status "$E?types=notification,bogus" "$GOOD")" 400 "an unknown type in types=: 400"
is "$(status "$E?version=2" "$GOOD")" 400 "an unknown version: 400"
is "$(status "$E?version=1.0" "$GOOD")" 200 "version 1.0 is accepted"
is "$(status "$E")" 401 "the per-user stream needs a token"
bg curl -sN -H "Authorization: Bearer $GOOD" "$E?types=notification,status_update&client_id=tab-1" -o "$T_DIR/ev.out"
wait_for 5 grep -q retry "$T_DIR/ev.out"
out=$("$SSECTL" notify --user alice 'not json' 2>&1); rc=$?
is "$rc" "2" "a notification that is not a JSON object is refused"
like "$out" 'INVALID_EVENT' "with INVALID_EVENT"
nid=$("$SSECTL" notify --user alice '{"title":"hi"}')
"$SSECTL" notify --user alice --event status_update "{\"id\":\"$nid\",\"read\":true}" >/dev/null
"$SSECTL" notify --user alice --event error '{"code":"X"}' >/dev/null
wait_for 5 grep -q 'status_update' "$T_DIR/ev.out"
got=$(grep -E '^(id|event|data):' "$T_DIR/ev.out" | sed 's/^id: .*/id/' | tr '\n' '|')
is "$got" 'id|event: notification|data: {"title":"hi"}|id|event: status_update|data: {"id":"'"$nid"'","read":true}|' \
    "typed frames with ids; types= filters out error events"
like "$("$SSECTL" --json list)" '"client_id":"tab-1"' "client_id is shown in ssectl list"
like "$("$SSECTL" --json list)" '"user":"alice"' "the token's sub is the connection's user"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $GOOD" "$BASE/sse/notify/builds?event=bad%0Atype" -d x)
is "$code" 400 "an event type with a line break: 400"

# The per-user limit (2 here): the stream above and one more; the next is 429.
bg curl -sN -H "Authorization: Bearer $GOOD" "$U" -o /dev/null
wait_for 5 streams_are 2 --user alice
ok $? "two streams of alice are open"
is "$(status "$U" "$GOOD")" 429 "the third stream of the same user: 429"
like "$(tr -d '\r' <"$T_DIR/hdr")" 'Content-Type: text/event-stream' "429 is an event stream"
like "$(cat "$T_DIR/body")" '^event: error' "holding one error event"
rid=$(sed -n 's/.*"request_id":"\([0-9a-f]*\)".*/\1/p' "$T_DIR/body")
like "$(cat "$T_DIR/body")" '"code":"RATE_LIMIT_EXCEEDED"' "RATE_LIMIT_EXCEEDED"
like "$(cat "$SSED_LOG")" "request_id=$rid" "the request_id appears in ssed's log"

# CORS
hdr=$(curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: https://app.example' \
    -H 'Access-Control-Request-Method: GET' "$U" | tr -d '\r')
like "$hdr" '^HTTP/1.1 204' "preflight answers 204"
like "$hdr" 'Access-Control-Allow-Origin: https://app.example' "preflight allows the origin"
like "$hdr" 'Access-Control-Allow-Headers: Authorization, Last-Event-ID, Cache-Control, Content-Type' "preflight allows the headers"
hdr=$(curl -s -m 1 -o /dev/null -D - -H 'Origin: https://app.example' "$U?token=$GOOD" | tr -d '\r')
like "$hdr" 'Vary: Origin' "streams carry Vary: Origin"
hdr=$(curl -s -o /dev/null -D - -H 'Origin: https://evil.example' "$U" | tr -d '\r')
is "$(printf '%s' "$hdr" | grep -c Access-Control-Allow-Origin)" 0 "another origin gets no CORS header"
hdr=$(curl -s -o /dev/null -D - -H 'Origin: https://app.example' "$U" | tr -d '\r')
like "$hdr" 'Access-Control-Allow-Origin: https://app.example' "errors carry CORS headers too"

# A stream whose token expires while open gets TOKEN_EXPIRED, then ends.
SHORT=$("$MKJWT" HS256 "$T_DIR/secret" "{\"sub\":\"carol\",\"iss\":\"iss1\",\"aud\":\"aud1\",\"exp\":$(($(date +%s) + 2)),\"sse\":{\"subscribe\":[\"builds\"]}}")
start=$(date +%s)
curl -sN -m 15 -H "Authorization: Bearer $SHORT" "$BASE/sse/updates/builds" >"$T_DIR/exp.out"
rc=$?
is "$rc" "0" "the stream ends cleanly when the token expires"
like "$(cat "$T_DIR/exp.out")" '"code":"TOKEN_EXPIRED"' "with a TOKEN_EXPIRED error event"
took=$(($(date +%s) - start))
ok "$([ "$took" -le 8 ] && echo 0 || echo 1)" "at the expiry moment, not later (${took}s)"

# ssectl token mints with the daemon's key.
T2=$("$SSECTL" token --sub bob --subscribe 'news.*' --ttl 1h 2>&1)
like "$T2" '^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "ssectl token prints a JWT alone"
done_testing

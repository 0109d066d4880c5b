#!/bin/sh
# http_api.sh: the HTTP API answers as CONTRACT section 2 says: streams,
# publishes, ids, replay and every error status, driven with curl.
. "$(dirname "$0")/lib.sh"

start_ssed --auth=none || exit 1

# /healthz
is "$(curl -s "$BASE/healthz")" "ok" "healthz answers ok"

# publish with nobody listening
out=$(curl -s -X POST --data-binary 'first' "$BASE/sse/notify/builds")
like "$out" '^\{"status":"success","message":"Notification sent to clients","id":"[0-9]+-[0-9]+","subscribers":0\}$' \
    "publish answers success with an id and the subscriber count"
id1=$(printf '%s' "$out" | sed 's/.*"id":"\([^"]*\)".*/\1/')

# a stream gets retry: first, then each event framed with id and data lines
bg curl -sN "$BASE/sse/updates/builds" -o "$T_DIR/stream.out"
wait_for 5 grep -q 'retry: 3000' "$T_DIR/stream.out"
ok $? "stream starts with retry: 3000"
curl -s -X POST --data-binary "$(printf 'line one\nline two')" \
    "$BASE/sse/notify/builds" >"$T_DIR/pub2.json"
curl -s -X POST --data-binary 'typed' "$BASE/sse/notify/builds?event=deploy" \
    >"$T_DIR/pub3.json"
id2=$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$T_DIR/pub2.json")
id3=$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$T_DIR/pub3.json")
like "$(cat "$T_DIR/pub2.json")" '"subscribers":1' "publish counts the live subscriber"
wait_for 5 grep -q 'data: typed' "$T_DIR/stream.out"
expected=$(printf 'retry: 3000\n\nid: %s\ndata: line one\ndata: line two\n\nid: %s\nevent: deploy\ndata: typed\n\n' "$id2" "$id3")
is "$(cat "$T_DIR/stream.out")" "$expected" "events are framed exactly: id, event only when typed, one data line per line"

# ids increase across the whole broker, not per topic
out=$(curl -s -X POST --data-binary 'x' "$BASE/sse/notify/other")
id4=$(printf '%s' "$out" | sed 's/.*"id":"\([^"]*\)".*/\1/')
sorted=$(printf '%s\n%s\n%s\n%s\n' "$id4" "$id3" "$id1" "$id2" | sort -u -t- -k1,1n -k2,2n | tr '\n' ' ')
is "$sorted" "$id1 $id2 $id3 $id4 " "ids increase strictly across topics"

# headers of a stream
hdrs=$(curl -s -m 1 -D - -o /dev/null "$BASE/sse/updates/builds" | tr -d '\r')
like "$hdrs" 'Content-Type: text/event-stream' "stream has Content-Type text/event-stream"
like "$hdrs" 'Cache-Control: no-store' "stream has Cache-Control no-store"
like "$hdrs" 'X-Accel-Buffering: no' "stream has X-Accel-Buffering no"

# replay after Last-Event-ID, and the query-parameter forms
got=$(curl -s -m 1 -H "Last-Event-ID: $id1" "$BASE/sse/updates/builds" | grep '^id:' | tr '\n' ' ')
is "$got" "id: $id2 id: $id3 " "Last-Event-ID replays the later events of the topic"
got=$(curl -s -m 1 "$BASE/sse/updates/builds?last_event_id=$id2" | grep '^id:' | tr '\n' ' ')
is "$got" "id: $id3 " "last_event_id query parameter resumes too"
got=$(curl -s -m 1 "$BASE/sse/updates/builds?lastEventId=$id3" | grep -c '^id:')
is "$got" "0" "resuming from the newest id replays nothing"
got=$(curl -s -m 1 "$BASE/sse/updates/builds?lastEventId=99999999999999-0" | grep -c '^id:')
is "$got" "0" "resuming from a future id replays nothing"

# errors: status, JSON body
code=$(curl -s -o "$T_DIR/err.json" -w '%{http_code}' "$BASE/sse/updates/bad%20topic")
is "$code" "400" "bad topic name on GET is 400"
like "$(cat "$T_DIR/err.json")" '^\{"status":"error","code":"INVALID_TOPIC","message":"[^"]+"\}$' "400 has a JSON error body"
long=$(head -c 201 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$BASE/sse/notify/$long")
is "$code" "400" "a 201-byte topic name on POST is 400"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Last-Event-ID: garbage' "$BASE/sse/updates/builds")
is "$code" "400" "a malformed Last-Event-ID is 400"
code=$(curl -s -D "$T_DIR/h405" -o "$T_DIR/err.json" -w '%{http_code}' -X PUT -d x "$BASE/sse/notify/builds")
is "$code" "405" "PUT on notify is 405"
like "$(tr -d '\r' <"$T_DIR/h405")" 'Allow: POST' "405 names the allowed method"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$BASE/sse/updates/builds")
is "$code" "405" "POST on a stream is 405"
head -c 614400 /dev/zero | tr '\0' a >"$T_DIR/big"
code=$(curl -s -o "$T_DIR/err.json" -w '%{http_code}' -X POST --data-binary @"$T_DIR/big" "$BASE/sse/notify/builds")
is "$code" "413" "a 600 KiB body is 413"
like "$(cat "$T_DIR/err.json")" '"code":"EVENT_TOO_LARGE"' "413 says EVENT_TOO_LARGE"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T_DIR/big" "$BASE/sse/notify/builds")
is "$code" "413" "a 600 KiB chunked body (no Content-Length) is 413"
# a refused publish leaves no topic behind
curl -s -o /dev/null -X POST --data-binary @"$T_DIR/big" "$BASE/sse/notify/fresh413"
curl -s -o /dev/null -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T_DIR/big" "$BASE/sse/notify/fresh413c"
curl -s -o /dev/null -X POST -H 'Last-Event-ID: x' -d 'x' "$BASE/sse/notify/fresh413c?event=a%0Ab"
out=$("$SSECTL" topics 2>&1)
unlike "$out" 'fresh413' "a publish refused with 413 or 400 creates no topic"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nowhere")
is "$code" "404" "an unknown path is 404"

# A large body arrives in pieces and is kept whole, whether its length
# is announced (the buffer is sized from Content-Length) or not (chunked).
seq 1 40000 | tr '\n' ' ' | head -c 200000 >"$T_DIR/body"
for te in "" "Transfer-Encoding: chunked"; do
	id=$(curl -s -X POST -H "$te" --data-binary @"$T_DIR/body" \
	    "$BASE/sse/notify/large" | sed 's/.*"id":"\([^"]*\)".*/\1/')
	[ -n "$id" ] && "$SSECTL" --json history large | grep -q "\"$id\""
	ok $? "a 200,000-byte body ${te:-with Content-Length} is published (id $id)"
done
out=$(curl -s -m 2 -H 'Last-Event-ID: 0-0' "$BASE/sse/updates/large")
is "$(printf '%s\n' "$out" | grep -c '^data: ')" 2 "both are replayed"
is "$(printf '%s\n' "$out" | grep '^data: ' | head -n 1 | cut -c7- | md5sum)" \
    "$({ cat "$T_DIR/body"; echo; } | md5sum)" "the first byte for byte"
is "$(printf '%s\n' "$out" | grep '^data: ' | tail -n 1 | cut -c7- | md5sum)" \
    "$({ cat "$T_DIR/body"; echo; } | md5sum)" "and the chunked one"

# an empty body is a valid event with empty data
out=$(curl -s -X POST --data-binary '' "$BASE/sse/notify/empty")
like "$out" '"status":"success"' "an empty body publishes an empty event"

# "subscribers" counts the streams an event went to: a types= filter
# that leaves a stream out leaves it out of the count too
bg curl -sN "$BASE/api/v1/client/events?user=bob&types=status_update" -o "$T_DIR/bob"
wait_for 5 grep -q retry "$T_DIR/bob"
like "$(curl -s -X POST -d '{"a":1}' "$BASE/sse/notify/user:bob")" '"subscribers":0\}' \
    "a notification filtered out by types= is counted for nobody"
like "$(curl -s -X POST -d '{"a":2}' "$BASE/sse/notify/user:bob?event=status_update")" '"subscribers":1\}' \
    "a status_update the stream takes is counted"

# the daemon is still healthy after all that
is "$(curl -s "$BASE/healthz")" "ok" "ssed still answers after bad requests"
kill -0 "$SSED_PID"
ok $? "ssed is still running"

done_testing

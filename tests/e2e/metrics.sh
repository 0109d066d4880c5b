#!/bin/sh
# metrics.sh: GET /metrics is Prometheus text whose values move with what
# happens: connections by endpoint, events, bytes, replays, kicks, auth
# failures and answers by status.
. "$(dirname "$0")/lib.sh"
printf 'metrics secret\n' >"$T_DIR/secret"
start_ssed --jwt-secret-file "$T_DIR/secret" || exit 1

m() { curl -s "$BASE/metrics" | grep -E "^$1 " | awk '{print $2}'; }
# metric_is NAME-REGEX VALUE: for wait_for
metric_is() { [ "$(m "$1")" = "$2" ]; }
hdr=$(curl -s -D - -o "$T_DIR/m0" "$BASE/metrics" | tr -d '\r')
like "$hdr" 'Content-Type: text/plain; version=0.0.4' "Prometheus text format"
for name in ssed_connections ssed_connections_closed_total ssed_events_published_total \
    ssed_events_delivered_total ssed_bytes_sent_total ssed_replays_total \
    ssed_replays_incomplete_total ssed_kicks_total ssed_auth_failures_total \
    ssed_http_responses_total; do
	like "$(cat "$T_DIR/m0")" "# TYPE $name (gauge|counter)" "$name is exported"
done
is "$(m 'ssed_events_published_total')" 0 "no events yet"

TOK=$("$SSECTL" token --sub ops --subscribe '*' --publish '*' 2>/dev/null)
[ -n "$TOK" ] || TOK=$("$top_builddir/tests/tools/mkjwt" HS256 "$T_DIR/secret" '{"sub":"ops","sse":{"subscribe":["*"],"publish":["*"]}}')
bg curl -sN -H "Authorization: Bearer $TOK" "$BASE/sse/updates/m" -o "$T_DIR/s1"
bg curl -sN -H "Authorization: Bearer $TOK" "$BASE/api/v1/client/events" -o "$T_DIR/s2"
wait_for 5 streams_are 2
is "$(m 'ssed_connections\{endpoint="updates"\}')" 1 "one stream on /sse/updates"
is "$(m 'ssed_connections\{endpoint="events"\}')" 1 "one stream on /api/v1/client/events"

for i in 1 2 3; do
	curl -s -X POST -H "Authorization: Bearer $TOK" -d "e$i" "$BASE/sse/notify/m" >/dev/null
done
wait_for 5 grep -q 'data: e3' "$T_DIR/s1"
is "$(m ssed_events_published_total)" 3 "events published counted"
is "$(m ssed_events_delivered_total)" 3 "events delivered counted"
b=$(m ssed_bytes_sent_total)
ok "$([ "${b:-0}" -gt 100 ] && echo 0 || echo 1)" "bytes sent counted ($b)"

curl -s -o /dev/null "$BASE/sse/updates/m"
curl -s -o /dev/null -H 'Authorization: Bearer x.y.z' "$BASE/sse/updates/m"
is "$(m 'ssed_auth_failures_total\{code="UNAUTHORIZED"\}')" 1 "a missing token is counted"
is "$(m 'ssed_auth_failures_total\{code="INVALID_TOKEN"\}')" 1 "an invalid token is counted"
is "$(m 'ssed_http_responses_total\{code="401"\}')" 2 "401 answers are counted"
curl -s -o /dev/null -H "Authorization: Bearer $TOK" "$BASE/sse/updates/bad%20name"
is "$(m 'ssed_http_responses_total\{code="400"\}')" 1 "400 answers are counted"

first=$(sed -n 's/^id: //p' "$T_DIR/s1" | head -n 1)
curl -s -m 1 -o /dev/null -H "Authorization: Bearer $TOK" -H "Last-Event-ID: $first" "$BASE/sse/updates/m"
is "$(m ssed_replays_total)" 1 "a resume is counted as a replay"

"$SSECTL" kick --topic m >/dev/null
wait_for 5 metric_is ssed_kicks_total 1
ok $? "a kick is counted"
wait_for 5 metric_is 'ssed_connections\{endpoint="updates"\}' 0
ok $? "the kicked stream is gone from the gauge"
done_testing

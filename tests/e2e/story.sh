#!/bin/sh
# story.sh: the quick-start story works exactly as written: ssecat prints
# each event, ssectl notify prints the id, curl publishes, ssectl list
# shows the ssecat connection, and after a kick ssecat reconnects,
# resumes with Last-Event-ID and misses nothing.
. "$(dirname "$0")/lib.sh"

start_ssed --auth=none --retry 500 || exit 1
URL="$BASE/sse/updates/builds"

bg "$SSECAT" "$URL" >"$T_DIR/cat.out" 2>"$T_DIR/cat.err"
CAT_PID=$BG_PID
wait_for 5 grep -q 'connected' "$T_DIR/cat.err"
ok $? "ssecat connects"
wait_for 5 streams_are 1 --topic builds
ok $? "ssectl list shows one subscriber on builds"

id1=$(echo '{"state":"green"}' | "$SSECTL" notify builds)
like "$id1" '^[0-9]+-[0-9]+$' "ssectl notify prints the new event id alone"
printf '{"state":"red"}' >"$T_DIR/event.json"
out=$(curl -s -X POST --data-binary @"$T_DIR/event.json" "$BASE/sse/notify/builds")
like "$out" '"status":"success"' "curl publishes with POST /sse/notify/builds"
wait_for 5 file_has_lines "$T_DIR/cat.out" 2
is "$(cat "$T_DIR/cat.out")" "$(printf '{"state":"green"}\n{"state":"red"}')" \
    "ssecat prints each event's data, one per line"

listing=$("$SSECTL" list)
like "$listing" 'ID +TOPICS +USER +CLIENT +REMOTE' "ssectl list prints a table header"
like "$listing" 'builds +- +- +127\.0\.0\.1:[0-9]+' "ssectl list shows the ssecat connection"
json=$("$SSECTL" list --json)
for f in id topics user client_id remote connected_at events_sent bytes_sent queued_bytes; do
	like "$json" "\"$f\":" "ssectl list --json has $f"
done
like "$json" '"events_sent":2' "list counts the events sent"

kicked=$("$SSECTL" kick --topic builds --reason "maintenance")
is "$kicked" "kicked 1" "ssectl kick --topic kicks the subscriber"
# Published while ssecat is away: it must get it on resume.
id3=$(echo 'while away' | "$SSECTL" notify builds)
wait_for 10 grep -q 'resuming after id' "$T_DIR/cat.err"
ok $? "ssecat reconnects and says it resumes"
wait_for 10 grep -q 'while away' "$T_DIR/cat.out"
ok $? "the event published during the reconnect arrives"
like "$(cat "$T_DIR/cat.out")" '"code":"KICKED","message":"maintenance"' \
    "the kick reason reaches the client as an error event"
id4=$(echo 'after' | "$SSECTL" notify builds)
wait_for 5 grep -q '^after$' "$T_DIR/cat.out"
ok $? "live events flow again after the resume"
is "$(grep -c . "$T_DIR/cat.out")" "5" "nothing missed, nothing repeated"
like "$(cat "$SSED_LOG")" "close remote=127\.0\.0\.1:[0-9]+ sub=1 user=- topic=builds reason=kicked duration=[0-9.]+ events=2 bytes=[0-9]+" \
    "ssed logs the kick with its reason"

# A hung-up subscriber leaves the list at once, even on a silent topic.
bg curl -sN "$BASE/sse/updates/quiet" -o /dev/null
CURL_PID=$BG_PID
wait_for 5 streams_are 1 --topic quiet
ok $? "a curl subscriber on a silent topic is listed"
kill "$CURL_PID"
wait_for 3 streams_are 0 --topic quiet
ok $? "it disappears from ssectl list within moments of hanging up"
like "$(cat "$SSED_LOG")" "reason=hangup" "the hang-up is logged as such"

kill "$CAT_PID"
wait_pid "$CAT_PID" 5
stats=$("$SSECTL" --json stats)
like "$stats" '"kicks":1' "stats counts the kick"
like "$stats" '"events_published":4' "stats counts the published events"
done_testing

#!/bin/sh
# delivery.sh: delivery guarantees.  A stopped reader is cut at its
# queue bound (not before) while fast readers get every event promptly;
# a reader that takes nothing for --write-timeout is cut; history bounds
# by count and age give REPLAY_INCOMPLETE with oldest_id; one
# Last-Event-ID resumes a multi-topic stream in id order.
. "$(dirname "$0")/lib.sh"
STALLED="$top_srcdir/tests/tools/stalled.py"

start_ssed --auth=none --queue-bytes 256K --queue-events 100000 \
    --write-timeout 60 --history-size 2000 || exit 1

# Two fast readers and one that stops reading.
bg curl -sN "$BASE/sse/updates/fan" -o "$T_DIR/fast1"
bg curl -sN "$BASE/sse/updates/fan" -o "$T_DIR/fast2"
bg python3 "$STALLED" "$PORT" /sse/updates/fan 30 >/dev/null
SLOW=$BG_PID
wait_for 5 streams_are 3 --topic fan
ok $? "three subscribers on fan"
# 1,000 events of 8 KiB: 8 MiB, past what the kernel buffers for the
# stopped reader (a few MiB on loopback) and then its 256 KiB bound.
payload=$(head -c 8192 /dev/zero | tr "\\0" x)
seq 1 1000 | sed "s/\$/ $payload/" | "$SSECTL" notify --lines fan >"$T_DIR/ids"
is "$(lines "$T_DIR/ids")" 1000 "1,000 events published"
wait_for 10 sh -c "[ \$(grep -c '^data: ' '$T_DIR/fast1') -ge 1000 ] && [ \$(grep -c '^data: ' '$T_DIR/fast2') -ge 1000 ]"
ok $? "both fast readers got all 1,000 events"
is "$(grep '^data: ' "$T_DIR/fast1" | cut -c7- | cut -d' ' -f1 | tr '\n' ' ' | md5sum)" \
    "$(seq 1 1000 | tr '\n' ' ' | md5sum)" "in order, none missing"
wait_for 10 grep -q 'reason=slow' "$SSED_LOG"
ok $? "the stopped reader is cut, with reason slow"
like "$("$SSECTL" --json stats)" '"slow":1' "and counted in stats"
hw=$("$SSECTL" --json stats | sed 's/.*"queue_high_water":\([0-9]*\).*/\1/')
ok "$([ "$hw" -ge 262144 ] && echo 0 || echo 1)" "it was cut at its bound, not before (high water $hw B)"
is "$(subscribers fan)" 2 "the fast readers are still there"

# Write timeout: a reader that takes nothing for 2 s is cut.
stop_ssed
start_ssed --auth=none --write-timeout 2 --queue-bytes 64M || exit 1
bg python3 "$STALLED" "$PORT" /sse/updates/wt 20 >/dev/null
wait_for 5 streams_are 1 --topic wt
seq 1 1000 | sed "s/\$/ $payload/" | "$SSECTL" notify --lines wt >/dev/null
wait_for 10 grep -q 'reason=write-timeout' "$SSED_LOG"
ok $? "a reader that takes nothing for --write-timeout is cut"
like "$(curl -s "$BASE/metrics")" 'ssed_connections_closed_total\{reason="write-timeout"\} 1' "and counted in /metrics"

# History bounds: by count.  The age bound (5 s) leaves the replays
# below time to run on a slow (sanitizer) build before it applies.
stop_ssed
start_ssed --auth=none --history-size 3 --history-ttl 5 || exit 1
first=$("$SSECTL" notify h e1)
"$SSECTL" notify h e2 >/dev/null
"$SSECTL" notify h e3 >/dev/null
"$SSECTL" notify h e4 >/dev/null
"$SSECTL" notify h e5 >/dev/null
out=$(curl -s -m 1 -H "Last-Event-ID: $first" "$BASE/sse/updates/h")
like "$out" 'event: error' "resuming past evicted events sends an error first"
like "$out" '"code":"REPLAY_INCOMPLETE"' "REPLAY_INCOMPLETE"
oldest=$(printf '%s\n' "$out" | sed -n 's/.*"oldest_id":"\([^"]*\)".*/\1/p')
is "$(printf '%s\n' "$out" | grep '^data: e' | tr '\n' ' ')" "data: e3 data: e4 data: e5 " "then every retained event after the id"
is "$(printf '%s\n' "$out" | grep '^id:' | head -n 1)" "id: $oldest" "oldest_id names the oldest retained event"
out=$(curl -s -m 1 -H "Last-Event-ID: $oldest" "$BASE/sse/updates/h")
is "$(printf '%s\n' "$out" | grep -c REPLAY_INCOMPLETE)" 0 "resuming from a retained id is complete"
like "$("$SSECTL" --json stats)" '"replays_incomplete":1' "incomplete replays are counted"
# ... and by age: e5, the newest, was published more than 5 s ago.
sleep 6
out=$(curl -s -m 1 -H "Last-Event-ID: $oldest" "$BASE/sse/updates/h")
like "$out" '"code":"REPLAY_INCOMPLETE"' "events older than --history-ttl are gone too"
is "$(printf '%s\n' "$out" | grep -c '^data: e')" 0 "and none is replayed"

# One stream of several topics resumes in id order across them.
a1=$("$SSECTL" notify ta a1)
"$SSECTL" notify tb b1 >/dev/null
"$SSECTL" notify ta a2 >/dev/null
"$SSECTL" notify tc c1 >/dev/null
"$SSECTL" notify tb b2 >/dev/null
out=$(curl -s -m 1 -H "Last-Event-ID: $a1" "$BASE/sse/updates?topic=ta&topic=tb&topic=tc")
is "$(printf '%s\n' "$out" | grep '^data:' | tr '\n' ' ')" "data: b1 data: a2 data: c1 data: b2 " \
    "a multi-topic stream replays every topic in id order"
bg curl -sN "$BASE/sse/updates?topic=ta&topic=tb" -o "$T_DIR/multi"
wait_for 5 grep -q retry "$T_DIR/multi"
"$SSECTL" notify tb live-b >/dev/null
"$SSECTL" notify tc live-c >/dev/null
"$SSECTL" notify ta live-a >/dev/null
wait_for 5 grep -q 'live-a' "$T_DIR/multi"
is "$(grep '^data:' "$T_DIR/multi" | tr '\n' ' ')" "data: live-b data: live-a " "live events of the followed topics only"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/sse/updates?topic=ok&topic=bad%20name")
is "$code" 400 "one bad topic name in a multi-topic stream: 400"
# 64 topics fit in the default --conn-memory.
q=$(seq 1 64 | sed 's/^/topic=t/' | tr '\n' '&')
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$BASE/sse/updates?$q")
is "$code" 200 "64 topics on one stream"
q=$(seq 1 65 | sed 's/^/topic=t/' | tr '\n' '&')
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/sse/updates?$q")
is "$code" 400 "more than 64 topics: 400"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/sse/updates")
is "$code" 400 "no topic at all: 400"
done_testing

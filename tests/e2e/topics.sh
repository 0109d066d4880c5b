#!/bin/sh
# topics.sh: with --topics=registered only topics made with 'ssectl topics
# create' exist: others are 404 on GET and POST; user:NAME streams always
# exist; deleting a topic closes its subscribers with an error event.
. "$(dirname "$0")/lib.sh"
start_ssed --auth=none --topics=registered || exit 1

code=$(curl -s -o "$T_DIR/b" -w '%{http_code}' "$BASE/sse/updates/builds")
is "$code" 404 "GET of an unregistered topic: 404"
like "$(cat "$T_DIR/b")" '"code":"TOPIC_NOT_FOUND"' "with TOPIC_NOT_FOUND"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$BASE/sse/notify/builds")
is "$code" 404 "POST to an unregistered topic: 404"
out=$("$SSECTL" notify builds x 2>&1); rc=$?
is "$rc" 2 "ssectl notify to it is refused"
like "$out" 'NOT_FOUND' "with NOT_FOUND"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/sse/updates?topic=builds")
is "$code" 404 "a multi-topic stream naming it: 404"

"$SSECTL" topics create builds >/dev/null
ok $? "ssectl topics create builds"
like "$("$SSECTL" --json topics)" '"name":"builds".*"registered":true' "it is listed as registered"
bg curl -sN "$BASE/sse/updates/builds" -o "$T_DIR/s"
wait_for 5 grep -q retry "$T_DIR/s"
ok $? "now it can be followed"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d hello "$BASE/sse/notify/builds")
is "$code" 200 "and published to"
wait_for 5 grep -q 'data: hello' "$T_DIR/s"
ok $? "and the event arrives"
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$BASE/api/v1/client/events?user=alice")
is "$code" 200 "user: streams exist without registration"
id=$("$SSECTL" notify --user alice '{"a":1}')
like "$id" '^[0-9]+-[0-9]+$' "and can be published to"

kicked=$("$SSECTL" topics delete builds)
like "$kicked" '1' "topics delete closes the one subscriber"
wait_for 5 grep -q 'TOPIC_DELETED' "$T_DIR/s"
ok $? "which gets a TOPIC_DELETED error event"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/sse/updates/builds")
is "$code" 404 "the deleted topic is 404 again"
out=$("$SSECTL" topics delete builds 2>&1); rc=$?
is "$rc" 2 "deleting it twice is refused"
done_testing

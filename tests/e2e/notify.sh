#!/bin/sh
# notify.sh: ssectl notify publishes an argument, all of stdin as one
# event (final newline dropped), or each stdin line as its own event.
. "$(dirname "$0")/lib.sh"
start_ssed --auth=none || exit 1

bg curl -sN "$BASE/sse/updates/ops" -o "$T_DIR/s.out"
wait_for 5 grep -q retry "$T_DIR/s.out"

"$SSECTL" notify ops 'from argument' >/dev/null
printf 'one\ntwo\n' | "$SSECTL" notify ops >/dev/null
printf 'typed' | "$SSECTL" notify --event deploy ops >/dev/null
ids=$(printf 'l1\nl2\n\nl3\n' | "$SSECTL" notify --lines ops)
is "$(printf '%s\n' "$ids" | grep -cE '^[0-9]+-[0-9]+$')" "3" "--lines prints one id per non-empty line"
wait_for 5 grep -q 'data: l3' "$T_DIR/s.out"
data=$(grep -E '^(data|event):' "$T_DIR/s.out" | tr '\n' '|')
is "$data" "data: from argument|data: one|data: two|event: deploy|data: typed|data: l1|data: l2|data: l3|" \
    "argument, stdin (final newline dropped), --event and --lines arrive as sent"

# --lines as a pipe that stays open: each line goes out as it arrives.
mkfifo "$T_DIR/fifo"
bg sh -c "\"$SSECTL\" notify --lines ops <\"$T_DIR/fifo\" >\"$T_DIR/ids\""
NPID=$BG_PID
exec 3>"$T_DIR/fifo"
echo 'live one' >&3
wait_for 5 grep -q 'data: live one' "$T_DIR/s.out"
ok $? "a line is published while the input stays open"
exec 3>&-
wait_pid "$NPID" 5
is "$WAIT_RC" "0" "notify --lines exits 0 at end of input"

# user:NAME shorthand
id=$("$SSECTL" notify --user alice '{"msg":"hi alice"}')
like "$id" '^[0-9]+-[0-9]+$' "--user NAME publishes to user:NAME"
got=$(curl -s -m 1 -H 'Last-Event-ID: 0-0' "$BASE/sse/updates/user:alice" | grep '^data:')
is "$got" 'data: {"msg":"hi alice"}' "the event is on topic user:alice"

# many lines in few requests
seq 1 20000 | "$SSECTL" notify --lines bulk >"$T_DIR/bulk.ids"
is "$(lines "$T_DIR/bulk.ids")" "20000" "20000 lines give 20000 ids"
is "$(sort -u "$T_DIR/bulk.ids" | wc -l | tr -d ' ')" "20000" "all ids are distinct"
# A batch reaches a live stream whole and in order: its first event in a
# loop round is sent at once, the rest together at the round's end.
bg curl -sN "$BASE/sse/updates/bulk2" -o "$T_DIR/bulk2.out"
wait_for 5 streams_are 1 --topic bulk2
ok $? "a stream on bulk2"
high_water() {
	"$SSECTL" --json stats | sed 's/.*"queue_high_water":\([0-9]*\).*/\1/'
}
hw=$(high_water)
seq 1 300 | "$SSECTL" notify --lines bulk2 >"$T_DIR/bulk2.ids"
wait_for 10 sh -c "[ \$(grep -c '^data: ' '$T_DIR/bulk2.out') -ge 300 ]"
ok $? "the stream got 300 events"
is "$(grep '^data: ' "$T_DIR/bulk2.out" | cut -c7- | md5sum)" \
    "$(seq 1 300 | md5sum)" "in order, none twice, none missing"
is "$(grep '^id: ' "$T_DIR/bulk2.out" | cut -c5- | md5sum)" \
    "$(md5sum <"$T_DIR/bulk2.ids")" "with the ids ssectl printed"
is "$(high_water)" "$hw" \
    "a batch held for the round's end is not a slow reader's queue"
# A refused line: the lines before it are published whatever the batching
# (here all arrive at once, in one batch), the line is named, exit 2.
printf '{"n":1}\n\n{"n":2}\nbad\n{"n":4}\n' |
    "$SSECTL" notify --lines --user bob >"$T_DIR/bob.ids" 2>"$T_DIR/bob.err"
is "$?" "2" "notify --lines exits 2 at a refused line"
is "$(lines "$T_DIR/bob.ids")" "2" "the ids of the lines before it are printed"
like "$(cat "$T_DIR/bob.err")" '^ssectl: notify: line 4: INVALID_EVENT: ' \
    "the refused line is named by its number"
is "$(lines "$T_DIR/bob.err")" "1" "in one line"
is "$("$SSECTL" history user:bob | cut -d ' ' -f 4 | tail -n +2 | tr '\n' ' ')" \
    '{"n":1} {"n":2} ' "the lines before it are published, not those after"

# All of stdin as one event: at most what fits a 16 MiB request frame.
out=$(head -c 16711681 /dev/zero | "$SSECTL" notify big 2>&1); rc=$?
is "$rc" "1" "more than 16711680 bytes of stdin is refused"
is "$out" "ssectl: notify: standard input is larger than 16711680 bytes" "and says so"
done_testing

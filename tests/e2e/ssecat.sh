#!/bin/sh
# ssecat.sh: ssecat against the real ssed: output formats, stop
# conditions and exit statuses of CONTRACT section 6.
. "$(dirname "$0")/lib.sh"
start_ssed --auth=none --retry 200 || exit 1
U="$BASE/sse/updates/t"

curl -s -X POST -d 'one' "$BASE/sse/notify/t" >/dev/null
curl -s -X POST -d "$(printf 'two\nlines')" "$BASE/sse/notify/t?event=kind" >/dev/null

out=$("$SSECAT" -q -n 2 --last-event-id 0-0 "$U"); rc=$?
is "$rc" "0" "-n 2 exits 0 after two events"
is "$out" "$(printf 'one\ntwo\nlines')" "default output is each event's data"
out=$("$SSECAT" -q -n 2 --json --last-event-id 0-0 "$U")
like "$(printf '%s' "$out" | head -n 1)" '^\{"id":"[0-9]+-[0-9]+","event":"message","data":"one"\}$' "--json prints id, event and data"
like "$(printf '%s' "$out" | tail -n 1)" '"event":"kind","data":"two\\nlines"' "--json keeps the type and the line break"
out=$("$SSECAT" -q -n 1 --format raw --last-event-id 0-0 "$U")
like "$out" '^id: [0-9]+-[0-9]+$' "--format raw prints the wire lines"
like "$out" 'data: one' "--format raw keeps data lines"

"$SSECAT" -q --timeout 1 "$U" >/dev/null; rc=$?
is "$rc" "4" "--timeout exits 4 when no stop condition is met"
"$SSECAT" -q "$BASE/sse/updates/bad%20topic" 2>"$T_DIR/err"; rc=$?
is "$rc" "2" "a 400 is fatal: exit 2"
out=$("$SSECAT" "$BASE/sse/updates/bad%20topic" 2>&1)
like "$out" '400' "the status is reported"
"$SSECAT" -q --format bogus "$U" 2>/dev/null; rc=$?
is "$rc" "1" "a usage error exits 1"

# ssecat resumes after a daemon restart and gives up when it is gone.
bg "$SSECAT" --max-retries 2 --backoff-max 0.5 "$U" >"$T_DIR/cat.out" 2>"$T_DIR/cat.err"
CAT=$BG_PID
wait_for 5 grep -q connected "$T_DIR/cat.err"
stop_ssed
wait_pid "$CAT" 20
is "$WAIT_RC" "3" "ssecat exits 3 when retries are exhausted"
like "$(cat "$T_DIR/cat.err")" 'giving up' "and says it gave up"
SSED_PID=
done_testing

#!/bin/sh
# ssecat.sh: ssecat against the real ssed: output formats, filters,
# stop conditions, --state and exit statuses of CONTRACT section 6, and
# a restart of ssed survived with resumption.
. "$(dirname "$0")/lib.sh"
start_ssed --auth=none --retry 200 || exit 1
U="$BASE/sse/updates/t"

# publish TOPIC DATA [TYPE]: publish, and print the new event's id
publish() {
	curl -s -X POST --data-binary "$2" \
	    "$BASE/sse/notify/$1${3:+?event=$3}" |
	    sed -n 's/.*"id":"\([^"]*\)".*/\1/p'
}

ID1=$(publish t one)
publish t "$(printf 'two\nlines')" kind >/dev/null
publish t '{ "x": [1, 2] }' build >/dev/null
publish t 'done' done >/dev/null

out=$("$SSECAT" -n 2 --last-event-id 0-0 "$U" 2>/dev/null); rc=$?
is "$rc" "0" "-n 2 exits 0 after two events"
is "$out" "$(printf 'one\ntwo\nlines')" "default output is each event's data"
out=$("$SSECAT" -n 2 --json --last-event-id 0-0 "$U" 2>/dev/null)
like "$(printf '%s' "$out" | head -n 1)" '^\{"id":"[0-9]+-[0-9]+","event":"message","data":"one","retry":200\}$' "--json prints id, event, data and the retry: sent"
like "$(printf '%s' "$out" | tail -n 1)" '"event":"kind","data":"two\\nlines"\}$' "--json keeps the type and the line break"
out=$("$SSECAT" -n 1 --format raw --last-event-id 0-0 "$U" 2>/dev/null)
like "$out" '^id: [0-9]+-[0-9]+$' "--format raw prints the wire lines"
like "$out" 'data: one' "--format raw keeps data lines"

out=$("$SSECAT" -q -n 1 --last-event-id 0-0 "$U"); rc=$?
is "$rc/$out" "0/" "-q prints nothing and exits 0"
out=$("$SSECAT" -n 2 --types build,done --last-event-id 0-0 "$U" 2>/dev/null)
is "$out" "$(printf '{ "x": [1, 2] }\ndone')" "--types shows only the listed types, -n counts them"
out=$("$SSECAT" --until done --timeout 5 --last-event-id 0-0 "$U" 2>/dev/null); rc=$?
is "$rc/$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "0/5" "--until TYPE stops after that event, exit 0"
out=$("$SSECAT" --until 'data~^two' --timeout 5 --last-event-id 0-0 "$U" 2>/dev/null); rc=$?
is "$rc/$out" "0/$(printf 'one\ntwo\nlines')" "--until data~REGEX stops on the data"
out=$("$SSECAT" --data-json --types build -n 1 --last-event-id 0-0 "$U" 2>/dev/null)
is "$out" '{"x":[1,2]}' "--data-json prints the data as compact JSON"

ST="$T_DIR/cat.state"
"$SSECAT" -q -n 1 --state "$ST" --last-event-id 0-0 "$U"
is "$(cat "$ST")" "$ID1" "--state keeps the id of the last event"
out=$("$SSECAT" -n 1 --state "$ST" "$U" 2>/dev/null)
is "$out" "$(printf 'two\nlines')" "the next run resumes after it"

"$SSECAT" -q --timeout 1 "$U" >/dev/null; rc=$?
is "$rc" "4" "--timeout exits 4 when no stop condition is met"
"$SSECAT" -q "$BASE/sse/updates/bad%20topic" 2>"$T_DIR/err"; rc=$?
is "$rc" "2" "a 400 is fatal: exit 2"
out=$("$SSECAT" "$BASE/sse/updates/bad%20topic" 2>&1)
like "$out" '400' "the status is reported"
"$SSECAT" -q --format bogus "$U" 2>/dev/null; rc=$?
is "$rc" "1" "a usage error exits 1"

# ssecat survives a restart of ssed on the same port, and resumes.
RPORT=$PORT
R="http://127.0.0.1:$RPORT/sse/updates/r"
RST="$T_DIR/restart.state"
bg "$SSECAT" --state "$RST" --types message -n 3 --backoff-max 0.5 \
    --timeout 30 "$R" >"$T_DIR/r.out" 2>"$T_DIR/r.err"
CAT=$BG_PID
wait_for 5 grep -q connected "$T_DIR/r.err"
publish r a1 >/dev/null
A2=$(publish r a2)
wait_for 5 file_has_lines "$T_DIR/r.out" 2
stop_ssed
# A second --listen: start_ssed's own is on a new port.
start_ssed --auth=none --retry 200 --listen "127.0.0.1:$RPORT" || exit 1
wait_for 10 sh -c "[ \$(grep -c connected '$T_DIR/r.err') -ge 2 ]"
B1=$(publish r b1)
wait_pid "$CAT" 15
is "$WAIT_RC" "0" "ssecat follows ssed across a restart to -n 3"
is "$(cat "$T_DIR/r.out")" "$(printf 'a1\na2\nb1')" "nothing lost, nothing twice"
like "$(cat "$T_DIR/r.err")" "resuming after id $A2" "it resumes after the last id it saw"
is "$(cat "$RST")" "$B1" "--state holds the id of the new event"

# ssecat gives up when ssed is gone.
U="http://127.0.0.1:$RPORT/sse/updates/t"
bg "$SSECAT" --max-retries 2 --backoff-max 0.5 "$U" >"$T_DIR/cat.out" 2>"$T_DIR/cat.err"
CAT=$BG_PID
wait_for 5 grep -q connected "$T_DIR/cat.err"
stop_ssed
wait_pid "$CAT" 20
is "$WAIT_RC" "3" "ssecat exits 3 when retries are exhausted"
like "$(cat "$T_DIR/cat.err")" 'giving up' "and says it gave up"
SSED_PID=
done_testing

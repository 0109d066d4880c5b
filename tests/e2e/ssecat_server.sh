#!/bin/sh
# ssecat_server.sh: ssecat against a scripted, misbehaving server
# (tests/tools/sseserver.py): reconnection, resumption, status handling,
# parsing and output of CONTRACT section 6, with exact outputs, request
# counts, the ids sent on reconnect and the exit statuses.
. "$(dirname "$0")/lib.sh"
SERVER="$top_srcdir/tests/tools/sseserver.py"
NSRV=0

# serve SCENARIO: start the scripted server; sets URL, LOG and SRV.
serve() {
	NSRV=$((NSRV + 1))
	LOG="$T_DIR/requests.$NSRV"
	: >"$LOG"
	bg python3 "$SERVER" --log "$LOG" "$1" >"$T_DIR/port.$NSRV"
	SRV=$BG_PID
	if ! wait_for 10 file_has_lines "$T_DIR/port.$NSRV" 1; then
		diag "sseserver.py $1 did not start"
		return 1
	fi
	URL="http://127.0.0.1:$(head -n 1 "$T_DIR/port.$NSRV")/s"
}

unserve() {
	kill "$SRV" 2>/dev/null
	wait_pid "$SRV" 5
}

# run ARGS...: ssecat ARGS URL with fast backoff and a safety --timeout;
# sets OUT, ERR and RC.
run() {
	"$SSECAT" --backoff-max 0.2 --timeout 10 "$@" "$URL" \
	    >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	# done_testing looks for sanitizer reports in *.log.
	cat "$T_DIR/err" >>"$T_DIR/ssecat.log"
	OUT=$(cat "$T_DIR/out")
	ERR=$(cat "$T_DIR/err")
}

# column N: field N of each request in the log, space-separated
# (1 path, 2 Last-Event-ID, 3 Authorization; "-" when absent).
column() { cut -f"$1" "$LOG" | tr '\n' ' ' | sed 's/ $//'; }

# count REGEX: lines of ERR that match
count() { printf '%s\n' "$ERR" | grep -Ec -- "$1"; }

serve cut || exit 1
run -n 3
is "$RC" "0" "cut mid-event: -n 3 is met, exit 0"
is "$OUT" "$(printf 'one\ntwo\nthree')" "the cut event is dropped, then resent whole"
is "$(column 2)" "- 1" "the reconnect sends the last complete event's id"
unserve

serve retry || exit 1
run --json
is "$OUT" '{"id":"a","event":"message","data":"x","retry":50}
{"id":"b","event":"message","data":"y"}
{"id":"c","event":"message","data":"z","retry":70}' \
    "--json shows retry when it changes, and only then"
is "$RC" "0" "a 204 ends the stream: exit 0"
is "$(column 2)" "- a c" "Last-Event-ID is sent on every reconnect"
unserve

serve 500 || exit 1
run
is "$OUT" "back" "500 twice, then the stream is followed"
is "$(column 2)" "- - - 7" "5xx is retried: three attempts, then the 204"
is "$(count '500 Internal Server Error: database on fire')" "1" \
    "a streak of the same failure is reported once, with its message"
unserve

serve 429 || exit 1
run
is "$OUT" "admitted" "429 is retried"
like "$ERR" '429 Too Many Requests: too many streams' "the message of the SSE error body is shown"
unserve

serve 204 || exit 1
run
is "$RC/$OUT" "0/" "204 at once: nothing printed, exit 0"
is "$(column 1)" "/s" "and no reconnect"
unserve

serve redirect || exit 1
run
is "$OUT" "arrived" "301, 302, 307 and 308 are followed"
is "$(column 1)" "/s /r302 /r307 /r308 /stream /s" "reconnects start again from the URL given"
is "$(column 2)" "- - - - - 9" "with the id from the redirected stream"
unserve

serve loop || exit 1
run
is "$RC" "2" "a redirect loop is fatal: exit 2"
is "$(lines "$LOG")" "6" "after a bounded number of redirects"
unserve

serve stall || exit 1
run --idle-timeout 0.5
is "$OUT" "$(printf 'before\nafter')" "--idle-timeout reconnects a silent stream"
is "$(column 2)" "- 10 11" "resuming after the last id"
unserve

serve stall || exit 1
run --timeout 0.8
is "$RC/$OUT" "4/before" "--timeout ends a silent stream: exit 4"
unserve

serve ctype || exit 1
run
is "$RC" "2" "a 200 that is not text/event-stream is fatal"
like "$ERR" 'text/html, not text/event-stream' "and says what it got"
unserve

serve 401 || exit 1
run
is "$RC" "2" "401 is fatal: exit 2"
is "$ERR" "ssecat: 401 Unauthorized: token expired" "with the server's message, once"
unserve

serve 404 || exit 1
run -q
is "$RC/$ERR" "2/ssecat: 404 Not Found: no such topic" "404 is fatal, and reported even with -q"
unserve

# The same frames whole, then one byte per write: the same events.
SPLIT_JSON='{"id":"1","event":"message","data":"café € 😀","retry":50}
{"id":"2","event":"message","data":"first\nsecond"}
{"id":"3","event":"kind","data":"\nx"}
{"id":"4","event":"message","data":"bad � �( � end"}
{"id":"5","event":"message","data":" two spaces"}'
serve split || exit 1
run --json
is "$OUT" "$SPLIT_JSON
$(printf '%s' "$SPLIT_JSON" | sed 's/,"retry":50//')" \
    "frames split at every byte parse as whole ones; bad UTF-8 becomes U+FFFD"
is "$(column 2)" "- 5 5" "ids survive byte-by-byte delivery"
unserve

serve split || exit 1
run --format raw -n 5
printf 'retry: 50\r\n: a comment\r\nid: 1\r\ndata: caf\303\251 \342\202\254 \360\237\230\200\r\n\r\nid: 2\rdata: first\rdata: second\r\rid: 3\nevent: kind\ndata\ndata: x\n\nid: 4\ndata: bad \357\277\275 \357\277\275( \357\277\275 end\n\nid: 5\ndata:  two spaces\n\n' >"$T_DIR/raw.want"
cmp -s "$T_DIR/out" "$T_DIR/raw.want"
ok $? "--format raw prints the blocks as decoded, without the BOM"
unserve

serve empty || exit 1
run --max-retries 3
is "$RC" "3" "a server that hangs up at once meets --max-retries: exit 3"
is "$(lines "$LOG")" "4" "after the first attempt and three retries"
is "$(count 'before any event')" "2" "reported once, then when giving up"
unserve

# Nothing listens on the port of a server that is gone.
serve 204 || exit 1
unserve
run --max-retries 3
is "$RC" "3" "connection refused is retried until --max-retries: exit 3"
is "$(count 'connect')" "2" "reported once per streak, then when giving up"
run -v --max-retries 2
is "$(count 'reconnecting in')" "2" "-v reports every attempt"

# The parser saturates a huge retry:; it must not wrap to "no wait".
serve hugeretry || exit 1
run --json --backoff-max 0.5 --timeout 2
is "$RC" "4" "a huge retry: is waited, up to --backoff-max, until --timeout"
n=$(lines "$LOG")
ok "$([ "$n" -ge 2 ] && [ "$n" -le 10 ]; echo $?)" \
    "a huge retry: is capped by --backoff-max, not a reconnect loop ($n requests in 2 s)"
like "$(printf '%s\n' "$OUT" | head -n 1)" '"retry":9223372036854775807\}$' \
    "--json shows a huge retry: as the largest it can"
unserve

serve lonecr || exit 1
run --max-retries 0
is "$RC/$OUT" "0/x" "an event ended by a lone CR at the close is printed"
is "$(count 'before any event')" "0" "and makes the stream healthy"
unserve

# --timeout also cuts a write to a reader that stalled.
# An event past the parser's 64 MiB bound: a clear message, exit 2.
serve huge || exit 1
run
is "$RC" "2" "an event larger than 64 MiB exits 2"
like "$ERR" 'an event larger than 64 MiB' "and says so"
unserve

serve flood || exit 1
rm -f "$T_DIR/rc"
{ "$SSECAT" --timeout 1 "$URL" 2>>"$T_DIR/ssecat.log"; \
    echo $? >"$T_DIR/rc"; } | sleep 20 &
STALLED=$!
T_PIDS="$T_PIDS $STALLED"
wait_for 10 file_has_lines "$T_DIR/rc" 1
is "$(cat "$T_DIR/rc" 2>/dev/null)" "4" "--timeout fires while stdout is blocked: exit 4"
kill "$STALLED" 2>/dev/null
wait_pid "$STALLED" 5
unserve

serve escapes || exit 1
run --data-json
like "$ERR" 'of type .\[31mred: data is not JSON' "the note on data that is not JSON names the type"
is "$(printf '%s' "$ERR" | tr -d -c '\033' | wc -c | tr -d ' ')" "0" \
    "with no escape sequence from the server reaching the terminal"
unserve

serve typed || exit 1
run --types build --data-json
is "$OUT" '{"n":1,"ok":true}
[1,2]
{"n":7}' "--types filters, --data-json prints the data as compact JSON"
like "$ERR" 'id 3: data is not JSON' "data that is not JSON is reported and skipped"
unserve

serve typed || exit 1
run --until done --json
is "$RC" "0" "--until TYPE: exit 0"
is "$(printf '%s\n' "$OUT" | tail -n 1)" '{"id":"6","event":"done","data":"\"bye\""}' "the matching event is the last printed"
unserve

serve typed || exit 1
run --types build --until 'data~"n": *7'
is "$OUT" '{ "n": 1, "ok": true }
not json
[1, 2]
{"n": 7}' "--until data~REGEX matches the data with an extended regex"
unserve

serve typed || exit 1
run -n 2 --types build,done --data-json
is "$OUT" '{"n":1,"ok":true}
[1,2]' "-n counts what --types and --data-json let through"
unserve

serve typed || exit 1
run -q --until done
is "$RC/$OUT/$ERR" "0//" "-q prints nothing: the exit status says it all"
unserve

printf 'sekrit\n' >"$T_DIR/token"
serve typed || exit 1
run --state "$T_DIR/state" -n 2 --token-file "$T_DIR/token"
is "$(cat "$T_DIR/state")" "2" "--state holds the id of the last event printed"
is "$(column 3)" "Bearer sekrit" "--token-file sends its first line as a Bearer token"
unserve

serve typed || exit 1
run --state "$T_DIR/state" -n 1
is "$(column 2)" "2" "the next run resumes from --state"
unserve

serve typed || exit 1
run --state "$T_DIR/state" --last-event-id 5 -n 1
is "$(column 2)" "5" "--last-event-id wins over --state"
is "$(cat "$T_DIR/state")" "1" "and the state follows the events"
is "$(ls "$T_DIR" | grep -c '^state')" "1" "no temporary file is left behind"
unserve

done_testing

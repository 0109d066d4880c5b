#!/bin/sh
# ssectl_commands.sh: every ssectl command works against the real ssed,
# as a table or "name value" text for people and scripts and as one JSON
# object per line with --json, and reports refusals with exit 2.
. "$(dirname "$0")/lib.sh"

# tty CMD...: run CMD on a pseudo-terminal, print what it wrote (no CRs).
tty() { script -qec "$*" /dev/null </dev/null | tr -d '\r'; }

start_ssed || exit 1

# token, then a subscriber that uses it.
tok=$("$SSECTL" token --sub alice --subscribe 'build*' --ttl 1h); rc=$?
is "$rc" 0 "token exits 0"
like "$tok" '^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "token prints a JWT alone"
json=$("$SSECTL" token --json --sub bob --publish 'x*' --ttl 90s)
now=$(date +%s)
exp=$(printf '%s' "$json" | sed -n 's/.*"expires":\([0-9]*\).*/\1/p')
ok "$([ -n "$exp" ] && [ $((exp - now)) -ge 85 ] && [ $((exp - now)) -le 95 ] && echo 0 || echo 1)" \
    "token --json: expires follows --ttl 90s"
like "$("$SSECTL" token --json --sub c --ttl 0)" '"expires":0' "token --ttl 0 never expires"
out=$("$SSECTL" token --sub x --ttl 5y 2>&1); rc=$?
is "$rc" 1 "a bad --ttl is a usage error"
like "$out" "bad duration '5y'" "and names the duration"
"$SSECTL" token --subscribe a >/dev/null 2>&1
is "$?" 1 "token without --sub is a usage error"

bg curl -sN -H "Authorization: Bearer $tok" "$BASE/sse/updates/builds?client_id=tab-1" -o "$T_DIR/sub.out"
wait_for 5 grep -q retry "$T_DIR/sub.out"
ok $? "the minted token streams builds"

# notify and list
id1=$("$SSECTL" notify builds one)
like "$id1" '^[0-9]+-[0-9]+$' "notify prints the id"
out=$("$SSECTL" list)
like "$(printf '%s' "$out" | head -n 1)" '^ID TOPICS USER CLIENT REMOTE AGE EVENTS BYTES QUEUED$' \
    "list piped: header not padded"
like "$out" '[0-9]+ builds alice tab-1 127\.0\.0\.1:[0-9]+ [0-9]+ 1 [0-9]+ 0' "list piped: one row of raw numbers"
json=$("$SSECTL" list --json)
like "$json" '^\{"id":[0-9]+,.*"topics":\["builds"\],"user":"alice","client_id":"tab-1"' \
    "list --json: one object with stable fields"
cid=$(printf '%s' "$json" | sed -n 's/.*"id":\([0-9]*\),.*/\1/p')
out=$(tty "$SSECTL" list)
like "$out" 'ID +TOPICS +USER' "list on a terminal: aligned"
like "$out" ' [0-9]+s +1 +[0-9.]+ (B|KiB) +0 B$' "list on a terminal: human units"

# show
out=$("$SSECTL" show "$cid")
like "$out" '^state live$' "show: state live"
like "$out" 'user alice' "show: user"
like "$out" 'transfer (chunked|close-delimited)' "show: transfer"
like "$out" 'token_expires [1-9][0-9]+' "show: token expiry in ms"
like "$("$SSECTL" show --json "$cid")" '^\{.*"state":"live".*"queued_events":0.*"id":'"$cid" "show --json: one object"
like "$(tty "$SSECTL" show "$cid")" 'connected_at +[0-9]+s ago' "show on a terminal: age in human units"
out=$("$SSECTL" show 999999 2>&1); rc=$?
is "$rc" 2 "show of an unknown id exits 2"
like "$out" '^ssectl: NOT_FOUND: ' "with NOT_FOUND"
"$SSECTL" show abc >/dev/null 2>&1
is "$?" 1 "show of a non-number is a usage error"

# history
"$SSECTL" notify builds two >/dev/null
id3=$("$SSECTL" notify --event deploy builds 'three
lines')
out=$("$SSECTL" history builds)
is "$(printf '%s\n' "$out" | head -n 1)" "ID EVENT AGE DATA" "history piped: header"
like "$out" "$id1 - [0-9]+ one" "history piped: an untyped event"
like "$out" "$id3 deploy [0-9]+ three\?lines" "history piped: typed, line break shown as ?"
json=$("$SSECTL" history --json builds)
is "$(printf '%s\n' "$json" | wc -l | tr -d ' ')" 3 "history --json: one line per event"
like "$json" '"id":"'"$id3"'","topic":"builds","event":"deploy","data":"three\\nlines","created":[0-9]+' \
    "history --json: id, topic, event, data, created"
is "$("$SSECTL" history --json --limit 1 builds | grep -c .)" 1 "history --limit 1: one event"
like "$("$SSECTL" history --limit 1 builds)" "$id3" "the newest"
is "$("$SSECTL" history --json --since "$id1" builds | grep -c .)" 2 "history --since: the events after"
"$SSECTL" history nosuch >/dev/null 2>&1
is "$?" 2 "history of an unknown topic exits 2"

# topics
out=$("$SSECTL" topics)
is "$(printf '%s\n' "$out" | head -n 1)" "NAME SUBS RETAINED PUBLISHED RATE NEWEST REG AGE" "topics piped: header"
like "$out" "builds 1 3 3 [0-9.e-]+ $id3 false [0-9]+" "topics piped: raw values"
like "$("$SSECTL" topics list --json)" '^\{"name":"builds","subscribers":1,"retained":3,.*"registered":false' \
    "topics --json: one object per topic"
like "$(tty "$SSECTL" topics)" 'NAME +SUBS +RETAINED.*
builds +1 +3 +3 +[0-9.]+/s' "topics on a terminal: aligned, rate per second"
is "$("$SSECTL" topics create reg)" "created reg" "topics create"
like "$("$SSECTL" topics cr reg)" "reg exists" "topics create again (abbreviated): it exists"
like "$("$SSECTL" topics info reg)" 'registered true' "topics info"
like "$("$SSECTL" topics info --json reg)" '^\{"name":"reg","subscribers":0,' "topics info --json"
out=$("$SSECTL" topics frob x 2>&1); rc=$?
is "$rc" 1 "an unknown topics word is a usage error"
like "$out" 'valid topics words: list, create, delete, info' "and lists the valid ones"
"$SSECTL" topics info 'bad name' >/dev/null 2>&1
is "$?" 2 "an invalid topic name is refused"

# tail, in the three formats, then its end on SIGINT
bg "$SSECTL" tail builds >"$T_DIR/t.data"
P1=$BG_PID
bg "$SSECTL" tail --format raw builds >"$T_DIR/t.raw"
P2=$BG_PID
bg "$SSECTL" tail --json >"$T_DIR/t.json"
P3=$BG_PID
wait_for 5 sh -c "[ \$(\"$SSECTL\" --json stats | sed 's/.*\"control_clients\":\([0-9]*\).*/\1/') -ge 4 ]"
t1=$("$SSECTL" notify builds 'a
b')
t2=$("$SSECTL" notify --event e2 other 'x')
wait_for 5 grep -q e2 "$T_DIR/t.json"
is "$(cat "$T_DIR/t.data")" "$(printf 'a\nb')" "tail: the data of each event"
is "$(cat "$T_DIR/t.raw")" "$(printf 'id: %s\ndata: a\ndata: b\n' "$t1")" "tail --format raw: the wire format"
is "$(cat "$T_DIR/t.json")" "$(printf '{"id":"%s","event":"message","data":"a\\nb","topic":"builds"}\n{"id":"%s","event":"e2","data":"x","topic":"other"}' "$t1" "$t2")" \
    "tail --json without topics: every topic, one object per event"
kill -INT "$P1" "$P2" "$P3"
wait_pid "$P1" 5
is "$WAIT_RC" 0 "tail exits 0 on SIGINT"
wait_pid "$P2" 5
wait_pid "$P3" 5

# kick, stats, reload, version, top
is "$("$SSECTL" kick --json --id "$cid" --reason bye)" '{"kicked":1}' "kick --json"
wait_for 5 grep -q KICKED "$T_DIR/sub.out"
ok $? "the kicked client got the reason"
out=$("$SSECTL" stats)
like "$out" '^events_published 5$' "stats piped: name, one space, raw value"
like "$("$SSECTL" --json stats)" '"kicks":1' "stats --json"
like "$(tty "$SSECTL" stats)" 'uptime +[0-9]+s' "stats on a terminal: aligned, uptime in human units"
is "$("$SSECTL" reload)" "reloaded" "reload"
is "$("$SSECTL" reload --json)" '{"reloaded":true}' "reload --json"
like "$("$SSECTL" version --json)" '^\{"ssectl":"[^"]+","protocol":1,"ssed":\{' "version --json"
out=$("$SSECTL" top -n 2 -d 0.2); rc=$?
is "$rc" 0 "top -n 2 exits 0"
is "$(printf '%s\n' "$out" | grep -cE '^[0-9:]+ connections=0 topics=3 events_in_per_s=[0-9.]+ events_out_per_s=[0-9.]+ bytes_out_per_s=[0-9.]+ queued=0 kicks=1$')" 2 \
    "top piped: one plain line per interval"
is "$("$SSECTL" top --json -n 1 -d 0.1 | grep -c '^{"time":[0-9]*,"connections":0,')" 1 "top --json: one object per interval"
"$SSECTL" topics delete other >/dev/null
is "$("$SSECTL" --json topics | grep -c '"name"')" 2 "topics delete removes the topic"

# tail --json: data that is not UTF-8 is printed with U+FFFD.
bg "$SSECTL" tail --json raw >"$T_DIR/t.raw8" 2>"$T_DIR/t.raw8.err"
P5=$BG_PID
wait_for 5 sh -c "[ \$(\"$SSECTL\" --json stats | sed 's/.*\"control_clients\":\([0-9]*\).*/\1/') -ge 2 ]"
printf 'a\377b' | "$SSECTL" notify raw >/dev/null
wait_for 5 grep -q data "$T_DIR/t.raw8"
like "$(cat "$T_DIR/t.raw8")" "\"data\":\"a$(printf '\357\277\275')b\"" \
    "tail --json: bytes that are not UTF-8 become U+FFFD"
kill -INT "$P5"
wait_pid "$P5" 5
is "$WAIT_RC$(cat "$T_DIR/t.raw8.err")" 0 "and the tail goes on, silently, until interrupted"

# A write error on stdout is reported once, with exit 1, also when the
# command stops on it (tail).
if [ -w /dev/full ]; then
	bg sh -c "exec \"$SSECTL\" tail full >/dev/full 2>\"$T_DIR/full.err\""
	P6=$BG_PID
	wait_for 5 sh -c "[ \$(\"$SSECTL\" --json stats | sed 's/.*\"control_clients\":\([0-9]*\).*/\1/') -ge 2 ]"
	"$SSECTL" notify full x >/dev/null
	wait_pid "$P6" 5
	is "$WAIT_RC" 1 "tail exits 1 when stdout cannot be written"
	is "$(cat "$T_DIR/full.err")" "ssectl: write error on standard output: No space left on device" \
	    "and says so in one line"
else
	ok 0 "# SKIP needs /dev/full"
	ok 0 "# SKIP needs /dev/full"
fi

# A user ssed does not trust gets its message and exit 2.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$T_DIR"
	chmod 666 "$SSED_SOCKET"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SSECTL" stats 2>&1); rc=$?
	is "$rc" 2 "an untrusted uid exits 2"
	like "$out" '^ssectl: PERMISSION_DENIED: uid 65534 may not use this socket.*--control-group' \
	    "with the daemon's message"
else
	ok 0 "# SKIP needs root and setpriv"
	ok 0 "# SKIP needs root and setpriv"
fi

# The daemon going away ends a tail with exit 3.
bg "$SSECTL" tail >/dev/null 2>"$T_DIR/tail.err"
P4=$BG_PID
wait_for 5 sh -c "[ \$(\"$SSECTL\" --json stats | sed 's/.*\"control_clients\":\([0-9]*\).*/\1/') -ge 2 ]"
stop_ssed
is "$WAIT_RC" 0 "ssed exits 0 on SIGTERM"
wait_pid "$P4" 5
is "$WAIT_RC" 3 "tail exits 3 when ssed goes away"
like "$(cat "$T_DIR/tail.err")" 'connection to ssed at .* lost' "and says so"
done_testing

#!/bin/sh
# ssectl_top.sh: "ssectl top" on a terminal draws one 80x24 screen of
# rates, connections by topic and by user and the subscribers with queued
# output, quits on 'q', SIGINT or SIGTERM with the terminal restored; not
# on a terminal it prints one plain line (or JSON object) per interval.
. "$(dirname "$0")/lib.sh"
STALLED="$top_srcdir/tests/tools/stalled.py"

start_ssed --auth=none --queue-bytes 64M || exit 1
bg curl -sN "$BASE/sse/updates/builds" -o /dev/null
bg curl -sN "$BASE/sse/updates/builds" -o /dev/null
bg curl -sN "$BASE/sse/updates/other" -o /dev/null
# A subscriber that stops reading: its output queues up.
bg python3 "$STALLED" "$PORT" /sse/updates/slow 30 >/dev/null
wait_for 5 streams_are 4
ok $? "four subscribers, one of them stalled"
head -c 400000 /dev/zero | tr '\0' x >"$T_DIR/big"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	"$SSECTL" notify slow <"$T_DIR/big" >/dev/null
done
wait_for 5 sh -c "\"$SSECTL\" --json list --topic slow | grep -qv '\"queued_bytes\":0'"
ok $? "the stalled subscriber has queued bytes"

export TERM=xterm
TS="$T_DIR/top.ts"
# screen FILE: the last frame drawn, as plain text: escapes and CRs gone.
screen() {
	awk 'BEGIN { RS = "\033\\[H" } { last = $0 } END { printf "%s", last }' "$1" |
	    sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tr -d '\r'
}

script -qefc "stty rows 24 cols 80; \"$SSECTL\" top -d 0.3 -n 3" "$TS" </dev/null >/dev/null
is "$?" 0 "top -n 3 on a terminal exits 0"
s=$(screen "$TS")
like "$s" '^ssed [0-9.]+  up [0-9]+s  connections 4  topics 3  kicks 0' "the header: version, uptime, counts"
like "$s" 'events/s in [0-9.]+  out [0-9.]+   bytes/s out [0-9.]+ (B|KiB|MiB)   queued 1' "rates from successive stats"
like "$s" 'builds +2 +[0-9.]+ +- +4' "connections by topic, beside connections by user"
like "$s" 'other +1 ' "every topic with subscribers"
like "$s" '[0-9]+ - +slow +[0-9.]+ (KiB|MiB)' "the subscriber with queued output"
like "$s" 'q quit, refresh 0.3s' "the key to quit"
w=$(printf '%s\n' "$s" | awk '{ if (length > m) m = length } END { print m }')
ok "$([ "$w" -le 80 ] && echo 0 || echo 1)" "no line is wider than 80 columns ($w)"
ok "$([ "$(printf '%s\n' "$s" | wc -l)" -le 24 ] && echo 0 || echo 1)" "the screen fits 24 lines"
is "$(grep -c "$(printf '\033\\[H')" "$TS")" 3 "three frames drawn"

# q quits, Ctrl-C and SIGTERM too; the terminal settings come back each time.
mkfifo "$T_DIR/keys"
exec 3<>"$T_DIR/keys"
for how in q ctrl-c term; do
	case $how in
	term) run="\"$SSECTL\" top -d 0.2 </dev/tty & p=\\\$!; echo \\\$p >$T_DIR/top.pid; wait \\\$p" ;;
	*) run="\"$SSECTL\" top -d 0.2" ;;
	esac
	bg sh -c "exec script -qefc \"trap '' INT; stty -g >$T_DIR/before; $run; echo rc=\\\$?; stty -g >$T_DIR/after\" $TS.$how <&3 >/dev/null"
	P=$BG_PID
	# A frame drawn: top has its signal handlers and terminal set up.
	wait_for 5 grep -q 'refresh' "$TS.$how"
	case $how in
	q) printf q >&3 ;;
	ctrl-c) printf '\003' >&3 ;;
	term) wait_for 5 test -s "$T_DIR/top.pid" &&
	    kill -TERM "$(cat "$T_DIR/top.pid")" ;;
	esac
	wait_pid "$P" 5
	like "$(tr -d '\r' <"$TS.$how")" 'rc=0' "top ends with status 0 on $how"
	is "$(cat "$T_DIR/after" 2>/dev/null)" "$(cat "$T_DIR/before")" "and the terminal is restored after $how"
	rm -f "$T_DIR/before" "$T_DIR/after"
done
exec 3>&-

# Not a terminal: one plain line per interval, rates included.
bg sh -c "for i in 1 2 3 4 5 6; do \"$SSECTL\" notify builds x; sleep 0.1; done >/dev/null"
out=$("$SSECTL" top -d 0.5 -n 2)
wait_pid "$BG_PID" 5
is "$(printf '%s\n' "$out" | grep -c .)" 2 "top -n 2 piped prints two lines"
like "$out" '^[0-9]{2}:[0-9]{2}:[0-9]{2} connections=4 topics=3 events_in_per_s=[0-9.]+ events_out_per_s=[0-9.]+ bytes_out_per_s=[0-9.]+ queued=1 kicks=0$' \
    "each line: time and name=value pairs"
like "$out" 'events_in_per_s=([1-9]|0\.[1-9])' "with a rate of events published"
like "$("$SSECTL" top --json -d 0.1 -n 1)" '^\{"time":[0-9]+,"connections":4,"topics":3,"events_in_per_s":[0-9.]+,"events_out_per_s":[0-9.]+,"bytes_out_per_s":[0-9.]+,"queued":1,"kicks":0\}$' \
    "--json: one object per interval"
"$SSECTL" top -d 0 -n 1 >/dev/null 2>&1
is "$?" 1 "a bad -d is a usage error"
done_testing

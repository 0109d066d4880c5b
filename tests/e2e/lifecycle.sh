#!/bin/sh
# lifecycle.sh: SIGTERM drains (every subscriber gets a retry: hint and a
# clean end, ssed exits 0, clients come back to the restarted daemon and
# miss nothing); --config and SIGHUP / ssectl reload apply a good file
# without dropping anyone and refuse a broken one, keeping the old;
# --log-format=json logs one JSON object a line.
. "$(dirname "$0")/lib.sh"

cat >"$T_DIR/ssed.conf" <<EOF2
# a comment, then settings named like the long options
auth none
heartbeat = 30
history-size 100
EOF2
start_ssed --config "$T_DIR/ssed.conf" --retry 300 || exit 1
P=$PORT

bg curl -sN "$BASE/sse/updates/life" -o "$T_DIR/c1"
C1=$BG_PID
bg "$SSECAT" --max-retries 50 --backoff-max 0.5 "$BASE/sse/updates/life" >"$T_DIR/cat.out" 2>"$T_DIR/cat.err"
CAT=$BG_PID
wait_for 5 streams_are 2 --topic life
ok $? "two subscribers, configured from the file"
"$SSECTL" notify life one >/dev/null

# Reload with a good file: heartbeat 1 s takes effect, nobody is dropped.
printf 'auth none\nheartbeat 1\nhistory-size 100\n' >"$T_DIR/ssed.conf"
kill -HUP "$SSED_PID"
wait_for 5 grep -q 'configuration reloaded' "$SSED_LOG"
ok $? "SIGHUP reloads a good configuration"
wait_for 5 grep -q '^: ping' "$T_DIR/c1"
ok $? "the new heartbeat applies to open streams"
is "$(subscribers life)" 2 "nobody was dropped"

# A broken file is refused, with the line named, and the old one stays.
printf 'auth none\nheartbeat soon\n' >"$T_DIR/ssed.conf"
out=$("$SSECTL" reload 2>&1); rc=$?
is "$rc" 2 "ssectl reload of a broken file exits 2"
like "$out" 'heartbeat' "and says what is wrong"
like "$(cat "$SSED_LOG")" 'reload refused: .*heartbeat' "ssed logs the refusal"
printf 'auth none\nnonsense 1\n' >"$T_DIR/ssed.conf"
kill -HUP "$SSED_PID"
wait_for 5 grep -q "ssed.conf:2: unknown setting 'nonsense'" "$SSED_LOG"
ok $? "an unknown setting is refused with file and line"
is "$(subscribers life)" 2 "still nobody dropped"
printf 'auth none\nheartbeat 30\n' >"$T_DIR/ssed.conf"

# SIGTERM: a retry hint, a clean end, exit 0 within a few seconds.
kill "$SSED_PID"
wait_pid "$SSED_PID" 10
is "$WAIT_RC" 0 "ssed exits 0 on SIGTERM"
wait_pid "$C1" 5
is "$WAIT_RC" 0 "curl sees a clean end of stream"
like "$(tail -c 40 "$T_DIR/c1")" 'retry: 1000' "with a retry: hint last"
# Restart on the same port: ssecat comes back and resumes.
start_ssed --config "$T_DIR/ssed.conf" --listen "127.0.0.1:$P" || exit 1
wait_for 10 streams_are 1 --topic life
ok $? "ssecat reconnects to the restarted ssed"
"$SSECTL" notify life two >/dev/null
wait_for 5 grep -q '^two$' "$T_DIR/cat.out"
ok $? "and receives what is published after the restart"
is "$(cat "$T_DIR/cat.out" | tr '\n' ' ')" "one two " "nothing twice"
stop_ssed

# JSON logs.
start_ssed --auth=none --log-format=json || true
like "$(head -n 1 "$SSED_LOG")" '^\{"time":"[^"]+","level":"info","msg":"ssed ' "--log-format=json logs JSON objects"
curl -s -m 1 "$BASE/sse/updates/j?client_id=c1" >/dev/null
wait_for 5 grep -q '"msg":"close"' "$SSED_LOG"
like "$(grep '"msg":"open"' "$SSED_LOG")" '"remote":"127\.0\.0\.1:[0-9]+","sub":1,"user":"-","topic":"j","client_id":"c1"' \
    "a stream's open record has its fields as JSON keys"
like "$(grep '"msg":"close"' "$SSED_LOG")" '"reason":"hangup","duration":[0-9.]+,"events":0,"bytes":0' \
    "and so does its close record"
out=$("$SSED" --frobnicate 2>&1); rc=$?
is "$rc" 1 "an unknown option exits 1"
like "$out" "^ssed: unknown option '--frobnicate' \\(try 'ssed --help'\\)$" "with one clear line"
out=$("$SSED" --config /nonexistent 2>&1); rc=$?
is "$rc" 1 "a missing --config file exits 1"
like "$out" 'cannot read /nonexistent' "and says so"
# fopen() succeeds on a directory: the read must fail, not start ssed.
out=$(timeout 10 "$SSED" --config "$T_DIR" --listen 127.0.0.1:0 \
    --control "$T_DIR/dir.sock" 2>&1); rc=$?
is "$rc" 1 "a --config that is a directory exits 1"
like "$out" "cannot read $T_DIR: Is a directory" "and says why"

# Values that would start a daemon that cannot work are refused.
out=$(timeout 10 "$SSED" --listen 127.0.0.1:99999 --control "$T_DIR/p.sock" 2>&1); rc=$?
is "$rc" 1 "a port above 65535 exits 1 (glibc would take 34463)"
like "$out" '--listen 127.0.0.1:99999: not an address:port' "and says why"
out=$(timeout 10 "$SSED" --conn-memory 1K --control "$T_DIR/p.sock" 2>&1); rc=$?
is "$rc" 1 "--conn-memory under 2K exits 1 (nothing would be answered)"
like "$out" 'conn-memory must be at least 2048' "and says why"

# A reload to a listen address ssed could not use at its next start is
# refused, as any bad value is.
# (Started by hand: start_ssed's --listen would override the file's.)
printf 'auth none\nlisten 127.0.0.1:0\n' >"$T_DIR/l.conf"
stop_ssed
bg "$SSED" --config "$T_DIR/l.conf" --control "$SSED_SOCKET" \
    --state-dir "$T_DIR/state" 2>"$T_DIR/l.log"
L_PID=$BG_PID
wait_for 10 grep -q 'control socket' "$T_DIR/l.log"
printf 'auth none\nlisten not-an-address\n' >"$T_DIR/l.conf"
out=$("$SSECTL" reload 2>&1); rc=$?
is "$rc" 2 "a reload to a listen address that is none is refused"
like "$out" 'listen not-an-address: not an address:port' "and says why"
kill "$L_PID"
wait_pid "$L_PID" 10

# A --state-dir written with a trailing slash is made 0700 all the same.
stop_ssed
start_ssed --state-dir "$T_DIR/sd/state/" || exit 1
is "$(stat -c %a "$T_DIR/sd/state")" 700 "a state directory named with a trailing / is 0700"
stop_ssed

# A shorter --history-ttl applies at the reload, not at the next sweep.
printf 'auth none\nhistory-ttl 60\n' >"$T_DIR/ttl.conf"
start_ssed --config "$T_DIR/ttl.conf" || exit 1
"$SSECTL" notify ttl a >/dev/null
"$SSECTL" notify ttl b >/dev/null
sleep 2
printf 'auth none\nhistory-ttl 1\n' >"$T_DIR/ttl.conf"
"$SSECTL" reload >/dev/null
like "$("$SSECTL" --json topics)" '"name":"ttl"[^}]*"retained":0[,}]' \
    "events older than a lowered --history-ttl are gone at the reload"
stop_ssed

# A --write-timeout set by a reload cuts a reader that had stalled before.
printf 'auth none\nwrite-timeout 0\nqueue-bytes 64M\n' >"$T_DIR/wt.conf"
start_ssed --config "$T_DIR/wt.conf" || exit 1
bg python3 "$top_srcdir/tests/tools/stalled.py" "$PORT" /sse/updates/wt 30 >/dev/null
wait_for 5 streams_are 1 --topic wt
payload=$(head -c 8192 /dev/zero | tr '\0' x)
seq 1 1000 | sed "s/\$/ $payload/" | "$SSECTL" notify --lines wt >/dev/null
wait_for 10 sh -c "\"$SSECTL\" --json list --topic wt | grep -qv '\"stalled_ms\":0[,}]'"
printf 'auth none\nwrite-timeout 2\nqueue-bytes 64M\n' >"$T_DIR/wt.conf"
"$SSECTL" reload >/dev/null
wait_for 15 grep -q 'reason=write-timeout' "$SSED_LOG"
ok $? "a reader stalled before a reload set --write-timeout is cut by it"
stop_ssed

# Reloads more often than the heartbeat do not put it off.
printf 'auth none\nheartbeat 2\n' >"$T_DIR/hb.conf"
start_ssed --config "$T_DIR/hb.conf" || exit 1
bg curl -sN -m 9 "$BASE/sse/updates/hb" -o "$T_DIR/hb.out"
HB=$BG_PID
i=0
while [ $i -lt 8 ]; do
	sleep 1
	kill -HUP "$SSED_PID"
	i=$((i + 1))
done
wait "$HB"
ok "$([ "$(grep -c '^: ping' "$T_DIR/hb.out")" -ge 2 ] && echo 0 || echo 1)" \
    "heartbeats of 2 s go on through a reload every second ($(grep -c '^: ping' "$T_DIR/hb.out") in 9 s)"
stop_ssed
done_testing

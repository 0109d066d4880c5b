#!/bin/sh
# listen.sh: --listen is repeatable and takes IPv6 addresses; a bad
# address or a port in use is a clear error and exit 1.
. "$(dirname "$0")/lib.sh"

start_ssed --auth=none --listen '[::1]:0' || exit 1
port6=$(sed -n 's|.*listening on http://\[::1\]:\([0-9]*\).*|\1|p' "$SSED_LOG" | head -n 1)
if [ -z "$port6" ]; then
	ok 0 "# SKIP no IPv6 loopback here"
else
	is "$(curl -s -g "http://[::1]:$port6/healthz")" ok "ssed answers on [::1] too"
	is "$(curl -s "$BASE/healthz")" ok "and on 127.0.0.1"
	bg curl -sN -g "http://[::1]:$port6/sse/updates/v6" -o "$T_DIR/v6"
	wait_for 5 grep -q retry "$T_DIR/v6"
	curl -s -X POST -d both "$BASE/sse/notify/v6" >/dev/null
	wait_for 5 grep -q 'data: both' "$T_DIR/v6"
	ok $? "an IPv6 subscriber gets what an IPv4 publisher sends"
	like "$("$SSECTL" list)" '\[::1\]:[0-9]+' "ssectl list shows the IPv6 remote"
fi
# --max-conns bounds the streams ssed holds: the next is 503 SERVER_FULL.
stop_ssed
start_ssed --auth=none --max-conns 2 || exit 1
bg curl -sN "$BASE/sse/updates/full" -o /dev/null
bg curl -sN "$BASE/sse/updates/full" -o /dev/null
wait_for 5 streams_are 2
code=$(curl -s -m 10 -o "$T_DIR/full" -w '%{http_code}' "$BASE/sse/updates/full")
is "$code" 503 "a stream past --max-conns: 503"
like "$(cat "$T_DIR/full")" '"code":"SERVER_FULL"' "with SERVER_FULL"
out=$("$SSED" --auth=none --listen 'nonsense' --control "$T_DIR/x.sock" 2>&1); rc=$?
is "$rc" 1 "a bad --listen exits 1"
like "$out" "--listen nonsense: not an address:port" "and says what is expected"
out=$("$SSED" --auth=none --listen "127.0.0.1:$PORT" --control "$T_DIR/y.sock" 2>&1); rc=$?
is "$rc" 1 "a port in use exits 1"
like "$out" "cannot listen on 127.0.0.1:$PORT" "and names the address"
out=$("$SSED" --auth=none --listen "127.0.0.1:0" --control "$SSED_SOCKET" 2>&1); rc=$?
is "$rc" 1 "a control socket in use exits 1"
like "$out" "is in use: is another ssed running" "and says why"
done_testing

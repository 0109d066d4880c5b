#!/bin/sh
# fuzz.sh: seeded garbage on both fronts (random bytes, half-sent and
# malformed HTTP requests, broken and wrong-typed control frames) never
# crashes ssed or disturbs a subscriber that is already streaming.
. "$(dirname "$0")/lib.sh"
FUZZ="$top_srcdir/tests/tools/fuzz.py"
start_ssed --auth=none || exit 1

bg curl -sN "$BASE/sse/updates/calm" -o "$T_DIR/calm"
wait_for 5 grep -q retry "$T_DIR/calm"
is "$(python3 "$FUZZ" http "$PORT" 600 1)" done "600 garbage HTTP connections sent"
is "$(python3 "$FUZZ" ctl "$SSED_SOCKET" 600 2)" done "600 garbage control frames sent"
is "$(curl -s "$BASE/healthz")" ok "ssed still answers HTTP"
like "$("$SSECTL" --json stats)" '"version"' "and the control socket"
"$SSECTL" notify calm still-here >/dev/null
wait_for 5 grep -q 'data: still-here' "$T_DIR/calm"
ok $? "the subscriber that was streaming all along still gets events"
done_testing

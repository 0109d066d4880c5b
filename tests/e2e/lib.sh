# lib.sh: shared helpers for the end-to-end tests (sourced).
#
# Each test script starts the real ssed on a free loopback port with a
# private control socket, drives it with the real ssectl, ssecat and
# curl, and reports in TAP.  Every process a test starts is recorded and
# killed by PID when the script exits, whatever happens.

set -u

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
SSED="$top_builddir/ssed/ssed"
SSECTL="$top_builddir/ssectl/ssectl"
SSECAT="$top_builddir/ssecat/ssecat"

T_N=0
T_FAILED=0
T_PIDS=""
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ssed-e2e.XXXXXX")
export SSED_SOCKET="$T_DIR/ssed.sock"

t_cleanup() {
	local p
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		local i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# A test that hangs must fail, not block the suite: after T_LIMIT seconds
# the watchdog ends this script's children (a stuck curl, ssed), so the
# script runs on to its failures and its cleanup.  It leaves by itself
# within a second of the script.
: "${T_LIMIT:=300}"
(
	n=0
	while kill -0 $$ 2>/dev/null && [ $n -lt "$T_LIMIT" ]; do
		sleep 1
		n=$((n + 1))
	done
	if kill -0 $$ 2>/dev/null; then
		echo "# watchdog: still running after ${T_LIMIT}s, ending children" >&2
		: >"$T_DIR/timed-out"
		pkill -TERM -P $$
	fi
) &

plan() { echo "1..$1"; }

# ok COND-EXIT-STATUS DESCRIPTION
ok() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2" | head -20
	fi
}

# like GOT REGEX DESCRIPTION
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want match: %s\n' "$1" "$2" | head -20
	fi
}

# unlike GOT REGEX DESCRIPTION
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '#   got:  %s\n#   want no match: %s\n' "$1" "$2" | head -20
	else
		ok 0 "$3"
	fi
}

diag() { printf '# %s\n' "$*"; }

done_testing() {
	# ssed must exit cleanly on SIGTERM and without sanitizer reports.
	if [ -n "${SSED_PID:-}" ] && kill -0 "$SSED_PID" 2>/dev/null; then
		stop_ssed
		is "$WAIT_RC" "0" "ssed exits 0 on SIGTERM"
	fi
	if [ -e "$T_DIR/timed-out" ]; then
		ok 1 "the script finished within ${T_LIMIT}s"
	fi
	if grep -lE 'Sanitizer|runtime error:' "$T_DIR"/*.log >/dev/null 2>&1; then
		ok 1 "no sanitizer reports"
		grep -hE -A30 'Sanitizer|runtime error:' "$T_DIR"/*.log |
		    head -60 | sed 's/^/#   /'
	fi
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# bg CMD...: run in the background, remember its PID in BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	T_PIDS="$T_PIDS $BG_PID"
}

# wait_for TIMEOUT-SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$(($1 * 10)) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_pid PID TIMEOUT-SECONDS: wait for a background process to exit;
# its status is in WAIT_RC (124 when it had to be killed).
wait_pid() {
	local limit=$(($2 * 10)) i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $limit ]; then
			kill -9 "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			WAIT_RC=124
			return 1
		fi
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	WAIT_RC=$?
	return 0
}

# start_ssed [ARGS...]: start ssed on 127.0.0.1 with a free port; sets
# SSED_PID, PORT and BASE (http://127.0.0.1:PORT).
start_ssed() {
	SSED_LOG="$T_DIR/ssed.log"
	: >"$SSED_LOG"
	bg "$SSED" --listen 127.0.0.1:0 --control "$SSED_SOCKET" \
	    --state-dir "$T_DIR/state" "$@" \
	    2>>"$SSED_LOG"
	SSED_PID=$BG_PID
	if ! wait_for 10 grep -q 'control socket' "$SSED_LOG"; then
		diag "ssed did not start:"
		sed 's/^/#   /' "$SSED_LOG"
		return 1
	fi
	PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' \
	    "$SSED_LOG" | head -n 1)
	BASE="http://127.0.0.1:$PORT"
}

stop_ssed() {
	kill "$SSED_PID" 2>/dev/null
	wait_pid "$SSED_PID" 10
}

# lines FILE: number of lines in FILE (0 when missing)
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# file_has_lines FILE N: FILE has at least N lines
file_has_lines() { [ "$(lines "$1")" -ge "$2" ]; }

# subscribers TOPIC: how many subscribers ssed lists on TOPIC
subscribers() { "$SSECTL" --json list --topic "$1" 2>/dev/null | grep -c '"id"'; }

# streams_are N [LIST-ARGS...]: ssed lists exactly N streams ("ssectl list
# LIST-ARGS..."); a shell function, so "wait_for 5 streams_are 2 --topic x"
# polls it (wait_for runs its command in this shell).
streams_are() {
	local n=$1
	shift
	[ "$("$SSECTL" --json list "$@" 2>/dev/null | grep -c '"id"')" -eq "$n" ]
}

#!/bin/sh
# ssectl_edges.sh: ssectl at its edges: Ctrl-C in the shell while notify
# reads the terminal publishes nothing; an option given a value it does
# not take is named as typed; notify's size limits are ssectl's own and
# fit ssed's largest request frame; "exit" with blanks ends the shell;
# top -n 0 and an empty socket path are usage errors; C1 controls and
# bytes that are not UTF-8 are shown as '?'; Tab gives up on a daemon
# that does not answer.
. "$(dirname "$0")/lib.sh"

# Usage errors, with no daemon needed.
# usage_error DESCRIPTION WANT ARGS...: exit 1 and the one line WANT.
usage_error() {
	local what="$1" want="$2" out rc
	shift 2
	out=$("$SSECTL" "$@" </dev/null 2>&1); rc=$?
	is "$rc" 1 "$what: exit 1"
	is "$out" "ssectl: $want (try 'ssectl help')" "$what: the message"
}
usage_error "--json=1 before the command" "option '--json' takes no value" \
    --json=1 stats
usage_error "--json=1 after the command" \
    "list: option '--json' takes no value" list --json=1
usage_error "--help=1" "option '--help' takes no value" --help=1
usage_error "an abbreviated --he=1" "list: option '--help' takes no value" \
    list --he=1
usage_error "an unknown letter" "list: unknown option '-x'" list -x
usage_error "an unknown long option" "list: unknown or ambiguous option '--frob'" \
    list --frob
out=$(echo x | "$SSECTL" notify --lines=1 t 2>&1); rc=$?
is "$rc" 1 "notify --lines=1: exit 1"
is "$out" "ssectl: notify: option '--lines' takes no value (try 'ssectl help')" \
    "notify --lines=1: the message, without a control byte"
usage_error "-s ''" "-s: the socket path is empty" -s '' stats
usage_error "--socket=" "-s: the socket path is empty" --socket= version

start_ssed --auth=none --max-event-size=16M || exit 1

# top -n 0 would run forever: wait_pid stops it after a while.
bg "$SSECTL" top -n 0 >/dev/null 2>"$T_DIR/top.err"
wait_pid "$BG_PID" 10
is "$WAIT_RC" 1 "top -n 0 is a usage error"
is "$(cat "$T_DIR/top.err")" \
    "ssectl: top: -n takes a count of at least 1, not '0' (try 'ssectl help')" \
    "and says so"
is "$("$SSECTL" top -d 0.1 -n 2 | wc -l | tr -d ' ')" 2 "top -n 2 prints two lines"

# notify: all of stdin is at most 16 MiB less 64 KiB, checked by ssectl.
MAX=16711680
out=$(head -c 20000000 /dev/zero | tr '\0' x | "$SSECTL" notify big 2>&1); rc=$?
is "$rc" 1 "20 MB of stdin: exit 1"
is "$out" "ssectl: notify: standard input is larger than $MAX bytes" \
    "and says so, not FRAME_TOO_LARGE"
out=$(head -c $((MAX + 1)) /dev/zero | tr '\0' x | "$SSECTL" notify big 2>&1)
is "$out" "ssectl: notify: standard input is larger than $MAX bytes" \
    "one byte over the limit is refused"
out=$(head -c $MAX /dev/zero | tr '\0' x | "$SSECTL" notify big 2>&1)
like "$out" '^[0-9]+-[0-9]+$' "stdin of exactly $MAX bytes is published"

# --lines: a line too long for a request ends the input after the lines
# before it, however it arrives.
{ echo first; head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' x; echo; echo after; } |
    "$SSECTL" notify --lines long >"$T_DIR/long.ids" 2>"$T_DIR/long.err"
is "$?" 1 "notify --lines: a 17 MiB line: exit 1"
is "$(cat "$T_DIR/long.err")" \
    "ssectl: notify: line 2 is longer than $MAX bytes" \
    "named by its number, not FRAME_TOO_LARGE"
is "$(lines "$T_DIR/long.ids")" 1 "the line before it is published"
is "$("$SSECTL" history long | sed 1d | cut -d ' ' -f 4 | tr '\n' ' ')" \
    "first " "and only that line"
{ printf 'first\r\n'; head -c $MAX /dev/zero | tr '\0' x; printf '\r\nafter'; } |
    "$SSECTL" notify --lines long2 >"$T_DIR/long2.ids" 2>"$T_DIR/long2.err"
is "$?" 0 "a line of exactly $MAX bytes and CR LF is published"
is "$(lines "$T_DIR/long2.ids")" 3 "with the lines around it"

# Text output: C0, DEL and C1 controls, and bytes that are not UTF-8,
# are '?'; other UTF-8 is kept.
printf 'a\302\233b\233c\303\251d\001e\177f' | "$SSECTL" notify c1 >/dev/null
is "$("$SSECTL" history c1 | sed 1d | cut -d ' ' -f 4)" \
    "$(printf 'a?b?c\303\251d?e?f')" "control characters and bad bytes are '?'"

# The shell, driven through script(1) as in ssectl_shell.sh.
HOME="$T_DIR/home"
export HOME
mkdir "$HOME"
export TERM=xterm INPUTRC=/dev/null

# shell NAME [ARGS]: start "ssectl ARGS" on a terminal; keys are written
# to fd 3 (a FIFO opened read-write, so that neither end waits), the
# screen goes to $TS.
shell() {
	TS="$T_DIR/$1.typescript"
	mkfifo "$T_DIR/$1.keys"
	exec 3<>"$T_DIR/$1.keys"
	shift
	bg sh -c 'exec script -qefc "$0" "$1" <&3 >/dev/null' "$SSECTL $*" "$TS"
	SH_PID=$BG_PID
}

# screen_has REGEX: the screen so far matches.
screen_has() { tr -d '\r' <"$TS" | grep -qE -- "$1"; }

# prompts_are N: the prompt has been shown at least N times.
prompts_are() { [ "$(tr -d '\r' <"$TS" | grep -o 'sock> ' | wc -l)" -ge "$1" ]; }

# type KEYS DESCRIPTION CONDITION...: send keys, wait for the condition.
type() {
	local desc="$2"
	printf "$1" >&3
	shift 2
	if wait_for 15 "$@"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		diag "screen so far:"
		tr -d '\r' <"$TS" | tail -n 5 | cat -v | sed 's/^/#   /'
	fi
}

# shell_ends DESCRIPTION: the shell has ended with status 0.
shell_ends() {
	wait_pid "$SH_PID" 15
	is "$WAIT_RC" 0 "$1"
	exec 3>&-
}

# Ctrl-C, then Ctrl-D: the line typed to notify is not published when
# the shell ends.
shell ctrlc
type '' "the shell starts" prompts_are 1
type 'notify ctrlc\n' "notify reads the terminal" \
    screen_has '^.*sock> notify ctrlc$'
type 'oops\n' "a line is typed" screen_has 'oops$'
# Only so that the old bug shows: notify has read the line by now.
sleep 1
type '\003' "Ctrl-C gives the prompt back" prompts_are 2
type '\004' "Ctrl-D then ends the shell" true
shell_ends "with status 0"
out=$("$SSECTL" history ctrlc 2>&1)
unlike "$out" 'oops' "and nothing typed was published"

shell lines
type '' "a shell starts" prompts_are 1
type 'notify --lines ctrlc2\n' "notify --lines reads the terminal" \
    screen_has 'notify --lines ctrlc2$'
type 'one\n' "and publishes a line as it comes" screen_has '^[0-9]+-[0-9]+$'
type '\003' "Ctrl-C gives the prompt back" prompts_are 2
type 'version\n' "and the shell goes on" screen_has '^ssed [0-9.]+ \(protocol'
type '\004' "Ctrl-D is typed" true
shell_ends "and ends the shell with status 0"

shell exit
type '' "a shell starts" prompts_are 1
type '  exit \n' "' exit ' is typed" true
shell_ends "' exit ', with blanks around it, ends the shell with status 0"
unlike "$(tr -d '\r' <"$TS")" 'unknown command' "and is no unknown command"

shell quit
type '' "a shell starts" prompts_are 1
type 'quit   \n' "'quit   ' is typed" true
shell_ends "'quit   ' ends the shell with status 0"

# A daemon that takes the connection and never answers: Tab gives up
# well before a command's 30 s, and the shell goes on.
SILENT="$T_DIR/silent.sock"
bg python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
held = []
while True:
    held.append(s.accept()[0])
' "$SILENT"
wait_for 10 test -S "$SILENT"
shell silent -s "$SILENT"
type '' "a shell on a silent socket starts" prompts_are 1
type 'show \t\025help\n' "Tab on a silent daemon gives up soon; the next command runs" \
    screen_has '^commands:$'
type 'exit\n' "exit is typed" true
shell_ends "and the shell ends"

done_testing

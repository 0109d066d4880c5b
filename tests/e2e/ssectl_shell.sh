#!/bin/sh
# ssectl_shell.sh: "ssectl" alone on a terminal is a readline shell: its
# prompt names the socket, Tab completes commands, options, topics and
# connection ids from the daemon, commands print as one-shot ones do,
# words are split with quotes, the daemon going away is survived, and
# the history is read from and appended to $HOME/.ssectl_history.
. "$(dirname "$0")/lib.sh"

start_ssed --auth=none || exit 1
"$SSECTL" notify builds hello >/dev/null
bg curl -sN "$BASE/sse/updates/builds" -o /dev/null
wait_for 5 streams_are 1
cid=$("$SSECTL" --json list | sed -n 's/.*"id":\([0-9]*\),.*/\1/p')

HOME="$T_DIR/home"
export HOME
mkdir "$HOME"
echo 'version' >"$HOME/.ssectl_history"
export TERM=xterm INPUTRC=/dev/null
TS="$T_DIR/typescript"

"$SSECTL" </dev/null >/dev/null 2>&1
is "$?" 1 "without a command and a terminal: usage error"

# Keys go through a FIFO, opened read-write so that neither end waits.
mkfifo "$T_DIR/keys"
exec 3<>"$T_DIR/keys"
bg sh -c 'exec script -qefc "$0" "$1" <&3 >/dev/null' "$SSECTL" "$TS"
SH_PID=$BG_PID

# type TEXT WAIT-REGEX DESCRIPTION: send keys, wait for the screen to match
type() {
	printf "$1" >&3
	if wait_for 5 sh -c "tr -d '\r' <\"$TS\" | grep -qE -- '$2'"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "screen so far:"
		tr -d '\r' <"$TS" | tail -n 5 | cat -v | sed 's/^/#   /'
	fi
}

type '' "ssectl $SSED_SOCKET> " "the prompt names the socket"
type 'to\t' 'token +top +topics' "Tab lists the commands that start with 'to'"
type '\025his\t' 'history $' "Tab completes a unique command"
type 'bu\t' 'history builds $' "Tab completes a topic name from the daemon"
type '\n' 'hello$' "the command runs and prints its output"
type 'show \t' "show $cid \$" "Tab completes a connection id from the daemon"
type '\n' 'state +live' "show prints the connection"
type 'list --to\t' 'list --topic $' "Tab completes an option of the command"
type '\025notify '"'"'bu ilds'"'"' x\n' 'INVALID_TOPIC' "a quoted word keeps its blank"
type 'notify builds "two \\"quoted\\" words"\n' '[0-9]+-[0-9]+$' "a command with a quoted argument runs"
is "$("$SSECTL" history --limit 1 builds | sed 1d | cut -d ' ' -f 4-)" 'two "quoted" words' \
    "words are split and unquoted as by sh"
type 'frob\n' 'unknown command .frob' "a bad command is reported"
type 'tail\n' 'tail$' "tail runs in the shell"
# The echo of "tail" does not mean it follows the topic yet, and it
# prints live events only: publish again until one shows.
tail_shows() {
	tr -d '\r' <"$TS" | grep -q -- 'live event$' && return 0
	"$SSECTL" notify builds 'live event' >/dev/null
	return 1
}
if wait_for 5 tail_shows; then
	ok 0 "and prints events as they come"
else
	ok 1 "and prints events as they come"
	diag "screen so far:"
	tr -d '\r' <"$TS" | tail -n 5 | cat -v | sed 's/^/#   /'
fi
type '\003' 'sock> $' "Ctrl-C ends it and gives the prompt back"
type 'abc\003version\n' '^ssed [0-9.]+ \(protocol' "Ctrl-C at the prompt drops the line typed"
type 'stats\n' '^control_clients +1' "and the shell goes on"

stop_ssed
type 'stats\n' 'cannot connect to .*is ssed running' "ssed gone: the command says so"
start_ssed --auth=none || exit 1
type 'topics\n' 'NAME +SUBS +RETAINED' "ssed back: the next command connects again"
type '\004' 'Script done' "Ctrl-D ends the shell"
exec 3>&-
wait_pid "$SH_PID" 5
is "$WAIT_RC" 0 "with exit status 0"
is "$(tr '\n' '|' <"$HOME/.ssectl_history")" \
    "version|history builds |show $cid |notify 'bu ilds' x|notify builds \"two \\\"quoted\\\" words\"|frob|tail|version|stats|stats|topics|" \
    "the history file keeps the old lines and gets the new ones appended"
done_testing

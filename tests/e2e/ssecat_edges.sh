#!/bin/sh
# ssecat_edges.sh: ssecat at its edges: a signal while stdout is blocked,
# redirects with nothing to follow, ids that are not UTF-8, data holding
# a NUL, empty files, the wording of usage errors, control characters
# and tokens kept out of messages.
. "$(dirname "$0")/lib.sh"

# A server whose answer depends on the path only, so that every test and
# every reconnection gets the same one; it prints its port first.
cat >"$T_DIR/edges.py" <<'EOF'
import socket, socketserver, sys, threading, os

SSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"

def redirect(status, location):
    return (b"HTTP/1.1 %s\r\nLocation:%s\r\nConnection: close\r\n"
            b"Content-Length: 0\r\n\r\n" % (status, location))

PATHS = {
    # Far more than a pipe holds, in big events.
    "/big": SSE + b"retry: 50\n" +
        b"".join(b"id: %d\ndata: " % i + b"x" * 200000 + b"\n\n"
                 for i in range(20)),
    # Redirects with nothing to follow, or leading to one.
    "/emptyloc": redirect(b"302 Found", b""),
    "/blankloc": redirect(b"303 See Other", b" \t "),
    "/moved": redirect(b"301 Moved Permanently", b" /emptyloc"),
    "/nul": SSE + b"retry: 50\ndata: a\0needle\n\ndata: after\n\n",
    # C1 controls, raw in the reason, UTF-8 in the JSON message.
    "/c1": b"HTTP/1.1 404 Not\x9b31m Found\r\n"
        b"Content-Type: application/json\r\n\r\n"
        b'{"message":"gone\\u009b2J \xc2\x9b2J caf\xc3\xa9"}',
}

class H(socketserver.BaseRequestHandler):
    def handle(self):
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            buf += chunk
        path = buf.split(b" ")[1].decode().split("?")[0]
        with open(sys.argv[1], "a") as f:
            f.write(path + "\n")
        try:
            self.request.sendall(PATHS.get(path,
                b"HTTP/1.1 204 No Content\r\n\r\n"))
        except OSError:
            pass

class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

srv = S(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Timer(float(sys.argv[2]), lambda: os._exit(0)).start()
srv.serve_forever()
EOF

bg python3 "$T_DIR/edges.py" "$T_DIR/requests" 280 >"$T_DIR/port"
if ! wait_for 10 file_has_lines "$T_DIR/port" 1; then
	diag "edges.py did not start"
	exit 1
fi
URL="http://127.0.0.1:$(head -n 1 "$T_DIR/port")"

# run ARGS...: ssecat ARGS with a safety --timeout; sets OUT, ERR, RC.
run() {
	"$SSECAT" --timeout 20 "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	# done_testing looks for sanitizer reports in *.log.
	cat "$T_DIR/err" >>"$T_DIR/ssecat.log"
	# A NUL in the data shows as 0: the shell cannot hold it.
	OUT=$(tr '\000' 0 <"$T_DIR/out")
	ERR=$(cat "$T_DIR/err")
}

# blocked PID: PID sleeps in a write to a pipe, when the kernel says so
# (anon_pipe_write, pipe_write, pipe_wait_writable...).
blocked() {
	grep -Eq 'pipe_write|wait_writable' "/proc/$1/wchan" 2>/dev/null
}

# A signal while a write to a stalled reader blocks: stdio writes the
# rest of a partly written event again, which the signal alone does not
# cut.  The reader sleeps long past the limits of the test.
for sig in TERM INT; do
	want=143
	[ "$sig" = INT ] && want=130
	rm -f "$T_DIR/rc" "$T_DIR/pid"
	: >"$T_DIR/big.log"
	{ "$SSECAT" "$URL/big" 2>>"$T_DIR/big.log" &
	    echo $! >"$T_DIR/pid"; wait $!; echo $? >"$T_DIR/rc"; } |
	    sleep 120 &
	READER=$!
	T_PIDS="$T_PIDS $READER"
	wait_for 10 file_has_lines "$T_DIR/pid" 1
	CAT=$(cat "$T_DIR/pid")
	T_PIDS="$T_PIDS $CAT"
	# Its handlers are in place once it connects (an async command of
	# a shell ignores SIGINT until then).  Where wchan tells nothing,
	# give it time enough to fill the pipe with 4 MB.
	wait_for 20 grep -q connected "$T_DIR/big.log"
	wait_for 20 blocked "$CAT" || sleep 3
	kill -"$sig" "$CAT"
	wait_for 10 file_has_lines "$T_DIR/rc" 1
	is "$(cat "$T_DIR/rc" 2>/dev/null)" "$want" \
	    "SIG$sig ends a write blocked on a stalled reader: exit $want"
	kill "$READER" 2>/dev/null
	wait_pid "$READER" 10
done

# A 3xx without a Location to follow is a status like any other.
run --max-retries 0 "$URL/emptyloc"
is "$RC" "2" "a 302 with an empty Location is fatal: exit 2"
is "$ERR" "ssecat: 302 Found" "and its status is reported"
run --max-retries 0 "$URL/blankloc"
is "$RC/$ERR" "2/ssecat: 303 See Other" "a blank Location too"
run --max-retries 0 "$URL/moved"
is "$RC/$ERR" "2/ssecat: 302 Found" "a 301 to such a 302: the 302 is fatal"
: >"$T_DIR/requests"
run "$URL/emptyloc"
is "$RC" "2" "without --max-retries, it does not loop"
is "$(lines "$T_DIR/requests")" "1" "one request"

# Ids: --json prints them, and every id received is UTF-8.
run --json --last-event-id "$(printf 'a\377b')" "$URL/nul"
is "$RC" "1" "a --last-event-id that is not UTF-8 is a usage error"
like "$ERR" 'bad --last-event-id: not UTF-8' "which says so"
run --json -H "$(printf 'Last-Event-ID: \303')" "$URL/nul"
is "$RC" "1" "so is a Last-Event-ID header given with -H"
printf 'a\377b\n' >"$T_DIR/state"
run --json --state "$T_DIR/state" "$URL/nul"
is "$RC" "1" "and a --state file whose id is not UTF-8"
like "$ERR" "bad --state .*: its id is not UTF-8" "which says so"
printf 'a\000b\n' >"$T_DIR/state"
run --json --state "$T_DIR/state" "$URL/nul"
is "$RC" "1" "a --state file with a NUL in its id is refused"
like "$ERR" "a NUL byte in its first line" "which says so"
printf 'caf\303\251\n' >"$T_DIR/state"
run --json -n 1 --state "$T_DIR/state" "$URL/nul"
WANT='{"id":"caf\303\251","event":"message","data":"a\\u0000needle","retry":50}'
is "$RC/$OUT" "0/$(printf "$WANT")" \
    "a UTF-8 id from --state is printed by --json"

# --until data~REGEX searches the whole data, past a NUL.
run --until 'data~needle' "$URL/nul"
is "$RC" "0" "--until data~REGEX matches after a NUL in the data"
is "$OUT" "a0needle" "and stops at that event"

# Empty files: refused or taken as no id, without a leak (ASan's
# LeakSanitizer reports one at exit, in ssecat.log).
: >"$T_DIR/empty"
run --token-file "$T_DIR/empty" "$URL/nul"
is "$RC" "1" "an empty --token-file is a usage error"
unlike "$ERR" 'LeakSanitizer' "reading it leaks nothing"
rm -f "$T_DIR/state"
: >"$T_DIR/state"
run -n 1 --state "$T_DIR/state" "$URL/nul"
is "$RC/$OUT" "0/a0needle" "an empty --state file means no id"
unlike "$ERR" 'LeakSanitizer' "reading it leaks nothing"

# The wording of usage errors.
run --t 5 "$URL/nul"
is "$RC" "1" "an ambiguous option is a usage error"
like "$ERR" \
    "ambiguous option --t: could be --token, --token-file, --types, --timeout" \
    "called ambiguous, with what it could be"
run --json=1 "$URL/nul"
is "$RC/$ERR" "1/ssecat: option --json takes no value (try 'ssecat --help')" \
    "a value given to an option that takes none"
run --qui=1 "$URL/nul"
like "$ERR" "option --quiet takes no value" "the same through a prefix"
run --json -xq "$URL/nul"
like "$ERR" "unknown option -x " "an unknown letter in a group is named"
run --bogus "$URL/nul"
like "$ERR" "unknown option --bogus " "an unknown option is still unknown"

# What messages show of the server's and the user's strings.
run "$URL/c1"
is "$RC" "2" "a 404 is fatal"
c1=$(printf '%s' "$ERR" | LC_ALL=C tr -d -c '\200-\237' | wc -c | tr -d ' ')
is "$c1" "0" \
    "no C1 control reaches the terminal, raw or as UTF-8 (é is kept)"
like "$ERR" '404 Not\?31m Found: gone\?2J \?2J caf' "they show as ?"
run -n 1 "$URL/nul?token=secret1&a=1&token=secret2"
like "$ERR" 'connected to .*/nul\?token=\*\*\*&a=1&token=\*\*\*$' \
    "every token= in a URL is hidden in messages"
run 'http://[::1/x?token=secret3'
is "$RC" "1" "a bad URL is a usage error"
unlike "$ERR" 'secret' "whose message hides the token too"
like "$ERR" 'token=\*\*\*' "with *** in its place"

done_testing

#!/bin/sh
# access.sh: the control socket lets in root, ssed's own user and the
# members of --control-group, and refuses everyone else with a message
# that says why.  Needs root (to act as a second local user) and setpriv.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null ||
    ! getent group users >/dev/null; then
	plan 0
	echo "# SKIP needs root, setpriv and the group 'users'"
	exit 0
fi
chmod 711 "$T_DIR"
start_ssed --auth=none --control-group users || exit 1
is "$(stat -c '%a %G' "$SSED_SOCKET")" "660 users" "the socket is 0660 and belongs to the control group"

as() { setpriv --reuid=65534 "$@" "$SSECTL" --json stats 2>&1; }
out=$(as --regid=100 --clear-groups); rc=$?
is "$rc" 0 "a user whose group is the control group may use the socket"
like "$out" '"connections":0' "and gets answers"
out=$(as --regid=65534 --groups=100); rc=$?
is "$rc" 0 "so may a user with it as a supplementary group"
out=$(as --regid=65534 --clear-groups); rc=$?
is "$rc" 3 "anyone else cannot even open the socket (mode 0660)"
like "$out" "cannot connect to $SSED_SOCKET: Permission denied" "and is told so"
chmod 666 "$SSED_SOCKET"
out=$(as --regid=65534 --clear-groups); rc=$?
is "$rc" 2 "past the file mode, the daemon itself refuses: exit 2"
like "$out" '^ssectl: PERMISSION_DENIED: uid 65534 may not use this socket' "with the reason"
like "$(cat "$SSED_LOG")" 'control: refused uid 65534' "and ssed logs the refusal"
out=$("$SSED" --auth=none --listen 127.0.0.1:0 --control "$T_DIR/x.sock" --control-group no-such-group-here 2>&1); rc=$?
is "$rc" 1 "an unknown --control-group is refused at start"
like "$out" 'no-such-group-here: no such group' "by name"
done_testing

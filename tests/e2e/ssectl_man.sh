#!/bin/sh
# ssectl_man.sh: the COMMANDS section of ssectl(1) documents exactly the
# commands of ssectl's table, in its order, each headed by its usage line
# as "ssectl help --usage-list" prints it; both man pages lint clean.
. "$(dirname "$0")/lib.sh"
MANDIR="$(cd "$(dirname "$0")/../../man" && pwd)"
MAN="$MANDIR/ssectl.1"

"$SSECTL" help --usage-list >"$T_DIR/usage"
is "$?" 0 "help --usage-list exits 0"
cut -d ' ' -f 1 "$T_DIR/usage" >"$T_DIR/table.names"
is "$("$SSECTL" help | sed -n 's/^  \([a-z][a-z]*\)  *.*/\1/p' | tr '\n' ' ')" \
    "$(tr '\n' ' ' <"$T_DIR/table.names")" "ssectl help lists the same commands in the same order"

# The rendered COMMANDS section, as one line of single-spaced words.
mandoc -Tutf8 "$MAN" | col -bx |
    awk '/^COMMANDS$/ { on = 1; next } on && /^[A-Z]/ { exit } on' |
    tr -s ' \n' '  ' >"$T_DIR/commands"
while read -r usage; do
	if grep -qF -- " $usage " "$T_DIR/commands"; then
		ok 0 "ssectl.1 documents: $usage"
	else
		ok 1 "ssectl.1 documents: $usage"
	fi
done <"$T_DIR/usage"

# The heads of the top-level list of COMMANDS, in the mdoc source.
awk '
/^\.Sh COMMANDS/ { on = 1; next }
on && /^\.Sh / { exit }
!on { next }
/^\.Bl / { depth++; next }
/^\.El/ { depth--; next }
depth == 1 && /^\.It Cm / { print $3; next }
depth == 1 && /^\.It Xo/ { xo = 1; next }
xo && /^\.Cm / { print $2; xo = 0 }
' "$MAN" >"$T_DIR/man.names"
is "$(tr '\n' ' ' <"$T_DIR/man.names")" "$(tr '\n' ' ' <"$T_DIR/table.names")" \
    "ssectl.1 has one entry per command, in the table's order"

out=$(mandoc -Tlint -Wwarning "$MAN" "$MANDIR/ssed-control.7" 2>&1); rc=$?
is "$rc$out" "0" "ssectl.1 and ssed-control.7 lint clean"
done_testing

#!/bin/sh
# auth_keys.sh: public-key tokens (RS256, ES256) verify; the key-confusion
# attack (an HS256 token whose HMAC secret is the public key's PEM text)
# and an algorithm from the other family are refused; a --jwt-key that is
# no RSA or EC public key stops the start or the reload; with no key at
# all ssed generates an HS256 secret, mode 0600, and says where.
. "$(dirname "$0")/lib.sh"
MKJWT="$top_builddir/tests/tools/mkjwt"
now=$(date +%s)
claims="{\"sub\":\"alice\",\"exp\":$((now + 600)),\"sse\":{\"subscribe\":[\"*\"]}}"

openssl genrsa -out "$T_DIR/rsa.pem" 2048 2>/dev/null
openssl rsa -in "$T_DIR/rsa.pem" -pubout -out "$T_DIR/rsa.pub" 2>/dev/null
openssl genrsa -out "$T_DIR/other.pem" 2048 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/ec.pem" 2>/dev/null
openssl ec -in "$T_DIR/ec.pem" -pubout -out "$T_DIR/ec.pub" 2>/dev/null

code() { curl -s -m 1 -o "$T_DIR/body" -w '%{http_code}' -H "Authorization: Bearer $1" "$BASE/sse/updates/t"; }

start_ssed --jwt-key "$T_DIR/rsa.pub" || exit 1
is "$(code "$("$MKJWT" RS256 "$T_DIR/rsa.pem" "$claims")")" 200 "an RS256 token signed with the private key streams"
is "$(code "$("$MKJWT" HS256 "$T_DIR/rsa.pub" "$claims")")" 401 "key confusion: HS256 signed with the public key's PEM is refused"
like "$(cat "$T_DIR/body")" '"code":"INVALID_TOKEN"' "as INVALID_TOKEN"
other=$("$MKJWT" RS256 "$T_DIR/other.pem" "$claims"); rc=$?
is "$rc" 0 "mkjwt signs an RS256 token with another RSA key"
is "$(code "$other")" 401 "a token signed with another key is refused"
like "$(cat "$T_DIR/body")" '"code":"INVALID_TOKEN"' "as INVALID_TOKEN"
is "$(code "$("$MKJWT" none /dev/null "$claims")")" 401 "alg none is refused with a public key too"
out=$("$SSECTL" token --sub x 2>&1); rc=$?
is "$rc" 2 "ssectl token cannot mint without an HMAC key"
like "$out" 'NOT_SUPPORTED' "and says why"
stop_ssed

start_ssed --jwt-key "$T_DIR/ec.pub" || exit 1
is "$(code "$("$MKJWT" ES256 "$T_DIR/ec.pem" "$claims")")" 200 "an ES256 token streams"
stop_ssed

# A --jwt-key that is no RSA or EC public key stops the start, and a
# reload to one is refused: the key in force stays.
echo garbage >"$T_DIR/garbage.pem"
for f in garbage.pem rsa.pem; do
	timeout 10 "$SSED" --listen 127.0.0.1:0 --control "$T_DIR/k.sock" \
	    --state-dir "$T_DIR/state" --jwt-key "$T_DIR/$f" 2>"$T_DIR/k.log"; rc=$?
	is "$rc" 1 "--jwt-key $f: ssed does not start"
	like "$(cat "$T_DIR/k.log")" "$f: not an RSA or EC public key in PEM" "and says why"
done
echo "jwt-key = $T_DIR/rsa.pub" >"$T_DIR/keys.conf"
start_ssed --config "$T_DIR/keys.conf" || exit 1
echo "jwt-key = $T_DIR/garbage.pem" >"$T_DIR/keys.conf"
out=$("$SSECTL" reload 2>&1); rc=$?
is "$rc" 2 "a reload to a --jwt-key that is not a key is refused"
like "$out" 'RELOAD_FAILED' "as RELOAD_FAILED"
like "$(cat "$SSED_LOG")" 'garbage.pem: not an RSA or EC public key' "the log says why"
is "$(code "$("$MKJWT" RS256 "$T_DIR/rsa.pem" "$claims")")" 200 "and the key in force stays"
stop_ssed

# No key: a generated secret.
start_ssed || exit 1
is "$(stat -c %a "$T_DIR/state/jwt.secret")" 600 "the generated secret has mode 0600"
like "$(cat "$SSED_LOG")" "generated a new HS256 secret in $T_DIR/state/jwt.secret" "ssed says where it put it"
is "$(code "$("$MKJWT" HS256 "$T_DIR/state/jwt.secret" "$claims")")" 200 "tokens signed with it are accepted"
stop_ssed
start_ssed || exit 1
unlike=$(grep -c 'generated a new' "$SSED_LOG")
is "$unlike" 0 "a second start reuses the secret"
is "$(code "$("$MKJWT" HS256 "$T_DIR/state/jwt.secret" "$claims")")" 200 "and old tokens stay valid"
stop_ssed
# An empty jwt.secret (a crash while an older ssed wrote it) signed
# nothing: a new secret is made instead of refusing every start.
: >"$T_DIR/state/jwt.secret"
start_ssed || exit 1
like "$(cat "$SSED_LOG")" 'jwt.secret is empty: making a new secret' "an empty secret file is made anew"
is "$(wc -c <"$T_DIR/state/jwt.secret" | tr -d ' ')" 65 "64 hex digits and a newline"
is "$(stat -c %a "$T_DIR/state/jwt.secret")" 600 "mode 0600"
is "$(code "$("$MKJWT" HS256 "$T_DIR/state/jwt.secret" "$claims")")" 200 "tokens signed with it are accepted"
is "$(ls "$T_DIR/state" | grep -c '^jwt\.secret\.')" 0 "no temporary file is left"
done_testing

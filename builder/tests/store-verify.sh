# kiln verify finds corrupted and missing paths, names them, exits 1.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
mkdir good bad gone
echo fine > good/f; echo original > bad/f; echo soon gone > gone/f
g=$($KILN add good); b=$($KILN add bad); x=$($KILN add gone)
[ "$($KILN verify)" = "3 paths ok" ] || fail "fresh store does not verify"

real() { echo "$KILN_STATE_DIR/store/${1#/kiln/store/}"; }
chmod u+w "$(real "$b")/f"
echo tampered > "$(real "$b")/f"
chmod -R u+w "$(real "$x")"; rm -rf "$(real "$x")"

if $KILN verify > out 2>err; then fail "verify passed a corrupted store"; fi
cat out err
grep -qx "corrupted: $b" out || fail "corrupted path not reported"
grep -qx "missing: $x" out || fail "missing path not reported"
grep -q "$g" out && fail "good path reported"

# Per-path verification.
[ "$($KILN verify "$g")" = "1 paths ok" ] || fail "verify of the good path"
if $KILN verify "$b" > out; then fail "verify of the bad path passed"; fi
grep -qx "corrupted: $b" out || fail "verify PATH did not name it"

# A mode change alone (file made executable) changes the NAR: corrupted too.
chmod +x "$(real "$g")/f"
if $KILN verify "$g" > out; then fail "x-bit change not detected"; fi
grep -qx "corrupted: $g" out || fail "x-bit change not named"
echo ok

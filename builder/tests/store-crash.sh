# An add killed between rename and registration (a power cut) leaves no
# valid path; the next run removes the leftover; re-adding works. Also: a
# torn registry line is ignored, and the store lock serialises processes.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p dir/sub; echo payload > dir/sub/f; echo other > other.txt
o=$($KILN add other.txt)

for point in after-rename before-register; do
	rc=0; KILN_TEST_CRASH=$point $KILN add dir > out 2>&1 || rc=$?
	[ "$rc" = 137 ] || fail "$point: add was not killed (rc $rc): $(cat out)"
	# The renamed path is on disk but not registered.
	left=$(ls "$KILN_STATE_DIR/store" | grep -- '-dir$') || fail "$point: nothing was renamed"
	would="/kiln/store/$left"
	if $KILN path-info "$would" 2>err; then fail "$point: unregistered path is valid"; fi
	grep -q "$would" err || fail "path-info error does not name $would"
	# That run (it opened the store) removed the leftover.
	[ ! -e "$KILN_STATE_DIR/store/$left" ] || fail "$point: leftover survived the next run"
	[ "$($KILN verify)" = "1 paths ok" ] || fail "$point: verify after crash"
done

p=$($KILN add dir)
[ "$p" = "$would" ] || fail "re-add gave $p, the crashed add was heading for $would"
[ "$($KILN verify)" = "2 paths ok" ] || fail "verify after re-add"
if command -v nix-store >/dev/null; then
	np=$(nix-store --store "local?root=$SCRATCH/nixroot&store=/kiln/store" --add dir)
	[ "$np" = "$p" ] || fail "nix-store --add says $np"
fi

# A temporary from a crash mid-copy is removed too.
mkdir "$KILN_STATE_DIR/store/.tmp-999-0"; echo x > "$KILN_STATE_DIR/store/.tmp-999-0/f"
chmod 555 "$KILN_STATE_DIR/store/.tmp-999-0"
$KILN verify > /dev/null
[ ! -e "$KILN_STATE_DIR/store/.tmp-999-0" ] || fail "temporary survived"

# A torn last registry record: that path is no longer valid, the rest is.
reg="$KILN_STATE_DIR/db/registry"
size=$(stat -c %s "$reg")
truncate -s $((size - 7)) "$reg"
[ "$($KILN verify)" = "1 paths ok" ] || fail "torn record not ignored"
if $KILN path-info "$p" 2>/dev/null; then fail "torn record still valid"; fi
[ "$(tail -c 1 "$reg" | od -An -c | tr -d ' ')" = '\n' ] || fail "torn bytes not truncated"
[ "$($KILN add dir)" = "$p" ] || fail "re-add after torn record"
[ "$($KILN verify)" = "2 paths ok" ] || fail "verify after re-adding the torn path"

# The lock: a second process waits for the first.
flock "$KILN_STATE_DIR/db/lock" sleep 2 &
sleep 0.3
start=$(date +%s%N)
$KILN verify > /dev/null
waited=$(( ($(date +%s%N) - start) / 1000000 ))
wait
[ "$waited" -ge 1000 ] || fail "verify did not wait for the lock (${waited} ms)"
echo ok

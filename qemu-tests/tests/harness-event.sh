#!/bin/sh
# The harness's `event` step parses KILN-EVENT lines (no VM: the "boot" is a
# shell printing what an installer would print).
set -u
H="$BUILD/qemu-tests/harness"
[ -x "$H" ] || { echo "skipped: $H is not built"; exit 77; }
export QEMU_TESTS_DIR="$SCRATCH/work"
fail=0

cat >guest.sh <<'G'
echo 'kiln-init: installing'
echo '[    3.100] KILN-EVENT {"event":"plan","disk":"/dev/vda","size":21474836480,"wipe":false}'
echo 'KILN-EVENT {"event":"copy","done":50,"total":100,"percent":50}'
echo 'KILN-EVENT {"event":"copy","done":100,"total":100,"percent":100}'
echo 'KILN-EVENT {"event":"done","system":"/kiln/store/abc-web1","disk":"/dev/vda"}'
G
cat >failing.sh <<'G'
echo 'KILN-EVENT {"event":"plan","disk":"/dev/vda"}'
echo 'KILN-EVENT {"event":"failed","reason":"/dev/vda holds ext4 (filesystem) at offset 1080 (0x438)"}'
G
cat >bad.sh <<'G'
echo 'KILN-EVENT {"event":"plan","disk":"/dev/vda"'
G

run() { # NAME EXPECT(pass|fail) STEPS...
	name=$1 want=$2; shift 2
	printf '%s\n' "timeout 20" "$@" >"$name.scn"
	"$H" "$SCRATCH/$name.scn" >"$name.out" 2>&1
	rc=$?
	if { [ "$want" = pass ] && [ $rc != 0 ]; } || { [ "$want" = fail ] && [ $rc = 0 ]; }; then
		echo "FAIL: $name: wanted $want, harness exited $rc"; cat "$name.out"; fail=1
	fi
}

run ok pass "boot sh $SCRATCH/guest.sh" "event plan disk=/dev/vda wipe=false" \
	"event copy percent=100" "event done system=/kiln/store/*-web1 disk=/dev/vda" "exit"
run order fail "boot sh $SCRATCH/guest.sh" "event done" "event plan"
run field fail "boot sh $SCRATCH/guest.sh" "event done disk=/dev/vdb"
run failed-while-done fail "boot sh $SCRATCH/failing.sh" "event done"
grep -q 'the guest reported failed: /dev/vda holds ext4' failed-while-done.out ||
	{ echo "FAIL: the reason is not in the harness output"; cat failed-while-done.out; fail=1; }
run failed-expected pass "boot sh $SCRATCH/failing.sh" "event failed reason=*ext4*0x438*" "exit"
run done-while-failed fail "boot sh $SCRATCH/guest.sh" "event failed"
run malformed fail "boot sh $SCRATCH/bad.sh" "event plan"
grep -q 'malformed event line' malformed.out || { echo "FAIL: malformed not named"; cat malformed.out; fail=1; }
exit $fail

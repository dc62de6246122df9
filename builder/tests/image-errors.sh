# Bad input to `kiln image`: each case is one "kiln: error:" line naming the
# problem, the right exit status (2 for usage and configuration errors, 1 for
# a failed build), and no output or temporary file left behind; an existing
# OUT survives a failed run untouched.
#   --size 10M          too small: says how much is needed (and that much works)
#   --format vmdk, --firmware coreboot, --size abc, no -o    usage errors (2)
#   aarch64 config with --firmware bios                      refused (2)
#   a configuration without a kernel                         refused (2)
#   OUT in a directory that does not exist                   refused (1)
#
# State: $BUILD/image-tests-state, shared by the image-* tests (see
# image-oracles.sh).
set -u
. "$SRC/tools/test-lib.sh"

image_tests_setup
C="$SCRATCH/cfg"
mkdir -p "$C" "$SCRATCH/out"
cp "$dir"/*.cfg "$dir"/kiln.lock "$C/"
cd "$SCRATCH/out" || exit 1

# refused WANT_RC PATTERN ARGS…: kiln image ARGS fails with WANT_RC, one error
# line matching PATTERN, and leaves nothing in $SCRATCH/out
refused() {
	want=$1 pat=$2; shift 2
	"$KILN" image "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr"
	rc=$?
	what="kiln image $*"
	[ "$rc" = "$want" ] || { cat "$SCRATCH/stderr"; fail "$what: exit $rc, want $want"; return; }
	[ "$(wc -l <"$SCRATCH/stderr")" = 1 ] || { cat "$SCRATCH/stderr"; fail "$what: not one error line"; }
	grep -q '^kiln: error: ' "$SCRATCH/stderr" || fail "$what: no 'kiln: error:' line"
	grep -qE "$pat" "$SCRATCH/stderr" || { cat "$SCRATCH/stderr"; fail "$what: error does not match /$pat/"; }
	[ ! -s "$SCRATCH/stdout" ] || fail "$what: printed on stdout: $(cat "$SCRATCH/stdout")"
	left=$(ls -A "$SCRATCH/out")
	[ -z "$left" ] || { fail "$what: left $left behind"; rm -f "$SCRATCH/out/"* "$SCRATCH/out/".[!.]*; }
	ok "$what: exit $rc: $(sed 's/^kiln: error: //' "$SCRATCH/stderr")"
}

refused 1 'too small.*needs at least [0-9]+ MiB' "$C/minimal.cfg" -o disk.img --size 10M
need=$(sed -n 's/.*needs at least \([0-9]*\) MiB.*/\1/p' "$SCRATCH/stderr")
refused 2 'format.*vmdk' "$C/minimal.cfg" -o disk.img --format vmdk
refused 2 'firmware.*coreboot' "$C/minimal.cfg" -o disk.img --firmware coreboot
refused 2 "size.*'abc'" "$C/minimal.cfg" -o disk.img --size abc
refused 2 'usage: kiln image' "$C/minimal.cfg"
refused 2 'aarch64.*UEFI' "$C/minimal-aarch64.cfg" -o disk.img --firmware bios
printf 'system = { name = "nokernel"; arch = "x86_64"; };\npackages = ["busybox-static"];\n' >"$C/nokernel.cfg"
refused 2 'nokernel.cfg.*boot.kernel' "$C/nokernel.cfg" -o disk.img
refused 1 'nonexistent' "$C/minimal.cfg" -o "$SCRATCH/nonexistent/disk.img"

# a failed run leaves an existing OUT as it was; without --force it is never replaced
echo precious >disk.img
"$KILN" image "$C/minimal.cfg" -o disk.img >/dev/null 2>"$SCRATCH/stderr" && fail "kiln image over an existing OUT without --force succeeded"
grep -q "disk.img exists; use --force" "$SCRATCH/stderr" || { cat "$SCRATCH/stderr"; fail "no --force hint for an existing OUT"; }
[ "$(cat disk.img)" = precious ] || fail "kiln image without --force changed the existing OUT"
"$KILN" image "$C/minimal.cfg" -o disk.img --force --size 10M 2>/dev/null && fail "--size 10M over an existing OUT succeeded"
[ "$(cat disk.img)" = precious ] || fail "a failed kiln image changed the existing OUT"
[ "$(ls -A)" = disk.img ] || fail "a failed kiln image over an existing OUT left $(ls -A)"
rm -f disk.img

# the size the error asked for is enough, and a MiB less is not
if [ -n "$need" ]; then
	"$KILN" image "$C/minimal.cfg" -o disk.img --size "${need}M" >/dev/null 2>"$SCRATCH/stderr" ||
		{ cat "$SCRATCH/stderr"; fail "--size ${need}M (what the error asked for) fails"; }
	[ "$(stat -c %s disk.img 2>/dev/null)" = $((need * 1048576)) ] ||
		fail "--size ${need}M gave $(stat -c %s disk.img 2>/dev/null) bytes"
	rm -f disk.img
	refused 1 "needs at least $need MiB" "$C/minimal.cfg" -o disk.img --size "$((need - 1))M"
	ok "--size ${need}M, the size the error names, builds"
fi
[ "$failed" = 0 ] && echo "all image error cases behave"
exit "$failed"

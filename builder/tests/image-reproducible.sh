# The same configuration and lock give a byte-identical image: two `kiln
# image` runs of images/minimal.cfg, the second from another copy of the
# configuration in a different directory, another working directory, TZ,
# umask and locale, and a store built from scratch in a fresh KILN_STATE_DIR
# (so no unpacked package, initrd or bootloader is shared between the two).
# A mismatch names the regions that differ (GPT, each partition) and, for the
# root and the ESP, the superblock fields and files that differ.
# Then `--format qcow2`: `qemu-img check` accepts it, `qemu-img info` says
# qcow2, and `qemu-img compare` finds it identical to the raw image.
#
# State: run 1 uses $BUILD/image-tests-state (shared by the image-* tests,
# see image-oracles.sh); run 2 the test's own fresh KILN_STATE_DIR.
set -u
. "$SRC/tools/test-lib.sh"

fresh_state=$KILN_STATE_DIR
image_tests_setup "the minimal system"
A="$SCRATCH/one" B="$SCRATCH/two/a different place"
mkdir -p "$A/cfg" "$B/cfg"
cp "$dir"/*.cfg "$dir"/kiln.lock "$A/cfg/"
cp "$dir"/*.cfg "$dir"/kiln.lock "$B/cfg/"

(cd "$A" && umask 022 && TZ=UTC LC_ALL=C "$KILN" image cfg/minimal.cfg -o disk.img) >"$A/out" 2>"$A/err" ||
	{ cat "$A/err"; echo "FAIL: kiln image (run 1)"; exit 1; }
(cd "$B" && umask 077 && KILN_STATE_DIR="$fresh_state" TZ=KIR-14 LC_ALL=C.UTF-8 \
	"$KILN" image "$B/cfg/minimal.cfg" -o "$B/disk.img") >"$B/out" 2>"$B/err" ||
	{ cat "$B/err"; echo "FAIL: kiln image (run 2)"; exit 1; }
[ -n "$(ls "$fresh_state/store" 2>/dev/null)" ] || fail "run 2 did not build into its own store"
[ "$(cat "$A/out")" = "$(cat "$B/out")" ] || fail "the system paths differ: $(cat "$A/out") vs $(cat "$B/out")"

# explain IMG1 IMG2: which regions, superblock fields and files differ
explain() {
	sfdisk -d "$1" | sed -n 's/^[^:]*: *start= *\([0-9]*\), *size= *\([0-9]*\),.*name="\([^"]*\)".*/\1 \2 \3/p' >"$SCRATCH/parts"
	total=$(($(stat -c %s "$1") / 512))
	{ echo "0 2048 gpt-primary"; cat "$SCRATCH/parts"; echo "$((total - 33)) 33 gpt-backup"; } |
	while read -r start size name; do
		dd if="$1" bs=512 skip="$start" count="$size" status=none >"$SCRATCH/r1"
		dd if="$2" bs=512 skip="$start" count="$size" status=none >"$SCRATCH/r2"
		cmp -s "$SCRATCH/r1" "$SCRATCH/r2" && continue
		echo "differs: $name (sectors $start+$size), first at byte $(cmp "$SCRATCH/r1" "$SCRATCH/r2" | sed 's/.*byte \([0-9]*\).*/\1/') of it"
		case $name in
		kiln-root)
			dumpe2fs -h "$SCRATCH/r1" 2>/dev/null >"$SCRATCH/h1"
			dumpe2fs -h "$SCRATCH/r2" 2>/dev/null >"$SCRATCH/h2"
			diff "$SCRATCH/h1" "$SCRATCH/h2" | sed 's/^/    superblock: /'
			rm -rf "$SCRATCH/d1" "$SCRATCH/d2"; mkdir "$SCRATCH/d1" "$SCRATCH/d2"
			debugfs -R "rdump / $SCRATCH/d1" "$SCRATCH/r1" 2>/dev/null
			debugfs -R "rdump / $SCRATCH/d2" "$SCRATCH/r2" 2>/dev/null
			diff -rq --no-dereference "$SCRATCH/d1" "$SCRATCH/d2" | sed 's/^/    file: /' | head -20
			for f in / /kiln /kiln/store /kiln/var/profiles /kiln/var/db/registry /boot/grub/grub.cfg; do
				a=$(debugfs -R "stat $f" "$SCRATCH/r1" 2>/dev/null | grep -v checksum)
				b=$(debugfs -R "stat $f" "$SCRATCH/r2" 2>/dev/null | grep -v checksum)
				[ "$a" = "$b" ] || echo "    inode of $f differs"
			done ;;
		esp)
			mdir -/ -a -i "$SCRATCH/r1" :: >"$SCRATCH/m1" 2>&1
			mdir -/ -a -i "$SCRATCH/r2" :: >"$SCRATCH/m2" 2>&1
			diff "$SCRATCH/m1" "$SCRATCH/m2" | sed 's/^/    esp: /' ;;
		esac
	done
}

if cmp -s "$A/disk.img" "$B/disk.img"; then
	ok "byte-identical images ($(stat -c %s "$A/disk.img") bytes, sha256 $(sha256sum <"$A/disk.img" | cut -c1-16)…), different dir, TZ, umask, locale and store"
else
	fail "the two images differ (sha256 $(sha256sum <"$A/disk.img" | cut -c1-16)… vs $(sha256sum <"$B/disk.img" | cut -c1-16)…)"
	explain "$A/disk.img" "$B/disk.img"
fi
rm -f "$B/disk.img"

# qcow2
(cd "$A" && "$KILN" image cfg/minimal.cfg --format qcow2 -o disk.qcow2) >"$A/qout" 2>"$A/qerr" ||
	{ cat "$A/qerr"; fail "kiln image --format qcow2"; }
if [ -f "$A/disk.qcow2" ]; then
	[ "$(cat "$A/qout")" = "$(cat "$A/out")" ] || fail "qcow2 run printed another system path"
	qemu-img check "$A/disk.qcow2" >"$A/check" 2>&1 || { cat "$A/check"; fail "qemu-img check rejects the qcow2 image"; }
	grep -q 'No errors were found' "$A/check" || { cat "$A/check"; fail "qemu-img check found errors"; }
	qemu-img info --output=json "$A/disk.qcow2" >"$A/info"
	grep -q '"format": "qcow2"' "$A/info" || { cat "$A/info"; fail "qemu-img info: not qcow2"; }
	grep -q "\"virtual-size\": $(stat -c %s "$A/disk.img")," "$A/info" ||
		{ cat "$A/info"; fail "qcow2 virtual size differs from the raw image's"; }
	qemu-img compare -f qcow2 -F raw "$A/disk.qcow2" "$A/disk.img" >"$A/cmp" 2>&1 ||
		{ cat "$A/cmp"; fail "qemu-img compare: the qcow2 and raw images differ"; }
	[ -z "$(ls "$A" | grep -e '\.kiln-')" ] || fail "temporaries left: $(ls "$A" | grep -e '\.kiln-')"
	ok "qcow2: qemu-img check clean, format qcow2, same disk as the raw image ($(stat -c %s "$A/disk.qcow2") bytes)"
fi
[ "$failed" = 0 ] && echo "image reproducibility checks passed"
exit "$failed"

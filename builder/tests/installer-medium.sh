# `kiln installer` without a VM: the medium of images/installer.cfg carries
# kiln/installer/manifest (the target system, its bootloader, the rule and
# switches of the installer block), the target's grub.cfg, and both systems'
# closures in its registry; its own grub.cfg boots kiln.mode=install with
# root=PARTUUID= the medium's root partition GUID (sfdisk is the oracle), never
# LABEL=kiln-root; its root is fsck-clean. Refusals: a configuration without
# an installer block (2), no -o (2), nothing left behind.
# State: $BUILD/image-tests-state, shared by the image-* tests.
set -u
failed=0
fail() { echo "FAIL: $*"; failed=1; }
ok() { echo "ok $*"; }

export KILN_STATE_DIR="$BUILD/image-tests-state"
mkdir -p "$KILN_STATE_DIR"
if ! dir=$("$SRC/tools/images-dir" "$BUILD" 2>"$SCRATCH/images-dir.err"); then
	cat "$SCRATCH/images-dir.err"
	if grep -qiE 'could not resolve|temporary failure|failed to fetch|unable to connect|network is unreachable|connection (failed|refused|timed out)' "$SCRATCH/images-dir.err"; then
		echo "skipped: Debian's archive is not reachable (building the minimal systems needs it)"
		exit 77
	fi
	echo "FAIL: cannot build the shipped minimal systems"; exit 1
fi
C="$SCRATCH/cfg"
mkdir -p "$C"
cp "$dir"/*.cfg "$dir"/kiln.lock "$C/"
"$KILN" build "$C/installer.cfg" >/dev/null 2>&1 || "$KILN" lock "$C/installer.cfg" >/dev/null 2>&1

cd "$SCRATCH"
target=$("$KILN" build "$C/minimal.cfg" 2>/dev/null)
installer=$("$KILN" build "$C/installer.cfg" 2>/dev/null)
if out=$("$KILN" installer "$C/installer.cfg" -o medium.img 2>err) && [ "$out" = "$target" ]; then
	ok "kiln installer prints the target system $target"
else
	fail "kiln installer: $(cat err)"; exit 1
fi
[ ! -e medium.img.kiln-tmp ] || fail "temporary file left behind"
guid=$(sfdisk -d medium.img | sed -n 's/.*uuid=\([0-9A-F-]*\), name="kiln-root".*/\1/p')
off=$(( $(sfdisk -d medium.img | sed -n 's/.*start= *\([0-9]*\),.*name="kiln-root".*/\1/p') * 512 ))
[ -n "$guid" ] || fail "no kiln-root partition on the medium"
e2fsck -fn "medium.img?offset=$off" >fsck.log 2>&1 && ok "the medium's root is clean" || fail "e2fsck: $(tail -3 fsck.log)"
rd() { c=$1; shift; "$KILN" debug-ext4 --offset "$off" "$c" medium.img "$@" 2>/dev/null; }
rd cat /kiln/installer/manifest >manifest
for want in "system=$target" "disk=auto" "wipe=0" "after=poweroff" "mode=install" "dry_run=0" \
	"bios=1" "aarch64=0" "efi=EFI/BOOT/BOOTX64.EFI" "grub_cfg=kiln/installer/grub.cfg"; do
	grep -qx "$want" manifest && ok "manifest: $want" || fail "manifest lacks $want"
done
bl=$(sed -n 's/^bootloader=//p' manifest)
rd ls "$bl" | grep -q core.img && ok "the target's bootloader $bl is on the medium" || fail "no $bl/core.img on the medium"
rd cat /kiln/installer/grub.cfg | grep -q "root=LABEL=kiln-root kiln.system=$target " &&
	ok "the target's grub.cfg is on the medium" || fail "kiln/installer/grub.cfg is not the target's"
rd cat /boot/grub/grub.cfg >grub.cfg
lguid=$(echo "$guid" | tr A-F a-f)
grep -q "root=PARTUUID=$lguid kiln.mode=install kiln.system=$installer " grub.cfg &&
	ok "the medium boots kiln.mode=install with root=PARTUUID=$lguid" || fail "medium grub.cfg: $(grep linux grub.cfg)"
! grep -q 'root=LABEL' grub.cfg || fail "the medium's grub.cfg still finds its root by label"
rd cat /kiln/var/db/registry >registry
for p in "$target" "$installer" "$bl"; do
	grep -q "$p" registry && ok "registered: $p" || fail "not in the medium's registry: $p"
done

# refusals
"$KILN" installer "$C/minimal.cfg" -o none.img 2>err; rc=$?
[ $rc = 2 ] && grep -q 'no installer block' err && [ ! -e none.img ] && [ ! -e none.img.kiln-tmp ] &&
	ok "no installer block: exit 2" || fail "no installer block: rc $rc: $(cat err)"
"$KILN" installer "$C/installer.cfg" 2>err; rc=$?
[ $rc = 2 ] && ok "no -o: exit 2" || fail "no -o: rc $rc"
exit $failed

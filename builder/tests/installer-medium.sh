# `kiln installer` without a VM: the medium of images/installer.cfg carries
# kiln/installer/manifest (the target system, its bootloader, the rule and
# switches of the installer block), the target's grub.cfg, and both systems'
# closures in its registry; its own grub.cfg boots kiln.mode=install with
# root=PARTUUID= the medium's root partition GUID (sfdisk is the oracle), never
# LABEL=kiln-root; its root is fsck-clean. Refusals: a configuration without
# an installer block (2), no -o (2), nothing left behind.
# Never confused with a target: the medium's root is labelled kiln-installer
# (ext4 label per blkid -p, GPT name per sfdisk; no kiln-root anywhere on it),
# and the GRUB core images it boots with (core.img in its BIOS boot partition,
# decompressed; BOOTX64.EFI on its ESP, via mtools) search that label, while
# the target's bootloader carried on the medium still searches kiln-root and
# is the very path `kiln image` of the target uses.
# State: $BUILD/image-tests-state, shared by the image-* tests.
set -u
. "$SRC/tools/test-lib.sh"

image_tests_setup
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
sfdisk -d medium.img >medium.sfdisk
guid=$(sed -n 's/.*uuid=\([0-9A-F-]*\), name="kiln-installer".*/\1/p' medium.sfdisk)
off=$(( $(sed -n 's/.*start= *\([0-9]*\),.*name="kiln-installer".*/\1/p' medium.sfdisk) * 512 ))
[ -n "$guid" ] && ok "the medium's root partition is named kiln-installer" ||
	fail "no kiln-installer partition on the medium: $(cat medium.sfdisk)"
! grep -q 'name="kiln-root"' medium.sfdisk || fail "the medium has a partition named kiln-root"
label=$(blkid -p -O "$off" -o value -s LABEL medium.img 2>/dev/null)
[ "$label" = kiln-installer ] && ok "the medium's root filesystem is labelled kiln-installer (blkid -p)" ||
	fail "the medium's root filesystem label is '$label', not kiln-installer"
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
# the GRUB core images: each searches the label of the root it belongs to
search='search --no-floppy --label --set=root'
part_off() { echo $(( $(sed -n "s/.*start= *\([0-9]*\),.*name=\"$1\".*/\1/p" "${2:-medium.sfdisk}") * 512 )); }
# i386-pc core.img: its payload (the modules and the early config) is the
# last <u32 at byte 520> bytes, raw LZMA (lc=3 lp=0 pb=2)
unlzma_core() {
	cs=$(od -An -tu4 -j520 -N4 "$1" | tr -d ' ')
	tail -c "$cs" "$1" | xz -dc --format=raw --lzma1=lc=3,lp=0,pb=2,dict=64KiB 2>/dev/null
}
# the BIOS boot partition of disk $1 (sfdisk dump $2) holds core.img $3
# (its first sector patched with the core's own location)
bios_holds() {
	len=$(stat -c %s "$3")
	cmp -s -i "$(( $(part_off bios-boot "$2") + 512 )):512" -n "$((len - 512))" "$1" "$3"
}
mcopy -n -i "medium.img@@$(part_off esp)" ::EFI/BOOT/BOOTX64.EFI boot.efi 2>mcopy.err ||
	fail "mcopy: $(cat mcopy.err)"
# the shared store can hold older such paths with the same BOOTX64.EFI (a
# build dir from before a recipe change): prefer the one whose core.img the
# BIOS boot partition holds
mbl=
for p in "$KILN_STATE_DIR"/store/*-grub-x86_64-kiln-installer; do
	cmp -s boot.efi "$p/EFI/BOOT/BOOTX64.EFI" || continue
	[ -n "$mbl" ] || mbl=$p
	! bios_holds medium.img medium.sfdisk "$p/core.img" || mbl=$p
done
if [ -n "$mbl" ]; then
	ok "the medium's ESP holds the BOOTX64.EFI of a bootloader path of its own (${mbl##*/})"
	unlzma_core "$mbl/core.img" >core.txt
	grep -qa "$search kiln-installer\$" core.txt && ! grep -qa 'kiln-root' core.txt &&
		ok "its core.img searches kiln-installer" ||
		fail "${mbl##*/}/core.img does not search kiln-installer: $(grep -a "$search" core.txt)"
	grep -qa "$search kiln-installer\$" "$mbl/EFI/BOOT/BOOTX64.EFI" &&
		! grep -qa 'kiln-root' "$mbl/EFI/BOOT/BOOTX64.EFI" &&
		ok "its BOOTX64.EFI searches kiln-installer" || fail "${mbl##*/}/BOOTX64.EFI does not search kiln-installer"
	bios_holds medium.img medium.sfdisk "$mbl/core.img" &&
		ok "the medium's BIOS boot partition holds it" || fail "the medium's BIOS boot partition holds another core.img"
else
	fail "the medium's EFI/BOOT/BOOTX64.EFI is no grub-x86_64-kiln-installer bootloader path's"
fi
# the target's bootloader: kiln-root, the default path `kiln image` uses too
case "$bl" in
*-grub-x86_64) ok "the target's bootloader is the default path ${bl##*/}" ;;
*) fail "the target's bootloader $bl is not the default grub-x86_64 path" ;;
esac
rd cat "$bl/core.img" >target-core.img
unlzma_core target-core.img | grep -qa "$search kiln-root\$" && ok "the target's core.img searches kiln-root" ||
	fail "the target's core.img ($bl) does not search kiln-root"
rd cat "$bl/EFI/BOOT/BOOTX64.EFI" | grep -qa "$search kiln-root\$" &&
	ok "the target's BOOTX64.EFI searches kiln-root" || fail "the target's BOOTX64.EFI does not search kiln-root"
"$KILN" image "$C/minimal.cfg" -o target.img --force >/dev/null 2>image.err || fail "kiln image: $(cat image.err)"
sfdisk -d target.img >target.sfdisk
[ "$(blkid -p -O "$(part_off kiln-root target.sfdisk)" -o value -s LABEL target.img 2>/dev/null)" = kiln-root ] &&
	ok "kiln image of the target still labels its root kiln-root" || fail "kiln image's root is not kiln-root"
bios_holds target.img target.sfdisk target-core.img &&
	ok "kiln image writes the same default core.img" || fail "kiln image's BIOS core is not ${bl##*/}'s"

rd cat /kiln/var/db/registry >registry
for p in "$target" "$installer" "$bl"; do
	grep -q "$p" registry && ok "registered: $p" || fail "not in the medium's registry: $p"
done

# refusals
echo precious >kept.img
"$KILN" installer "$C/installer.cfg" -o kept.img 2>err; rc=$?
[ $rc = 1 ] && grep -q 'kept.img exists; use --force' err && [ "$(cat kept.img)" = precious ] &&
	ok "an existing OUT without --force: refused, untouched" || fail "existing OUT: rc $rc: $(cat err)"
"$KILN" installer "$C/minimal.cfg" -o none.img 2>err; rc=$?
[ $rc = 2 ] && grep -q 'no installer block' err && [ ! -e none.img ] && [ ! -e none.img.kiln-tmp ] &&
	ok "no installer block: exit 2" || fail "no installer block: rc $rc: $(cat err)"
"$KILN" installer "$C/installer.cfg" 2>err; rc=$?
[ $rc = 2 ] && ok "no -o: exit 2" || fail "no -o: rc $rc"
exit $failed

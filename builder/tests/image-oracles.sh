# kiln image of the shipped minimal configurations (x86_64 and aarch64),
# checked without booting, with the standard tools as oracles:
#   GPT        sfdisk -d (partitions, types, names, 1 MiB alignment, no
#              overlap) and sgdisk -v ("No problems found"); protective MBR
#   filesystems blkid -p at each partition offset (vfat ESP; ext4 root with
#              LABEL=kiln-root), e2fsck -fn on the root range, fsck.fat -n on
#              the ESP range (both dd'ed out of the image), no ext4 feature
#              GRUB 2.06 cannot read
#   root       grub.cfg (debugfs) accepted by grub-script-check, its kernel
#              and initrd present; /kiln/store = the closure (`kiln
#              closure`), the registry lists exactly the closure with the
#              host's records, each path's content has the registered NAR
#              hash (nix-hash over a debugfs rdump); modes and mtime 1; the
#              profile links system -> system-1-link -> the printed system
#   boot       EFI/BOOT/BOOT{X64,AA64}.EFI on the ESP (mdir -i img@@off, `file`
#              says PE32+ EFI for the arch); x86_64: the MBR is GRUB's boot.img
#              (0x1FE = 55AA, core sector at 0x5C) and the BIOS boot partition
#              holds core.img (diskboot.img with its blocklist, then
#              lzma_decompress.img), compared with GRUB's own files.
#
# State: KILN_STATE_DIR is $BUILD/image-tests-state, shared by the image-*
# tests (image-errors, image-oracles, image-reproducible) so the ~57 .debs of
# each architecture are unpacked once per build dir, not once per test; the
# store's lock makes sharing safe. Delete the directory to start afresh.
set -u
. "$SRC/tools/test-lib.sh"

image_tests_setup
mkdir -p "$SCRATCH/cfg"
cp "$dir"/*.cfg "$dir"/kiln.lock "$SCRATCH/cfg/"

ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
BIOS_TYPE=21686148-6449-6E6F-744E-656564454649
ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
ROOT_AARCH64=B921B045-1DF0-41C3-AF44-4C6F280D3FAE

# byte I of FILE as two hex digits; u64/u16 little-endian at I
byte() { od -An -tx1 -j"$2" -N1 "$1" | tr -d ' \n'; }
u64() { od -An -tu8 -j"$2" -N8 "$1" | tr -d ' \n'; }
u16() { od -An -tu2 -j"$2" -N2 "$1" | tr -d ' \n'; }
# offsets (0-based) where A and B differ, one per line
diffs() { cmp -l "$1" "$2" 2>/dev/null | awk '{ print $1 - 1 }'; }
# sfdisk -d line of partition N of image I as "start=..,size=..,type=..,name=.."
part() { grep "^$1$2 :" "$W/sfdisk" | sed 's/^[^:]*: *//; s/ //g; s/"//g'; }
field() { echo "$1" | tr ',' '\n' | sed -n "s/^$2=//p"; }
dbg() { debugfs -R "$1" "$W/root.img" 2>/dev/null; }

# check_gpt IMG: partitions in order: "TYPE NAME" words given after IMG
check_gpt() {
	img=$1; shift
	sfdisk -d "$img" >"$W/sfdisk" 2>"$W/sfdisk.err" || { cat "$W/sfdisk.err"; fail "$tag: sfdisk -d"; return 1; }
	grep -qx 'label: gpt' "$W/sfdisk" || fail "$tag: sfdisk: no GPT label"
	lastlba=$(sed -n 's/^last-lba: //p' "$W/sfdisk")
	n=$(grep -c "^$img[0-9]* :" "$W/sfdisk")
	[ "$n" = $(($# / 2)) ] || fail "$tag: $n partitions, want $(($# / 2))"
	i=1 prev_end=0
	while [ $# -ge 2 ]; do
		p=$(part "$img" $i)
		start=$(field "$p" start) size=$(field "$p" size)
		[ "$(field "$p" type)" = "$1" ] || fail "$tag: partition $i type $(field "$p" type), want $1"
		[ "$(field "$p" name)" = "$2" ] || fail "$tag: partition $i name '$(field "$p" name)', want $2"
		[ $((start % 2048)) = 0 ] || fail "$tag: partition $i starts at sector $start, not 1 MiB aligned"
		[ "$start" -ge "$prev_end" ] || fail "$tag: partition $i overlaps its predecessor"
		prev_end=$((start + size))
		v=$(echo "$2" | tr - _)
		eval "start_$v=$start size_$v=$size"
		i=$((i + 1)); shift 2
	done
	[ "$prev_end" -le $((lastlba + 1)) ] || fail "$tag: last partition ends after last-lba $lastlba"
	out=$(sgdisk -v "$img" 2>&1)
	echo "$out" | grep -q 'No problems found' || { echo "$out"; fail "$tag: sgdisk -v"; }
	[ "$(blkid -p -o value -s PTTYPE "$img")" = gpt ] || fail "$tag: blkid: PTTYPE is not gpt"
	[ "$(byte "$img" 510)$(byte "$img" 511)" = 55aa ] || fail "$tag: MBR 0x1FE is not 55AA"
	[ "$(byte "$img" 450)" = ee ] || fail "$tag: MBR partition 1 is not the protective type EE"
	[ "$(stat -c %s "$img")" = $(((lastlba + 34) * 512)) ] ||
		fail "$tag: image size $(stat -c %s "$img") does not end with the backup GPT"
	[ $(($(stat -c %b "$img") * $(stat -c %B "$img"))) -lt "$(stat -c %s "$img")" ] ||
		fail "$tag: the raw image is not sparse"
	ok "$tag: GPT ($n partitions, sfdisk, sgdisk -v, protective MBR)"
}

# check_fs IMG: blkid, e2fsck and fsck.fat on the ESP and root ranges
check_fs() {
	img=$1
	out=$(blkid -p -o export -O $((start_esp * 512)) -S $((size_esp * 512)) "$img")
	echo "$out" | grep -qx 'TYPE=vfat' || { echo "$out"; fail "$tag: blkid at the ESP: not vfat"; }
	out=$(blkid -p -o export -O $((start_kiln_root * 512)) -S $((size_kiln_root * 512)) "$img")
	{ echo "$out" | grep -qx 'TYPE=ext4' && echo "$out" | grep -qx 'LABEL=kiln-root'; } ||
		{ echo "$out"; fail "$tag: blkid at the root: not ext4 LABEL=kiln-root"; }

	dd if="$img" of="$W/root.img" bs=1M skip=$((start_kiln_root / 2048)) count=$((size_kiln_root / 2048)) \
		conv=sparse status=none
	dd if="$img" of="$W/esp.img" bs=1M skip=$((start_esp / 2048)) count=$((size_esp / 2048)) status=none
	e2fsck -fn "$W/root.img" >"$W/e2fsck" 2>&1 || { cat "$W/e2fsck"; fail "$tag: e2fsck -fn on the root"; }
	fsck.fat -n "$W/esp.img" >"$W/fsck.fat" 2>&1 || { cat "$W/fsck.fat"; fail "$tag: fsck.fat -n on the ESP"; }
	grep -q 'file system was modified\|Free cluster summary wrong\|differences' "$W/fsck.fat" &&
		{ cat "$W/fsck.fat"; fail "$tag: fsck.fat -n found problems"; }
	dumpe2fs -h "$W/root.img" >"$W/dumpe2fs" 2>/dev/null
	blocks=$(sed -n 's/^Block count: *//p' "$W/dumpe2fs")
	bsize=$(sed -n 's/^Block size: *//p' "$W/dumpe2fs")
	[ $((blocks * bsize)) -le $((size_kiln_root * 512)) ] || fail "$tag: ext4 is larger than its partition"
	feats=$(sed -n 's/^Filesystem features: *//p' "$W/dumpe2fs")
	for f in orphan_file metadata_csum_seed; do
		case " $feats " in *" $f "*) fail "$tag: ext4 has $f (GRUB 2.06 cannot read it)" ;; esac
	done
	ok "$tag: blkid (vfat, ext4 kiln-root), e2fsck -fn, fsck.fat -n clean"
}

# check_root SYSTEM: grub.cfg, store, registry, profiles
check_root() {
	sys=$1
	dbg 'cat /boot/grub/grub.cfg' >"$W/grub.cfg"
	[ -s "$W/grub.cfg" ] || fail "$tag: no /boot/grub/grub.cfg"
	grub-script-check "$W/grub.cfg" || fail "$tag: grub-script-check rejects grub.cfg"
	grep -q "kiln.system=$sys" "$W/grub.cfg" || fail "$tag: grub.cfg does not boot $sys"
	for what in linux initrd; do
		f=$(sed -n "s/^[[:space:]]*$what[[:space:]]*'\\([^']*\\)'.*/\\1/p" "$W/grub.cfg" | head -1)
		case $f in /kiln/store/*) ;; *) fail "$tag: grub.cfg $what '$f' is not a store path" ;; esac
		dbg "stat $f" | grep -q 'Type: regular' || fail "$tag: grub.cfg's $what $f is not in the image"
	done

	"$KILN" closure "$sys" | sed 's|^/kiln/store/||' | sort >"$W/closure" || fail "$tag: kiln closure"
	dbg 'ls -p /kiln/store' | awk -F/ '$6 != "." && $6 != ".." && NF > 5 { print $6 }' | sort >"$W/store"
	cmp -s "$W/closure" "$W/store" ||
		{ diff "$W/closure" "$W/store"; fail "$tag: /kiln/store differs from kiln closure"; }
	dbg 'cat /kiln/var/db/registry' >"$W/registry"
	awk -F'\t' '{ print $1 }' "$W/registry" | sort -u | grep -qvx R && fail "$tag: registry has non-R records"
	awk -F'\t' '{ sub("^/kiln/store/", "", $2); print $2 }' "$W/registry" | sort >"$W/registered"
	cmp -s "$W/closure" "$W/registered" ||
		{ diff "$W/closure" "$W/registered"; fail "$tag: the image's registry is not exactly the closure"; }
	# each record as the host's store has it (last record of the path wins)
	awk -F'\t' '$1 == "R" { last[$2] = $0 } $1 == "D" { delete last[$2] }
		END { for (p in last) print last[p] }' "$KILN_STATE_DIR/db/registry" | sort >"$W/host-records"
	sort "$W/registry" | comm -23 - "$W/host-records" >"$W/odd"
	[ ! -s "$W/odd" ] || { head -3 "$W/odd"; fail "$tag: registry records differ from the host's"; }
	# content: NAR hash of what the image holds = the registered hash (nix-hash)
	rm -rf "$W/dump"; mkdir "$W/dump"
	dbg "rdump /kiln/store $W/dump" >/dev/null
	(cd "$W/dump/store" && nix-hash --type sha256 --base32 $(cat "$W/closure")) >"$W/nix-hash"
	awk -F'\t' '{ sub("^sha256:", "", $3); print $3 }' "$W/registry" | sort >"$W/want-hash"
	sort "$W/nix-hash" | cmp -s - "$W/want-hash" ||
		fail "$tag: nix-hash of the image's store paths differs from the registry"
	s=$(dbg "stat $sys")
	echo "$s" | grep -q 'Mode:  0555' || fail "$tag: $sys is not mode 0555"
	echo "$s" | grep -q 'mtime: 0x00000001:' || fail "$tag: $sys mtime is not 1"
	s=$(dbg "stat $sys/name")
	echo "$s" | grep -q 'Mode:  0444' || fail "$tag: $sys/name is not mode 0444"
	echo "$s" | grep -q 'User:     0   Group:     0' || fail "$tag: $sys/name is not owned by root"

	s=$(dbg 'stat /kiln/var/profiles/system-1-link')
	echo "$s" | grep -q 'Type: symlink' || fail "$tag: system-1-link is not a symlink"
	echo "$s" | grep -q "link dest: \"$sys\"" || { echo "$s"; fail "$tag: system-1-link does not point at $sys"; }
	s=$(dbg 'stat /kiln/var/profiles/system')
	echo "$s" | grep -q 'link dest: "system-1-link"' || { echo "$s"; fail "$tag: system does not point at system-1-link"; }
	for d in var home root tmp run proc sys dev mnt; do
		dbg "stat /$d" | grep -q 'Type: directory' || fail "$tag: no /$d"
	done
	ok "$tag: grub.cfg, store = closure ($(wc -l <"$W/closure") paths), registry, NAR hashes, profiles"
}

# check_esp IMG EFI_NAME FILE_RE
check_esp() {
	img=$1
	mdir -i "$img@@$((start_esp * 512))" "::/EFI/BOOT/$2" >"$W/mdir" 2>&1 || { cat "$W/mdir"; fail "$tag: no EFI/BOOT/$2 on the ESP"; return; }
	rm -f "$W/efi"
	mcopy -i "$W/esp.img" "::/EFI/BOOT/$2" "$W/efi" || { fail "$tag: mcopy EFI/BOOT/$2"; return; }
	file "$W/efi" | grep -qE "$3" || fail "$tag: EFI/BOOT/$2: $(file "$W/efi")"
	ok "$tag: ESP holds EFI/BOOT/$2 ($(stat -c %s "$W/efi") bytes, PE32+ EFI application)"
}

# check_bios IMG: GRUB's boot.img in the MBR, core.img in the BIOS boot partition
check_bios() {
	img=$1
	v=$(awk '$1 == "package" && $2 == "grub-pc-bin" && $4 == "amd64" { print $3 }' "$SCRATCH/cfg/kiln.lock" | tr : _)
	g=$(ls -d "$KILN_STATE_DIR"/store/*-grub-pc-bin-"$v"/usr/lib/grub/i386-pc 2>/dev/null | head -1)
	[ -n "$g" ] || g=/usr/lib/grub/i386-pc
	dd if="$img" of="$W/mbr" bs=512 count=1 status=none
	# GRUB's code; the BPB (0x03-0x59), core sector (0x5C-0x63), drive check
	# (0x66-0x67) and the partition table (0x1B8-) are the disk's own
	bad=$(diffs "$W/mbr" "$g/boot.img" | awk '!(($1 >= 3 && $1 <= 89) || ($1 >= 92 && $1 <= 99) ||
		$1 == 102 || $1 == 103 || $1 >= 440)' | head -3)
	[ -z "$bad" ] || fail "$tag: MBR differs from $g/boot.img at offsets $bad"
	[ "$(u64 "$W/mbr" 92)" = "$start_bios_boot" ] || fail "$tag: MBR core sector $(u64 "$W/mbr" 92), want $start_bios_boot"
	[ "$(byte "$W/mbr" 102)$(byte "$W/mbr" 103)" = 9090 ] || fail "$tag: MBR 0x66 is not 90 90"

	dd if="$img" of="$W/core" bs=512 skip="$start_bios_boot" count="$size_bios_boot" status=none
	head -c 512 "$W/core" >"$W/core0"
	bad=$(diffs "$W/core0" "$g/diskboot.img" | awk '$1 < 500 || $1 > 509' | head -3)
	[ -z "$bad" ] || fail "$tag: core.img sector 0 differs from diskboot.img at $bad"
	[ "$(u64 "$W/core0" 500)" = $((start_bios_boot + 1)) ] || fail "$tag: core.img blocklist start $(u64 "$W/core0" 500)"
	n=$(u16 "$W/core0" 508)
	[ "$n" -gt 0 ] && [ "$n" -lt "$size_bios_boot" ] || fail "$tag: core.img blocklist count $n"
	l=$(stat -c %s "$g/lzma_decompress.img")
	tail -c +513 "$W/core" | head -c "$l" >"$W/core1"
	bad=$(diffs "$W/core1" "$g/lzma_decompress.img" | awk '$1 < 8 || $1 > 15' | head -3)
	[ -z "$bad" ] || fail "$tag: core.img sector 1 differs from lzma_decompress.img at $bad"
	ok "$tag: MBR is GRUB's boot.img (55AA), core.img ($((n + 1)) sectors) at LBA $start_bios_boot"
}

for arch in x86_64 aarch64; do
	tag=$arch
	W="$SCRATCH/$arch"; mkdir -p "$W"
	case $arch in
	x86_64) cfg=minimal.cfg img=x86_64.img ;;
	aarch64) cfg=minimal-aarch64.cfg img=aarch64.img ;;
	esac
	cd "$W" || exit 1
	if ! "$KILN" image "$SCRATCH/cfg/$cfg" -o "$img" --force >"$W/out" 2>"$W/err"; then
		cat "$W/err"; fail "$arch: kiln image exited non-zero"; continue
	fi
	sys=$(cat "$W/out")
	echo "$sys" | grep -qE '^/kiln/store/[0-9a-df-np-sv-z]{32}-minimal-system$' ||
		{ fail "$arch: kiln image printed '$sys', not a system path"; continue; }
	[ ! -e "$img.kiln-tmp" ] && [ ! -e "$img.kiln-raw" ] || fail "$arch: temporaries left beside the image"
	b=$("$KILN" build "$SCRATCH/cfg/$cfg" 2>/dev/null)
	[ "$b" = "$sys" ] || fail "$arch: kiln image printed $sys, kiln build $b"
	case $arch in
	x86_64)
		check_gpt "$img" $BIOS_TYPE bios-boot $ESP_TYPE esp $ROOT_X86_64 kiln-root || continue
		check_fs "$img"; check_root "$sys"
		check_esp "$img" BOOTX64.EFI 'PE32\+ executable \(EFI application\) x86-64'
		check_bios "$img" ;;
	aarch64)
		check_gpt "$img" $ESP_TYPE esp $ROOT_AARCH64 kiln-root || continue
		check_fs "$img"; check_root "$sys"
		check_esp "$img" BOOTAA64.EFI 'PE32\+ executable \(EFI application\) Aarch64'
		[ "$(od -An -v -tx1 -N440 "$img" | tr -d ' \n' | tr -d 0)" = "" ] ||
			fail "$arch: the MBR carries boot code on a UEFI-only disk" ;;
	esac
	rm -rf "$W/dump" "$W/root.img" "$W/esp.img" "$W/$img"
done
cd "$SCRATCH" || exit 1
[ "$failed" = 0 ] && echo "all image oracles passed"
exit "$failed"

#!/bin/sh
# The FAT writer (lib/fat.c, via `kiln debug-fat`) against dosfstools, blkid
# and mtools: `fsck.fat -n` finds nothing to fix (FAT16 and FAT32), `blkid -p`
# says TYPE=vfat with the label and serial, `mdir`/`mcopy` list and read back
# identical bytes for files of 0 bytes, 1 byte, one cluster, several clusters
# and ~1.5 MB (a GRUB EFI image), long names come back as given, builds are
# byte-identical, fat_overwrite_file round-trips (also on a FAT made by
# mkfs.fat + mcopy), and an ESP inside a GPT image is read at its offset.
set -eu
for tool in fsck.fat mkfs.fat blkid mdir mcopy mtype; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skipped: $tool is not installed, no oracle"
		exit 77
	fi
done
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=0
cd "$SCRATCH"
mkdir src
head -c 1536000 /dev/urandom > src/BOOTX64.EFI   # ~1.5 MB, like grubx64.efi
printf x > src/one
: > src/zero
head -c 2048 /dev/urandom > src/cluster          # exactly one 2 KiB cluster (32 MiB FAT16)
head -c 10001 /dev/urandom > src/several
head -c 1024 /dev/zero | tr '\0' '#' > src/grubenv
printf 'set default=0\n' > src/grub.cfg

FILES="EFI/BOOT/BOOTX64.EFI=src/BOOTX64.EFI EFI/BOOT/ONE.BIN=src/one EFI/BOOT/ZERO=src/zero
EFI/BOOT/CLUSTER.BIN=src/cluster EFI/BOOT/several-clusters.bin=src/several
boot/grub/grubenv=src/grubenv boot/grub/grub.cfg=src/grub.cfg
EFI/kiln/A_Long_Name-with.several.dots=src/one EFI/empty/"

build() { # IMAGE OFFSET SIZE [OPTIONS...]
	img=$1 off=$2 size=$3; shift 3
	# shellcheck disable=SC2086
	"$KILN" debug-fat build --label kiln-esp --volume-id 4b1e0e5f --mtime 1700000000 "$@" \
		"$img" "$off" "$size" $FILES
}

check_fs() { # IMAGE TYPE: fsck, blkid and mtools read-back of a standalone filesystem
	img=$1 type=$2
	fsck.fat -n "$img" > fsck.out 2>&1 || { cat fsck.out; echo "fsck.fat failed on $img"; exit 1; }
	if [ "$(wc -l < fsck.out)" != 2 ]; then # version and summary: nothing else
		cat fsck.out; echo "fsck.fat had remarks on $img"; exit 1
	fi
	blkid -p -o export "$img" > blkid.out
	grep -qx 'TYPE=vfat' blkid.out
	grep -qx 'LABEL=KILN-ESP' blkid.out
	grep -qx 'UUID=4B1E-0E5F' blkid.out
	grep -qx "VERSION=$type" blkid.out
	check_mtools "$img"
}

check_mtools() { # IMAGE[@@OFFSET]
	i=$1
	mtype -i "$i" ::/EFI/BOOT/BOOTX64.EFI | cmp - src/BOOTX64.EFI
	rm -rf back; mkdir back
	mcopy -n -i "$i" ::/EFI/BOOT/ONE.BIN ::/EFI/BOOT/ZERO ::/EFI/BOOT/CLUSTER.BIN \
		::/EFI/BOOT/several-clusters.bin ::/boot/grub/grubenv ::/boot/grub/grub.cfg \
		::/EFI/kiln/A_Long_Name-with.several.dots back/
	cmp back/ONE.BIN src/one
	cmp back/ZERO src/zero
	cmp back/CLUSTER.BIN src/cluster
	cmp back/several-clusters.bin src/several
	cmp back/grubenv src/grubenv
	cmp back/grub.cfg src/grub.cfg
	cmp back/A_Long_Name-with.several.dots src/one
	mdir -i "$i" ::/EFI/BOOT > mdir.out
	grep -Eq '^BOOTX64  EFI +1536000 2023-11-14 +22:13 *$' mdir.out
	grep -Eq '^SEVERA~1 BIN +10001 .* several-clusters\.bin$' mdir.out
	mdir -i "$i" ::/boot/grub | grep -Eq '^GRUBENV +1024 .* grubenv$'
	mdir -i "$i" ::/EFI/empty | grep -q 'Directory for ::/EFI/empty'
}

# FAT16, standalone, built twice (another time zone and umask): byte-identical
build esp.img 0 32M
(umask 077; TZ=Asia/Tokyo build esp2.img 0 32M)
cmp esp.img esp2.img
check_fs esp.img FAT16

# FAT32 forced on 40 MiB (512-byte clusters), and chosen by size at 600 MiB
build esp32.img 0 40M --fat 32
check_fs esp32.img FAT32
build esp600.img 0 600M
check_fs esp600.img FAT32

# in place: same size only; the tools read the new bytes, fsck stays clean
head -c 1024 /dev/zero | tr '\0' 'k' > src/grubenv2
"$KILN" debug-fat overwrite esp.img 0 boot/grub/grubenv src/grubenv2
mtype -i esp.img ::/boot/grub/grubenv | cmp - src/grubenv2
"$KILN" debug-fat overwrite esp32.img 0 EFI/BOOT/BOOTX64.EFI src/BOOTX64.EFI
if "$KILN" debug-fat overwrite esp.img 0 boot/grub/grubenv src/one 2>err; then
	echo "overwrite accepted a different size"; exit 1
fi
grep -q 'differ in size' err
cp src/grubenv2 src/grubenv   # check_fs compares against src/
check_fs esp.img FAT16

# a FAT made by the standard tools (mkfs.fat picks FAT12 here): kiln finds and rewrites
mkfs.fat -C -n KILN-ESP -i 4b1e0e5f foreign.img 4096 >/dev/null
mmd -i foreign.img ::/boot ::/boot/grub
mcopy -i foreign.img src/grubenv ::/boot/grub/grubenv
mcopy -i foreign.img src/several ::/boot/grub/Several-Clusters.bin
"$KILN" debug-fat cat foreign.img 0 BOOT/GRUB/several-clusters.BIN | cmp - src/several
head -c 1024 /dev/zero | tr '\0' 'z' > src/grubenv3
"$KILN" debug-fat overwrite foreign.img 0 boot/grub/grubenv src/grubenv3
mtype -i foreign.img ::/boot/grub/grubenv | cmp - src/grubenv3
fsck.fat -n foreign.img >/dev/null

# inside a GPT disk: ESP at 2 MiB; blkid and mtools read it at its offset, and
# the extracted partition checks clean
"$KILN" debug-gpt write disk.img 64M esp:2M:32M:ESP linux:34M:29M:root
build disk.img 2M 32M
[ "$(stat -c %s disk.img)" = 67108864 ]
"$KILN" debug-gpt read disk.img | grep -q '^disk .* 67108864$'  # GPT intact
blkid -p -O 2097152 -o export disk.img | grep -qx 'LABEL=KILN-ESP'
check_mtools disk.img@@2M
dd if=disk.img of=part.img bs=1M skip=2 count=32 2>/dev/null
fsck.fat -n part.img >/dev/null

# refused: a name FAT cannot hold, a duplicate, too small; nothing written
for bad in 'a?b=src/one' 'x=src/one x=src/one' 'A=src/one a=src/one'; do
	# shellcheck disable=SC2086
	if "$KILN" debug-fat build none.img 0 8M $bad 2>err; then
		echo "accepted: $bad"; exit 1
	fi
	[ ! -s none.img ] || { echo "wrote none.img for: $bad"; exit 1; }
done
if "$KILN" debug-fat build none.img 0 2M big=src/BOOTX64.EFI big2=src/BOOTX64.EFI 2>err; then
	echo "accepted files that do not fit"; exit 1
fi
grep -q 'does not fit' err
echo "fat oracles: ok"

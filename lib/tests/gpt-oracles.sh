#!/bin/sh
# The GPT writer (lib/gpt.c, via `kiln debug-gpt`) against util-linux and gdisk:
# `sfdisk -d` shows exactly the layout asked for (types, starts, sizes, names,
# GUIDs derived from the seed as sha256(seed "\0" purpose), recomputed here with
# sha256sum), `sgdisk -v` finds no problems, `fdisk -l` accepts it, `blkid -p`
# sees PTTYPE=gpt; writing twice is byte-identical; a corrupt primary is read
# from the backup; bad layouts are refused without creating the image; the
# protective MBR is capped at 0xFFFFFFFF sectors on a 3 TiB disk.
set -eu
for tool in sfdisk sgdisk fdisk blkid sha256sum; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skipped: $tool is not installed, no oracle"
		exit 77
	fi
done
cd "$SCRATCH"
SEED=/kiln/store/0123456789abcdfghijklmnpqrsvwxyz-system-web1

# guid SEED PURPOSE: sha256(seed NUL purpose), 16 bytes, version 4, variant 1 (uppercase)
guid() {
	h=$( { printf '%s' "$1"; printf '\000'; printf '%s' "$2"; } | sha256sum | cut -c1-32)
	v=$(printf '%x' $(( (0x$(echo "$h" | cut -c17) & 3) | 8 )))
	g=$(echo "$h" | cut -c1-12)4$(echo "$h" | cut -c14-16)$v$(echo "$h" | cut -c18-32)
	echo "$g" | sed 's/^\(........\)\(....\)\(....\)\(....\)\(............\)$/\1-\2-\3-\4-\5/' |
		tr a-f A-F
}
[ "$("$KILN" debug-gpt guid "$SEED" disk | tr a-f A-F)" = "$(guid "$SEED" disk)" ]

write() {
	"$KILN" debug-gpt write --seed "$SEED" "$1" 128M \
		bios:1M:1M:bios esp:2M:32M:ESP root-x86-64:34M:62M:kiln-root linux:96M:31M:kiln-data
}
mkdir a b
write a/disk.img
write b/disk.img
cmp a/disk.img b/disk.img
write b/disk.img  # rewriting an existing image changes nothing
cmp a/disk.img b/disk.img
[ "$(stat -c %s a/disk.img)" = 134217728 ]

cat > expect <<EOT
label: gpt
label-id: $(guid "$SEED" disk)
device: disk.img
unit: sectors
first-lba: 34
last-lba: 262110
sector-size: 512

disk.img1 : start=        2048, size=        2048, type=21686148-6449-6E6F-744E-656564454649, uuid=$(guid "$SEED" part-1), name="bios"
disk.img2 : start=        4096, size=       65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$(guid "$SEED" part-2), name="ESP"
disk.img3 : start=       69632, size=      126976, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(guid "$SEED" part-3), name="kiln-root"
disk.img4 : start=      196608, size=       63488, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$(guid "$SEED" part-4), name="kiln-data"
EOT
(cd a && sfdisk -d disk.img) > got
diff -u expect got

sgdisk -v a/disk.img > sgdisk.out 2>&1 || { cat sgdisk.out; exit 1; }
grep -q '^No problems found' sgdisk.out || { cat sgdisk.out; exit 1; }

fdisk -l a/disk.img > fdisk.out
grep -q '^Disklabel type: gpt' fdisk.out
grep -Eq 'disk.img1 +2048 +4095 +2048 +1M BIOS boot' fdisk.out
grep -Eq 'disk.img2 +4096 +69631 +65536 +32M EFI System' fdisk.out
grep -Eq 'disk.img3 +69632 +196607 +126976 +62M Linux root \(x86-64\)' fdisk.out
grep -Eq 'disk.img4 +196608 +260095 +63488 +31M Linux filesystem' fdisk.out

blkid -p -o export a/disk.img > blkid.out
grep -qx 'PTTYPE=gpt' blkid.out
grep -qx "PTUUID=$(guid "$SEED" disk | tr A-F a-f)" blkid.out

# protective MBR: one 0xEE entry from LBA 1 over the rest of the disk
[ "$(od -An -tx1 -j 450 -N 1 a/disk.img | tr -d ' ')" = ee ]
[ "$(od -An -tu4 -j 454 -N 8 a/disk.img | tr -s ' ')" = " 1 262143" ]
[ "$(od -An -tx1 -j 510 -N 2 a/disk.img | tr -d ' ')" = 55aa ]

# kiln's own reader agrees, and falls back to the backup when the primary is damaged
"$KILN" debug-gpt read a/disk.img > read.out
head -1 read.out | grep -qx "disk $(guid "$SEED" disk | tr A-F a-f) 134217728"
grep -q "^3 4f68bce3-e8cd-4db1-96e7-fbcaf984b709 $(guid "$SEED" part-3 | tr A-F a-f) 35651584 65011712 0x0 kiln-root\$" read.out
cp a/disk.img broken.img
printf 'garbage!' | dd of=broken.img bs=1 seek=600 conv=notrunc 2>/dev/null
sgdisk -v broken.img > sgdisk2.out 2>&1 || true
grep -q '^Main header: ERROR' sgdisk2.out || { cat sgdisk2.out; echo "sgdisk saw no damage"; exit 1; }
grep -q '^Backup header: OK' sgdisk2.out
"$KILN" debug-gpt read broken.img > read2.out
head -1 read2.out | grep -q ' primary-bad$'
tail -n +2 read.out > parts1; tail -n +2 read2.out > parts2
diff -u parts1 parts2

# bad layouts: refused, exit 1, nothing created
for part in esp:2M+512:32M esp:2560K:32M:x esp:2M:0 esp:0:32M esp:2M:200M esp:127M:1M \
	    "esp:2M:1M:0123456789012345678901234567890123456"; do
	part=$(echo "$part" | sed 's/2M+512/2097664/')
	rm -f bad.img
	if "$KILN" debug-gpt write bad.img 128M "$part" 2>err; then
		echo "accepted a bad partition: $part"; exit 1
	fi
	[ ! -e bad.img ] || { echo "left bad.img behind for $part"; exit 1; }
	[ "$(wc -l < err)" = 1 ] || { cat err; exit 1; }
done
if "$KILN" debug-gpt write bad.img 128M esp:2M:32M esp:33M:1M 2>err; then
	echo "accepted overlapping partitions"; exit 1
fi
[ ! -e bad.img ]

# a 3 TiB (sparse) disk: the protective entry is capped at 0xFFFFFFFF sectors
"$KILN" debug-gpt write --seed "$SEED" big.img 3T linux:1M:2T:big
[ "$(od -An -tx1 -j 458 -N 4 big.img | tr -d ' ')" = ffffffff ]
sgdisk -v big.img | grep -q '^No problems found'
sfdisk -d big.img | grep -q 'start=        2048, size=  4294967296, type=0FC63DAF'
echo "gpt oracles: ok"

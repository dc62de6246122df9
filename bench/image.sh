#!/bin/sh
# `kiln image` of images/minimal.cfg (x86_64, BIOS+UEFI) with every package,
# the initrd and the bootloader already in the store, against the standard
# tools building the same disk from the same tree, measured in one run,
# interleaved, median of RUNS rounds:
#   mke2fs -d     mke2fs -t ext4 -b 4096 -d TREE of the image's root tree
#                 (the closure under kiln/store, profiles, registry, grub.cfg)
#                 into a file of the root partition's size, against kiln's root
#                 phase ("writing root" to "writing esp" on its stderr)
#                                                goal: kiln/mke2fs <= 1.00
#   pipeline      the FACTS.md tool pipeline, every step each time: the tree
#                 (cp -a of the closure), mke2fs -d, the ESP (mkfs.fat +
#                 mcopy), GRUB core images (grub-mkimage i386-pc, x86_64-efi),
#                 the GPT (sfdisk) and dd of everything into the disk; kiln
#                 reuses its store paths, which is the point of a store
#   genimage      Debian's genimage making the equivalent partitioned image
#                 (GPT: BIOS boot, ESP, ext4 root) from the same tree
#                                                goal: genimage/kiln >= 3.0
# Store: $BUILD/image-tests-state (shared with the image-* tests);
# KILN_STATE_DIR overrides it.
set -u
RUNS=${RUNS:-5}
. "$SRC/tools/bench-lib.sh"
bench_images_setup
cfg="$dir/minimal.cfg"
cd "$SCRATCH" || exit 1
STORE="$KILN_STATE_DIR/store"

# a first image: warms the store and the page cache, gives the layout
"$KILN" image "$cfg" -o k.img --force >sys 2>/dev/null || { echo "FAIL: kiln image"; exit 1; }
sys=$(cat sys)
"$KILN" closure "$sys" | sed 's|^/kiln/store/||' >closure
sfdisk -d k.img | grep -v '^device:' | sed 's/^[^ ]* : //' >layout
part() { sed -n "/name=\"$1\"/s/.*$2= *\([0-9]*\).*/\1/p" layout; }
root_sectors=$(part kiln-root size) esp_sectors=$(part esp size)
root_start=$(part kiln-root start) esp_start=$(part esp start) bios_start=$(part bios-boot start)
disk_bytes=$(stat -c %s k.img)
off=$((root_start * 512))
debugfs -R 'cat /kiln/var/db/registry' "k.img?offset=$off" >registry 2>/dev/null
debugfs -R 'cat /boot/grub/grub.cfg' "k.img?offset=$off" >grub.cfg 2>/dev/null
mkdir -p in/EFI/BOOT
mcopy -n -i "k.img@@$((esp_start * 512))" ::/EFI/BOOT/BOOTX64.EFI in/EFI/BOOT/BOOTX64.EFI
dd if=k.img of=in/core.img bs=512 skip="$bios_start" count=2048 status=none
printf 'search --no-floppy --label --set=root kiln-root\nset prefix=($root)/boot/grub\n' >early.cfg

# make_tree DIR: the root tree as kiln lays it out
make_tree() {
	mkdir -p "$1/kiln/store" "$1/kiln/var/profiles" "$1/kiln/var/db" "$1/boot/grub"
	for p in $(cat closure); do cp -a "$STORE/$p" "$1/kiln/store/"; done
	for d in var home root tmp run proc sys dev mnt etc; do mkdir -p "$1/$d"; done
	ln -s "$sys" "$1/kiln/var/profiles/system-1-link"
	ln -s system-1-link "$1/kiln/var/profiles/system"
	cp registry "$1/kiln/var/db/registry"; cp grub.cfg "$1/boot/grub/grub.cfg"
}
mkfs_root() {
	rm -f "$2"
	mke2fs -q -F -t ext4 -b 4096 -L kiln-root -O ^orphan_file,^metadata_csum_seed \
		-E root_owner=0:0 -d "$1" "$2" "$((root_sectors / 8))" 2>/dev/null ||
	mke2fs -q -F -t ext4 -b 4096 -L kiln-root -E root_owner=0:0 -d "$1" "$2" "$((root_sectors / 8))"
}
make_tree tree

pipeline() {
	rm -rf P; mkdir P
	make_tree P/tree
	mkfs_root P/tree P/root.ext4 || return 1
	grub-mkimage -O i386-pc -p /boot/grub -c early.cfg -o P/core.img \
		biosdisk part_gpt ext2 search normal linux echo test loadenv serial terminal || return 1
	grub-mkimage -O x86_64-efi -p /boot/grub -c early.cfg -o P/BOOTX64.EFI \
		part_gpt ext2 fat search normal linux echo test loadenv serial terminal || return 1
	mkfs.fat -C -n KILN-ESP --invariant P/esp.vfat $((esp_sectors / 2)) >/dev/null || return 1
	mmd -i P/esp.vfat ::/EFI ::/EFI/BOOT && mcopy -i P/esp.vfat P/BOOTX64.EFI ::/EFI/BOOT/ || return 1
	truncate -s "$disk_bytes" P/disk.img
	sfdisk -q P/disk.img <layout >/dev/null || return 1
	dd if=/usr/lib/grub/i386-pc/boot.img of=P/disk.img bs=440 count=1 conv=notrunc status=none
	dd if=P/core.img of=P/disk.img bs=512 seek="$bios_start" conv=notrunc status=none
	dd if=P/esp.vfat of=P/disk.img bs=1M seek=$((esp_start / 2048)) conv=notrunc,sparse status=none
	dd if=P/root.ext4 of=P/disk.img bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse status=none
	sync -f P/disk.img
}

have_genimage=false
if command -v genimage >/dev/null; then
	have_genimage=true
	cat >genimage.cfg <<EOF
image esp.vfat {
	vfat {
		label = "KILN-ESP"
		files = { "EFI" }
	}
	size = $((esp_sectors * 512))
}
image root.ext4 {
	ext4 {
		label = "kiln-root"
		use-mke2fs = true
		extraargs = "-b 4096"
	}
	size = $((root_sectors * 512))
}
image disk.img {
	hdimage {
		partition-table-type = "gpt"
	}
	partition bios-boot {
		image = "core.img"
		partition-type-uuid = "21686148-6449-6e6f-744e-656564454649"
		offset = $((bios_start * 512))
	}
	partition esp {
		image = "esp.vfat"
		partition-type-uuid = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
		offset = $((esp_start * 512))
	}
	partition kiln-root {
		image = "root.ext4"
		partition-type-uuid = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
		offset = $((root_start * 512))
	}
}
EOF
fi
run_genimage() {
	rm -rf G; mkdir -p G/out
	genimage --rootpath tree --tmppath G/tmp --inputpath in --outputpath G/out --config genimage.cfg \
		>G/log 2>&1 || { tail -5 G/log; return 1; }
	sync -f G/out/disk.img
}

now() { date +%s%N; }
# timeone FILE CMD…: appends the wall time of CMD in ms to FILE
timeone() {
	out=$1; shift
	t0=$(now); "$@" >/dev/null || { echo "FAIL: $*"; return 1; }; t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", ($2 - $1) / 1e6 }' >>"$out"
}
# kiln_image: the whole run into t.kiln, its root phase into t.kroot
kiln_image() {
	t0=$(now)
	"$KILN" image "$cfg" -o k.img --force 2>&1 >/dev/null | while IFS= read -r l; do echo "$(now) $l"; done >stamps
	t1=$(now)
	[ -s k.img ] && grep -q 'writing esp' stamps || { cat stamps; echo "FAIL: kiln image"; return 1; }
	echo "$t0 $t1" | awk '{ printf "%.1f\n", ($2 - $1) / 1e6 }' >>t.kiln
	awk '/writing root/ { a = $1 } /writing esp/ { b = $1 } END { printf "%.1f\n", (b - a) / 1e6 }' stamps >>t.kroot
}
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >t.kiln; : >t.kroot; : >t.mke2fs; : >t.pipe; : >t.gen
i=0
while [ $i -lt "$RUNS" ]; do
	kiln_image || exit 1
	timeone t.mke2fs mkfs_root tree r.ext4 || exit 1
	timeone t.pipe pipeline || exit 1
	if $have_genimage; then timeone t.gen run_genimage || exit 1; fi
	if [ $i = 0 ]; then
		# the baselines made what kiln makes: a valid GPT, ext4 kiln-root, FAT ESP
		for d in P/disk.img $($have_genimage && echo G/out/disk.img); do
			sgdisk -v "$d" | grep -q 'No problems found' || { echo "FAIL: $d: sgdisk -v"; exit 1; }
			dd if="$d" of=check.ext4 bs=1M skip=$((root_start / 2048)) count=$((root_sectors / 2048)) \
				conv=sparse status=none
			e2fsck -fn check.ext4 >/dev/null 2>&1 || { echo "FAIL: $d: e2fsck -fn"; exit 1; }
			debugfs -R "stat $sys/name" check.ext4 2>/dev/null | grep -q 'Type: regular' ||
				{ echo "FAIL: $d: the closure is missing"; exit 1; }
			[ "$(blkid -p -o value -s TYPE -O $((esp_start * 512)) "$d")" = vfat ] ||
				{ echo "FAIL: $d: no FAT ESP"; exit 1; }
			rm -f check.ext4
		done
	fi
	i=$((i + 1))
done
rm -rf P G r.ext4

used=$(debugfs -R stats "k.img?offset=$off" 2>/dev/null | awk '/^Block count:/ { n = $3 } /^Free blocks:/ { f = $3 }
	/^Block size:/ { b = $3 } END { printf "%.1f", (n - f) * b / 1048576 }')
echo "minimal x86_64: $(wc -l <closure) store paths, disk $((disk_bytes >> 20)) MiB, root $((root_sectors / 2048)) MiB, $used MiB used in the root"
k=$(median t.kiln) kr=$(median t.kroot) m=$(median t.mke2fs) p=$(median t.pipe)
echo "$k $kr $m $p" | awk -v runs="$RUNS" '{
	printf "kiln image (warm store)      %8.1f ms  (median of %d)\n", $1, runs
	printf "  of which the root fs       %8.1f ms\n", $2
	printf "mke2fs -d of the same tree   %8.1f ms\n", $3
	printf "tool pipeline (FACTS.md)     %8.1f ms  pipeline/kiln %.2fx\n", $4, $4 / $1
	r = $2 / $3
	printf "image root-fs kiln/mke2fs -d %.2f (goal <= 1.00) %s\n", r, (r <= 1.0 ? "PASS" : "MISS")
}'
if $have_genimage; then
	g=$(median t.gen)
	echo "$k $g" | awk '{
		printf "genimage                     %8.1f ms\n", $2
		r = $2 / $1
		printf "image genimage/kiln %.2fx faster (goal >= 3.00) %s\n", r, (r >= 3.0 ? "PASS" : "MISS")
	}'
else
	echo "note: genimage is not installed (make deps installs it); no genimage ratio"
fi

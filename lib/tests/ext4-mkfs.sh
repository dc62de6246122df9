#!/bin/sh
# lib/ext4: a filesystem made at an offset inside a bigger file, checked by
# the standard tools: e2fsck -fn, dumpe2fs -h, debugfs rdump (diff -r against
# the fixture), blkid -p; bytes outside the range untouched; byte-identical
# twice (other directory, TZ, umask); rootless through setpriv.
set -eu
for t in e2fsck dumpe2fs debugfs blkid; do
	command -v $t >/dev/null || { echo "skipped: $t not installed"; exit 77; }
done
cd "$SCRATCH"
OFF=3145728 SIZE=67108864   # 3 MiB in, 64 MiB long
UUID=0b0b6f3e-5c1a-4c1e-9a41-7d2e1f00c0de SEED=5eed5eed-0000-4000-8000-00000000beef
OPTS="--offset $OFF --size $SIZE --uuid $UUID --hash-seed $SEED --label kiln-root --timestamp 1700000000"

mkfix() {   # a fixture tree with every kind of entry
	mkdir -p "$1/sub/deeper/deepest" "$1/empty" "$1/with space" "$1/ünï cødé"
	printf 'hello\n' >"$1/a.txt"
	: >"$1/zero"
	head -c 3145728 /dev/zero | tr '\0' 'k' >"$1/sub/three-mib"
	awk 'BEGIN { for (i = 0; i < 300000; i++) printf "%d\n", i * 7919 }' >"$1/sub/deeper/numbers"
	head -c 4097 /dev/zero | tr '\0' 'q' >"$1/sub/deeper/deepest/4097"
	printf '#!/bin/sh\necho hi\n' >"$1/sub/run.sh"; chmod 755 "$1/sub/run.sh"
	printf 'secret\n' >"$1/sub/setuid"; chmod 4755 "$1/sub/setuid"
	printf 'x\n' >"$1/with space/file ✓"
	ln -s a.txt "$1/short"
	ln -s "/kiln/store/00000000000000000000000000000000-$(printf '%060d' 0)/bin/sh" "$1/long"
	ln -s ../../a.txt "$1/sub/deeper/up"
	for i in $(seq 1 150); do : >"$1/sub/many-$i"; done
	# a directory of several blocks, names of every length from 1 to 60
	mkdir "$1/big"
	for i in $(seq 1 600); do : >"$1/big/$(printf '%0*d' $((i % 60 + 1)) "$i")"; done
	chmod 700 "$1/sub/deeper"
}

mkimg() {   # mkimg IMG: the fs inside a 72 MiB file whose other bytes are 0xAA
	head -c $((OFF + SIZE + 5242880)) /dev/zero | tr '\0' '\252' >"$1"
	$KILN debug-ext4 $OPTS mkfs "$1" fix
}

mkfix fix
mkimg disk.img
dd if=disk.img of=part.img bs=1M skip=3 count=64 status=none

e2fsck -fn part.img
dumpe2fs -h part.img >super.txt 2>/dev/null
grep -q '^Filesystem volume name: *kiln-root$' super.txt
grep -q "^Filesystem UUID: *$UUID\$" super.txt
grep -q "^Directory Hash Seed: *$SEED\$" super.txt
grep -q '^Filesystem created: .*2023' super.txt
grep -q '^Block size: *4096$' super.txt
features=$(sed -n 's/^Filesystem features: *//p' super.txt | tr ' ' '\n' | sort | tr '\n' ' ')
want="64bit dir_index dir_nlink ext_attr extent extra_isize filetype flex_bg has_journal huge_file large_file metadata_csum resize_inode sparse_super "
[ "$features" = "$want" ] || { echo "features: $features"; echo "wanted:   $want"; exit 1; }
grep -q 'orphan_file\|metadata_csum_seed' super.txt && exit 1
grep -q '^Journal backup: *inode blocks' super.txt

blkid -p -O $OFF disk.img >blkid.txt
grep -q 'TYPE="ext4"' blkid.txt && grep -q 'LABEL="kiln-root"' blkid.txt && grep -q "UUID=\"$UUID\"" blkid.txt

# contents, modes (setuid dropped) and link targets as debugfs reads them
mkdir out
debugfs -R 'rdump / out' part.img 2>/dev/null
[ -d out/lost+found ] && rmdir out/lost+found
chmod 755 fix/sub/setuid
diff -r --no-dereference fix out
[ "$(cd out && find . -printf '%M %p\n' | sort)" = "$(cd fix && find . -printf '%M %p\n' | sort)" ]
debugfs -R 'stat /sub/setuid' part.img 2>/dev/null | grep -q 'Mode:  0755'
debugfs -R 'stat /long' part.img 2>/dev/null | grep -q 'EXTENTS'          # slow symlink
debugfs -R 'stat /short' part.img 2>/dev/null | grep -q 'Fast link dest: "a.txt"'
debugfs -R 'stat /lost+found' part.img 2>/dev/null | grep -q 'Mode:  0700.*' 
debugfs -R 'stat /lost+found' part.img 2>/dev/null | grep -q 'Size: 16384'
# every time is the timestamp (0x6553f100)
! debugfs -R 'stat /sub/deeper/numbers' part.img 2>/dev/null | grep 'time:' | grep -v 0x6553f100

# the bytes around the range are untouched
[ "$(head -c $OFF disk.img | tr -d '\252' | wc -c)" = 0 ]
[ "$(tail -c 5242880 disk.img | tr -d '\252' | wc -c)" = 0 ]

# byte-identical from the same inputs, elsewhere, other TZ and umask
mkdir again && cd again && umask 077 && mkfix fix && chmod 755 fix fix/sub fix/big fix/empty fix/sub/deeper/deepest "fix/with space" "fix/ünï cødé" && chmod 644 fix/a.txt fix/zero fix/sub/three-mib fix/sub/deeper/numbers fix/sub/deeper/deepest/4097 "fix/with space/file ✓" fix/sub/many-* fix/big/* && TZ=Pacific/Kiritimati mkimg disk.img && cd ..
cmp disk.img again/disk.img

# rootless: an unprivileged user makes the same bytes in a file it owns
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true 2>/dev/null; then
	echo "rootless part skipped: uid 65534 cannot run /bin/true here (/ is $(stat -c %A /)); builder/tests/image-rootless.sh says the same"
elif [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p nobody && cp -a again/fix nobody/ && chown -R 65534:65534 nobody
	# the build tree may sit below a directory nobody cannot enter (/root):
	# nobody runs a copy of the CLI from the scratch directory
	chmod 755 "$SCRATCH" && cp "$KILN" "$SCRATCH/kiln-copy" && chmod 755 "$SCRATCH/kiln-copy"
	cd nobody
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "
		head -c $((OFF + SIZE + 5242880)) /dev/zero | tr '\0' '\252' >disk.img &&
		$SCRATCH/kiln-copy debug-ext4 $OPTS mkfs disk.img fix" || { echo "rootless mkfs failed"; exit 1; }
	cmp disk.img ../disk.img
	cd ..
fi
echo ok

#!/bin/sh
# lib/ext4 on an existing filesystem (what kiln switch and gc do): add a tree,
# replace a symlink atomically, rewrite a file, remove trees; e2fsck -fn stays
# clean, removed blocks and inodes are free again (dumpe2fs counts), and the
# byte counter reports small writes for small changes.
set -eu
for t in e2fsck dumpe2fs debugfs; do
	command -v $t >/dev/null || { echo "skipped: $t not installed"; exit 77; }
done
cd "$SCRATCH"
OFF=1048576
E="$KILN debug-ext4 --offset $OFF --timestamp 1700000500"
check() {   # e2fsck -fn on the extracted range; prints "free_blocks free_inodes"
	dd if=disk.img of=part.img bs=1M skip=1 status=none
	e2fsck -fn part.img >fsck.log 2>&1 || { cat fsck.log; echo "e2fsck: $1"; exit 1; }
	dumpe2fs -h part.img 2>/dev/null | awk '/^Free blocks:/ { b = $3 } /^Free inodes:/ { i = $3 } END { print b, i }'
}

mkdir -p gen1/bin gen2/bin gen2/share/doc
printf 'one\n' >gen1/bin/hello; chmod 755 gen1/bin/hello
printf 'two\n' >gen2/bin/hello; chmod 755 gen2/bin/hello
head -c 2000000 /dev/zero | tr '\0' 'd' >gen2/share/doc/big
for i in $(seq 1 200); do printf '%s\n' $i >gen2/share/doc/f$i; done

$KILN debug-ext4 --offset $OFF --size 64M --uuid 6b696c6e-0000-4000-8000-000000000001 \
	--timestamp 1700000000 mkfs disk.img
$E mkdir disk.img /kiln/store
$E mkdir disk.img /kiln/var/profiles
$E cp disk.img gen1 /kiln/store/aaaa-gen1
$E ln disk.img /kiln/store/aaaa-gen1 /kiln/var/profiles/system-1-link
$E ln disk.img system-1-link /kiln/var/profiles/system
printf 'menuentry one\n' | $E write disk.img /grub.cfg
before=$(check "after generation 1")

# generation 2: new paths, a new link, the profile switched atomically
$E cp disk.img gen2 /kiln/store/bbbb-gen2
$E ln disk.img /kiln/store/bbbb-gen2 /kiln/var/profiles/system-2-link
$E --force --stats ln disk.img system-2-link /kiln/var/profiles/system >stats.txt
printf 'menuentry one\nmenuentry two\n' | $E write disk.img /grub.cfg
[ "$($E readlink disk.img /kiln/var/profiles/system)" = system-2-link ]
[ "$($E cat disk.img /kiln/var/profiles/system/bin/hello)" = two ]
[ "$($E cat disk.img /grub.cfg | wc -l)" = 2 ]
$E ls disk.img /kiln/var/profiles >ls.txt
[ "$(cat ls.txt)" = "l system
l system-1-link
l system-2-link" ] || { cat ls.txt; exit 1; }
check "after generation 2" >/dev/null
debugfs -R 'ls /kiln/var/profiles' part.img 2>/dev/null | grep -q kiln-new && { echo "temporary name left"; exit 1; }
# a symlink switch writes a few metadata blocks, not the tree
written=$(sed -n 's/^written \([0-9]*\) .*/\1/p' stats.txt)
[ "$written" -gt 0 ] && [ "$written" -lt 262144 ] || { echo "switch wrote $written bytes"; exit 1; }

# a replace over a directory is refused and changes nothing
if $E --force ln disk.img x /kiln/store 2>err.txt; then exit 1; fi
grep -q 'Is a directory' err.txt

# gc: generation 2 removed again, the free counts come back exactly
$E --force ln disk.img system-1-link /kiln/var/profiles/system
$E rm disk.img /kiln/var/profiles/system-2-link
$E rm disk.img /kiln/store/bbbb-gen2
printf 'menuentry one\n' | $E write disk.img /grub.cfg
after=$(check "after gc")
[ "$before" = "$after" ] || { echo "free blocks/inodes before $before, after gc $after"; exit 1; }
$E rm disk.img /kiln/store/does-not-exist   # rm -rf: missing is fine
[ "$($E cat disk.img /kiln/var/profiles/system/bin/hello)" = one ]

# a read-only look changes no byte
sum=$(sha256sum disk.img)
$E ls disk.img / >/dev/null; $E stat disk.img /grub.cfg >/dev/null; $E df disk.img >/dev/null
[ "$(sha256sum disk.img)" = "$sum" ]
# an image without ext4 at that offset is a clear error
if $KILN debug-ext4 --offset 0 ls disk.img / 2>err.txt; then exit 1; fi
grep -q 'cannot open the filesystem at offset 0: Wrong medium type' err.txt
# a filesystem whose journal needs replaying is not edited (read-only is fine)
$KILN debug-ext4 --size 16M mkfs r.img
debugfs -w -R 'feature needs_recovery' r.img 2>/dev/null
sum=$(sha256sum r.img)
if $KILN debug-ext4 mkdir r.img /x 2>err.txt; then exit 1; fi
grep -q 'Structure needs cleaning' err.txt
$KILN debug-ext4 ls r.img / | grep -q lost+found
[ "$(sha256sum r.img)" = "$sum" ]
echo ok

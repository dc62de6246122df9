#!/bin/sh
# Two fatal paths, each must say why and power the VM off by itself after
# 10 s — PID 1 never hangs or panics silently:
#  1. a root that never appears: the init waits kiln.roottimeout seconds and
#     names the block devices it saw;
#  2. a root e2fsck -p cannot repair (its root inode cleared): e2fsck's exit
#     code and meaning, and the root is not mounted.
set -eu
. "$SRC/initrd/tests/fixtures.inc"

need qemu-system-x86_64 mke2fs debugfs dpkg-deb apt-get timeout bc
INIT="$BUILD/initrd/init-x86_64"
[ -x "$INIT" ] || skip "$INIT is not built (make tests builds it)"
KTREE=$(kernel_tree amd64) || skip "cannot download the cloud kernel for amd64 (apt-get download)"

mkdir root
mke2fs -q -t ext4 -L other-label -d root root.img 16M
"$KILN" debug-initrd --init "$INIT" --kernel-tree "$KTREE" -o initrd.img

qemu_direct x86_64 initrd.img root.img \
	"kiln.system=/kiln/store/0c6kzph7l0dcbyr3vb4jqcg2bn1rpk9a-x kiln.roottimeout=2"
[ "$qemu_rc" != 124 ] || { echo "FAIL: the VM did not power off by itself"; exit 1; }
grep -q '^kiln-init: FATAL: root LABEL=kiln-root not found after 2 s (block devices: vda (ext4, LABEL=other-label))$' console.txt ||
	{ echo "FAIL: no FATAL line naming the root and the devices seen"; exit 1; }
grep -q '^kiln-init: powering off in 10 s$' console.txt
grep -q 'Kernel panic' console.txt && { echo "FAIL: kernel panic"; exit 1; }

E2FSCK=$(deb_tree e2fsck-static amd64)/sbin/e2fsck.static || skip "cannot download e2fsck-static"
mke2fs -q -t ext4 -L kiln-root -d root broken.img 16M
debugfs -w -R 'clri <2>' broken.img
debugfs -w -R 'ssv state 0' broken.img # not clean: e2fsck -p checks it
"$KILN" debug-initrd --init "$INIT" --kernel-tree "$KTREE" --file "$E2FSCK=/sbin/e2fsck" -o initrd2.img
qemu_direct x86_64 initrd2.img broken.img "kiln.system=/kiln/store/0c6kzph7l0dcbyr3vb4jqcg2bn1rpk9a-x"
[ "$qemu_rc" != 124 ] || { echo "FAIL: the VM did not power off by itself"; exit 1; }
grep -q '^kiln-init: FATAL: e2fsck cannot repair /dev/vda (exit 4: errors left uncorrected)' console.txt ||
	{ echo "FAIL: no FATAL line with e2fsck's verdict"; exit 1; }
grep -q '^kiln-init: powering off in 10 s$' console.txt
! grep -q 'generation .* linked' console.txt
echo "boot-fatal: ok"

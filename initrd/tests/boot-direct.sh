#!/bin/sh
# End to end: kiln's initrd (the static C init, the cloud kernel's virtio
# modules, e2fsck) boots a real Debian kernel in QEMU (direct -kernel boot),
# finds the root by label, checks and mounts it, links the generation and
# switch_roots into the fake system's stage 2, which reports what it sees.
#   sh boot-direct.sh [x86_64|aarch64]   (default x86_64; boot-direct-aarch64.sh)
set -eu
. "$SRC/initrd/tests/fixtures.inc"

ARCH=${1:-x86_64}
case $ARCH in
x86_64) DEB=amd64 QEMU=qemu-system-x86_64 ;;
aarch64) DEB=arm64 QEMU=qemu-system-aarch64 ;;
esac
need $QEMU mke2fs dpkg-deb apt-get timeout bc file
INIT="$BUILD/initrd/init-$ARCH"
[ -x "$INIT" ] || skip "$INIT is not built (make tests builds it)"
if [ "$ARCH" = x86_64 ]; then
	BUSYBOX=/bin/busybox
else
	BUSYBOX=$(deb_tree busybox-static "$DEB")/bin/busybox || skip "cannot download busybox-static:$DEB"
fi
file -L "$BUSYBOX" | grep -q 'statically linked' || skip "$BUSYBOX is not a static busybox (busybox-static)"
KTREE=$(kernel_tree "$DEB") || skip "cannot download the cloud kernel for $DEB (apt-get download)"
E2FSCK=$(deb_tree e2fsck-static "$DEB")/sbin/e2fsck.static || skip "cannot download e2fsck-static:$DEB"

SYSTEM=/kiln/store/0c6kzph7l0dcbyr3vb4jqcg2bn1rpk9a-test-system
make_root_fixture root "$SYSTEM" "$BUSYBOX"
# x86_64 finds the root by label (the default), aarch64 by UUID (spelled in
# upper case on the command line: UUIDs compare without case)
UUID=6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f
mke2fs -q -t ext4 -L kiln-root -U "$UUID" -d root root.img 64M
ROOTARG=
[ "$ARCH" = x86_64 ] || ROOTARG="root=UUID=$(echo "$UUID" | tr a-f A-F)"

"$KILN" debug-initrd --init "$INIT" --kernel-tree "$KTREE" \
	--file "$E2FSCK=/sbin/e2fsck" -o initrd.img
echo "initrd: $(stat -c %s initrd.img) bytes"

qemu_direct "$ARCH" initrd.img root.img "kiln.system=$SYSTEM $ROOTARG"
[ "$qemu_rc" = 0 ] || { echo "FAIL: qemu exited $qemu_rc (124 = hung until the timeout)"; exit 1; }

expect() {
	grep -qxF "$1" console.txt || { echo "FAIL: console lacks the line: $1"; exit 1; }
}
expect "kiln-test: up pid=1"
expect "kiln-test: current=$SYSTEM"
expect "kiln-test: hostname=kiln-test-host"
expect "kiln-test: sshd=Port 22"
expect "kiln-test: etc-link=/run/current-system/etc/hostname"
expect "kiln-test: stale link removed"
expect "kiln-test: machine-id=local"
expect "kiln-test: root read-only"
grep -q 'bin -> /run/current-system/sw/bin$' console.txt || { echo "FAIL: ls -l /bin shows no link"; exit 1; }
grep -q '^kiln-init: loaded [0-9]* modules' console.txt || { echo "FAIL: no modules loaded"; exit 1; }
grep -q '^kiln-init: /dev/vda is clean' console.txt || { echo "FAIL: e2fsck did not run"; exit 1; }
! grep -q 'kiln-init: FATAL' console.txt
# the guest's changes reached the disk and the filesystem is consistent
e2fsck -fn root.img || { echo "FAIL: e2fsck -fn finds errors after the boot"; exit 1; }
debugfs -R 'stat /bin' root.img 2>/dev/null | grep -q 'Type: symlink'
echo "boot-direct ($ARCH): ok"

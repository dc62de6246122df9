#!/bin/sh
# End to end: kiln's initrd (the static C init, the cloud kernel's virtio
# modules, e2fsck) boots a real Debian kernel in QEMU (direct -kernel boot),
# finds the root by label, checks and mounts it, links the generation and
# switch_roots into the fake system's stage 2, which reports what it sees.
set -eu
. "$SRC/initrd/tests/fixtures.inc"

need qemu-system-x86_64 mke2fs dpkg-deb apt-get timeout
INIT="$BUILD/initrd/init-x86_64"
[ -x "$INIT" ] || skip "$INIT is not built (make tests builds it)"
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' ||
	skip "/bin/busybox is not a static busybox (busybox-static)"
KTREE=$(kernel_tree amd64) || skip "cannot download the cloud kernel for amd64 (apt-get download)"
E2FSCK=$(deb_tree e2fsck-static amd64)/sbin/e2fsck.static || skip "cannot download e2fsck-static"

SYSTEM=/kiln/store/0c6kzph7l0dcbyr3vb4jqcg2bn1rpk9a-test-system
make_root_fixture root "$SYSTEM" /bin/busybox
mke2fs -q -t ext4 -L kiln-root -d root root.img 64M

"$KILN" debug-initrd --init "$INIT" --kernel-tree "$KTREE" \
	--file "$E2FSCK=/sbin/e2fsck" -o initrd.img
echo "initrd: $(stat -c %s initrd.img) bytes"

start=$(date +%s.%N)
rc=0
timeout 60 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none \
	-serial stdio -no-reboot -kernel "$KTREE"/boot/vmlinuz-* -initrd initrd.img \
	-append "console=ttyS0 quiet kiln.system=$SYSTEM" \
	-drive file=root.img,format=raw,if=virtio </dev/null >console.log 2>&1 || rc=$?
end=$(date +%s.%N)
tr -d '\r' <console.log >console.txt
cat console.txt
echo "qemu exit $rc after $(echo "$end - $start" | bc) s"
[ "$rc" = 0 ] || { echo "FAIL: qemu exited $rc (124 = hung until the timeout)"; exit 1; }

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
grep -q 'bin -> /run/current-system/sw/bin$' console.txt || { echo "FAIL: ls -l /bin shows no link"; exit 1; }
grep -q '^kiln-init: loaded [0-9]* modules' console.txt || { echo "FAIL: no modules loaded"; exit 1; }
grep -q '^kiln-init: /dev/vda is clean' console.txt || { echo "FAIL: e2fsck did not run"; exit 1; }
! grep -q 'kiln-init: FATAL' console.txt
# the guest's changes reached the disk and the filesystem is consistent
expect "kiln-test: root read-only"
e2fsck -fn root.img || { echo "FAIL: e2fsck -fn finds errors after the boot"; exit 1; }
debugfs -R 'stat /bin' root.img 2>/dev/null | grep -q 'Type: symlink'
echo "boot-direct: ok"

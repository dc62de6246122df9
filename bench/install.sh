#!/bin/sh
# Unattended install of images/minimal.cfg under TCG (issue 5), x86_64 BIOS:
#   end to end: installer power-on (QEMU starts) to power-off (QEMU exits)
#               with images/installer.cfg and one blank 2G disk   goal <= 30 s
#   copy rate:  the installer's rate (its last "copy" event: closure bytes per
#               second since it began writing the disk) against a plain dd of
#               the same number of bytes (conv=fsync) to the same kind of blank
#               virtio disk in the same guest kernel (the installed system
#               booted with a blank disk, timed with /proc/uptime)  goal >= 0.7x
#   Caveat: the installer's rate ends at its last copy event, before the root's
#   final flush; dd's time includes conv=fsync. With today's ~25 MiB closure
#   both are a fraction of a second, so the ratio is coarse.
set -u
export KILN_STATE_DIR=${KILN_STATE_DIR:-$BUILD/qemu-state}
export KILN_CACHE_DIR=${KILN_CACHE_DIR:-$BUILD/test-cache}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 is not installed"; exit 77; }
if ! "$SRC/qemu-tests/install-setup" installer.cfg medium.img >setup.log 2>&1; then
	tail -3 setup.log
	echo "cannot build the installer medium (needs Debian's archive and the stage-1 init)"
	exit 77
fi
truncate -s 2G target.img blank.img
now() { date +%s%N; }
t0=$(now)
"$KILN" qemu --firmware bios medium.img --disk target.img </dev/null >install.log 2>&1
t1=$(now)
grep -aq 'KILN-EVENT {"event":"done"' install.log || { tail -5 install.log; echo "the install failed"; exit 1; }
set -- $(grep -a 'KILN-EVENT {"event":"copy"' install.log | tail -1 |
	sed 's/.*"total":\([0-9]*\).*"rate":\([0-9]*\).*/\1 \2/')
total=$1 rate=$2
mib=$(( (total + (1 << 20) - 1) >> 20 ))

# dd in the installed system: drive its console through a fifo
mkfifo console.in
"$KILN" qemu --firmware bios target.img --disk blank.img <console.in >dd.log 2>&1 &
qpid=$!
exec 3>console.in
waitfor() {
	i=0
	while ! grep -aq "$1" dd.log; do
		sleep 0.2; i=$((i + 1))
		[ $i -lt 900 ] || { kill $qpid; tail -5 dd.log; echo "timed out waiting for '$1'"; exit 1; }
	done
}
waitfor 'generation 1 up'
echo "read a _ </proc/uptime; dd if=/dev/zero of=/dev/vdb bs=1M count=$mib conv=fsync 2>/dev/null; read b _ </proc/uptime; echo dd-took \$a \$b" >&3
waitfor '^dd-took [0-9]'
echo poweroff >&3
wait $qpid
exec 3>&-
set -- $(tr -d '\r' <dd.log | sed -n 's/^dd-took \([0-9.]*\) \([0-9.]*\)$/\1 \2/p' | tail -1)
awk -v e2e="$(( (t1 - t0) / 1000000 ))" -v total="$total" -v rate="$rate" -v mib="$mib" -v a="$1" -v b="$2" 'BEGIN {
	dds = b - a; if (dds <= 0) dds = 0.01
	ddrate = mib * 1048576 / dds
	printf "install of minimal (x86_64 BIOS, TCG): %.1f s power-on to power-off\n", e2e / 1000
	printf "installer copy: %.1f MiB at %.1f MiB/s; dd of %d MiB in the same guest: %.2f s, %.1f MiB/s\n",
	       total / 1048576, rate / 1048576, mib, dds, ddrate / 1048576
	printf "install end to end %.1f s (goal <= 30 s) %s\n", e2e / 1000, (e2e <= 30000 ? "PASS" : "MISS")
	printf "install copy rate %.2fx dd (goal >= 0.7x) %s\n", rate / ddrate, (rate >= 0.7 * ddrate ? "PASS" : "MISS")
}'

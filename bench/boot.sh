#!/bin/sh
# Boot time to the stage-2 marker ("generation 1 up") under TCG, median of
# RUNS boots each, interleaved in one run:
#   image     `kiln qemu IMAGE` (firmware -> GRUB -> kernel + initrd read
#             from the store on ext4 -> kiln's C init -> busybox init)
#   direct    the same qemu command (`kiln qemu --print`: same firmware,
#             flags and disk) plus -kernel/-initrd of the same system's
#             kernel and initrd and -append "root=LABEL=kiln-root
#             kiln.system=<system> kiln.generation=1 <kernel-params>": the
#             floor, no GRUB and no disk reads of kernel and initrd
# for x86_64 BIOS, x86_64 UEFI (OVMF) and aarch64 UEFI (AAVMF). Printed: the
# medians, the ratio image/direct, and PASS/MISS against the FACTS.md
# reference for a busybox-script initrd with -nodefaults (4.2 s BIOS, 6.3 s
# OVMF, 8.2 s AAVMF): kiln's C init should beat those.
# Time is from starting qemu to the marker line on the serial console; the
# VM is killed then. Every boot starts from a fresh copy of the image and of
# the UEFI variables (a boot marks its generation good, which writes).
# Store: $BUILD/image-tests-state (shared with the image-* tests).
set -u
RUNS=${RUNS:-3}
TIMEOUT=${BOOT_TIMEOUT:-180}
for q in qemu-system-x86_64 qemu-system-aarch64; do
	command -v $q >/dev/null || { echo "skipped: $q is not installed"; exit 77; }
done
. "$SRC/tools/bench-lib.sh"
bench_images_setup
cd "$SCRATCH" || exit 1
STORE=$KILN_STATE_DIR/store
real() { echo "$STORE/${1#/kiln/store/}"; }

"$KILN" image "$dir/minimal.cfg" -o x86.img >x86.sys 2>err || { cat err; echo "FAIL: kiln image minimal.cfg"; exit 1; }
"$KILN" image "$dir/minimal-aarch64.cfg" -o arm.img >arm.sys 2>err ||
	{ cat err; echo "FAIL: kiln image minimal-aarch64.cfg"; exit 1; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# boot_once NAME CMD...: runs CMD (under timeout) with the console copied
# to NAME.log; prints the milliseconds to the marker, or "timeout"/"panic".
# The reader blocks on the console pipe (no polling loop competing with the
# VM for the CPU) and stops the VM as soon as the marker line arrives.
boot_once() {
	log=$1.log; shift
	rm -f con; mkfifo con
	t0=$(now_ms)
	timeout "$TIMEOUT" "$@" </dev/null >con 2>&1 &
	pid=$!
	out=$(tee "$log" <con | {
		l=$(grep -m1 -E 'generation 1 up|Kernel panic'); t=$(now_ms)
		kill $pid 2>/dev/null; echo "$t $l"; })
	wait $pid 2>/dev/null
	rm -f con
	case $out in
	*"generation 1 up"*) echo $(( ${out%% *} - t0 )) ;;
	*"Kernel panic"*) echo panic ;;
	*) echo timeout ;;
	esac
}

# one_round IMG FIRMWARE KEY: an image boot and a direct boot, appended to
# KEY.image and KEY.direct
one_round() {
	img=$1 fw=$2 key=$3 sys=$(cat "${1%.img}.sys")
	r=$(real "$sys")
	rm -f run.img run.img.efivars
	cp --sparse=always "$img" run.img
	set -- $("$KILN" qemu --print --firmware "$fw" run.img)
	t=$(boot_once "$key-image" "$@")
	echo "$t" >>"$key.image"
	rm -f run.img run.img.efivars
	cp --sparse=always "$img" run.img
	set -- $("$KILN" qemu --print --firmware "$fw" run.img)
	kernel=$(real "$(readlink "$r/kernel")") initrd=$(real "$(readlink "$r/initrd")")
	append="root=LABEL=kiln-root kiln.system=$sys kiln.generation=1 $(cat "$r/kernel-params")"
	t=$(boot_once "$key-direct" "$@" -kernel "$kernel" -initrd "$initrd" -append "$append")
	echo "$t" >>"$key.direct"
}

for i in $(seq "$RUNS"); do
	one_round x86.img bios bios
	one_round x86.img uefi ovmf
	one_round arm.img uefi aavmf
done

median() { grep -E '^[0-9]+$' "$1" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
# report KEY LABEL REFERENCE_MS
report() {
	key=$1 label=$2 ref=$3
	mi=$(median "$key.image") md=$(median "$key.direct")
	bad=$(grep -vcE '^[0-9]+$' "$key.image" "$key.direct" | awk -F: '{ s += $2 } END { print s }')
	if [ -z "$mi" ] || [ -z "$md" ] || [ "$bad" != 0 ]; then
		echo "$label: image [$(tr '\n' ' ' <"$key.image")] direct [$(tr '\n' ' ' <"$key.direct")]"
		echo "$label: console tail of the last image boot:"; tail -5 "$key-image.log"
		echo "$label: MISS (a boot did not reach the marker)"
		return
	fi
	ratio=$(awk -v a="$mi" -v b="$md" 'BEGIN { printf "%.2f", a / b }')
	verdict=MISS; [ "$mi" -lt "$ref" ] && verdict=PASS
	echo "$label: image $(secs "$mi") s, direct -kernel/-initrd $(secs "$md") s, ratio $ratio" \
	     "(runs ms: image $(tr '\n' ' ' <"$key.image")direct $(tr '\n' ' ' <"$key.direct"| sed 's/ $//'))"
	echo "$label: image $(secs "$mi") s vs FACTS.md busybox-script initrd $(secs "$ref") s  $verdict"
}
report bios "x86_64 BIOS" 4200
report ovmf "x86_64 UEFI (OVMF)" 6300
report aavmf "aarch64 UEFI (AAVMF)" 8200
exit 0

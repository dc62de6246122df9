#!/bin/sh
# The size of the minimal x86_64 image (images/minimal.cfg, raw, BIOS+UEFI,
# automatic size), two ways, each against the issue's goal of 48 MiB:
#   allocated   du --block-size=1 of the sparse image file: the bytes the
#               disk writer actually wrote (holes for the journal and inode
#               tables it leaves zero)
#   fs used     the filesystems' own accounting: root (Block count - Free
#               blocks) x block size from dumpe2fs, ESP (partition - free
#               bytes from mdir), plus core.img's sectors in the BIOS boot
#               partition
# Also printed: the closure's paths and NAR sizes, the root's journal and
# size, so a regression says where the bytes went.
# Store: $BUILD/image-tests-state (shared with the image-* tests).
set -u
GOAL_MIB=48
. "$SRC/tools/bench-lib.sh"
bench_images_setup
cd "$SCRATCH" || exit 1
"$KILN" image "$dir/minimal.cfg" -o min.img >sys 2>err || { cat err; echo "FAIL: kiln image"; exit 1; }
sys=$(cat sys)
MiB=1048576

echo "closure of $sys:"
total=0
for p in $("$KILN" closure "$sys"); do
	n=$(grep "^$p " "$KILN_STATE_DIR/store/${sys#/kiln/store/}/closure" | cut -d' ' -f3)
	[ -n "$n" ] || n=$(du -sb "$KILN_STATE_DIR/store/${p#/kiln/store/}" | cut -f1)
	total=$((total + n))
	printf '  %10d  %s\n' "$n" "${p#/kiln/store/}"
done
printf '  %10d  total (NAR bytes)\n' "$total"

sfdisk -d min.img | grep -v '^device:' | sed 's/^[^ ]* : //' >layout
part() { sed -n "/name=\"$1\"/s/.*$2= *\([0-9]*\).*/\1/p" layout; }
root_off=$(( $(part kiln-root start) * 512 )) root_size=$(( $(part kiln-root size) * 512 ))
esp_off=$(( $(part esp start) * 512 )) esp_size=$(( $(part esp size) * 512 ))
bios_size=$(( $(part bios-boot size) * 512 ))

dumpe2fs -h "min.img?offset=$root_off" 2>/dev/null >super
field() { sed -n "s/^$1: *//p" super | head -1; }
bs=$(field 'Block size') blocks=$(field 'Block count') free=$(field 'Free blocks')
root_used=$(( (blocks - free) * bs ))
esp_free=$(mdir -i "min.img@@$esp_off" -/ :: 2>/dev/null | sed -n 's/ *\([0-9 ]*\) bytes free/\1/p' | tr -d ' ')
esp_used=$(( esp_size - ${esp_free:-0} ))
# core.img: the sectors up to the last non-zero one of the BIOS boot partition
core=0
if [ "$bios_size" -gt 0 ]; then
	bios_off=$(( $(part bios-boot start) * 512 ))
	core=$(dd if=min.img bs=512 skip=$((bios_off / 512)) count=$((bios_size / 512)) status=none |
		od -An -v -tx1 -w512 | awk '/[1-9a-f]/ { last = NR } END { print last * 512 }')
fi
alloc=$(du --block-size=1 min.img | cut -f1)
fsused=$((root_used + esp_used + core))

printf 'image %d MiB (root %d MiB, journal %s, %s inodes)\n' "$(( $(stat -c %s min.img) / MiB ))" \
	"$((root_size / MiB))" "$(field 'Total journal size')" "$(field 'Inode count')"
printf 'root used %d bytes, esp used %d bytes, core.img %d bytes\n' "$root_used" "$esp_used" "$core"
verdict() { [ "$1" -le $((GOAL_MIB * MiB)) ] && echo PASS || echo MISS; }
printf 'allocated (du of the sparse raw image): %d bytes = %d.%02d MiB  goal <= %d MiB  %s\n' \
	"$alloc" "$((alloc / MiB))" "$((alloc % MiB * 100 / MiB))" "$GOAL_MIB" "$(verdict "$alloc")"
printf 'fs used (root + esp + core.img):        %d bytes = %d.%02d MiB  goal <= %d MiB  %s\n' \
	"$fsused" "$((fsused / MiB))" "$((fsused % MiB * 100 / MiB))" "$GOAL_MIB" "$(verdict "$fsused")"

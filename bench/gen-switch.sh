#!/bin/sh
# Incremental switch (issue 4): a hostname-only `kiln switch` into an image
# of images/minimal.cfg against a full `kiln image` of the same
# configuration, both with every package already in the store (median of
# RUNS runs each):
#   bytes: the 4 KiB blocks the switch changed (cmp of the image before and
#          after) and the bytes libext2fs wrote, against the blocks a full
#          image holds                              goal: <= 5 %
#   time:  switch wall time against `kiln image`    goal: <= 20 %
# Timed with bash's $EPOCHREALTIME: a `date` process around each run would
# add its own fork and exec (~2 ms here) to both sides of the ratio.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
RUNS=${RUNS:-3}
export KILN_STATE_DIR=${KILN_STATE_DIR:-$BUILD/bench-state}
export KILN_CACHE_DIR=${KILN_CACHE_DIR:-$BUILD/test-cache}
cfg=$SCRATCH/cfg
mkdir -p "$cfg"
cp "$SRC"/images/*.cfg "$SRC"/qemu-tests/gen/hostname.cfg "$cfg/"
[ -f "$SRC/images/kiln.lock" ] && cp "$SRC/images/kiln.lock" "$cfg/"
for c in minimal.cfg hostname.cfg; do
	"$KILN" build "$cfg/$c" >/dev/null 2>&1 || "$KILN" lock "$cfg/$c" >/dev/null 2>&1 ||
		{ echo "skipped: cannot lock $c (Debian's archive unreachable?)"; exit 77; }
	"$KILN" build "$cfg/$c" >/dev/null 2>&1 || { echo "skipped: cannot build $c"; exit 77; }
done
"$KILN" image "$cfg/minimal.cfg" -o base.img --force >/dev/null 2>&1

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: >t-full; : >t-switch
for i in $(seq "$RUNS"); do
	s=$EPOCHREALTIME; "$KILN" image "$cfg/hostname.cfg" -o full.img --force >/dev/null 2>&1; e=$EPOCHREALTIME
	echo "$e - $s" | bc >>t-full
	cp --sparse=always base.img sw.img; sync
	s=$EPOCHREALTIME; "$KILN" switch "$cfg/hostname.cfg" --image sw.img >/dev/null 2>switch.err; e=$EPOCHREALTIME
	echo "$e - $s" | bc >>t-switch
done
full_s=$(median <t-full); switch_s=$(median <t-switch)
full_kib=$(du -k full.img | cut -f1)
changed=$(cmp -l base.img sw.img | awk '{ print int(($1 - 1) / 4096) }' | uniq | wc -l)
written=$(sed -n 's/.*; \([0-9]*\) KiB written into the image.*/\1/p' switch.err)
echo "full image:  ${full_s} s, ${full_kib} KiB of data"
echo "switch:      ${switch_s} s, $((changed * 4)) KiB of blocks changed, ${written:-?} KiB written by libext2fs"
pct_b=$(echo "scale=2; $changed * 4 * 100 / $full_kib" | bc)
pct_t=$(echo "scale=2; $switch_s * 100 / $full_s" | bc)
if [ "$(echo "$pct_b <= 5" | bc)" = 1 ]; then r=PASS; else r=MISS; fi
echo "$r switch changed bytes: ${pct_b}% of a full image (goal <= 5%)"
if [ "$(echo "$pct_t <= 20" | bc)" = 1 ]; then r=PASS; else r=MISS; fi
echo "$r switch time: ${pct_t}% of a full image build (goal <= 20%)"

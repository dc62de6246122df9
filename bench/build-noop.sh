#!/bin/sh
# kiln build of the minimal system when everything is already in the store
# (no apt, no fetch, no hashing of package trees: the system path is
# input-addressed and found valid): the median of RUNS runs, goal under
# 100 ms. Baselines in the same run, interleaved with the builds so load from
# other processes hits all alike:
#   kiln config CONFIG   the same process start, configuration parse and
#                        check, without the store (what a no-op build cannot avoid)
#   /bin/true            the cost of starting any process here
# Store: $BUILD/image-tests-state (shared with the image-* tests, so a warm
# build dir needs no unpacking); KILN_STATE_DIR overrides it.
set -u
RUNS=${RUNS:-11}
. "$SRC/tools/bench-lib.sh"
bench_images_setup
cfg="$dir/minimal.cfg"
"$KILN" build "$cfg" >/dev/null || exit 1   # warm: the page cache, the store

now() { date +%s%N; }
# timeone FILE CMD…: appends the wall time of CMD in microseconds to FILE
timeone() {
	out=$1; shift
	t0=$(now); "$@" >/dev/null || return 1; t1=$(now)
	echo $(((t1 - t0) / 1000)) >>"$out"
}
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$SCRATCH/t.build"; : >"$SCRATCH/t.config"; : >"$SCRATCH/t.true"
i=0
while [ $i -lt "$RUNS" ]; do
	timeone "$SCRATCH/t.true" /bin/true || exit 1
	timeone "$SCRATCH/t.config" "$KILN" config "$cfg" || exit 1
	timeone "$SCRATCH/t.build" "$KILN" build "$cfg" || exit 1
	i=$((i + 1))
done
b=$(median "$SCRATCH/t.build") c=$(median "$SCRATCH/t.config") t=$(median "$SCRATCH/t.true")
echo "$b $c $t" | awk -v runs="$RUNS" -v all="$(sort -n "$SCRATCH/t.build" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1000 }')" '{
	printf "kiln build (no-op) of minimal.cfg  %7.1f ms  (median of %d; runs: %s ms)\n", $1 / 1000, runs, all
	printf "kiln config (baseline)             %7.1f ms  build/config %.2fx\n", $2 / 1000, $1 / $2
	printf "/bin/true (process start)          %7.1f ms\n", $3 / 1000
	printf "build-noop median %.1f ms (goal < 100 ms) %s\n", $1 / 1000, ($1 < 100000 ? "PASS" : "MISS")
}'

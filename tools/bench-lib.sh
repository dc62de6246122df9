# tools/bench-lib.sh — shared setup of the benches (bench/*.sh), sourced after
# `set -u` as  . "$SRC/tools/bench-lib.sh"  (tools/run-bench exports SRC,
# BUILD, SCRATCH and KILN).

# bench_images_setup: exports KILN_STATE_DIR (default $BUILD/image-tests-state,
# shared with the image-* tests) and KILN_CACHE_DIR (default $BUILD/test-cache),
# and sets dir to the directory of the shipped configurations
# (tools/images-dir). A bench that cannot build them cannot run here: it
# exits 77 saying why.
bench_images_setup() {
	export KILN_STATE_DIR="${KILN_STATE_DIR:-$BUILD/image-tests-state}"
	export KILN_CACHE_DIR="${KILN_CACHE_DIR:-$BUILD/test-cache}"
	mkdir -p "$KILN_STATE_DIR" "$KILN_CACHE_DIR"
	if ! dir=$("$SRC/tools/images-dir" "$BUILD" 2>"$SCRATCH/images-dir.err"); then
		cat "$SCRATCH/images-dir.err"
		echo "cannot build the minimal systems here (needs Debian's archive and the stage-1 init)"
		exit 77
	fi
}

# tools/test-lib.sh — shared setup of the script tests, sourced after
# `set -u` as  . "$SRC/tools/test-lib.sh"  (run-tests exports SRC, BUILD,
# SCRATCH and KILN).

# fail/ok lines; the test ends with `exit "$failed"`
failed=0
fail() { echo "FAIL: $*"; failed=1; }
ok() { echo "ok $*"; }

# archive_unreachable ERRFILE: the error in ERRFILE says Debian's archive
# could not be reached (a reason to skip, not to fail)
archive_unreachable() {
	grep -qiE 'could not resolve|temporary failure|failed to fetch|unable to connect|network is unreachable|connection (failed|refused|timed out)' "$1"
}

# image_tests_setup [WHAT]: KILN_STATE_DIR becomes $BUILD/image-tests-state,
# shared by the image-* tests (see image-oracles.sh), and dir the directory
# of the shipped configurations (tools/images-dir). Exits 77 when Debian's
# archive is unreachable ("building WHAT needs it", default the minimal
# systems), 1 when the systems cannot be built.
image_tests_setup() {
	export KILN_STATE_DIR="$BUILD/image-tests-state"
	mkdir -p "$KILN_STATE_DIR"
	if ! dir=$("$SRC/tools/images-dir" "$BUILD" 2>"$SCRATCH/images-dir.err"); then
		cat "$SCRATCH/images-dir.err"
		if archive_unreachable "$SCRATCH/images-dir.err"; then
			echo "skipped: Debian's archive is not reachable (building ${1:-the minimal systems} needs it)"
			exit 77
		fi
		echo "FAIL: cannot build the shipped minimal systems"; exit 1
	fi
}

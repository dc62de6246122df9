#!/bin/sh
# The init's host unit tests (command line, generation linking), cross-built
# for aarch64 and run under qemu-user: the arm64 build of the same code
# behaves the same.
set -eu
. "$SRC/initrd/tests/fixtures.inc"
need qemu-aarch64
T="$BUILD/aarch64/initrd/init_test"
[ -x "$T" ] || skip "$T is not built (make tests builds it)"
file "$T" | grep -q 'ARM aarch64' || { echo "FAIL: $T is not an aarch64 binary"; exit 1; }
TMPDIR=$PWD qemu-aarch64 "$T" >out.txt 2>&1 || { cat out.txt; exit 1; }
cat out.txt
grep -q '^[1-9][0-9]* passed, 0 failed$' out.txt

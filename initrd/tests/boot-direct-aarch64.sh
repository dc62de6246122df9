#!/bin/sh
# boot-direct.sh on aarch64: the cross-built static init, the arm64 cloud
# kernel (an uncompressed Image) on QEMU's virt machine, console ttyAMA0.
exec sh "$SRC/initrd/tests/boot-direct.sh" aarch64

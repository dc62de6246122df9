#!/bin/sh
# Install every Debian package kiln needs to build and test (idempotent).
#   tools/deps.sh --install   apt-get update, then install what is missing
#   tools/deps.sh --ensure    do nothing when everything is present, else --install
#   tools/deps.sh --list      print the package list
set -eu

PACKAGES="
build-essential pkg-config file
libconfig-dev libarchive-dev libext2fs-dev libblkid-dev uuid-dev comerr-dev nettle-dev
liblzma-dev libzstd-dev liblz4-dev libbz2-dev zlib1g-dev
gcc-aarch64-linux-gnu libc6-dev-arm64-cross
nix-bin
qemu-system-x86 qemu-system-arm qemu-user qemu-utils ovmf qemu-efi-aarch64
grub-pc-bin grub-efi-amd64-bin grub-common
mtools dosfstools e2fsprogs fdisk gdisk strace genimage
busybox-static cpio zstd xz-utils gzip bc
apt ca-certificates
"

missing() {
	for p in $PACKAGES; do
		s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$s" in *" installed") ;; *) echo "$p" ;; esac
	done
}

need_arm64() {
	dpkg --print-foreign-architectures | grep -qx arm64 || return 0
	return 1
}

install() {
	if [ "$(id -u)" != 0 ]; then
		echo "kiln deps: missing packages: $(missing | tr '\n' ' ')" >&2
		echo "kiln deps: run 'make deps' as root to install them" >&2
		exit 1
	fi
	# arm64 is a foreign architecture so `apt-get download PKG:arm64` works
	# (the aarch64 sysroot and kiln's own private apt state use it).
	if need_arm64; then dpkg --add-architecture arm64; fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2046
	apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
}

case "${1:---install}" in
--list) echo $PACKAGES | tr ' ' '\n' ;;
--ensure)
	if [ -z "$(missing)" ] && ! need_arm64; then exit 0; fi
	install ;;
--install) install ;;
*) echo "usage: $0 [--install|--ensure|--list]" >&2; exit 2 ;;
esac

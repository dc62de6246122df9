# The slim kernel (builder/kernel.h) of the shipped minimal configurations,
# x86_64 and aarch64, without booting:
#   closure    `kiln closure` of the system holds no linux-image package and
#              none of its Depends (initramfs-tools, kmod, udev); the
#              packages file lists no linux-image; the kernel path's own
#              closure is itself alone (no references)
#   kernel     <system>/kernel -> <kernel>/boot/vmlinuz-<kver>, byte-equal to
#              the package's; `file` says bzImage (x86_64) / ARM64 Image
#   modules    exactly the default set (virtio_pci virtio_blk virtio_scsi nvme
#              ahci sd_mod) and its dependencies, as busybox depmod computes
#              them over the WHOLE package (the oracle), each byte-equal to
#              the package's; kernel-modules -> <kernel>/lib/modules/<kver>
#   modules.dep  busybox depmod run on the slim tree gives the same lines (as
#              dependency sets), and each line loads in reverse order (every
#              dependency's own dependencies come after it)
#   boot.modules a configuration adding virtio_net gets it and its
#              dependencies (net_failover, failover) too
# State: shared with the image-* tests ($BUILD/image-tests-state).
set -u
. "$SRC/tools/test-lib.sh"

command -v busybox >/dev/null || { echo "skipped: no busybox on the host (the depmod oracle)"; exit 77; }
image_tests_setup
mkdir -p "$SCRATCH/cfg"
cp "$dir"/*.cfg "$dir/kiln.lock" "$SCRATCH/cfg/"
STORE=$KILN_STATE_DIR/store
real() { echo "$STORE/${1#/kiln/store/}"; }
# "mod.ko: a.ko b.ko" -> "mod.ko: a.ko b.ko" with the dependencies sorted
norm_dep() { while IFS= read -r l; do
	m=${l%%:*}; d=$(echo "${l#*:}" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
	echo "$m: $d"; done | sort; }

# check CFG FILE_RE [EXTRA_MODULE...]
check() {
	cfg=$1 kre=$2; shift 2
	sys=$("$KILN" build "$SCRATCH/cfg/$cfg" 2>"$SCRATCH/err") || { cat "$SCRATCH/err"; fail "$cfg: kiln build"; return; }
	r=$(real "$sys")
	kver=$(cat "$r/kernel-version")
	k=$(readlink "$r/kernel")
	kp=$(echo "$k" | cut -d/ -f1-4)
	[ "$k" = "$kp/boot/vmlinuz-$kver" ] || fail "$cfg: kernel -> $k"
	[ "$(readlink "$r/kernel-modules")" = "$kp/lib/modules/$kver" ] ||
		fail "$cfg: kernel-modules -> $(readlink "$r/kernel-modules")"
	case $kp in */*-linux-"$kver") ;; *) fail "$cfg: kernel path $kp is not linux-$kver" ;; esac

	"$KILN" closure "$sys" >"$SCRATCH/closure" || fail "$cfg: kiln closure"
	grep -E -- '-(linux-image|initramfs-tools|kmod|udev|libkmod2|linux-base)-' "$SCRATCH/closure" &&
		fail "$cfg: the closure carries the kernel package or its Depends"
	grep -q 'linux-image' "$r/packages" && fail "$cfg: packages lists a linux-image"
	[ "$("$KILN" closure "$kp")" = "$kp" ] || fail "$cfg: the kernel path has references"
	grep -qx "$kp" "$SCRATCH/closure" || fail "$cfg: the kernel path is not in the closure"

	# the package it was made from: the store's linux-image-<kver> path
	pkg=$(ls -d "$STORE"/*-linux-image-"$kver"-* 2>/dev/null | head -1)
	[ -d "$pkg" ] || { fail "$cfg: no linux-image-$kver package in the store"; return; }
	cmp -s "$(real "$k")" "$pkg/boot/vmlinuz-$kver" || fail "$cfg: vmlinuz differs from the package's"
	file -L "$(real "$k")" | grep -qE "$kre" || fail "$cfg: kernel: $(file -L "$(real "$k")")"

	# oracle: busybox depmod over the whole package
	rm -rf "$SCRATCH/full"; mkdir -p "$SCRATCH/full/lib"
	ln -s "$pkg/lib/modules" "$SCRATCH/full/lib/modules"
	busybox depmod -n -b "$SCRATCH/full" "$kver" >"$SCRATCH/full.dep" 2>/dev/null ||
		{ fail "$cfg: busybox depmod of the package"; return; }
	: >"$SCRATCH/want"
	for m in virtio_pci virtio_blk virtio_scsi nvme ahci sd_mod "$@"; do
		pat=$(echo "$m" | sed 's/[-_]/[-_]/g')
		grep -E "(^|/)$pat\.ko(\.[a-z]+)?:" "$SCRATCH/full.dep" | head -1 |
			tr ' ' '\n' | sed 's/:$//' | grep . >>"$SCRATCH/want"
	done
	sort -u "$SCRATCH/want" -o "$SCRATCH/want"
	md=$(real "$kp")/lib/modules/$kver
	(cd "$md" && find kernel -type f | sort) >"$SCRATCH/have"
	diff -u "$SCRATCH/want" "$SCRATCH/have" || fail "$cfg: modules differ from the selection + dependencies"
	while read -r f; do cmp -s "$md/$f" "$pkg/lib/modules/$kver/$f" || fail "$cfg: $f differs"; done <"$SCRATCH/have"
	[ -s "$SCRATCH/have" ] || fail "$cfg: no modules at all"

	# modules.dep against busybox depmod of the slim tree, and its order
	cut -d: -f1 "$md/modules.dep" | sort | diff -u "$SCRATCH/have" - || fail "$cfg: modules.dep does not list every module"
	rm -rf "$SCRATCH/slim"; mkdir -p "$SCRATCH/slim/lib/modules"
	cp -r "$md" "$SCRATCH/slim/lib/modules/"; chmod -R u+w "$SCRATCH/slim"
	rm -f "$SCRATCH/slim/lib/modules/$kver/modules.dep"
	busybox depmod -b "$SCRATCH/slim" "$kver" 2>/dev/null || fail "$cfg: busybox depmod of the slim tree"
	norm_dep <"$SCRATCH/slim/lib/modules/$kver/modules.dep" >"$SCRATCH/dep.want"
	norm_dep <"$md/modules.dep" >"$SCRATCH/dep.have"
	diff -u "$SCRATCH/dep.want" "$SCRATCH/dep.have" || fail "$cfg: modules.dep differs from busybox depmod's"
	while IFS= read -r l; do
		set -- ${l#*:}
		while [ $# -gt 0 ]; do
			d=$1; shift
			for dd in $(grep "^$d:" "$md/modules.dep" | cut -d: -f2); do
				case " $* " in *" $dd "*) ;; *) fail "$cfg: ${l%%:*}: $dd is not after $d" ;; esac
			done
		done
	done <"$md/modules.dep"
	grep -vxFf "$pkg/lib/modules/$kver/modules.order" "$md/modules.order" &&
		fail "$cfg: modules.order has lines the package's lacks"
	[ "$(wc -l <"$md/modules.order")" = "$(wc -l <"$SCRATCH/have")" ] || fail "$cfg: modules.order count"
	ok "$cfg: $kp ($(wc -l <"$SCRATCH/have") modules, closure $(wc -l <"$SCRATCH/closure") paths)"
}

check minimal.cfg 'Linux kernel x86 boot executable bzImage'
check minimal-aarch64.cfg 'Linux kernel ARM64 boot executable Image'

# boot.modules: an extra module and its dependencies join the default set
printf 'imports = ["minimal.cfg"];\nboot = { modules = ["virtio_net"]; };\n' >"$SCRATCH/cfg/net.cfg"
check net.cfg 'Linux kernel x86 boot executable bzImage' virtio_net
grep -q 'virtio_net.ko' "$SCRATCH/have" || fail "net.cfg: virtio_net is not in the kernel path"

[ $failed = 0 ] && echo "all ok"
exit $failed

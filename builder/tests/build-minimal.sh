# kiln lock + kiln build of the shipped minimal configurations, x86_64 and
# aarch64: the system path holds a kernel image and a busybox for its
# architecture (`file` is the oracle), an etc/ matching the configuration,
# a closure file equal to `kiln closure` (NAR hashes checked against
# nix-hash); building twice prints the same path and adds nothing; `kiln
# verify` passes; a missing lock, a stale lock and a bad configuration are
# clear errors. Needs Debian's archive (the first run downloads ~250 MB into
# the shared KILN_CACHE_DIR).
set -u
. "$SRC/tools/test-lib.sh"

mkdir -p "$SCRATCH/cfg"
cp "$SRC"/images/*.cfg "$SCRATCH/cfg/"
[ -f "$SRC/images/kiln.lock" ] && cp "$SRC/images/kiln.lock" "$SCRATCH/cfg/"

for cfg in minimal.cfg minimal-aarch64.cfg; do
	if ! "$KILN" lock "$SCRATCH/cfg/$cfg" 2>"$SCRATCH/lock.err"; then
		cat "$SCRATCH/lock.err"
		if archive_unreachable "$SCRATCH/lock.err"; then
			echo "skipped: Debian's archive is not reachable (kiln lock needs it)"
			exit 77
		fi
		echo "FAIL: kiln lock $cfg"; exit 1
	fi
done

# logical store path (or a path below one) -> where it really is here
real() { echo "$KILN_STATE_DIR/store/${1#/kiln/store/}"; }

# check_system CFG ARCH KERNEL_FILE_RE ELF_RE
check_system() {
	cfg=$1 arch=$2 kre=$3 ere=$4
	"$KILN" build "$SCRATCH/cfg/$cfg" >"$SCRATCH/out" 2>"$SCRATCH/err" || {
		cat "$SCRATCH/err"; fail "$cfg: kiln build exited $?"; return; }
	[ "$(wc -l <"$SCRATCH/out")" = 1 ] || fail "$cfg: stdout is not exactly one line"
	sys=$(cat "$SCRATCH/out")
	echo "$sys" | grep -qE '^/kiln/store/[0-9a-df-np-sv-z]{32}-minimal-system$' ||
		fail "$cfg: '$sys' is not a system store path"
	r=$(real "$sys")
	[ -d "$r" ] || { fail "$cfg: $r does not exist"; return; }

	[ "$(cat "$r/arch")" = "$arch" ] || fail "$cfg: arch is '$(cat "$r/arch")'"
	[ "$(cat "$r/name")" = minimal ] || fail "$cfg: name is '$(cat "$r/name")'"
	k=$(readlink "$r/kernel")
	case $k in /kiln/store/*/boot/vmlinuz-"$(cat "$r/kernel-version")") ;;
	*) fail "$cfg: kernel -> '$k'" ;; esac
	file -L "$(real "$k")" | grep -qE "$kre" || fail "$cfg: kernel: $(file -L "$(real "$k")")"
	# sw: the merged package tree, a store path of its own (system.h)
	swp=$(readlink "$r/sw")
	echo "$swp" | grep -qE '^/kiln/store/[0-9a-df-np-sv-z]{32}-sw$' || fail "$cfg: sw -> '$swp'"
	sw=$(real "$swp")
	"$KILN" path-info "$sys" | grep -qx "  $swp" || fail "$cfg: the system does not reference $swp"
	bb=$(readlink "$sw/bin/busybox")
	file -L "$(real "$bb")" | grep -qE "$ere" || fail "$cfg: busybox: $(file -L "$(real "$bb")")"
	# applets link to sw/bin/busybox relatively (fast symlinks, see system.h)
	for a in bin/sh bin/ls bin/cat bin/readlink sbin/poweroff sbin/init; do
		case $a in bin/*) want=busybox ;; *) want=../bin/busybox ;; esac
		[ "$(readlink "$sw/$a")" = "$want" ] || fail "$cfg: sw/$a -> '$(readlink "$sw/$a")'"
	done
	[ "$(readlink "$r/init")" = sw/sbin/init ] || fail "$cfg: init -> '$(readlink "$r/init")'"
	[ ! -e "$sw/boot" ] || fail "$cfg: sw has boot/"

	[ "$(cat "$r/etc/hostname")" = minimal ] || fail "$cfg: etc/hostname is '$(cat "$r/etc/hostname")'"
	grep -qx 'root:x:0:0:root:/root:/bin/sh' "$r/etc/passwd" || fail "$cfg: passwd lacks root"
	grep -qx 'console::respawn:/bin/sh' "$r/etc/inittab" || fail "$cfg: inittab lacks the shell"
	grep -qx '::wait:/etc/kiln/stage2-up' "$r/etc/inittab" || fail "$cfg: inittab lacks the marker"
	grep -q 'LABEL=kiln-root' "$r/etc/fstab" || fail "$cfg: fstab lacks the root"
	for s in "$r"/etc/kiln/*; do sh -n "$s" || fail "$cfg: $s is not valid sh"; done
	# the marker script, run here: no kiln.generation=, no profile
	[ "$(sh "$r/etc/kiln/stage2-up")" = "kiln: minimal generation unknown up" ] ||
		fail "$cfg: stage2-up says '$(sh "$r/etc/kiln/stage2-up")'"
	grep -q "^BUILD_ID=$(echo "$sys" | sed 's|/kiln/store/\(.\{32\}\).*|\1|')\$" "$r/etc/os-release" ||
		fail "$cfg: os-release BUILD_ID"
	[ "$(cat "$r/kernel-params")" = "$5" ] || fail "$cfg: kernel-params '$(cat "$r/kernel-params")'"

	# closure file = kiln closure minus the system path
	"$KILN" closure "$sys" | grep -vx "$sys" >"$SCRATCH/closure.want"
	cut -d' ' -f1 "$r/closure" >"$SCRATCH/closure.have"
	diff -u "$SCRATCH/closure.want" "$SCRATCH/closure.have" || fail "$cfg: closure file differs"
	# its NAR hash and size for busybox, against Nix
	bbpkg=${bb%/bin/busybox}
	line=$(grep "^$bbpkg " "$r/closure")
	if command -v nix-hash >/dev/null; then
		h=$(nix-hash --type sha256 --base32 "$(real "$bbpkg")")
		[ "$line" = "$bbpkg sha256:$h $(nix-store --dump "$(real "$bbpkg")" | wc -c)" ] ||
			fail "$cfg: closure line '$line', nix-hash says $h"
	fi
	# the closure's paths that are no package: sw, the initrd (boot.h),
	# kiln-generation's path (imagegen.h, linked as sw/bin/kiln-generation)
	# and the slim kernel (kernel.h)
	ir=$(readlink "$r/initrd")
	[ -f "$(real "$ir")" ] || fail "$cfg: initrd -> '$ir' is not a file"
	gt=$(readlink "$sw/bin/kiln-generation"); gt=${gt%/bin/kiln-generation}
	kp=$(echo "$k" | cut -d/ -f1-4)
	for p in "$swp" "$ir" "$gt" "$kp"; do
		grep -qx "$p" "$SCRATCH/closure.have" || fail "$cfg: $p is not in the closure"
	done
	awk '{ print $4 }' "$r/packages" | sort >"$SCRATCH/pk"
	grep -vx -e "$swp" -e "$ir" -e "$gt" -e "$kp" "$SCRATCH/closure.have" | sort >"$SCRATCH/cl"
	diff -u "$SCRATCH/cl" "$SCRATCH/pk" || fail "$cfg: packages file does not list the closure"

	# building twice: same path, nothing added
	reg=$(sha256sum <"$KILN_STATE_DIR/db/registry")
	ls "$KILN_STATE_DIR/store" >"$SCRATCH/ls1"
	t0=$(date +%s%N)
	again=$("$KILN" build "$SCRATCH/cfg/$cfg") || fail "$cfg: second build failed"
	t1=$(date +%s%N)
	[ "$again" = "$sys" ] || fail "$cfg: second build printed $again"
	[ "$(sha256sum <"$KILN_STATE_DIR/db/registry")" = "$reg" ] || fail "$cfg: registry changed"
	ls "$KILN_STATE_DIR/store" | diff "$SCRATCH/ls1" - || fail "$cfg: store listing changed"
	echo "no-op build of $cfg: $(( (t1 - t0) / 1000000 )) ms"
	ok "$cfg -> $sys"
}

check_system minimal.cfg x86_64 'Linux kernel x86 boot executable bzImage' \
	'ELF 64-bit LSB .*x86-64' 'console=ttyS0 quiet'
check_system minimal-aarch64.cfg aarch64 'Linux kernel ARM64 boot executable Image' \
	'ELF 64-bit LSB .*ARM aarch64' 'console=ttyS0 quiet console=ttyAMA0'

"$KILN" verify >"$SCRATCH/verify" 2>&1 || { cat "$SCRATCH/verify"; fail "kiln verify"; }

# no lock beside the configuration
mkdir -p "$SCRATCH/nolock"
cp "$SRC/images/minimal.cfg" "$SCRATCH/nolock/"
"$KILN" build "$SCRATCH/nolock/minimal.cfg" >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
{ [ $rc = 1 ] && [ ! -s "$SCRATCH/out" ] && grep -q "run 'kiln lock .*minimal.cfg' first" "$SCRATCH/err"; } ||
	{ cat "$SCRATCH/err"; fail "missing lock: exit $rc"; }

# a package the lock lacks
printf 'imports = ["minimal.cfg"];\npackages = ["hello"];\n' >"$SCRATCH/cfg/stale.cfg"
"$KILN" build "$SCRATCH/cfg/stale.cfg" >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
{ [ $rc = 2 ] && grep -q "stale.cfg:2: .*'hello' is not in kiln.lock; run 'kiln lock" "$SCRATCH/err"; } ||
	{ cat "$SCRATCH/err"; fail "stale lock: exit $rc"; }

# a configuration error: one FILE:LINE: KEY line, exit 2
printf 'imports = ["minimal.cfg"];\nsw = { prefer = [1]; };\n' >"$SCRATCH/cfg/bad.cfg"
"$KILN" build "$SCRATCH/cfg/bad.cfg" >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
{ [ $rc = 2 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] &&
  grep -q "^kiln: error: .*bad.cfg:2: sw.prefer" "$SCRATCH/err"; } ||
	{ cat "$SCRATCH/err"; fail "bad configuration: exit $rc"; }

[ $failed = 0 ] && echo "all ok"
exit $failed

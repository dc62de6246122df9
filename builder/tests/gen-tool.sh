# The target's kiln-generation tool (issue 4), built static for x86_64 and
# aarch64, run on a directory root as the booted machine runs it on "/"
# (KILN_ROOT, KILN_CMDLINE): list, rollback, boot-once, mark-good ending a
# trial, mark-good after a fallback making the good generation the default,
# verify (consistent, then a `system` link naming no generation), gc. The aarch64 build runs under qemu-aarch64 when it is installed.
set -u
failed=0
fail() { echo "FAIL: $*"; failed=1; }

root=$SCRATCH/root
mkdir -p "$root/kiln/var/profiles" "$root/kiln/var/db" "$root/boot/grub" src
# two systems and a package only the first uses, added to a host store that
# the root's /kiln/store and registry point at
mkdir -p src/boot; echo kernel >src/boot/vmlinuz; echo initrd >src/boot/initrd
boot=$("$KILN" add src/boot 2>/dev/null) || { echo "FAIL: kiln add"; exit 1; }
mk_system() { # DIR NAME (an empty closure: the test registers no references)
	mkdir -p "$1"; echo "$2" >"$1/name"; echo 6.1-test >"$1/kernel-version"; : >"$1/closure"
	ln -s "$boot/vmlinuz" "$1/kernel"; ln -s "$boot/initrd" "$1/initrd"
}
mkdir -p src/only1; echo one >src/only1/f
only1=$("$KILN" add src/only1 2>/dev/null) || { echo "FAIL: kiln add"; exit 1; }
mk_system src/a-system a; cp src/only1/f src/a-system/uses; echo "$only1" >src/a-system/ref
mk_system src/b-system b
sys1=$("$KILN" add src/a-system 2>/dev/null); sys2=$("$KILN" add src/b-system 2>/dev/null)
"$KILN" path-info "$sys1" | grep -q "$only1" || echo "note: the scan did not record $only1 as a reference of $sys1"
ln -s "$KILN_STATE_DIR/store" "$root/kiln/store"
ln -s "$KILN_STATE_DIR/db/registry" "$root/kiln/var/db/registry"
ln -s "$sys1" "$root/kiln/var/profiles/system-1-link"
ln -s "$sys2" "$root/kiln/var/profiles/system-2-link"
ln -s system-2-link "$root/kiln/var/profiles/system"
printf 'set timeout=1\n' >"$root/boot/grub/grub.cfg"

run_tool() { # BIN ARGS...
	bin=$1; shift
	case $bin in *aarch64) qemu-aarch64 "$bin" "$@" ;; *) "$bin" "$@" ;; esac
}

for arch in x86_64 aarch64; do
	bin=$BUILD/bootloader/kiln-generation-$arch
	[ -x "$bin" ] || { fail "$bin is not built"; continue; }
	file "$bin" | grep -q 'statically linked' || fail "$bin is not static"
	if [ $arch = aarch64 ] && ! command -v qemu-aarch64 >/dev/null; then
		echo "note: no qemu-aarch64, the aarch64 build is not run"; continue
	fi
	export KILN_ROOT=$root KILN_CMDLINE=$SCRATCH/cmdline
	rm -f "$root/kiln/var/profiles/system"; ln -s system-2-link "$root/kiln/var/profiles/system"
	run_tool "$bin" list >out || fail "$arch: list"
	grep -q "^  2 (default)  $sys2  b" out || { cat out; fail "$arch: list does not show 2 as default"; }
	# a trial of 2 that comes up is marked good
	printf '# GRUB Environment Block\nkiln_tries_gen=gen-2\nkiln_tries=2\nkiln_good=gen-1\n' >env
	head -c 1024 /dev/zero | tr '\0' '#' >>env; head -c 1024 env >"$root/boot/grub/grubenv"
	echo "root=LABEL=kiln-root kiln.generation=2" >"$KILN_CMDLINE"
	run_tool "$bin" mark-good >out || fail "$arch: mark-good"
	grep -q "generation 2 booted good" out || fail "$arch: mark-good said '$(cat out)'"
	grep -q '^kiln_ok=gen-2$' "$root/boot/grub/grubenv" || fail "$arch: kiln_ok not set"
	[ "$(wc -c <"$root/boot/grub/grubenv")" = 1024 ] || fail "$arch: grubenv is not 1024 bytes"
	# after a fallback, the good generation becomes the default again
	echo "kiln.generation=1 kiln.fallback=2" >"$KILN_CMDLINE"
	run_tool "$bin" mark-good >out || fail "$arch: mark-good after a fallback"
	grep -q "generation 2 did not come up; fell back to generation 1" out || fail "$arch: fallback said '$(cat out)'"
	[ "$(readlink "$root/kiln/var/profiles/system")" = system-1-link ] || fail "$arch: fallback left the default"
	grep -q "set default='gen-1'" "$root/boot/grub/grub.cfg" || fail "$arch: grub.cfg does not boot 1"
	run_tool "$bin" rollback >out 2>err && fail "$arch: rollback below 1 succeeded"
	run_tool "$bin" boot-once 2 || fail "$arch: boot-once"
	grep -q '^kiln_once=gen-2$' "$root/boot/grub/grubenv" || fail "$arch: kiln_once not set"
	# verify: consistent; a `system` link naming no generation is not
	run_tool "$bin" verify >out || { cat out; fail "$arch: verify"; }
	ln -sfn system-7-link "$root/kiln/var/profiles/system"
	run_tool "$bin" verify --quick >out && fail "$arch: verify passed a dangling system link"
	grep -q '^profiles: .*names no existing system-N-link' out || { cat out; fail "$arch: verify said '$(cat out)'"; }
	ln -sfn system-1-link "$root/kiln/var/profiles/system"
	echo "ok $arch"
done
# gc: with only generation 2 left, sys1 (and what only it references) goes
rm "$root/kiln/var/profiles/system" "$root/kiln/var/profiles/system-1-link"
ln -s system-2-link "$root/kiln/var/profiles/system"
KILN_ROOT=$root "$BUILD/bootloader/kiln-generation-x86_64" gc >out || fail "gc"
cat out
grep -qE 'kiln: [1-9][0-9]* store paths deleted' out || fail "gc deleted nothing"
[ -e "$KILN_STATE_DIR/store/${sys1#/kiln/store/}" ] && fail "gc left $sys1"
[ -e "$KILN_STATE_DIR/store/${sys2#/kiln/store/}" ] || fail "gc deleted $sys2"
exit $failed

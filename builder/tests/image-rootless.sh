# The whole `kiln image` of images/minimal.cfg runs as an unprivileged user
# (nobody:nogroup through setpriv, no supplementary groups, no capabilities)
# with HOME, KILN_STATE_DIR, KILN_CACHE_DIR and TMPDIR in a directory that
# user owns, starting from an empty store: every package is unpacked, the
# initrd and the bootloader built and the disk written by that user. The
# cache holds the pinned .debs except one, so `apt-get download` also runs
# as that user in kiln's private apt state.
# Proof of "no mount, no loop device, no VM": under strace -f (when
# installed) the run makes no mount/umount2 call, no LOOP_* ioctl and
# executes no qemu-system-*, mount, losetup or sudo; /sys/block lists the same
# loop devices before and after. The image equals (cmp) the one root builds
# from the same configuration and lock, and sgdisk -v accepts it.
#
# State: the unprivileged run uses its own fresh state under $SCRATCH; the
# root build for the comparison uses $BUILD/image-tests-state (shared by the
# image-* tests, see image-oracles.sh).
set -u
. "$SRC/tools/test-lib.sh"

[ "$(id -u)" = 0 ] || { echo "skipped: the test switches to nobody with setpriv and needs to start as root"; exit 77; }
command -v setpriv >/dev/null || { echo "skipped: setpriv (util-linux) is missing"; exit 77; }
id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null ||
	{ echo "skipped: no user nobody / group nogroup"; exit 77; }

# A chroot whose / is not world-searchable (fresh-check's mktemp'd root is
# 0700) lets nobody run nothing at all: that is the environment, not kiln.
setpriv --reuid=nobody --regid=nogroup --clear-groups /bin/true 2>/dev/null ||
	{ echo "skipped: nobody cannot run /bin/true here (/ is $(stat -c %A /)): no unprivileged user can run anything"; exit 77; }

image_tests_setup "the minimal system"

# nobody's home: configuration, cache (all amd64 debs but the smallest, the
# apt lists if the shared cache has them), state and temporary files
H="$SCRATCH/home"
mkdir -p "$H/cfg" "$H/cache/debs" "$H/tmp"
cp "$dir"/*.cfg "$dir"/kiln.lock "$H/cfg/"
awk '$1 == "package" { p = ($4 == "amd64") ? $2 : "" } $1 == "size" && p { s = $2 }
	$1 == "sha256" && p { print s, $2, p }' "$H/cfg/kiln.lock" | sort -n >"$SCRATCH/debs"
withheld=$(head -1 "$SCRATCH/debs")
held_sha=$(echo "$withheld" | cut -d' ' -f2)
missing=0
while read -r size sha name; do
	[ "$sha" = "$held_sha" ] && continue
	f="$KILN_CACHE_DIR/debs/$sha.deb"
	if [ -f "$f" ]; then
		ln "$f" "$H/cache/debs/" 2>/dev/null || cp "$f" "$H/cache/debs/"
	else
		missing=$((missing + 1))
	fi
done <"$SCRATCH/debs"
if [ -d "$KILN_CACHE_DIR/apt-amd64/state/lists" ]; then
	mkdir -p "$H/cache/apt-amd64/state"
	cp -r "$KILN_CACHE_DIR/apt-amd64/state/lists" "$H/cache/apt-amd64/state/"
fi
chown -R nobody:nogroup "$H"
chmod 755 "$SCRATCH"   # mktemp made it 0700: nobody must reach its home
# The build tree may sit below a directory nobody cannot enter (/root): nobody
# runs a copy of the CLI with the programs it finds beside itself (the inits
# and the kiln-generation tool), byte-identical to the build's.
B="$SCRATCH/kiln-bin"
mkdir -p "$B/initrd" "$B/bootloader"
cp "$KILN" "$B/kiln" && cp "$BUILD"/initrd/init-x86_64 "$BUILD"/initrd/init-aarch64 "$B/initrd/" &&
	cp "$BUILD"/bootloader/kiln-generation-* "$B/bootloader/" || fail "cannot copy the CLI for nobody"
chmod -R a+rX "$B"
NKILN="$B/kiln"
setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$NKILN" ||
	fail "nobody cannot execute $NKILN"

echo "cache for nobody: $(ls "$H/cache/debs" | wc -l) debs ($missing not in the shared cache), withheld: $(echo "$withheld" | cut -d' ' -f3)"

# loop devices, each with its backing file when attached
loops() {
	for l in /sys/block/loop*; do
		[ -e "$l" ] || continue
		printf '%s%s ' "${l##*/}" "$([ -e "$l/loop/backing_file" ] && echo ":$(cat "$l/loop/backing_file")")"
	done
}
loops_before=$(loops)
tracer=
if command -v strace >/dev/null && strace -f -qq --seccomp-bpf -o /dev/null -e trace=execve /bin/true 2>/dev/null; then
	tracer="strace -f -qq --seccomp-bpf -o $SCRATCH/trace -e trace=execve,mount,umount2,ioctl"
fi
umask 022
$tracer setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$H" TMPDIR="$H/tmp" \
	KILN_STATE_DIR="$H/state" KILN_CACHE_DIR="$H/cache" \
	sh -c 'cd "$HOME" && id -u >uid && exec "$0" image cfg/minimal.cfg -o disk.img' "$NKILN" \
	>"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
cat "$SCRATCH/err"
[ "$rc" = 0 ] || { fail "kiln image as nobody exited $rc"; echo "(apt state: $H/cache/apt-amd64)"; exit 1; }
[ "$(cat "$H/uid")" = "$(id -u nobody)" ] || fail "the run's uid was $(cat "$H/uid"), not nobody's"
[ "$(stat -c %U "$H/disk.img")" = nobody ] || fail "disk.img is owned by $(stat -c %U "$H/disk.img")"
[ "$(stat -c %U "$H/state/store")" = nobody ] || fail "the store is owned by $(stat -c %U "$H/state/store")"
[ -f "$H/cache/debs/$held_sha.deb" ] ||
	fail "the withheld .deb was not fetched (apt-get download as nobody)"
ok "kiln image as nobody: $(cat "$SCRATCH/out"), $(ls "$H/state/store" | wc -l) store paths built by nobody, withheld .deb fetched by apt as nobody"

[ "$(loops)" = "$loops_before" ] || fail "loop devices changed: before '$loops_before', after '$(loops)'"
if [ -n "$tracer" ]; then
	grep -E '(^|[0-9] )(mount|umount2)\(' "$SCRATCH/trace" | head -3 | grep . && fail "the run called mount/umount2"
	grep -E 'LOOP_' "$SCRATCH/trace" | head -3 | grep . && fail "the run used a loop device ioctl"
	sed -n 's/.*execve("\([^"]*\)".*/\1/p' "$SCRATCH/trace" | sort -u >"$SCRATCH/execs"
	grep -q "^$NKILN\$" "$SCRATCH/execs" || fail "strace did not see kiln run (trace: $(head -c 200 "$SCRATCH/trace"))"
	grep -E '/(qemu-system-[^/]*|mount|umount|losetup|sudo|su|guestfish|fakeroot)$' "$SCRATCH/execs" &&
		fail "the run executed one of the programs above"
	ok "strace: no mount, no loop ioctl, no VM; programs run: $(sed 's|.*/||' "$SCRATCH/execs" | sort -u | tr '\n' ' ')"
else
	echo "note: strace is not installed or cannot trace here; checked /sys/block only"
fi
ok "no loop device appeared (/sys/block: ${loops_before:-none})"

# the same bytes as root's build
"$KILN" image "$H/cfg/minimal.cfg" -o "$SCRATCH/root.img" >"$SCRATCH/root.out" 2>"$SCRATCH/root.err" ||
	{ cat "$SCRATCH/root.err"; fail "kiln image as root"; }
[ "$(cat "$SCRATCH/root.out")" = "$(cat "$SCRATCH/out")" ] || fail "root's system path differs"
cmp "$SCRATCH/root.img" "$H/disk.img" || fail "nobody's image differs from root's"
sgdisk -v "$H/disk.img" | grep -q 'No problems found' || fail "sgdisk -v rejects nobody's image"
[ "$failed" = 0 ] && { ok "nobody's image is byte-identical to root's"; echo "rootless image checks passed"; }
exit "$failed"

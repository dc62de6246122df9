#!/bin/sh
# kiln lock against Debian's archive (private apt state in $KILN_CACHE_DIR):
# pins with sha256 and size equal to the archive's own .deb (fetched here with
# apt-helper as the oracle), locking twice gives the identical file, locking a
# second configuration (aarch64) in the same directory keeps the first one's
# entries, --update against an unchanged archive changes nothing, and the
# host's apt lists, apt cache and dpkg status are untouched.
set -eu
cp "$SRC"/images/minimal.cfg "$SRC"/images/minimal-aarch64.cfg .

host_apt_state() {
	ls -l --time-style=+%s.%N /var/lib/apt/lists /var/cache/apt/archives 2>/dev/null
	stat -c '%n %s %Y' /var/lib/dpkg/status /var/cache/apt/*.bin 2>/dev/null || true
}
host_apt_state >host-before

"$KILN" lock minimal.cfg 2>lock.err || { cat lock.err; exit 1; }
grep -q "packages pinned for .*minimal.cfg (amd64)" lock.err || { cat lock.err; exit 1; }
grep -qx 'kiln-lock 1' kiln.lock
grep -qx 'root minimal.cfg amd64' kiln.lock
grep -qx '  request busybox-static' kiln.lock
grep -qx '  request linux-image-cloud-amd64' kiln.lock
grep -q '^package busybox-static [^ ]* amd64$' kiln.lock
grep -q '^package linux-image-cloud-amd64 [^ ]* amd64$' kiln.lock
grep -q '^package linux-image-[0-9].*-cloud-amd64 [^ ]* amd64$' kiln.lock

# field VALUE of package NAME (arch ARCH)
field() { awk -v n="$1" -v a="$2" -v f="$3" '
	/^package / { cur = ($2 == n && $4 == a) }
	cur && $1 == f { print $2 }' kiln.lock; }

# oracle: the archive's busybox-static .deb, downloaded by apt itself
fn=$(field busybox-static amd64 filename)
sha=$(field busybox-static amd64 sha256)
size=$(field busybox-static amd64 size)
ok=0
for base in http://deb.debian.org/debian http://deb.debian.org/debian-security; do
	if /usr/lib/apt/apt-helper download-file "$base/$fn" bb.deb >/dev/null 2>&1; then ok=1; break; fi
done
[ $ok = 1 ] || { echo "cannot download $fn from the archive"; exit 1; }
[ "$(sha256sum bb.deb | cut -d' ' -f1)" = "$sha" ] || { echo "sha256 of $fn differs from the lock"; exit 1; }
[ "$(stat -c %s bb.deb)" = "$size" ] || { echo "size of $fn differs from the lock"; exit 1; }

# every dependency edge names a pinned package; libc6's cycle is broken
awk '/^package / { have[$2 ":" $4] = 1 } $1 == "depends" { need[$2] = 1 }
     END { for (d in need) if (!have[d]) { print "dangling edge " d; bad = 1 } exit bad }' kiln.lock
if field libgcc-s1 amd64 depends | grep -qx libc6:amd64 && field libc6 amd64 depends | grep -qx libgcc-s1:amd64; then
	echo "libc6 <-> libgcc-s1 cycle kept"; exit 1
fi

cp kiln.lock first.lock
"$KILN" lock minimal.cfg 2>/dev/null
cmp first.lock kiln.lock || { echo "locking twice changed kiln.lock"; diff first.lock kiln.lock; exit 1; }

"$KILN" lock minimal-aarch64.cfg 2>lock.err || { cat lock.err; exit 1; }
grep -qx 'root minimal-aarch64.cfg arm64' kiln.lock
grep -qx 'root minimal.cfg amd64' kiln.lock
grep -q '^package linux-image-cloud-arm64 [^ ]* arm64$' kiln.lock
grep -q '^package busybox-static [^ ]* arm64$' kiln.lock
amd64_part() { awk '/^package / { keep = ($4 == "amd64") } /^root / { keep = 0 } NF && keep' "$1"; }
amd64_part first.lock >a1; amd64_part kiln.lock >a2
cmp a1 a2 || { echo "locking aarch64 changed the amd64 pins"; diff a1 a2; exit 1; }
[ -s a1 ] || { echo "no amd64 packages found"; exit 1; }

cp kiln.lock both.lock
"$KILN" lock minimal.cfg 2>/dev/null
"$KILN" lock --update minimal-aarch64.cfg 2>/dev/null
cmp both.lock kiln.lock || { echo "re-locking (and --update) changed kiln.lock"; diff both.lock kiln.lock; exit 1; }

host_apt_state >host-after
cmp host-before host-after || { echo "the host's apt state changed"; diff host-before host-after; exit 1; }
echo "$(grep -c '^package ' kiln.lock) packages pinned for amd64 + arm64"

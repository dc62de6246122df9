#!/bin/sh
# kiln fetch realises a locked configuration for x86_64 and aarch64: each
# package becomes a store path whose references are exactly its locked
# dependency edges, the busybox and kernel are the right architecture's, the
# store verifies, and a second fetch adds nothing and fetches nothing.
set -eu
cp "$SRC"/images/minimal.cfg "$SRC"/images/minimal-aarch64.cfg .
command -v file >/dev/null || { echo "skipped: file(1) not installed"; exit 77; }

for cfg in minimal.cfg minimal-aarch64.cfg; do
	"$KILN" lock $cfg 2>/dev/null
	"$KILN" fetch $cfg >$cfg.set 2>err || { cat err; exit 1; }
done
real() { echo "$KILN_STATE_DIR/store/${1#/kiln/store/}"; }
path_of() { awk -v n="$2" '$1 == n { print $4 }' "$1"; }

bb=$(real "$(path_of minimal.cfg.set busybox-static)")
file -L "$bb/bin/busybox" | grep -q 'x86-64' || { file -L "$bb/bin/busybox"; exit 1; }
bb=$(real "$(path_of minimal-aarch64.cfg.set busybox-static)")
file -L "$bb/bin/busybox" | grep -q 'aarch64' || { file -L "$bb/bin/busybox"; exit 1; }
k=$(real "$(awk '$1 ~ /^linux-image-[0-9]/ { print $4 }' minimal.cfg.set)")
file "$k"/boot/vmlinuz-* | grep -q 'Linux kernel x86 boot executable' || { file "$k"/boot/vmlinuz-*; exit 1; }
k=$(real "$(awk '$1 ~ /^linux-image-[0-9]/ { print $4 }' minimal-aarch64.cfg.set)")
file "$k"/boot/vmlinuz-* | grep -qi 'aarch64\|ARM64' || { file "$k"/boot/vmlinuz-*; exit 1; }

# references == the lock's edges, for every package of the amd64 set
while read -r name version arch path; do
	want=$(awk -v n="$name" -v a="$arch" '/^package / { cur = ($2 == n && $4 == a) }
		cur && $1 == "depends" { split($2, d, ":"); print d[1] }' kiln.lock | sort)
	got=$("$KILN" path-info "$path" | sed -n 's|^  /kiln/store/[a-z0-9]\{32\}-||p' |
		while read -r ref; do awk -v r="$ref" '{ n = $1 "-" $2; gsub(/[^A-Za-z0-9+._?=-]/, "_", n); if (n == r) print $1 }' minimal.cfg.set; done | sort)
	[ "$want" = "$got" ] || { echo "$name: references [$got] != lock edges [$want]"; exit 1; }
done <minimal.cfg.set

# dependency order: each package after its dependencies
awk 'NR == FNR { pos[$1] = FNR; next }
     /^package / { cur = $2; ok = ($4 == "amd64") } ok && $1 == "depends" { split($2, d, ":");
	if (pos[cur] && pos[d[1]] >= pos[cur]) { print cur " before its dependency " d[1]; bad = 1 } }
     END { exit bad }' minimal.cfg.set kiln.lock

"$KILN" verify >verify.out || { cat verify.out; exit 1; }
n1=$(ls "$KILN_STATE_DIR/store" | wc -l)
# a no-op fetch needs neither apt nor the .deb cache: give it an empty one
KILN_CACHE_DIR=$PWD/empty-cache "$KILN" fetch minimal.cfg >again.set 2>err || { cat err; exit 1; }
cmp minimal.cfg.set again.set
if ls empty-cache/apt-* empty-cache/debs/* >/dev/null 2>&1; then echo "a no-op fetch used apt or fetched"; exit 1; fi
[ "$n1" = "$(ls "$KILN_STATE_DIR/store" | wc -l)" ] || { echo "second fetch added paths"; exit 1; }
echo "$(wc -l <minimal.cfg.set) + $(wc -l <minimal-aarch64.cfg.set) packages realised"

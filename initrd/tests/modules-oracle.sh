#!/bin/sh
# kiln's module dependencies (read from each .ko's .modinfo) against busybox
# depmod's modules.dep, for every module of the real Debian cloud kernel:
# the same transitive dependencies, and kiln's list in a load order where
# every dependency comes before the module needing it.
set -eu
. "$SRC/initrd/tests/fixtures.inc"

need busybox apt-get dpkg-deb awk
TREE=$(kernel_tree amd64) || skip "cannot download the cloud kernel for amd64 (apt-get download)"
KVER=$(ls "$TREE/lib/modules")

find "$TREE/lib/modules/$KVER" -name '*.ko' | sed 's|.*/||; s|\.ko$||' | sort >names.txt
echo "$(wc -l <names.txt) modules in $KVER"
# every module, explicitly requested
sed 's/^/--module /' names.txt | xargs "$KILN" debug-initrd --kernel-tree "$TREE" \
	--no-default-modules --list >kiln.txt
busybox depmod -n -b "$TREE" "$KVER" 2>/dev/null | grep '^kernel/.*\.ko:' >busybox.dep

[ "$(wc -l <kiln.txt)" = "$(wc -l <names.txt)" ] ||
	{ echo "FAIL: kiln listed $(wc -l <kiln.txt) of $(wc -l <names.txt) modules"; exit 1; }

awk '
function canon(p) { sub(/:$/, "", p); sub(/.*\//, "", p); sub(/\.ko$/, "", p); gsub(/-/, "_", p); return p }
# transitive dependencies of m as " a b c ", each once (memoised)
function closure(m,   i, n, parts, t, nt, tp, seen, out) {
	if (m in memo) return memo[m]
	out = " "
	n = split(direct[m], parts, " ")
	for (i = 1; i <= n; i++) {
		t = parts[i] closure(parts[i])
		nt = split(t, tp, " ")
		for (j = 1; j <= nt; j++)
			if (!(tp[j] in seen)) { seen[tp[j]] = 1; out = out tp[j] " " }
	}
	memo[m] = out
	return out
}
FNR == NR {
	pos[$1] = FNR
	direct[$1] = ""
	for (i = 3; i <= NF; i++) {
		direct[$1] = direct[$1] " " $i
		if (!($i in pos)) { print "order: " $i " is not before " $1; bad++ }
	}
	next
}
{
	m = canon($1)
	want[m] = 1
	for (i = 2; i <= NF; i++) bb[m, canon($i)] = 1
}
END {
	for (m in direct) {
		n = split(closure(m), parts, " ")
		for (i = 1; i <= n; i++) set[m, parts[i]] = 1
	}
	for (k in bb) if (!(k in set)) { split(k, kk, SUBSEP); print "missing: " kk[1] " -> " kk[2]; bad++ }
	for (k in set) if (!(k in bb)) { split(k, kk, SUBSEP); print "extra: " kk[1] " -> " kk[2]; bad++ }
	for (m in want) if (!(m in pos)) { print "not listed: " m; bad++ }
	n = 0; for (k in set) n++
	print n " dependency edges (transitive) compared"
	exit bad ? 1 : 0
}' kiln.txt busybox.dep

grep -q '^virtio_blk .* virtio\( \|$\)' kiln.txt && grep -q '^virtio_blk .* virtio_ring\( \|$\)' kiln.txt ||
	{ echo "FAIL: virtio_blk does not depend on virtio and virtio_ring"; exit 1; }
echo "modules-oracle: ok"

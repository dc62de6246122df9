#!/bin/sh
# NAR bytes and NAR hashes of `kiln nar` against Nix itself (Debian nix-bin):
# `kiln nar dump` == `nix-store --dump` (cmp) and
# `kiln nar hash --base32` == `nix-hash --type sha256 --base32`, over a fixture
# tree built here: empty files, executables (owner x and group-only x),
# symlinks (relative, absolute, dangling, to a directory), empty and nested
# directories, names with spaces, unicode and a newline, padding sizes 0..17,
# and a 50 MB file.
set -eu
for tool in nix-store nix-hash; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skipped: $tool (Debian nix-bin) is not installed, no oracle"
		exit 77
	fi
done
export HOME="$SCRATCH/home"   # keep nix's cache files out of the real home
mkdir -p "$HOME"
umask 022

F="$SCRATCH/fix"
mkdir -p "$F/tree/empty-dir" "$F/tree/a/b/c/d/e"
cd "$F/tree"
: > empty-file
printf 'hello\n' > hello
printf '#!/bin/sh\necho hi\n' > run.sh; chmod 0755 run.sh
printf 'group x only\n' > gx; chmod 0654 gx
printf 'owner x only\n' > ux; chmod 0744 ux
printf 'deep\n' > a/b/c/d/e/leaf
ln -s hello rel-link
ln -s /etc/passwd abs-link
ln -s ../does/not/exist dangling
ln -s a/b dir-link
printf 'space\n' > 'name with spaces'
printf 'unicode\n' > 'café-ü-日本'
printf 'newline\n' > "$(printf 'new\nline')"
for n in A B a b a-b a.b a_b 'a b' Z0 z9; do printf '%s' "$n" > "sort-$n"; done
i=0
while [ $i -le 17 ]; do
	head -c $i /dev/zero | tr '\0' 'x' > "pad-$i"
	i=$((i + 1))
done
head -c 52428800 /dev/urandom > "$F/big"
cd "$SCRATCH"

fail=0
check() {
	p=$1
	nix-store --dump "$p" > "$SCRATCH/nix.nar"
	if ! "$KILN" nar dump "$p" > "$SCRATCH/kiln.nar"; then
		echo "FAIL: kiln nar dump $p exited non-zero"; fail=1; return
	fi
	if ! cmp "$SCRATCH/nix.nar" "$SCRATCH/kiln.nar"; then
		echo "FAIL: NAR bytes of $p differ from nix-store --dump"; fail=1
	fi
	want=$(nix-hash --type sha256 --base32 "$p")
	got=$("$KILN" nar hash --base32 "$p")
	if [ "$want" != "$got" ]; then
		echo "FAIL: hash of $p: kiln $got, nix-hash $want"; fail=1
	fi
	[ "$("$KILN" nar hash "$p")" = "sha256:$want" ] || { echo "FAIL: prefixed hash of $p"; fail=1; }
	want=$(nix-hash --type sha256 "$p")
	[ "$("$KILN" nar hash --hex "$p")" = "$want" ] || { echo "FAIL: hex hash of $p"; fail=1; }
	echo "ok: $p ($(wc -c < "$SCRATCH/kiln.nar") NAR bytes)"
}

for p in "$F/tree" "$F/tree/empty-file" "$F/tree/hello" "$F/tree/run.sh" "$F/tree/gx" \
	 "$F/tree/rel-link" "$F/tree/dangling" "$F/tree/dir-link" "$F/tree/empty-dir" \
	 "$F/tree/a" "$F/big"; do
	check "$p"
done

# A relative path with a trailing slash names the same tree.
nix-store --dump "$F/tree" > "$SCRATCH/nix.nar"
(cd "$F" && "$KILN" nar dump tree/) > "$SCRATCH/rel.nar"
cmp "$SCRATCH/nix.nar" "$SCRATCH/rel.nar" || { echo "FAIL: relative path with trailing slash"; fail=1; }

# Nix refuses special files; so must kiln (exit 1, a message, no partial success).
mkdir "$F/special"; mkfifo "$F/special/fifo"
if "$KILN" nar hash "$F/special" 2>"$SCRATCH/err"; then
	echo "FAIL: kiln hashed a tree with a fifo"; fail=1
fi
grep -q 'special\|fifo\|cannot' "$SCRATCH/err" || { echo "FAIL: no error message"; cat "$SCRATCH/err"; fail=1; }
if nix-store --dump "$F/special" >/dev/null 2>&1; then
	echo "note: nix-store --dump accepted a fifo"
fi
if "$KILN" nar hash "$F/missing" 2>/dev/null; then
	echo "FAIL: kiln hashed a missing path"; fail=1
fi

[ $fail = 0 ] && echo "all NARs and hashes equal Nix's"
exit $fail

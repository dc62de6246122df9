# kiln add / path-info / closure / verify: the happy path, checked against
# Nix itself (nix-store --add into a private store with store dir /kiln/store,
# nix-hash for the NAR hash, nix-store --dump for the NAR size).
set -eu
command -v nix-store >/dev/null && command -v nix-hash >/dev/null || {
	echo "skipped: nix-store/nix-hash (Debian nix-bin) not installed, no oracle"; exit 77; }
nixadd() { nix-store --store "local?root=$SCRATCH/nixroot&store=/kiln/store" --add "$1"; }
fail() { echo "FAIL: $*"; exit 1; }

umask 077   # must not leak into the store
mkdir -p tree/bin tree/share/doc
printf '#!/bin/sh\necho hi\n' > tree/bin/hi; chmod 4755 tree/bin/hi
echo "some docs" > tree/share/doc/README
ln -s bin/hi tree/hi-link
printf 'group x only\n' > tree/bin/gx; chmod 0654 tree/bin/gx   # not executable in a NAR
echo "a lone file" > file.txt
ln -s /etc/hostname dangling

p=$($KILN add tree)
f=$($KILN add file.txt)
l=$($KILN add dangling)
[ "$p" = "$(nixadd tree)" ] || fail "tree: kiln $p != nix $(nixadd tree)"
[ "$f" = "$(nixadd file.txt)" ] || fail "file: kiln $f != nix $(nixadd file.txt)"
[ "$l" = "$(nixadd dangling)" ] || fail "symlink: kiln $l != nix $(nixadd dangling)"
echo "paths equal nix-store --add: $p $f $l"

# h1's `kiln nar path DIR NAME` must agree, when it exists.
if np=$($KILN nar path tree tree 2>/dev/null); then
	[ "$np" = "$p" ] || fail "kiln nar path says $np, kiln add says $p"
	echo "kiln nar path agrees"
else
	echo "note: kiln nar path unavailable, not compared"
fi

# path-info: exact fields.
$KILN path-info "$p" > info
want_hash="sha256:$(nix-hash --type sha256 --base32 tree)"
want_size=$(nix-store --dump tree | wc -c)
cat > expect <<EOT
$p
nar-hash: $want_hash
nar-size: $want_size
deriver:
references:
EOT
diff -u expect info || fail "path-info output"

# The real path is normalised: dirs/files read-only, x bit kept, setuid gone, mtime 1.
real="$KILN_STATE_DIR/store/${p#/kiln/store/}"
[ "$(stat -c %a "$real")" = 555 ] || fail "dir mode $(stat -c %a "$real")"
[ "$(stat -c %a "$real/bin/hi")" = 555 ] || fail "exe mode $(stat -c %a "$real/bin/hi")"
[ "$(stat -c %a "$real/share/doc/README")" = 444 ] || fail "file mode"
[ "$(stat -c %a "$real/bin/gx")" = 444 ] || fail "group-x file mode $(stat -c %a "$real/bin/gx")"
for x in "$real" "$real/bin" "$real/bin/hi" "$real/share/doc/README" "$real/hi-link"; do
	[ "$(stat -c %Y "$x")" = 1 ] || fail "mtime of $x is $(stat -c %Y "$x")"
done

# Real paths and sub-paths name the same store path.
$KILN path-info "$real/bin/hi" | head -1 | grep -qx "$p" || fail "path-info via real sub-path"
$KILN path-info "$p/share/doc" | head -1 | grep -qx "$p" || fail "path-info via logical sub-path"

# Re-adding is a no-op: same path, no new registry record.
lines=$(wc -l < "$KILN_STATE_DIR/db/registry")
[ "$($KILN add tree)" = "$p" ] || fail "re-add gave another path"
[ "$(wc -l < "$KILN_STATE_DIR/db/registry")" = "$lines" ] || fail "re-add appended a record"
[ "$(ls -A "$KILN_STATE_DIR/store" | wc -l)" = 3 ] || fail "store holds: $(ls -A "$KILN_STATE_DIR/store")"

# --name
n=$($KILN add --name renamed file.txt)
case $n in /kiln/store/????????????????????????????????-renamed) ;; *) fail "--name gave $n" ;; esac

# closure of a path without references is itself; several roots come sorted.
[ "$($KILN closure "$p")" = "$p" ] || fail "closure"
printf '%s\n' "$p" "$f" "$l" | sort > expect.closure
$KILN closure "$f" "$l" "$p" > got.closure
diff -u expect.closure got.closure || fail "closure of three roots"

out=$($KILN verify)
[ "$out" = "4 paths ok" ] || fail "verify said: $out"

# Unknown paths are errors that name them.
bogus=/kiln/store/00000000000000000000000000000000-nothing
if $KILN path-info "$bogus" 2>err; then fail "path-info of unknown path succeeded"; fi
grep -q "$bogus" err || fail "error does not name the path: $(cat err)"
if $KILN closure /usr/bin 2>err; then fail "closure of non-store path succeeded"; fi
grep -q /usr/bin err || fail "error does not name /usr/bin"

# Devices, fifos and sockets are refused, and nothing is left behind.
mkdir odd; mkfifo odd/pipe
if $KILN add odd 2>err; then fail "add of a fifo succeeded"; fi
grep -q "odd/pipe" err || fail "error does not name the fifo: $(cat err)"
[ "$(ls -A "$KILN_STATE_DIR/store" | wc -l)" = 4 ] || fail "leftover after refused add"
if $KILN add --name 'bad name' file.txt 2>err; then fail "bad name accepted"; fi
echo ok

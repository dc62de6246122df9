#!/bin/sh
# A well-formed .deb (xz, zstd, gzip and uncompressed data.tar) unpacks into a
# valid store path whose tree equals what dpkg-deb -x extracts: files, the x
# bit, nested and empty directories, relative and absolute symlinks, a
# hardlink; unpacking again gives the same path and adds nothing.
set -eu
command -v dpkg-deb >/dev/null || { echo "skipped: dpkg-deb not installed"; exit 77; }
MKDEB="$SRC/builder/tests/fixtures-deb/mkdeb.sh"

mkdir -p tree/usr/bin tree/usr/lib/x86_64-linux-gnu tree/usr/share/doc/fixture tree/etc/empty.d tree/bin
printf '#!/bin/sh\necho hi\n' >tree/usr/bin/hello; chmod 755 tree/usr/bin/hello
printf 'lib\n' >tree/usr/lib/x86_64-linux-gnu/libfix.so.1.0
ln -s libfix.so.1.0 tree/usr/lib/x86_64-linux-gnu/libfix.so.1
ln -s /usr/bin/hello tree/bin/hello
ln -s ../../../usr/bin/hello tree/usr/share/doc/fixture/up-to-root
printf 'docs with spaces\n' >"tree/usr/share/doc/fixture/read me"
ln tree/usr/bin/hello tree/usr/bin/hello-again
tar --sort=name --owner=0 --group=0 -C tree -cf data.tar .

dpkg_tree() {
	rm -rf ref; mkdir ref; dpkg-deb -x "$1" ref
}
for comp in xz zst gz none; do
	"$MKDEB" fixture-$comp.deb data.tar $comp
	out=$("$KILN" deb-unpack --name fixture-$comp fixture-$comp.deb)
	real="$KILN_STATE_DIR/store/${out#/kiln/store/}"
	[ -d "$real" ] || { echo "no store dir for $out"; exit 1; }
	dpkg_tree fixture-$comp.deb
	diff -r --no-dereference ref "$real" || { echo "$comp: contents differ from dpkg-deb -x"; exit 1; }
	[ -x "$real/usr/bin/hello" ] || { echo "$comp: x bit lost"; exit 1; }
	[ "$(readlink "$real/bin/hello")" = /usr/bin/hello ] || { echo "$comp: absolute symlink changed"; exit 1; }
	"$KILN" verify "$out" >/dev/null || { echo "$comp: kiln verify fails"; exit 1; }
	again=$("$KILN" deb-unpack --name fixture-$comp fixture-$comp.deb)
	[ "$again" = "$out" ] || { echo "$comp: second unpack gave $again, not $out"; exit 1; }
done
n=$(ls "$KILN_STATE_DIR/store" | wc -l)
[ "$n" = 4 ] || { echo "expected 4 store paths, found $n"; ls "$KILN_STATE_DIR/store"; exit 1; }
echo "4 compressions unpacked and match dpkg-deb -x"

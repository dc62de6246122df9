#!/bin/sh
# mkdeb.sh OUT.deb DATA.tar [xz|zst|gz|none]
# Wraps a data tar (made by the test, hostile or not) into a .deb the way
# dpkg-deb lays one out: an ar archive of debian-binary, control.tar.gz and
# data.tar.<compression>. Used by builder/tests/deb-*.sh.
set -eu
out=$1 data=$2 comp=${3:-xz}
work=$(mktemp -d "${TMPDIR:-/tmp}/mkdeb.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf '2.0\n' >"$work/debian-binary"
mkdir "$work/control"
printf 'Package: fixture\nVersion: 1\nArchitecture: all\nMaintainer: kiln tests\nDescription: test fixture\n' \
	>"$work/control/control"
tar -C "$work/control" -czf "$work/control.tar.gz" ./control
case $comp in
xz) xz -c "$data" >"$work/data.tar.xz"; member=data.tar.xz ;;
zst) zstd -q -c "$data" >"$work/data.tar.zst"; member=data.tar.zst ;;
gz) gzip -n -c "$data" >"$work/data.tar.gz"; member=data.tar.gz ;;
none) cp "$data" "$work/data.tar"; member=data.tar ;;
*) echo "mkdeb.sh: unknown compression $comp" >&2; exit 2 ;;
esac
rm -f "$out"
(cd "$work" && ar rcD out.deb debian-binary control.tar.gz "$member")
mv "$work/out.deb" "$out"

#!/bin/sh
# Store paths of `kiln nar path --store-dir /nix/store` against Nix itself:
#   default  == nix-store --add PATH            (recursive sha256, type "source")
#   --flat   == nix-store --add-fixed sha256 FILE (type "output:out", "fixed:out:…")
#   --text   == builtins.toFile NAME CONTENTS    (type "text")
# Nix adds into a private chroot store (--store local?root=$SCRATCH/nixroot): the
# printed paths still use /nix/store, and the host's /nix is never touched.
set -eu
for tool in nix-store nix-instantiate; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skipped: $tool (Debian nix-bin) is not installed, no oracle"
		exit 77
	fi
done
export HOME="$SCRATCH/home"
mkdir -p "$HOME"
umask 022
STORE="local?root=$SCRATCH/nixroot"
nixadd() { nix-store --store "$STORE" "$@"; }

F="$SCRATCH/fix"
mkdir -p "$F/my-tree/sub/deeper" "$F/my-tree/empty"
printf 'hello\n' > "$F/my-tree/hello"
printf '#!/bin/sh\n' > "$F/my-tree/sub/run"; chmod 0755 "$F/my-tree/sub/run"
ln -s ../hello "$F/my-tree/sub/link"
ln -s nowhere "$F/my-tree/dangling"
printf 'unicode\n' > "$F/my-tree/sub/deeper/名前 with space"
printf 'abc' > "$F/abc"
: > "$F/empty.txt"
printf 'x%.0s' $(seq 1 5000) > "$F/data-1.0+x?y=z_"
ln -s /etc/hostname "$F/a-link"
mkdir "$F/empty-dir"
head -c 3000000 /dev/urandom > "$F/random.bin"

fail=0
same() { # what, kiln's answer, nix's answer
	if [ "$2" = "$3" ]; then
		echo "ok: $1 -> $2"
	else
		echo "FAIL: $1: kiln '$2', nix '$3'"; fail=1
	fi
}

echo "oracle: nix-store --store '$STORE'"
for p in my-tree abc empty.txt data-1.0+x?y=z_ a-link empty-dir random.bin; do
	want=$(nixadd --add "$F/$p")
	got=$("$KILN" nar path --store-dir /nix/store "$F/$p" "$p")
	same "--add $p" "$got" "$want"
	got=$("$KILN" nar path --store-dir /nix/store "$F/$p")  # NAME defaults to basename
	same "--add $p (default name)" "$got" "$want"
done
for p in abc empty.txt data-1.0+x?y=z_ random.bin; do
	want=$(nixadd --add-fixed sha256 "$F/$p")
	got=$("$KILN" nar path --store-dir /nix/store --flat "$F/$p" "$p")
	same "--add-fixed sha256 $p" "$got" "$want"
done

printf 'hello world\nline two\n' > "$F/text"
want=$(nix-instantiate --store "$STORE" --eval -E 'builtins.toFile "greeting.txt" "hello world\nline two\n"' | tr -d '"')
got=$("$KILN" nar path --store-dir /nix/store --text "$F/text" greeting.txt)
same "toFile greeting.txt" "$got" "$want"

# The store dir is part of every hash: the default /kiln/store differs.
k=$("$KILN" nar path "$F/abc" abc)
case $k in
/kiln/store/????????????????????????????????-abc) ;;
*) echo "FAIL: default store dir path '$k'"; fail=1 ;;
esac
[ "${k#/kiln/store/}" != "$(nixadd --add "$F/abc" | sed 's|/nix/store/||')" ] ||
	{ echo "FAIL: /kiln/store and /nix/store give the same hash"; fail=1; }

# Names Nix refuses, kiln refuses too (exit 2, no path printed).
mkdir "$F/names"
for bad in 'with space' 'caf\303\251' 'a:b'; do
	name=$(printf "$bad")
	cp "$F/abc" "$F/names/$name"
	if out=$("$KILN" nar path --store-dir /nix/store "$F/names/$name" 2>/dev/null); then
		echo "FAIL: kiln accepted name '$name' ($out)"; fail=1
	fi
	if nixadd --add "$F/names/$name" >/dev/null 2>&1; then
		echo "FAIL: nix accepted name '$name' (the oracle disagrees with the test)"; fail=1
	fi
done
# Deliberately stricter than Nix 2.8: kiln (storepath.h) refuses names starting
# with '.', which Nix 2.8 accepts; kiln never needs them.
if "$KILN" nar path --store-dir /nix/store "$F/abc" .hidden >/dev/null 2>&1; then
	echo "FAIL: kiln accepted name '.hidden'"; fail=1
fi

[ $fail = 0 ] && echo "all store paths equal Nix's"
exit $fail

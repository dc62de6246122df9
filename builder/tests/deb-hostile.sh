#!/bin/sh
# Hostile .debs, generated here: each is refused with an error naming the
# package and the offending member, exits 1, and the store holds no new path
# (nor any temporary) afterwards.
set -eu
MKDEB="$SRC/builder/tests/fixtures-deb/mkdeb.sh"
fails=0

store_listing() { ls -A "$KILN_STATE_DIR/store" 2>/dev/null; "$KILN" verify 2>&1 | tail -1; }

# refused NAME DEB EXPECTED-TEXT [extra kiln args]: kiln must refuse DEB.
refused() {
	name=$1 deb=$2 want=$3; shift 3
	before=$(store_listing)
	if "$KILN" deb-unpack --name "$name" "$@" "$deb" >out 2>err; then
		echo "FAIL $name: accepted (printed $(cat out))"; fails=$((fails + 1)); return
	fi
	if ! grep -q "package '$name'" err || ! grep -qF -- "$want" err; then
		echo "FAIL $name: error does not name package and '$want':"; cat err
		fails=$((fails + 1)); return
	fi
	after=$(store_listing)
	if [ "$before" != "$after" ]; then
		echo "FAIL $name: the store changed: $before -> $after"; fails=$((fails + 1)); return
	fi
	echo "ok $name: $(cat err)"
}

mkdir -p good/usr/bin && echo ok >good/usr/bin/ok
tar -C good -cf good.tar .
"$MKDEB" good.deb good.tar
"$KILN" deb-unpack --name good good.deb >/dev/null   # the store is not empty

# a member "../escape"
mkdir -p dotdot/sub && echo evil >dotdot/escape
(cd dotdot/sub && tar -cPf ../../dotdot.tar ../escape)
"$MKDEB" dotdot.deb dotdot.tar
refused dotdot dotdot.deb "member '../escape'"

# an absolute member
mkdir -p abs && echo evil >abs/evil
tar -cPf abs.tar "$PWD/abs/evil"
"$MKDEB" abs.deb abs.tar
refused absolute abs.deb "member '$PWD/abs/evil': absolute path"

# a symlink to /etc, then a file written through it
mkdir -p link1 link2/etc-link
ln -s /etc link1/etc-link
echo 'root::0:0::/:/bin/sh' >link2/etc-link/passwd
tar -C link1 -cf through.tar ./etc-link
tar -C link2 -rf through.tar ./etc-link/passwd
"$MKDEB" through.deb through.tar
refused through-symlink through.deb "member './etc-link/passwd'"

# a relative symlink climbing out of the package
mkdir -p climb/usr
ln -s ../../../etc/shadow climb/usr/shadow
tar -C climb -cf climb.tar .
"$MKDEB" climb.deb climb.tar
refused climbing-symlink climb.deb "member './usr/shadow': symlink target escapes"

# hardlinks: to an absolute path, through "..", and to a member not yet extracted
mkdir -p hard && echo x >hard/a && ln hard/a hard/b
tar -P -C hard --transform 's,^\./a$,/etc/passwd,RS' -cf hard-abs.tar ./a ./b
"$MKDEB" hard-abs.deb hard-abs.tar
refused hardlink-absolute hard-abs.deb "member './b': hardlink target '/etc/passwd' is outside"
tar -P -C hard --transform 's,^\./a$,../../etc/passwd,RS' -cf hard-up.tar ./a ./b
"$MKDEB" hard-up.deb hard-up.tar
refused hardlink-dotdot hard-up.deb "member './b': hardlink target '../../etc/passwd' is outside"
tar -C hard --transform 's,^\./a$,./later,RS' -cf hard-later.tar ./a ./b
"$MKDEB" hard-later.deb hard-later.tar
refused hardlink-forward hard-later.deb "member './b': hardlink target is not a regular file extracted before it"

# a device node and a FIFO
mkdir -p dev
if mknod dev/null c 1 3 2>/dev/null; then
	tar -C dev -cf dev.tar ./null
	"$MKDEB" dev.deb dev.tar
	refused device dev.deb "member './null': device nodes"
else
	echo "note: mknod not permitted here; device-node case not run"
fi
mkdir -p fifo && mkfifo fifo/pipe
tar -C fifo -cf fifo.tar ./pipe
"$MKDEB" fifo.deb fifo.tar
refused fifo fifo.deb "member './pipe'"

# a directory replaced by a file of the same name
mkdir -p dup1/x dup2 && echo f >dup2/x
tar -C dup1 -cf dup.tar ./x
tar -C dup2 -rf dup.tar ./x
"$MKDEB" dup.deb dup.tar
refused duplicate dup.deb "member './x': duplicate member of a different type"

# a truncated archive (the data.tar member is cut short), and a .deb without data.tar
mkdir -p big && head -c 300000 /dev/zero | tr '\0' 'k' >big/file && seq 1 20000 >big/numbers
tar -C big -cf big.tar .
"$MKDEB" big.deb big.tar gz
size=$(stat -c %s big.deb)
head -c $((size - 200)) big.deb >truncated.deb
refused truncated truncated.deb "package 'truncated'"
printf '!<arch>\n' >nodata.deb
refused no-data nodata.deb "no data.tar member"

# a sha256 that differs from the pin
refused sha-mismatch good.deb "differs from the pinned" \
	--sha256 0000000000000000000000000000000000000000000000000000000000000000

[ "$fails" = 0 ] || { echo "$fails hostile case(s) not refused properly"; exit 1; }

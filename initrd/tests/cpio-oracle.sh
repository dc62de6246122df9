#!/bin/sh
# kiln's initrd archive read back by GNU cpio and gzip: the listing (modes,
# owners, the /dev/console node, sorted names), extracted contents equal to
# the inputs, and the same bytes whatever the umask, TZ, directory, input
# mtimes or input modes.
set -eu
. "$SRC/initrd/tests/fixtures.inc"
need cpio gzip sha256sum

mkdir in
printf '#!/bin/sh\necho fake init\n' >in/init
head -c 100000 /dev/urandom >in/blob
echo "conf" >in/conf
chmod 700 in/init in/blob; chmod 600 in/conf

build() { # build DIR UMASK TZ
	mkdir -p "$1"
	cp -p in/init in/blob in/conf "$1/"
	touch -d "@$(( $(date +%s) - $4 ))" "$1"/*
	if [ "$2" != 022 ]; then chmod 751 "$1/init" "$1/blob"; chmod 640 "$1/conf"; fi
	(umask "$2"; cd "$1" && TZ=$3 "$KILN" debug-initrd --init init --mtime 1700000000 \
		--file blob=/sbin/e2fsck --file conf=/etc/zz/conf -o initrd.img)
}
build a 022 UTC 0
build b 077 Asia/Tokyo 86400
a=$(sha256sum <a/initrd.img) b=$(sha256sum <b/initrd.img)
[ "$a" = "$b" ] || { echo "FAIL: two builds differ: $a vs $b"; exit 1; }

gzip -t a/initrd.img
gzip -dc a/initrd.img >a.cpio
cpio -itv --numeric-uid-gid --quiet <a.cpio >list.txt
cat list.txt
# names, in order: parents first and sorted
cat >want-names.txt <<'N'
dev
dev/console
etc
etc/zz
etc/zz/conf
init
proc
run
sbin
sbin/e2fsck
sys
sysroot
N
awk '{print $NF}' list.txt | diff -u want-names.txt -
grep -Eq '^crw------- +1 0 +0 +5, +1 .* dev/console$' list.txt ||
	{ echo "FAIL: no character device 5,1 /dev/console"; exit 1; }
grep -Eq '^-rwxr-xr-x +1 0 +0 +[0-9]+ .* init$' list.txt || { echo "FAIL: /init mode"; exit 1; }
grep -Eq '^-rwxr-xr-x +1 0 +0 +100000 .* sbin/e2fsck$' list.txt || { echo "FAIL: /sbin/e2fsck"; exit 1; }
grep -Eq '^-rw-r--r-- +1 0 +0 +5 .* etc/zz/conf$' list.txt || { echo "FAIL: conf mode"; exit 1; }
grep -Eq '^drwxr-xr-x +2 0 +0 .* etc/zz$' list.txt || { echo "FAIL: parent directory"; exit 1; }
# every entry carries --mtime (2023-11-14 22:13:20 UTC)
[ "$(TZ=UTC cpio -itv --quiet <a.cpio | grep -vc 'Nov 14  2023')" = 0 ] ||
	{ echo "FAIL: an entry without the given mtime"; exit 1; }
mkdir x
(cd x && cpio -id --quiet --nonmatching 'dev/console' <../a.cpio)
cmp x/init in/init && cmp x/sbin/e2fsck in/blob && cmp x/etc/zz/conf in/conf
[ "$(( $(stat -c %s a.cpio) % 512 ))" = 0 ] || { echo "FAIL: archive not padded to 512"; exit 1; }
echo "cpio-oracle: ok"

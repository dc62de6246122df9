#!/bin/sh
# Lock errors: fetching without a lock, or with a lock that lacks a package
# the configuration asks for, is a clear error naming the file:line and telling
# to run kiln lock (exit 2); a pin the archive no longer has is an error
# naming package, version and arch and the way to re-pin (exit 3); an unknown
# package is an error at lock time naming it; the store is left as it was.
set -eu
cp "$SRC"/images/minimal.cfg .
cat >web.cfg <<'CFG'
imports = ["minimal.cfg"];
system = { name = "web"; };
packages = ["dropbear-bin"];
CFG

if "$KILN" fetch minimal.cfg >out 2>err; then echo "fetch without a lock succeeded"; exit 1; fi
grep -q "minimal.cfg:[0-9]*: package '.*' is not in kiln.lock; run 'kiln lock .*minimal.cfg'" err || { cat err; exit 1; }

"$KILN" lock minimal.cfg 2>/dev/null
set +e; "$KILN" fetch web.cfg >out 2>err; rc=$?; set -e
[ $rc = 2 ] || { echo "stale lock: exit $rc, expected 2"; cat err; exit 1; }
grep -q "web.cfg:3: package 'dropbear-bin' is not in kiln.lock; run 'kiln lock .*web.cfg'" err || { cat err; exit 1; }

# locking web.cfg covers it (minimal.cfg's packages come through the import)
"$KILN" lock web.cfg 2>/dev/null
grep -qx 'root web.cfg amd64' kiln.lock && grep -qx 'root minimal.cfg amd64' kiln.lock
grep -q '^package dropbear-bin ' kiln.lock
grep -A3 '^root web.cfg' kiln.lock | grep -qx '  request busybox-static'

# a configuration that is gone loses its root (and its packages) at the next lock
mv web.cfg web.cfg.away
"$KILN" lock minimal.cfg 2>/dev/null
if grep -q '^root web.cfg\|^package dropbear-bin ' kiln.lock; then echo "web.cfg's pins outlived it"; exit 1; fi
mv web.cfg.away web.cfg

# an unknown package names itself and the configuration
cat >bad.cfg <<'CFG'
imports = ["minimal.cfg"];
packages = ["kiln-no-such-package"];
CFG
cp kiln.lock before-bad.lock
if "$KILN" lock bad.cfg 2>err; then echo "locked an unknown package"; exit 1; fi
grep -q "bad.cfg:2: .*Unable to locate package kiln-no-such-package" err || { cat err; exit 1; }
cmp kiln.lock before-bad.lock || { echo "a failed lock changed kiln.lock"; exit 1; }

# the archive moved on: busybox-static's pinned version is gone
ls -A "$KILN_STATE_DIR/store" 2>/dev/null >store-before || true
awk '/^package busybox-static / { $3 = "1:0.0-kiln-gone" } /^package / { pkg = $2 }
     pkg == "busybox-static" && $1 == "sha256" { $0 = "  sha256 " "0000000000000000000000000000000000000000000000000000000000000000" }
     { print }' kiln.lock >moved && mv moved kiln.lock
grep -q '^package busybox-static 1:0.0-kiln-gone amd64$' kiln.lock
set +e; "$KILN" fetch minimal.cfg >out 2>err; rc=$?; set -e
[ $rc = 3 ] || { echo "vanished pin: exit $rc, expected 3"; cat err; exit 1; }
grep -q "package 'busybox-static' version 1:0.0-kiln-gone (amd64) is no longer in the archive; re-pin with 'kiln lock --update .*minimal.cfg'" err || { cat err; exit 1; }
ls -A "$KILN_STATE_DIR/store" 2>/dev/null >store-after || true
cmp store-before store-after || { echo "a failed fetch changed the store"; exit 1; }

# kiln lock --update re-pins it
"$KILN" lock --update minimal.cfg 2>/dev/null
if grep -q 'kiln-gone' kiln.lock; then echo "--update kept the vanished pin"; exit 1; fi
echo "stale, missing and vanished pins are reported"

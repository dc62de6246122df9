# kiln config: a composed configuration (imports, a diamond, relative
# paths, list concatenation, overrides) prints exactly the expected model;
# the shipped images load; --origins names where values were set.
set -eu
F="$SRC/builder/tests/config-fixtures"
cd "$F"

"$KILN" config compose/web.cfg >"$SCRATCH/out" 2>"$SCRATCH/err" || {
	echo "kiln config failed: $?"; cat "$SCRATCH/err"; exit 1; }
[ ! -s "$SCRATCH/err" ] || { echo "unexpected stderr:"; cat "$SCRATCH/err"; exit 1; }
sed "s|$SRC|@SRC@|g" "$SCRATCH/out" >"$SCRATCH/out.norm"
diff -u compose/web.expected "$SCRATCH/out.norm"

# the output does not depend on the directory it is run from (except the
# file names, which are as the user wrote them)
cd "$SCRATCH"
"$KILN" config "$F/compose/web.cfg" | grep -v '^files_read' >"$SCRATCH/abs"
grep -v '^files_read' "$SCRATCH/out" | diff -u - "$SCRATCH/abs"
cd "$F"

# --origins: where the merged values came from
"$KILN" config --origins compose/web.cfg >"$SCRATCH/orig"
grep -qxF 'system.name = "web1"  # compose/web.cfg:3' "$SCRATCH/orig"
grep -qxF 'boot.kernel = "linux-image-cloud-amd64"  # compose/base.cfg:4' "$SCRATCH/orig"
grep -qxF 'packages[2] = "iproute2"  # compose/extra/net.cfg:7' "$SCRATCH/orig"
grep -qxF 'files_read[2] = "compose/extra/net.cfg"  # compose/web.cfg:2' "$SCRATCH/orig"

# the configurations kiln ships
cd "$SRC"
"$KILN" config images/minimal.cfg >"$SCRATCH/min"
grep -qxF 'system.arch = "x86_64"' "$SCRATCH/min"
grep -qxF 'boot.firmware = "both"' "$SCRATCH/min"
grep -qxF 'boot.kernel = "linux-image-cloud-amd64"' "$SCRATCH/min"
"$KILN" config images/minimal-aarch64.cfg >"$SCRATCH/arm"
grep -qxF 'system.arch = "aarch64"' "$SCRATCH/arm"
grep -qxF 'system.deb_arch = "arm64"' "$SCRATCH/arm"
grep -qxF 'boot.firmware = "uefi"' "$SCRATCH/arm"
grep -qxF 'boot.kernel = "linux-image-cloud-arm64"' "$SCRATCH/arm"
grep -q '^boot.params = .*"console=ttyAMA0"\]$' "$SCRATCH/arm"
for f in images/*.cfg; do
	"$KILN" config "$f" >/dev/null || { echo "$f does not load"; exit 1; }
done

# usage errors are exit code 2
set +e
"$KILN" config >/dev/null 2>&1; [ $? = 2 ] || { echo "no argument: want exit 2"; exit 1; }
"$KILN" config a.cfg b.cfg >/dev/null 2>&1; [ $? = 2 ] || { echo "two arguments: want exit 2"; exit 1; }
echo ok

# kiln config: each kind of configuration error is exactly one line
# "kiln: error: FILE:LINE: KEY: message" on stderr, nothing on stdout, and
# exit code 2; several problems are all reported, in file and line order.
set -u
cd "$SRC/builder/tests/config-fixtures"
failed=0

# expect FIXTURE LINE...: the exact stderr lines (without "kiln: error: ")
expect() {
	fixture=$1; shift
	"$KILN" config "errors/$fixture" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	: >"$SCRATCH/want"
	for line in "$@"; do printf 'kiln: error: %s\n' "$line" >>"$SCRATCH/want"; done
	if [ $rc != 2 ]; then
		echo "FAIL $fixture: exit code $rc, want 2"; failed=1
	elif [ -s "$SCRATCH/out" ]; then
		echo "FAIL $fixture: wrote to stdout"; failed=1
	elif ! diff -u "$SCRATCH/want" "$SCRATCH/err"; then
		echo "FAIL $fixture: stderr differs"; failed=1
	else
		echo "ok $fixture"
	fi
}

expect unknown-key.cfg \
	'errors/unknown-key.cfg:3: boot.kernal: unknown key; did you mean kernel? (expected one of: firmware, kernel, params, modules, timeout)'
expect wrong-type.cfg \
	'errors/wrong-type.cfg:4: users.admin.uid: expected an integer, found a string'
expect missing-import.cfg \
	'errors/missing-import.cfg:3: imports: cannot read errors/nowhere.cfg: No such file or directory'
expect cycle-a.cfg \
	'errors/cycle-b.cfg:2: imports: import cycle: errors/cycle-a.cfg -> errors/cycle-b.cfg -> errors/cycle-a.cfg'
expect missing-required.cfg \
	'errors/missing-required.cfg:2: boot.kernel: required value missing'
expect invalid-value.cfg \
	'errors/invalid-value.cfg:2: network.eth0.address: "192.0.2.300/24" is not an IPv4 address with a prefix length (a.b.c.d/n)'
expect clash.cfg \
	'errors/clash.cfg:2: users: is a string here but a group at errors/base.cfg:6; they cannot be merged'
expect syntax.cfg \
	'errors/syntax.cfg:2: syntax error'
expect aarch64-bios.cfg \
	'errors/aarch64-bios.cfg:3: boot.firmware: "bios" is not available on aarch64 (only "uefi")'
expect many.cfg \
	"errors/many.cfg:2: system.hostname: \"Web_1\" is not a valid host name (labels of a-z, 0-9 and '-' separated by '.')" \
	"errors/many.cfg:3: packages[1]: \"Vim\" is not a Debian package name (a-z, 0-9, '+', '-', '.'; at least two characters)" \
	'errors/many.cfg:4: services.sshd.command: required value missing' \
	'errors/many.cfg:4: services.sshd.action: "forever" is not one of "respawn", "once", "sysinit", "wait"' \
	'errors/many.cfg:5: colour: unknown key (expected one of: system, boot, packages, sw, users, network, services, files, disk, installer)'
expect does-not-exist.cfg \
	'errors/does-not-exist.cfg: cannot read: No such file or directory'

# the base the fixtures import is valid, so each fixture's error is its own
"$KILN" config errors/base.cfg >/dev/null || { echo "FAIL errors/base.cfg does not load"; failed=1; }
exit $failed

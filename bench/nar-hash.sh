#!/bin/sh
# NAR hashing speed: `kiln nar hash` over a ~200 MB tree (4 large files and
# ~4,000 small ones in 8 directories) against two baselines over the same
# bytes, warm cache, median of RUNS runs:
#   sha256sum on every file    goal: kiln >= 0.9x its throughput
#   nix-hash --type sha256     goal: kiln >= 1.0x its throughput
# MB/s counts file-content bytes (10^6 bytes per MB).
set -eu
RUNS=${RUNS:-7}
if ! command -v nix-hash >/dev/null 2>&1; then
	echo "skipped: nix-hash (Debian nix-bin) is not installed"
	exit 77
fi
T="$SCRATCH/tree"
mkdir -p "$T"
for i in 1 2 3 4; do
	head -c 40000000 /dev/urandom > "$T/large-$i.bin"
done
for d in 1 2 3 4 5 6 7 8; do
	mkdir -p "$T/small/dir$d"
	head -c 5000000 /dev/urandom | (cd "$T/small/dir$d" && split -b 9973 -a 3 - f)
done
chmod 0755 "$T/large-1.bin"
ln -s large-2.bin "$T/link"
bytes=$(find "$T" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
files=$(find "$T" -type f | wc -l)
echo "tree: $files files, $bytes bytes"

now() { date +%s.%N; }
# Appends the wall time of "$@" (output discarded) to the file $1.
timeone() {
	out=$1; shift
	s=$(now); "$@" > /dev/null; e=$(now)
	echo "$s $e" | awk '{ printf "%.6f\n", $2 - $1 }' >> "$out"
}
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
sha_files() { find "$T" -type f -print0 | xargs -0 sha256sum; }

# warm the page cache and check kiln agrees with nix-hash before timing
want=$(nix-hash --type sha256 --base32 "$T")
got=$("$KILN" nar hash --base32 "$T")
if [ "$want" != "$got" ]; then
	echo "FAIL: kiln $got, nix-hash $want"
	exit 1
fi
sha_files > /dev/null

# Interleaved rounds: load from other processes hits all three alike.
: > "$SCRATCH/t.sha"; : > "$SCRATCH/t.nix"; : > "$SCRATCH/t.kiln"
i=0
while [ $i -lt "$RUNS" ]; do
	timeone "$SCRATCH/t.sha" sha_files
	timeone "$SCRATCH/t.nix" nix-hash --type sha256 "$T"
	timeone "$SCRATCH/t.kiln" "$KILN" nar hash "$T"
	i=$((i + 1))
done
t_sha=$(median "$SCRATCH/t.sha"); t_nix=$(median "$SCRATCH/t.nix"); t_kiln=$(median "$SCRATCH/t.kiln")

echo "$bytes $t_sha $t_nix $t_kiln" | awk '{
	mb = $1 / 1e6
	sha = mb / $2; nix = mb / $3; kiln = mb / $4
	printf "sha256sum        %7.3f s  %7.1f MB/s\n", $2, sha
	printf "nix-hash         %7.3f s  %7.1f MB/s\n", $3, nix
	printf "kiln nar hash    %7.3f s  %7.1f MB/s\n", $4, kiln
	r1 = kiln / sha; r2 = kiln / nix
	printf "nar-hash kiln/sha256sum %.2f (goal >= 0.90) %s\n", r1, (r1 >= 0.9 ? "PASS" : "MISS")
	printf "nar-hash kiln/nix-hash  %.2f (goal >= 1.00) %s\n", r2, (r2 >= 1.0 ? "PASS" : "MISS")
}'

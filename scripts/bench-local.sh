#!/usr/bin/env bash
# Wall times of the local AWS target, on this machine:
#   1. `make local` from a stopped emulator (start moto, deploy bootstrap and dev)
#   2. a no-op `cdktf diff dev` right after it
#   3. the tests against the emulator (go test -run TestLocal), which run in parallel
# Run through `make bench-local`, which sets up PATH and the Terraform CLI
# configuration. Prints one line per measurement; paste them as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds() {
	local start end
	start=$(date +%s.%N)
	"$@" > "${log:?}" 2>&1 || { echo "failed: $* (see $log)" >&2; exit 1; }
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

mkdir -p .local
log=.local/bench.log
sh scripts/local-aws.sh down > /dev/null

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr)"
echo "make local (from a stopped emulator): $(seconds make --no-print-directory local) s"
endpoint=$(sh scripts/local-aws.sh endpoint)
echo "cdktf diff dev (no changes):          $(seconds env DB_LOCAL_ENDPOINT="$endpoint" cdktf diff dev --output .local/cdktf.out) s"
grep -q "No changes" "$log" || { echo "the diff was not empty (see $log)" >&2; exit 1; }
echo "life-cycle tests (go test -run TestLocal, in parallel): $(seconds go test -count=1 -timeout 60m -run TestLocal ./__tests__/) s"
sh scripts/local-aws.sh down > /dev/null

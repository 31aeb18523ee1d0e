#!/usr/bin/env bash
# What users feel of the local AWS target, on this machine:
#   1. `make local` from a stopped emulator (start moto, deploy bootstrap and dev)
#   2. `make review STAGE=dev` of the deployed dev (no changes), and
#   3. a no-op `cdktf diff dev`, each against a plain `terraform plan` in the
#      same synthesized folder, in pairs (PAIRS, 5 unless set): the medians,
#      and the median of the pairs' ratios;
#   4. make query through the local Data API, the first (PostgreSQL's start)
#      and the next, and a statement's round trip through the front.
# Wall time, and CPU: user+sys of the whole process tree (bash's times of
# the command and every process it waited for: terraform's plugins, the
# review's own). Run through `make bench-local`, which sets up PATH and the
# Terraform CLI configuration. Prints one line per measurement; paste them
# as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=${PAIRS:-5}
mkdir -p .local
log=.local/bench.log
: > "$log"

# measure NAME EXPECT COMMAND...: runs COMMAND, its output appended to the
# log, which must then hold EXPECT; appends "wall cpu" to .local/bench-NAME.
measure() {
	local name=$1 expect=$2 output
	shift 2
	output=$(mktemp)
	local TIMEFORMAT="%R %U %S"
	{ time "$@" > "$output" 2>&1; } 2> "$output.time" || {
		cat "$output" >> "$log"
		echo "failed: $* (see $log)" >&2
		exit 1
	}
	cat "$output" >> "$log"
	grep -q -- "$expect" "$output" || { echo "$*: no \"$expect\" in its output (see $log)" >&2; exit 1; }
	awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$output.time" >> ".local/bench-$name"
	rm -f "$output" "$output.time"
}

# median COLUMN FILE: the median of a column of numbers.
median() {
	sort -n -k "$1" "$2" | awk -v c="$1" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# compare NAME LABEL: the medians of NAME against the plain plans measured
# with it, pair by pair.
compare() {
	local name=$1 label=$2
	paste -d ' ' ".local/bench-$name" ".local/bench-plan-$name" | awk '{ print $1 / $3, $2 / $4 }' > .local/bench-ratios
	printf "%-24s %5.1f s wall, %5.1f s CPU (median of %d)\n" "$label" "$(median 1 ".local/bench-$name")" "$(median 2 ".local/bench-$name")" "$pairs"
	printf "%-24s %5.1f s wall, %5.1f s CPU\n" "terraform plan" "$(median 1 ".local/bench-plan-$name")" "$(median 2 ".local/bench-plan-$name")"
	printf "%-24s %5.2fx wall, %5.2fx CPU (median of the pairs' ratios)\n" "  ratio" "$(median 1 .local/bench-ratios)" "$(median 2 .local/bench-ratios)"
}

rm -f .local/bench-*
sh scripts/local-aws.sh down > /dev/null

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr)"
measure local "SSM parameters" make --no-print-directory local
read -r wall cpu < .local/bench-local
echo "make local (from a stopped emulator): $wall s wall, $cpu s CPU"

export DB_LOCAL_ENDPOINT
DB_LOCAL_ENDPOINT=$(sh scripts/local-aws.sh endpoint)
folder=.local/cdktf.out/stacks/dev
echo "no changes to the deployed dev, each against terraform plan in $folder, $pairs pairs:"
for _ in $(seq "$pairs"); do
	measure review "0 to create, 0 to update in place, 0 to replace, 0 to delete" make --no-print-directory review STAGE=dev ARGS="--outdir .local/cdktf.out"
	measure plan-review "No changes" terraform -chdir="$folder" plan -input=false -no-color
done
compare review "make review STAGE=dev"
for _ in $(seq "$pairs"); do
	measure diff "No changes" cdktf diff dev --output .local/cdktf.out
	measure plan-diff "No changes" terraform -chdir="$folder" plan -input=false -no-color
done
compare diff "cdktf diff dev"

# The local Data API: the first statement starts dev's PostgreSQL (its
# start-up, from the front's log), then make query's whole command, and a
# statement's round trip through the front (a pooled login, select 1).
measure query-first "(1 row)" make --no-print-directory query STAGE=dev SQL="select 1 as one"
read -r wall cpu < .local/bench-query-first
echo "make query STAGE=dev (its PostgreSQL started): $wall s wall, $cpu s CPU; $(grep -o 'started [^ ]*: PostgreSQL .* in [0-9.]*m\?s' .local/front.log | tail -1)"
measure query "(1 row)" make --no-print-directory query STAGE=dev SQL="select 1 as one"
read -r wall cpu < .local/bench-query
echo "make query STAGE=dev (PostgreSQL running): $wall s wall, $cpu s CPU"
go test -count=1 -run '^$' -bench FrontStatementRoundTrip -benchtime 500x ./internal/localfront/ | grep Benchmark
sh scripts/local-aws.sh down > /dev/null

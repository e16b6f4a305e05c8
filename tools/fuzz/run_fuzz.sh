#!/usr/bin/env bash
# Run one libFuzzer target over its seed corpus for a fixed number of runs
# (the fuzz/* ctests, tools/fuzz/ci_smoke.sh): fails on any crash, leak,
# timeout or sanitizer report, and for fuzz_ops on an invariant violation.
# The corpus and the options go by the target's name (make_corpus.sh):
# fuzz_loader and fuzz_scenario get the scenario files and the dictionary,
# inputs up to 64 KiB; fuzz_ops gets the byte seeds of fuzz_ops_seeds (the
# one beside TARGET when there is one), no dictionary, inputs up to 4 KiB.
# New inputs go to WORKDIR/corpus, never into the seeds; a crashing input is
# left in WORKDIR as crash-*, leak-* or timeout-* and its path is printed
# on a "run_fuzz: artifact:" line.  Prints the exec/s.
#
#   tools/fuzz/run_fuzz.sh TARGET WORKDIR [RUNS]
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: tools/fuzz/run_fuzz.sh TARGET WORKDIR [RUNS]" >&2
	exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
target="$1" work="$2" runs="${3:-2000}"
name="$(basename "$target")"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds"
case "$name" in
fuzz_ops)
	if [ -z "${FUZZ_OPS_SEEDS:-}" ] && [ -x "$(dirname "$target")/fuzz_ops_seeds" ]; then
		FUZZ_OPS_SEEDS="$(dirname "$target")/fuzz_ops_seeds"
		export FUZZ_OPS_SEEDS
	fi
	opts=(-max_len=4096)
	;;
*)
	opts=(-max_len=65536 -dict="$here/iommusim.dict")
	;;
esac
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
"$here/make_corpus.sh" "$work/seeds" "$name"
status=0
"$target" -runs="$runs" -seed=1 -timeout=25 -rss_limit_mb=2048 "${opts[@]}" \
	-artifact_prefix="$work/" -print_final_stats=1 \
	"$work/corpus" "$work/seeds" >"$work/log" 2>&1 || status=$?
grep -E '^(#[0-9]+ +(INITED|DONE)|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' \
	"$work/log" || true
if [ $status -ne 0 ]; then
	tail -60 "$work/log"
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
		[ -f "$a" ] && echo "run_fuzz: artifact: $a"
	done
	echo "run_fuzz: $name failed (status $status); see $work/log and $work/" >&2
fi
exit $status

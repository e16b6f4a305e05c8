#!/usr/bin/env bash
# Run one libFuzzer target over the seed corpus for a fixed number of runs
# (the fuzz/* ctests): fails on any crash, leak, timeout or sanitizer report.
# New inputs go to WORKDIR/corpus, never into the seeds; a crashing input is
# left in WORKDIR as crash-*, leak-* or timeout-*.  Prints the exec/s.
#
#   tools/fuzz/run_fuzz.sh TARGET WORKDIR [RUNS]
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: tools/fuzz/run_fuzz.sh TARGET WORKDIR [RUNS]" >&2
	exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
target="$1" work="$2" runs="${3:-2000}"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds"
"$here/make_corpus.sh" "$work/seeds"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
"$target" -runs="$runs" -seed=1 -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
	-dict="$here/iommusim.dict" -artifact_prefix="$work/" -print_final_stats=1 \
	"$work/corpus" "$work/seeds" >"$work/log" 2>&1 || status=$?
grep -E '^(#[0-9]+ +(INITED|DONE)|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' \
	"$work/log" || true
if [ $status -ne 0 ]; then
	tail -60 "$work/log"
	echo "run_fuzz: $(basename "$target") failed (status $status); see $work/log and $work/" >&2
fi
exit $status

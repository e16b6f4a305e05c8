#!/usr/bin/env bash
# The CI smoke of the coverage-guided fuzz targets (docs/fuzzing.md): the
# fuzz preset configured and built, then each target over its seed corpus
# for a fixed number of runs (tools/fuzz/run_fuzz.sh: seed 1, so the same
# runs every time), each target's runs and exec/s printed.  A crash, leak,
# timeout, sanitizer report or (fuzz_ops) invariant violation fails it: the
# target's log tail, and the crashing input converted to a scenario file by
# tools/fuzz/crash2scenario.sh (fuzz_ops's needs build/dev/iommusim or
# $IOMMUSIM), are printed, and it exits 1 after the remaining targets.
# About 2-3 minutes on 2 cores, the build included (the figures are in
# docs/fuzzing.md).  Needs clang and libFuzzer: tools/bootstrap.sh --fuzz.
#
#   tools/fuzz/ci_smoke.sh
#
# Environment: FUZZ_SMOKE_JOBS (build jobs; default the preset's),
# FUZZ_SMOKE_RUNS_<target> (runs of that target, e.g.
# FUZZ_SMOKE_RUNS_fuzz_ops=1000), FUZZ_SMOKE_SKIP_BUILD=1 (use build/fuzz as
# it is).  The work directories are build/fuzz/smoke/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tools/fuzz
build=build/fuzz
start=$(date +%s)

if ! command -v clang >/dev/null 2>&1; then
	echo "ci_smoke: no clang: run tools/bootstrap.sh --fuzz first" >&2
	exit 1
fi
if [ "${FUZZ_SMOKE_SKIP_BUILD:-0}" != 1 ]; then
	echo "== fuzz preset: configure and build =="
	jobs=()
	if [ -n "${FUZZ_SMOKE_JOBS:-}" ]; then
		jobs=(-j "$FUZZ_SMOKE_JOBS")
	fi
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz "${jobs[@]}" >/dev/null
	echo "ci_smoke: built in $(( $(date +%s) - start )) s"
fi

# Runs per target: sized so that each takes some 20-30 s on the 2-core CI
# machine, its seed corpus's first pass included (docs/fuzzing.md, Figures).
declare -A runs=([fuzz_loader]=30000 [fuzz_scenario]=20000 [fuzz_ops]=1200)
failed=()
summary=()
for t in fuzz_loader fuzz_scenario fuzz_ops; do
	var="FUZZ_SMOKE_RUNS_$t"
	n="${!var:-${runs[$t]}}"
	work="$build/smoke/$t"
	echo "== $t: $n runs over its seed corpus =="
	t0=$(date +%s)
	status=0
	"$here/run_fuzz.sh" "$build/$t" "$work" "$n" || status=$?
	secs=$(( $(date +%s) - t0 ))
	execs="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)"
	units="$(sed -n 's/^stat::new_units_added: *//p' "$work/log" | tail -1)"
	if [ $status -eq 0 ]; then
		summary+=("$(printf '%-14s %7s runs %5s s %6s exec/s %5s new units  ok' \
			"$t" "$n" "$secs" "${execs:-?}" "${units:-?}")")
		continue
	fi
	failed+=("$t")
	summary+=("$(printf '%-14s %7s runs %5s s %6s exec/s  FAILED (status %s, %s)' \
		"$t" "$n" "$secs" "${execs:-?}" "$status" "$work/log")")
	found=0
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -f "$a" ] || continue
		found=1
		echo "== $t: the failing input $a as a scenario file =="
		"$here/crash2scenario.sh" "$t" "$a" || echo "ci_smoke: (no scenario file from $a)"
	done
	if [ $found -eq 0 ]; then
		echo "ci_smoke: $t left no input in $work (see $work/log)"
	fi
done

echo "== fuzz smoke: $(( $(date +%s) - start )) s in all =="
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
	echo "ci_smoke: FAILED: ${failed[*]}" >&2
	exit 1
fi

#!/usr/bin/env bash
# A fuzz target's seed corpus, in DIR (emptied first).
#
# fuzz_loader and fuzz_scenario (the default): every scenario file of
# testcases/scenarios/ (recursively), copied flat into DIR with its path as
# the name (bad/foo.yaml -> bad__foo.yaml).
#
# fuzz_ops: N byte seeds (default 64), the generator's choices of runs
# 0..N-1 of seed 1, written by the first of: $FUZZ_OPS_SEEDS (the
# fuzz_ops_seeds program), build/fuzz/fuzz_ops_seeds, then
# `iommusim fuzz --emit-seeds DIR --runs N` with $IOMMUSIM or
# build/dev/iommusim.
#
#   tools/fuzz/make_corpus.sh DIR [TARGET [N]]
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: tools/fuzz/make_corpus.sh DIR [TARGET [N]]" >&2
	exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
target="$(basename "${2:-fuzz_scenario}")"
nseeds="${3:-64}"
mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 -type f -delete

case "$target" in
fuzz_ops)
	seeds="${FUZZ_OPS_SEEDS:-}"
	if [ -z "$seeds" ] && [ -x "$root/build/fuzz/fuzz_ops_seeds" ]; then
		seeds="$root/build/fuzz/fuzz_ops_seeds"
	fi
	if [ -n "$seeds" ]; then
		"$seeds" "$out" "$nseeds" 1 >/dev/null
	else
		cli="${IOMMUSIM:-$root/build/dev/iommusim}"
		if [ ! -x "$cli" ]; then
			echo "make_corpus: no fuzz_ops_seeds (\$FUZZ_OPS_SEEDS, build/fuzz/) and no iommusim" \
			     "(\$IOMMUSIM, build/dev/iommusim) to write fuzz_ops's seeds" >&2
			exit 1
		fi
		"$cli" fuzz --seed 1 --emit-seeds "$out" --runs "$nseeds" >/dev/null
	fi
	n="$(find "$out" -mindepth 1 -maxdepth 1 -type f | wc -l)"
	if [ "$n" -eq 0 ]; then
		echo "make_corpus: no fuzz_ops seeds were written to $out" >&2
		exit 1
	fi
	;;
fuzz_loader | fuzz_scenario)
	n=0
	while IFS= read -r -d '' f; do
		rel="${f#"$root/testcases/scenarios/"}"
		cp "$f" "$out/${rel//\//__}"
		n=$((n + 1))
	done < <(find "$root/testcases/scenarios" -name '*.yaml' -type f -print0 | sort -z)
	;;
*)
	echo "make_corpus: unknown target '$target' (fuzz_loader, fuzz_scenario or fuzz_ops)" >&2
	exit 2
	;;
esac
echo "make_corpus: $n seeds for $target in $out"

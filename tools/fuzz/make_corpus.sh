#!/usr/bin/env bash
# The fuzz targets' seed corpus: every scenario file of testcases/scenarios/
# (recursively), copied flat into DIR with its path as the name
# (bad/foo.yaml -> bad__foo.yaml).  DIR is emptied first.
#
#   tools/fuzz/make_corpus.sh DIR
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: tools/fuzz/make_corpus.sh DIR" >&2
	exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 -type f -delete
n=0
while IFS= read -r -d '' f; do
	rel="${f#"$root/testcases/scenarios/"}"
	cp "$f" "$out/${rel//\//__}"
	n=$((n + 1))
done < <(find "$root/testcases/scenarios" -name '*.yaml' -type f -print0 | sort -z)
echo "make_corpus: $n seeds in $out"

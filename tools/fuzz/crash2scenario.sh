#!/usr/bin/env bash
# A fuzz target's crashing input (libFuzzer's crash-*, AFL++'s crashes/id:*)
# as a scenario file, for `iommusim run` and for a bug report.
#
# fuzz_loader, fuzz_scenario: the input is a scenario file already; it is
# copied after a comment header naming the target and the input (so its
# line numbers move down by the header's lines).  An input that is not
# UTF-8 text (or has a NUL byte) is no scenario file: that is said, nothing
# is written, and the input replays only on the target itself.
# fuzz_ops: the input is the generator's choices; `iommusim fuzz --decode
# INPUT` gives the scenario file they decode to, after the same header.
# The CLI is $IOMMUSIM, else build/dev/iommusim.
#
# The file goes to OUT.yaml, or to standard output without it.
#
#   tools/fuzz/crash2scenario.sh TARGET INPUT [OUT.yaml]
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: tools/fuzz/crash2scenario.sh TARGET INPUT [OUT.yaml]" >&2
	echo "  TARGET: fuzz_loader, fuzz_scenario or fuzz_ops (or the path of one)" >&2
	exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="$(basename "$1")" input="$2" out="${3:-}"
if [ ! -f "$input" ] || [ ! -r "$input" ]; then
	echo "crash2scenario: $input: no such readable file" >&2
	exit 1
fi
sum="$(sha1sum <"$input" | cut -d' ' -f1)"
size="$(wc -c <"$input" | tr -d ' ')"
header="# crash2scenario: an input of the fuzz target $target
# input: $input ($size bytes, sha1 $sum)
"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

case "$target" in
fuzz_loader | fuzz_scenario)
	if ! iconv -f UTF-8 -t UTF-8 "$input" >/dev/null 2>&1 ||
	   ! tr -d '\000' <"$input" | cmp -s - "$input"; then
		echo "crash2scenario: $input is not valid UTF-8 text (or has a NUL byte): it is no" \
		     "scenario file; replay it on the target: build/fuzz/$target $input" >&2
		exit 1
	fi
	printf '%s' "$header" >"$tmp"
	cat "$input" >>"$tmp"
	# a file that does not end its last line gets a newline (YAML-neutral)
	if [ "$size" -gt 0 ] && [ -n "$(tail -c 1 "$input")" ]; then
		echo >>"$tmp"
	fi
	;;
fuzz_ops)
	cli="${IOMMUSIM:-$root/build/dev/iommusim}"
	if [ ! -x "$cli" ]; then
		echo "crash2scenario: no iommusim to decode a fuzz_ops input: set IOMMUSIM, or build" \
		     "build/dev/iommusim (cmake --preset dev && cmake --build --preset dev)" >&2
		exit 1
	fi
	printf '%s# replay: iommusim run <this file> (it shows the violation fuzz_ops found)\n' \
		"$header" >"$tmp"
	if ! "$cli" fuzz --decode "$input" >>"$tmp"; then
		echo "crash2scenario: $cli fuzz --decode $input failed" >&2
		exit 1
	fi
	;;
*)
	echo "crash2scenario: unknown target '$target' (fuzz_loader, fuzz_scenario or fuzz_ops)" >&2
	exit 2
	;;
esac

if [ -n "$out" ]; then
	cp "$tmp" "$out"
	echo "crash2scenario: $out (from $target input $input)" >&2
else
	cat "$tmp"
fi

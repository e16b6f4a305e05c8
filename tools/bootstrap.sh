#!/usr/bin/env bash
# Install what iommusim needs to build and test, from Debian's packages only.
# Idempotent: packages already present are not touched, and apt-get runs only
# when something is missing.  Needs root (or sudo) for the install step.
#
#   tools/bootstrap.sh            the build and the simulator's tests
#   tools/bootstrap.sh --oracle   also the real-kernel oracle: QEMU, busybox
#                                 and Debian's kernels in build/oracle
#                                 (tools/oracle/setup.sh, docs/oracle.md)
#   tools/bootstrap.sh --fuzz     also the fuzz presets' compilers: clang
#                                 with libFuzzer and AFL++ (docs/fuzzing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
oracle=0
fuzz=0
for arg in "$@"; do
	case "$arg" in
	--oracle) oracle=1 ;;
	--fuzz) fuzz=1 ;;
	*) echo "usage: tools/bootstrap.sh [--oracle] [--fuzz]" >&2; exit 2 ;;
	esac
done

packages=(build-essential cmake pkg-config libglib2.0-dev libyaml-dev check lcov)
# the fuzz and fuzz-afl presets: clang 14 with its libFuzzer and sanitizer
# runtimes (libclang-rt-14-dev), and AFL++ (afl-clang-fast, libAFLDriver)
if [ $fuzz -eq 1 ]; then
	packages+=(clang libclang-rt-14-dev afl++)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# The test drivers need a python3 (standard library only); any python3 will do.
if ! command -v python3 >/dev/null 2>&1; then
	missing+=(python3)
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "bootstrap: all build dependencies present"
else
	echo "bootstrap: installing ${missing[*]}"
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ $oracle -eq 1 ]; then
	tools/oracle/setup.sh build/oracle
fi

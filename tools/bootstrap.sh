#!/usr/bin/env bash
# Install what iommusim needs to build and test, from Debian's packages only.
# Idempotent: packages already present are not touched, and apt-get runs only
# when something is missing.  Needs root (or sudo) for the install step.
#
#   tools/bootstrap.sh            the build and the simulator's tests
#   tools/bootstrap.sh --oracle   also the real-kernel oracle: QEMU, busybox
#                                 and Debian's kernels in build/oracle
#                                 (tools/oracle/setup.sh, docs/oracle.md)
set -euo pipefail
cd "$(dirname "$0")/.."
oracle=0
for arg in "$@"; do
	case "$arg" in
	--oracle) oracle=1 ;;
	*) echo "usage: tools/bootstrap.sh [--oracle]" >&2; exit 2 ;;
	esac
done

packages=(build-essential cmake pkg-config libglib2.0-dev libyaml-dev check lcov)

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

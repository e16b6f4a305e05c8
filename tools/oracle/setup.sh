#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Set up the real-kernel oracle (docs/oracle.md), from Debian's packages only:
#  - qemu-system-x86 and busybox-static, installed with apt-get if missing;
#  - the kernels the oracle boots, fetched with `apt-get download` through a
#    private sources list and state directory (bookworm for 6.1,
#    bookworm-backports for 6.12) and unpacked with `dpkg-deb -x` into
#    DIR/kernels/<version>/, so nothing on the system changes.
#
#   tools/oracle/setup.sh [DIR]        DIR defaults to build/oracle
#
# Idempotent: a kernel already unpacked is not fetched again, and apt-get
# runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build/oracle}

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in qemu-system-x86 busybox-static; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "oracle setup: installing ${missing[*]}"
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernels: <version> <metapackage as apt names it>.  The metapackage
# names the newest image of that line; its exact version is recorded in
# kernels/<version>/package.
kernels=(
	"6.1 linux-image-amd64/bookworm"
	"6.12 linux-image-amd64/bookworm-backports"
)

need=0
for k in "${kernels[@]}"; do
	set -- $k
	[ -f "$dir/kernels/$1/vmlinuz" ] || need=1
done
if [ $need -eq 0 ]; then
	echo "oracle setup: kernels present in $dir/kernels"
	exit 0
fi

apt="$dir/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$apt/sources.list" <<EOF
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$keyring] http://deb.debian.org/debian bookworm-backports main
EOF
aptopts=(-o "Dir::Etc::SourceList=$PWD/$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o "Dir::State::Lists=$PWD/$apt/lists" -o "Dir::Cache=$PWD/$apt/cache"
	 -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
echo "oracle setup: reading the package lists (private, in $apt)"
apt-get "${aptopts[@]}" update -qq

for k in "${kernels[@]}"; do
	set -- $k
	ver=$1 meta=$2 kd="$dir/kernels/$1"
	[ -f "$kd/vmlinuz" ] && continue
	# bookworm's 6.1 comes from bookworm-security when it is newer there
	if [ "$meta" = linux-image-amd64/bookworm ]; then
		meta=$(apt-cache "${aptopts[@]}" policy linux-image-amd64 |
			awk '/Candidate:/ {print "linux-image-amd64=" $2}')
	fi
	pkg=$(apt-cache "${aptopts[@]}" depends "$meta" |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	if [ -z "$pkg" ]; then
		echo "oracle setup: no kernel image behind $meta" >&2
		exit 1
	fi
	echo "oracle setup: kernel $ver: $pkg"
	(cd "$apt/debs" && apt-get "${aptopts[@]}" download -q "$pkg" >/dev/null)
	rm -rf "$kd" && mkdir -p "$kd/root"
	dpkg-deb -x "$apt/debs/$pkg"_*.deb "$kd/root"
	mods=$(ls -d "$kd"/root/lib/modules/* | head -1)
	ln -s "${mods#$kd/}" "$kd/modules"
	cp "$kd"/root/boot/vmlinuz-* "$kd/vmlinuz.tmp"
	basename "$mods" > "$kd/release"
	dpkg-deb -f "$apt/debs/$pkg"_*.deb Package Version > "$kd/package"
	mv "$kd/vmlinuz.tmp" "$kd/vmlinuz"
	rm -f "$apt/debs/$pkg"_*.deb
done
echo "oracle setup: kernels ready in $dir/kernels"

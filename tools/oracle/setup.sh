#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Set up the real-kernel oracle (docs/oracle.md), from Debian's packages only:
#  - qemu-system-x86 and busybox-static, installed with apt-get if missing;
#  - the kernels the oracle boots, fetched with `apt-get download` through a
#    private sources list and state directory (bookworm for 6.1,
#    bookworm-backports for 6.12) and unpacked with `dpkg-deb -x` into
#    DIR/kernels/<version>/, so nothing on the system changes;
#  - 6.12-iommufd: Debian builds no kernel with CONFIG_IOMMUFD, so one is
#    built from Debian's linux-source-6.12 with tinyconfig plus
#    tools/oracle/kconfig/iommufd.config (everything built in; about 4
#    minutes on 2 cores), with flex, bison and libelf-dev from Debian.  The
#    result is kept in $IOMMUSIM_ORACLE_CACHE (default
#    /var/cache/iommusim-oracle, when writable), keyed by the source
#    package's version and the fragment, so a second clone does not build
#    it again.
#
#   tools/oracle/setup.sh [DIR]        DIR defaults to build/oracle
#
# Idempotent: a kernel already unpacked is not fetched again, and apt-get
# runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dir=$(realpath -m "${1:-build/oracle}")

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in qemu-system-x86 busybox-static flex bison libelf-dev bc xz-utils; do
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
# (and 6.12-iommufd, built below)

need=0
for k in "${kernels[@]}" "6.12-iommufd -"; do
	set -- $k
	[ -f "$dir/kernels/$1/vmlinuz" ] || need=1
done
# the built kernel is stale when the fragment it was built from changed
cmp -s tools/oracle/kconfig/iommufd.config "$dir/kernels/6.12-iommufd/iommufd.config" || {
	need=1
	rm -f "$dir/kernels/6.12-iommufd/vmlinuz"
}
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
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
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
# ---- 6.12-iommufd: built from source ----
kd="$dir/kernels/6.12-iommufd"
frag=tools/oracle/kconfig/iommufd.config
if [ ! -f "$kd/vmlinuz" ]; then
	srcpkg=$(apt-cache "${aptopts[@]}" policy linux-source-6.12 | awk '/Candidate:/ {print $2}')
	if [ -z "$srcpkg" ] || [ "$srcpkg" = "(none)" ]; then
		echo "oracle setup: no linux-source-6.12 package" >&2
		exit 1
	fi
	key=$( (echo "$srcpkg"; cat "$frag") | sha256sum | cut -c1-16)
	cache=${IOMMUSIM_ORACLE_CACHE:-/var/cache/iommusim-oracle}
	rm -rf "$kd" && mkdir -p "$kd/modules"
	if [ -f "$cache/$key/vmlinuz" ]; then
		echo "oracle setup: kernel 6.12-iommufd: linux-source-6.12 $srcpkg, from $cache/$key"
		cp "$cache/$key/vmlinuz" "$cache/$key/release" "$kd/"
	else
		echo "oracle setup: kernel 6.12-iommufd: building linux-source-6.12 $srcpkg" \
		     "(tinyconfig + $frag)"
		src="$dir/src"
		rm -rf "$src" && mkdir -p "$src"
		(cd "$apt/debs" && apt-get "${aptopts[@]}" download -q "linux-source-6.12=$srcpkg" >/dev/null)
		dpkg-deb --fsys-tarfile "$apt/debs"/linux-source-6.12_*.deb |
			tar -xO ./usr/src/linux-source-6.12.tar.xz | tar -xJ -C "$src"
		rm -f "$apt/debs"/linux-source-6.12_*.deb
		ks="$src/linux-source-6.12"
		make -C "$ks" -s tinyconfig >/dev/null
		(cd "$ks" && scripts/kconfig/merge_config.sh -m .config "$root/$frag" >/dev/null)
		make -C "$ks" -s olddefconfig >/dev/null
		# every option the fragment sets must have survived the dependencies
		while read -r line; do
			case "$line" in CONFIG_*=y) grep -qx "$line" "$ks/.config" ||
				{ echo "oracle setup: $line did not take in the kernel config" >&2; exit 1; } ;;
			esac
		done < "$frag"
		make -C "$ks" -s -j"$(nproc)" bzImage >"$src/build.log" 2>&1 ||
			{ tail -30 "$src/build.log" >&2; exit 1; }
		cp "$ks/arch/x86/boot/bzImage" "$kd/vmlinuz"
		make -C "$ks" -s kernelrelease > "$kd/release"
		if mkdir -p "$cache/$key" 2>/dev/null && [ -w "$cache/$key" ]; then
			cp "$kd/vmlinuz" "$kd/release" "$cache/$key/"
		fi
		rm -rf "$src"
	fi
	printf 'Package: linux-source-6.12\nVersion: %s\nConfig: tinyconfig + %s\n' \
		"$srcpkg" "$frag" > "$kd/package"
	cp "$frag" "$kd/iommufd.config"
	touch "$kd/builtin"
fi
echo "oracle setup: kernels ready in $dir/kernels"

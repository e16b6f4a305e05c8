#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The installed library as a user meets it.  Usage: test_install.sh BUILD_DIR SOURCE_DIR
#
#  1. BUILD_DIR installed into a scratch prefix (cmake --install --prefix):
#     an external program built with pkg-config and the installed header only.
#  2. A /usr-style install: the tree configured with CMAKE_INSTALL_PREFIX=/usr
#     (GNUInstallDirs then picks Debian's multiarch libdir,
#     lib/x86_64-linux-gnu) and installed under DESTDIR, the way a package
#     is staged.  The .pc file must find the header and library three
#     directories up from lib/x86_64-linux-gnu/pkgconfig, not two.
#  3. The shared library's dynamic symbols (nm -D --defined-only) are
#     exactly the functions <iommusim/iommusim.h> declares: no internal
#     symbol leaks, no public one is missing.
#  4. LICENSE is installed and is the MIT text the SPDX headers name.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
fail() { echo "FAIL: $*"; exit 1; }

# Build testcases/api/api_client.c against the .pc file at $1 and run it.
client() {
	local pcdir=$1 out=$2 libdir cflags inc
	export PKG_CONFIG_PATH=$pcdir
	cflags=$(pkg-config --cflags iommusim)
	inc=${cflags#-I}; inc=${inc%% *}
	[ -f "$inc/iommusim/iommusim.h" ] ||
		fail "pkg-config --cflags gives '$cflags', which holds no iommusim/iommusim.h"
	libdir=$(pkg-config --variable=libdir iommusim)
	[ -e "$libdir/libiommusim.so" ] || fail "libdir '$libdir' holds no libiommusim.so"
	cc -std=c11 -Wall -Werror $cflags "$src/testcases/api/api_client.c" -o "$out" \
	   $(pkg-config --libs iommusim)
	LD_LIBRARY_PATH=$libdir "$out" "$src/testcases/scenarios/quickstart.yaml" >/dev/null ||
		fail "$out against $libdir"
}

# 1. the build under test, at a scratch prefix
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name iommusim.pc | head -n1)
[ -n "$pc" ] || fail "iommusim.pc was not installed"
[ -f "$tmp/prefix/include/iommusim/iommusim.h" ] || fail "header not installed"
client "$(dirname "$pc")" "$tmp/api_client"
passed=$((passed + 1))

# 3. exported symbols == the functions the public header declares
header="$src/sim/include/iommusim/iommusim.h"
grep -E '^([a-z].*[ *])?sim_[a-z0-9_]+\(' "$header" |
	grep -oE 'sim_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || fail "no function declarations found in $header"
so=$(find "$tmp/prefix" -name 'libiommusim.so.*.*' | head -n1)
[ -n "$so" ] || fail "libiommusim.so.VERSION was not installed"
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' |
	sort -u >"$tmp/exported"
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
[ -z "$extra" ] || fail "libiommusim.so exports symbols iommusim.h does not declare:" $extra
[ -z "$missing" ] || fail "iommusim.h declares functions libiommusim.so does not export:" $missing
passed=$((passed + 1))

# 4. the licence
lic=$(find "$tmp/prefix" -name LICENSE | head -n1)
[ -n "$lic" ] || fail "LICENSE was not installed"
grep -q '^MIT License$' "$lic" && grep -q 'The iommusim authors' "$lic" ||
	fail "$lic is not the MIT licence of the iommusim authors"
grep -q 'SPDX-License-Identifier: MIT' "$header" || fail "the header's SPDX tag is not MIT"
passed=$((passed + 1))

# 2. a /usr-style prefix staged under DESTDIR (its own configure and build:
# the libdir is chosen when the tree is configured)
cmake -S "$src" -B "$tmp/usr-build" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_C_FLAGS=-O0 >/dev/null
libdir_rel=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$tmp/usr-build/CMakeCache.txt")
cmake --build "$tmp/usr-build" -j1 --target iommusim_shared iommusim iommusim_cli >/dev/null
DESTDIR="$tmp/stage" cmake --install "$tmp/usr-build" >/dev/null
pcdir="$tmp/stage/usr/$libdir_rel/pkgconfig"
[ -f "$pcdir/iommusim.pc" ] || fail "no iommusim.pc in $pcdir"
[ -f "$tmp/stage/usr/include/iommusim/iommusim.h" ] || fail "header not under DESTDIR/usr/include"
client "$pcdir" "$tmp/api_client_usr"
passed=$((passed + 1))

echo "$passed passed, 0 failed (libdir for /usr: $libdir_rel)"

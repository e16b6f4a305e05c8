#!/usr/bin/env bash
# Install the library into a scratch prefix and build an external program
# against it the way a user would: with pkg-config and the installed header
# only.  Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name iommusim.pc | head -n1)
[ -n "$pc" ] || { echo "iommusim.pc was not installed"; exit 1; }
[ -f "$prefix/include/iommusim/iommusim.h" ] || { echo "header not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir iommusim)
cc -std=c11 -Wall -Werror $(pkg-config --cflags iommusim) \
   "$src/testcases/api/api_client.c" -o "$prefix/api_client" \
   $(pkg-config --libs iommusim)
LD_LIBRARY_PATH=$libdir "$prefix/api_client" "$src/testcases/scenarios/quickstart.yaml"
echo "1 passed, 0 failed"

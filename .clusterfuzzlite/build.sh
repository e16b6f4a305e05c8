#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script (docs/fuzzing.md): the three
# coverage-guided fuzz targets of tools/fuzz/ with the service's compiler,
# flags and fuzzing engine, their seed corpora, dictionaries and options,
# into $OUT.  The same file serves as OSS-Fuzz's projects/iommusim/build.sh.
#
# The environment is the service's: CC, CFLAGS (sanitizer and coverage
# flags, -fsanitize=fuzzer-no-link), LIB_FUZZING_ENGINE (the driver's link
# flags: -fsanitize=fuzzer for libFuzzer, a library for AFL++ or
# honggfuzz), SRC, OUT and WORK.  JOBS sets the build's parallelism
# (default: every core).  Run by hand, e.g. (docs/fuzzing.md):
#
#   CC=clang CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only \
#     -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer SRC=.. OUT=/tmp/cfl-out WORK=/tmp/cfl-work \
#   .clusterfuzzlite/build.sh

# The source tree: the working directory (the Dockerfile's WORKDIR), else
# $SRC/iommusim, else the tree this script is in.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$PWD/tools/fuzz/fuzz_ops.c" ]; then
	src="$PWD"
elif [ -f "$SRC/iommusim/tools/fuzz/fuzz_ops.c" ]; then
	src="$SRC/iommusim"
else
	src="$(dirname "$here")"
fi
build="$WORK/iommusim-build"
targets=(fuzz_loader fuzz_scenario fuzz_ops)
yaml_targets=(fuzz_loader fuzz_scenario)

# The fuzz build of CMakeLists.txt (IOMMUSIM_FUZZ: the static library and
# tools/fuzz only).  No -Werror: the service's clang and flags are not the
# ones the project's warnings are kept clean for.  The targets find the
# shared libraries they need in $OUT/lib (copied below): the runner image
# has none of the builder's packages.  DT_RPATH, not DT_RUNPATH
# (--disable-new-dtags), so that their own dependencies are found there too.
# Unsigned wrap-around is defined behaviour, and the simulator's hashes and
# random number generator rely on it: OSS-Fuzz's UBSan flags include
# unsigned-integer-overflow (reported, not fatal), which would only be noise.
rm -rf "$build"
cflags="$CFLAGS -fno-sanitize=unsigned-integer-overflow"
engine=libfuzzer
if [ "${FUZZING_ENGINE:-libfuzzer}" != libfuzzer ]; then
	engine=afl               # no ctests: they run libFuzzer's options
fi
# shellcheck disable=SC2016  # $ORIGIN is the dynamic linker's, not the shell's
cmake -S "$src" -B "$build" \
	-DCMAKE_C_COMPILER="$CC" \
	-DCMAKE_C_FLAGS="$cflags" \
	-DCMAKE_BUILD_TYPE= \
	-DCMAKE_BUILD_RPATH='$ORIGIN/lib' \
	-DCMAKE_EXE_LINKER_FLAGS="${LDFLAGS:-} -Wl,--disable-new-dtags" \
	-DIOMMUSIM_FUZZ=ON \
	-DIOMMUSIM_FUZZ_ENGINE="$engine" \
	-DIOMMUSIM_FUZZ_LINK_FLAGS="$LIB_FUZZING_ENGINE"
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target "${targets[@]}" fuzz_ops_seeds

mkdir -p "$OUT/lib"
for t in "${targets[@]}"; do
	cp "$build/$t" "$OUT/$t"
	# every shared library but the C library's own (and the compiler's
	# runtime, which every image has) into $OUT/lib
	ldd "$build/$t" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
		case "$(basename "$lib")" in
		libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.* | \
		ld-linux*.so.* | libgcc_s.so.* | libstdc++.so.*) ;;
		*) cp -L "$lib" "$OUT/lib/" ;;
		esac
	done
done

# The seed corpora: the scenario files for the YAML targets, the byte seeds
# of fuzz_ops_seeds (the generator's choices of 64 runs of seed 1) for
# fuzz_ops.  fuzz_ops_seeds is built with the service's flags but is not a
# fuzz target, so it stays out of $OUT; no leak check on it (none is
# possible under some builders), no profile from it in coverage builds.
seeds="$WORK/iommusim-seeds"
for t in "${targets[@]}"; do
	rm -rf "$seeds" && mkdir -p "$seeds"
	ASAN_OPTIONS=detect_leaks=0 LLVM_PROFILE_FILE=/dev/null FUZZ_OPS_SEEDS="$build/fuzz_ops_seeds" \
		"$src/tools/fuzz/make_corpus.sh" "$seeds" "$t" 64
	rm -f "$OUT/${t}_seed_corpus.zip"
	(cd "$seeds" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
done
rm -rf "$seeds"

# The dictionary (scenario-file words) for the YAML targets; fuzz_ops's input
# is the generator's choices, for which words mean nothing.  The options
# give each target the maximum input length run_fuzz.sh uses.
for t in "${yaml_targets[@]}"; do
	cp "$src/tools/fuzz/iommusim.dict" "$OUT/$t.dict"
	printf '[libfuzzer]\nmax_len = 65536\n' >"$OUT/$t.options"
done
printf '[libfuzzer]\nmax_len = 4096\n' >"$OUT/fuzz_ops.options"

#!/bin/bash -eu
# SPDX-License-Identifier: GPL-2.0-or-later
# OSS-Fuzz / ClusterFuzzLite build contract: uses only $CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $SRC $WORK $OUT; never adds sanitizer flags of its own.
# ci/oss-fuzz-check runs this without Docker for the address, undefined and coverage
# builds.
# $SRC/buddycheck is the checked-out repository: buddycheck itself, or a kernel tree
# that carries it in tools/testing/buddycheck (README "Fuzzing in your CI").
SRCDIR="$SRC/buddycheck"
[ -f "$SRCDIR/fuzz/ops_fuzzer.cc" ] || SRCDIR="$SRC/buddycheck/tools/testing/buddycheck"
[ -f "$SRCDIR/fuzz/ops_fuzzer.cc" ] || { echo "build.sh: no buddycheck in $SRC/buddycheck or its tools/testing/buddycheck" >&2; exit 1; }
echo "build.sh: buddycheck sources in $SRCDIR"
BUILD="$WORK/buddycheck-build"
TARGETS="ops alloc_flags zonelist trace"

cmake -S "$SRCDIR" -B "$BUILD" -G Ninja \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE=None \
  -DBUDDYCHECK_LIBFUZZER=ON -DBUDDYCHECK_TESTS=OFF -DBUDDYCHECK_MUTANTS=OFF \
  -DBUDDYCHECK_FMT_HEADER_ONLY=ON
targets=""
for t in $TARGETS; do targets="$targets ${t}_fuzzer"; done
cmake --build "$BUILD" --target $targets -j"$(nproc)"

for t in $TARGETS; do
  cp "$BUILD/bin/${t}_fuzzer" "$OUT/${t}_fuzzer"
  [ -f "$SRCDIR/fuzz/$t.dict" ] && cp "$SRCDIR/fuzz/$t.dict" "$OUT/${t}_fuzzer.dict"
  [ -f "$SRCDIR/fuzz/$t.options" ] && cp "$SRCDIR/fuzz/$t.options" "$OUT/${t}_fuzzer.options"
  (cd "$SRCDIR/corpus/$t" && find . -type f ! -name 'README*' ! -name '.*' | sort \
     | zip -q -j "$OUT/${t}_fuzzer_seed_corpus.zip" -@) || true
done

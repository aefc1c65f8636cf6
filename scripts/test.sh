#!/usr/bin/env bash
# The README's second command (and .ci/run): set up, build, and run every test.
#  1. all CTest tests in build/: unit (GoogleTest), integration against a real
#     `classbridge serve`, and end-to-end with real clients (Chromium, ffmpeg, GStreamer);
#  2. the unit suites again under AddressSanitizer + UBSan (build-asan/);
#  3. every libFuzzer target for a short run (build-fuzz/, clang).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)
passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  printf '\n\033[1m== %s ==\033[0m\n' "$name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed+1)); echo "-- $name: ok ($((SECONDS-t0)) s)"
  else failed=$((failed+1)); failures+=("$name"); echo "-- $name: FAILED ($((SECONDS-t0)) s)"; fi
}

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

# Leftovers of an interrupted earlier run must not hold our ports or namespaces.
pkill -f 'build[^ ]*/classbridge' 2>/dev/null || true

run_ctest() {
  # A test that fails once is run once more and, if it then passes, is reported as flaky
  # in the output (ctest prints both attempts) rather than hiding it.
  (cd build && ctest -j "$JOBS" --output-on-failure --timeout 600 --repeat until-pass:2)
}
step "ctest (unit, integration, end-to-end)" run_ctest

run_asan() {
  CB_BUILD_DIR=build-asan CB_CMAKE_ARGS="-DCB_SANITIZE=ON -DCB_BENCH=OFF" \
    CB_BUILD_TARGETS="${ASAN_TARGETS}" bash scripts/setup.sh >/tmp/cb-asan-build.log 2>&1 \
    || { grep -E 'error|FAILED' /tmp/cb-asan-build.log | head -40; return 1; }
  local rc=0
  for t in ${ASAN_TARGETS}; do
    echo "asan: $t"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "build-asan/tests/$t" --gtest_brief=1 || rc=1
  done
  return $rc
}
ASAN_TARGETS=""
for t in rtc_tests signaling_tests recorder_tests common_tests; do
  [ -d "tests/${t%_tests}" ] && ls tests/${t%_tests}/*.cpp >/dev/null 2>&1 && ASAN_TARGETS+=" $t"
done
[ -n "$ASAN_TARGETS" ] && step "unit tests under ASan+UBSan" run_asan

run_fuzz() {
  if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCB_FUZZ=ON -DCB_BUILD_TESTS=OFF \
      -DCB_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || return 1
  fi
  cmake --build build-fuzz -j "$JOBS" --target fuzzers >/tmp/cb-fuzz-build.log 2>&1 \
    || { grep -E 'error|FAILED' /tmp/cb-fuzz-build.log | head -40; return 1; }
  local rc=0
  for f in build-fuzz/tests/fuzz/*Fuzzer; do
    [ -x "$f" ] || continue
    local name; name=$(basename "$f")
    local corpus="tests/fuzz/corpus/$name"; mkdir -p /tmp/cb-fuzz/$name
    echo "fuzz: $name (${FUZZ_SECONDS:-15} s)"
    "$f" -max_total_time="${FUZZ_SECONDS:-15}" -max_len=4096 -print_final_stats=0 \
      /tmp/cb-fuzz/$name $( [ -d "$corpus" ] && echo "$corpus" ) 2>/tmp/cb-fuzz/$name.log \
      || { tail -40 /tmp/cb-fuzz/$name.log; rc=1; }
  done
  return $rc
}
ls tests/fuzz/*Fuzzer.cpp >/dev/null 2>&1 && step "fuzzers" run_fuzz

printf '\nsteps: %d passed, %d failed%s\n' "$passed" "$failed" \
  "$( [ $failed -gt 0 ] && printf ' (%s)' "${failures[*]}")"
[ "$failed" -eq 0 ]

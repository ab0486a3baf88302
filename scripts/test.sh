#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to a full test run: installs what is
# missing, checks that the C++ sources are formatted (.clang-format), then builds and
# runs the suite three ways:
#   1. warnings as errors (-Wall -Wextra -Werror): the library, the daemon and the
#      benchmark, each source compiled on its own, and the tests that only make sense
#      without a sanitizer: the consumer tests (outside projects that build without the
#      sanitizer flags; they build the examples too), the package test (it builds its
#      own Release packages), the benchmark's smoke test (the load generator is a tool;
#      the server it drives is soaked under the sanitizers anyway) and the soak at full
#      size (200 clients; a sanitizer build soaks fewer);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer: every other test, the soak too;
#   3. ThreadSanitizer: the integration and end-to-end tests (built without the unit
#      tests and the benchmark, which it does not run).
# The sanitizer suites run two tests at once (ctest -j2): most of a test's time is spent
# waiting for sockets and timers; the heavy or timing-bound ones (the soak, the browser,
# irssi, WeeChat, thousands of connections) are RUN_SERIAL and run alone.
# Debug builds with line tables only (-g1): sanitizer reports keep file and line, and
# the builds take about a sixth less time than with full debug information. The
# sanitizer builds are unity builds (a batch of sources per compiler run: about half the
# library's build time) with a shared library (one link instead of one per test); the
# first build is not, so that every source of the library, the daemon and the benchmark
# is still compiled on its own and a missing #include shows.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "=== format: clang-format --dry-run"
{ git ls-files '*.cpp' '*.hpp' 2>/dev/null ||
    find apps bench examples fuzz include lib tests -name '*.cpp' -o -name '*.hpp'; } |
  xargs clang-format --dry-run --Werror

jobs=$(nproc)
run_suite() {  # name, "ctest arguments", extra cmake arguments...
  local name=$1 select=$2 started=$SECONDS
  shift 2
  echo "=== build: $name"
  cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DSOCKETCHAT_WERROR=ON "$@" >/dev/null
  cmake --build "build/$name" -j"$jobs"
  echo "=== test: $name (built in $((SECONDS - started)) s)"
  started=$SECONDS
  # shellcheck disable=SC2086  # the selection is a list of arguments
  (cd "build/$name" && ctest --output-on-failure --timeout 600 $select)
  echo "=== tested: $name in $((SECONDS - started)) s"
}

run_suite warnings '-L consumer|package|bench|soak' -DSOCKETCHAT_UNIT_TESTS=OFF \
  -DSOCKETCHAT_INTEGRATION_TESTS=OFF -DSOCKETCHAT_EXAMPLES=OFF
asan="-fsanitize=address,undefined"
run_suite asan "-LE consumer|package -j$jobs" -DCMAKE_UNITY_BUILD=ON -DBUILD_SHARED_LIBS=ON \
  -DSOCKETCHAT_BENCH=OFF "-DCMAKE_CXX_FLAGS=$asan -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  "-DCMAKE_EXE_LINKER_FLAGS=$asan" "-DCMAKE_SHARED_LINKER_FLAGS=$asan"
# -Wno-tsan: GCC 12 warns that TSan does not model atomic_thread_fence, which Asio uses.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_suite tsan "-L integration|e2e -j$jobs" \
  -DCMAKE_UNITY_BUILD=ON -DBUILD_SHARED_LIBS=ON -DSOCKETCHAT_UNIT_TESTS=OFF -DSOCKETCHAT_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread"
echo "=== all suites passed in $SECONDS s"

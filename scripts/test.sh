#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to a full test run: installs what is
# missing, then builds and runs the whole suite three ways:
#   1. warnings as errors (-Wall -Wextra -Werror), every test;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer, every test again;
#   3. ThreadSanitizer, the integration and end-to-end tests.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
run_suite() {  # name, ctest label regex ('' = all), extra cmake args...
  local name=$1 labels=$2
  shift 2
  echo "=== build: $name"
  cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=Debug -DSOCKETCHAT_WERROR=ON "$@" >/dev/null
  cmake --build "build/$name" -j"$jobs"
  echo "=== test: $name"
  local select=()
  [ -n "$labels" ] && select=(-L "$labels")
  (cd "build/$name" && ctest --output-on-failure --timeout 600 "${select[@]}")
}

run_suite warnings ''
run_suite asan '' \
  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
# -Wno-tsan: GCC 12 warns that TSan does not model atomic_thread_fence, which Asio uses.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_suite tsan 'integration|e2e' \
  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread"
echo "=== all suites passed"

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time:
#   fuzz/run.sh [seconds per target, default 60]
# Each run starts from the seed corpus in fuzz/corpus/<target>/ and grows a working
# corpus in the build directory (the seeds in the repo are never written to). Prints
# libFuzzer's coverage (cov: edges, ft: features) at the end of each run, and exits
# non-zero if any target crashed, leaked, timed out or ran out of memory; the input
# that did it is saved under <build>/fuzz-artifacts/<target>/.
# Environment: CXX (default clang++-14), SOCKETCHAT_FUZZ_BUILD_DIR (default
# build-fuzz), SOCKETCHAT_FUZZ_JOBS (build parallelism, default 2).
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SOCKETCHAT_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=(fuzz_line_decoder fuzz_irc_decoder fuzz_websocket_frame fuzz_http_request)

# Only what the fuzzers need: libFuzzer wants clang, and the rest of the project
# would cost build time for nothing.
CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCKETCHAT_FUZZ=ON \
  -DSOCKETCHAT_TESTS=OFF -DSOCKETCHAT_APPS=OFF -DSOCKETCHAT_EXAMPLES=OFF \
  -DSOCKETCHAT_BENCH=OFF -DSOCKETCHAT_INSTALL=OFF >/dev/null
cmake --build "$build" -j"${SOCKETCHAT_FUZZ_JOBS:-2}" --target "${targets[@]}"

failed=()
for target in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$target"
  artifacts="$build/fuzz-artifacts/$target"
  log="$build/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  echo "=== $target: ${seconds}s"
  status=0
  # Small inputs and tight memory: the decoders under test must never need much of either.
  "$build/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "$root/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  grep -E '^#[0-9]+.*(cov|ft):' "$log" | tail -n 1 || true
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "*** $target failed (exit $status); the end of $log:"
    tail -n 40 "$log"
    ls -l "$artifacts"
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "=== failed: ${failed[*]}"
  exit 1
fi
echo "=== all fuzz targets ran ${seconds}s without a crash"

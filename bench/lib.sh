# Shared by the benchmark scripts (sourced, not run). The script sets `work` (its
# temporary directory), `build` (the build directory) and `root` (the checkout), and
# keeps the server it starts in `server_pid`.

# Stops the server: SIGTERM, then SIGKILL if it has not gone within 30 s.
stop_server() {
  kill -TERM "$server_pid" 2> /dev/null || true
  for _ in $(seq 300); do
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2> /dev/null; then
    echo "$(basename "$0"): pid $server_pid ignored SIGTERM for 30 s; killing it" >&2
    kill -KILL "$server_pid" 2> /dev/null || true
  fi
  wait "$server_pid" 2> /dev/null || true
  server_pid=
}

# On exit: no server left running, and the work directory gone unless KEEP_WORK=1.
cleanup() {
  if [[ -n ${server_pid:-} ]]; then stop_server; fi
  if [[ ${KEEP_WORK:-0} == 1 ]]; then
    echo "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}

# Builds socketchatd and the load generator in Release (configuring $build if it is
# not a Release build yet); sets `daemon` and `loadgen` to their paths.
build_release() {
  daemon=$build/apps/socketchatd/socketchatd
  loadgen=$build/bench/socketchat_loadgen
  local build_type
  build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2> /dev/null || true)
  if [[ $build_type != Release ]]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSOCKETCHAT_BENCH=ON > "$work/cmake.log"
  fi
  cmake --build "$build" -j2 --target socketchat_loadgen socketchatd > "$work/build.log" ||
    { cat "$work/build.log"; exit 1; }
}

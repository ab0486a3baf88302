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

# listened_port LOG PID NAME: waits (at most 10 s) for the "listening on tcp://..." line
# of the socketchatd with PID logging to LOG, and prints its port; fails (status 2),
# showing the log, if the process ends first or the line does not come: call it as
# `port=$(listened_port ...) || exit 2`.
listened_port() {
  local log=$1 pid=$2 name=$3 port
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on tcp:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    if [[ -n $port ]]; then
      echo "$port"
      return
    fi
    kill -0 "$pid" 2> /dev/null || { cat "$log" >&2; exit 2; }
    sleep 0.1
  done
  echo "$(basename "$0"): socketchatd $name did not report its port" >&2
  exit 2
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

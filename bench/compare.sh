#!/usr/bin/env bash
# compare.sh [CONNECTIONS]
#
# Runs socketchatd, InspIRCd and ngIRCd through the same scenarios, one server at a
# time, and prints one table with the ratio socketchat / best peer (and socketchatd
# over TLS against it over plain TCP, "tls / tcp"). The server is
# pinned to CPU 0 and the load generator to CPU 1; each server is stopped by its PID
# after its scenarios (and started afresh for the connection count, so its memory
# is measured from a clean start). The scenarios run in ROUNDS rounds, each round
# going through every server in turn, so that a quiet or a busy spell of the machine
# falls on all of them; the table shows each figure's median over the rounds.
#
#   CONNECTIONS   idle connections for the conns scenario (default 19000; the
#                 open-file limit, ulimit -Hn, must exceed it)
#
# Environment:
#   BUILD_DIR     where socketchat is (or gets) built in Release (default build-bench)
#   SERVERS       which servers to run (default "socketchat socketchat-irc
#                 socketchat-defaults socketchat-tls socketchat-ws inspircd ngircd";
#                 socketchat-irc is socketchatd on an irc:// listener, driven with the
#                 same IRC client as the peers; socketchat-defaults is socketchatd as
#                 shipped: durable SQLite history, message texts logged (to a file),
#                 threads = its cores; only the limits that every server here has lifted
#                 are lifted; socketchat-tls and socketchat-ws are socketchatd exactly as
#                 socketchat (same flags, line protocol) but on a tls:// listener (a
#                 throwaway self-signed certificate, made once per run in the working
#                 directory) or a ws:// one, driven with --transport tls or ws)
#   ROUNDS        how many rounds of the scenarios (default 3; the connection count runs
#                 once per server, after the rounds)
#   MESSAGES      each sender's messages in the fanout scenarios (default 4000)
#   PINGS         round trips of the idle PING scenario (default 20000)
#   KEEP_WORK=1   keep the working directory (logs, RESULT lines) instead of removing it
#   SOCKETCHATD_ARGS  socketchatd's flags beyond the lifted limits (default
#                 "--threads 1 --history off --log-messages false": like the peers, one
#                 thread on its one core, no history kept, no message texts logged;
#                 e.g. "--threads 1 --history sqlite" measures the durable history)
#
# Needs inspircd and ngircd (apt-get install -y inspircd ngircd), taskset, python3, and
# openssl (the command) for socketchat-tls.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
connections=${1:-19000}
build=${BUILD_DIR:-$root/build-bench}
servers=${SERVERS:-socketchat socketchat-irc socketchat-defaults socketchat-tls socketchat-ws inspircd ngircd}
rounds=${ROUNDS:-3}
# Each sender's messages in the fanouts, and the idle round trips: enough that a pause
# of the machine of a few milliseconds weighs little in a run (a windowed fanout of
# 2,000 messages each lasts about 0.2 s), and that the idle p99 rests on 200 round
# trips, not the 50 of 5,000. Not more messages: ngIRCd drops the slow reader, which
# never reads, at about 45,000 messages queued for it (10 senders x 4,000 stay under).
messages=${MESSAGES:-4000}
pings=${PINGS:-20000}
python=/usr/bin/python3
[[ -x $python ]] || python=python3

work=$(mktemp -d /tmp/socketchat-compare.XXXXXX)
results=$work/results.tsv
: > "$results"
server_pid=
port=
dialect=
transport=
concurrency=

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap cleanup EXIT

# ---- build -------------------------------------------------------------------

build_release

# A throwaway certificate for 127.0.0.1 (P-256: the handshakes are not what is measured),
# for socketchat-tls, made once for the whole run.
if [[ " $servers " == *" socketchat-tls "* ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2> "$work/openssl.log" ||
    { cat "$work/openssl.log"; exit 1; }
fi

# ---- servers -----------------------------------------------------------------

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
  for _ in $(seq 100); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: nothing listens on port $1 after 10 s" >&2
  return 1
}

# Logins in flight are kept within the server's listen backlog, so that no SYN is
# dropped: socketchatd (Asio) and InspIRCd (somaxconn="4096") queue 4096, ngIRCd
# listens with a backlog of 10, compiled in.
start_server() {
  port=$(free_port)
  case $1 in
    socketchat | socketchat-irc | socketchat-defaults | socketchat-tls | socketchat-ws)
      rm -rf "$work/data"
      local scheme=tcp log=/dev/null tls=()
      dialect=line
      transport=tcp
      case $1 in
        socketchat-irc)
          scheme=irc
          dialect=irc
          ;;
        socketchat-tls)
          scheme=tls
          transport=tls
          tls=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
          ;;
        socketchat-ws)
          scheme=ws
          transport=ws
          ;;
      esac
      local flags=${SOCKETCHATD_ARGS:---threads 1 --history off --log-messages false}
      if [[ $1 == socketchat-defaults ]]; then
        flags=""
        log=$work/socketchatd.log  # as a service's journal would: every line written
      fi
      # shellcheck disable=SC2086 # the flags are a list
      taskset -c 0 "$daemon" --listen "$scheme://127.0.0.1:$port" --rate 0 --sendq-bytes 67108864 \
        --max-connections 0 --idle-timeout 0 --login-timeout 0 --data-dir "$work/data" \
        "${tls[@]}" $flags 2> "$log" &
      server_pid=$!
      wait_for_port "$port"
      concurrency=4000
      ;;
    inspircd | ngircd)
      server_pid=$(taskset -c 0 "$here/peers/start_peer.sh" "$1" "$port" "$work/$1")
      dialect=irc
      transport=tcp
      concurrency=$([[ $1 == ngircd ]] && echo 10 || echo 4000)
      ;;
  esac
}


# run SERVER LABEL SCENARIO ARGS...: one load generator run; its RESULT line (or its
# failure) goes into the results file.
run() {
  local server=$1 label=$2 status=0
  shift 2
  echo "== $server: $label"
  taskset -c 1 "$loadgen" "$@" --port "$port" --dialect "$dialect" --transport "$transport" \
    --server-pid "$server_pid" --concurrency "$concurrency" > "$work/out" 2>&1 || status=$?
  grep -v '^RESULT ' "$work/out" | sed 's/^/   /'
  local json
  json=$(sed -n 's/^RESULT //p' "$work/out" | tail -1)
  [[ -n $json ]] || json='{}'
  printf '%s\t%s\t%s\t%s\n' "$server" "$label" "$status" "$json" >> "$results"
}

# Other work on the machine (a compiler on either core) shows up as noise.
read -r load _ < /proc/loadavg
echo "load average before the run: $load"
if "$python" -c "import sys; sys.exit(0 if float('$load') > 0.7 else 1)"; then
  echo "warning: the machine is busy; expect noisy numbers (the table is only as quiet as the machine)"
fi

installed() {
  [[ $1 == socketchat* ]] && return 0
  command -v "$1" > /dev/null && return 0
  echo "== $1: not installed (apt-get install -y $1); skipped"
  return 1
}

for round in $(seq "$rounds"); do
  for server in $servers; do
    installed "$server" || continue
    start_server "$server"
    echo "== $server: round $round of $rounds, pid $server_pid, port $port"
    run "$server" fanout100 fanout --users 100 --senders 10 --messages "$messages" --window 0 --timeout 120
    run "$server" fanout100w20 fanout --users 100 --senders 10 --messages "$messages" --window 20 --timeout 120
    run "$server" fanout100w20slow fanout --users 100 --senders 10 --messages "$messages" --window 20 \
      --slow-reader --timeout 120
    run "$server" fanout500w20 fanout --users 500 --senders 5 --messages "$messages" --window 20 --timeout 120
    run "$server" latency latency --count "$pings" --timeout 60
    run "$server" latencybg latency --count 5000 --background --users 100 --senders 10 --window 20 \
      --timeout 120
    stop_server
  done
done

# The RSS per idle connection is read a second after the last login, every server alike
# (an allocator may give back what the logins used: a TLS handshake holds tens of KiB
# while it lasts); the figure at the last login is in the table too.
for server in $servers; do
  installed "$server" > /dev/null || continue
  start_server "$server"
  run "$server" conns conns --connections "$connections" --settle 1 --teardown-timeout 60 \
    --timeout 300
  stop_server
done

echo
"$python" "$here/compare_table.py" "$results"

#!/usr/bin/env bash
# transports.sh [ROUNDS]
#
# The same fanout (100 users, 10 senders, 2000 messages each, --window 20) over each
# of socketchatd's transports: plain TCP, TLS and WebSocket. ONE socketchatd, pinned
# to CPU 0, listens on all three (a throwaway self-signed certificate, made in a
# temporary directory, for tls://); the load generator is pinned to CPU 1. Prints one
# table: deliveries/s, latency p50 and p99, each side's CPU use, and whether every
# message arrived exactly once and in order. The server is stopped by its PID.
#
#   ROUNDS        how many times to go through the three transports (default 1);
#                 each run is one row
#
# Environment:
#   BUILD_DIR     where socketchat is (or gets) built in Release (default build-bench)
#   KEEP_WORK=1   keep the working directory (certificate, RESULT lines)
#
# Needs openssl (the command), taskset and python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rounds=${1:-1}
build=${BUILD_DIR:-$root/build-bench}
python=/usr/bin/python3
[[ -x $python ]] || python=python3
transports=(tcp tls ws)
fanout_args=(--users 100 --senders 10 --messages 2000 --window 20 --timeout 120)

work=$(mktemp -d /tmp/socketchat-transports.XXXXXX)
results=$work/results.tsv
: > "$results"
server_pid=


# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap cleanup EXIT

# ---- build -------------------------------------------------------------------

build_release

# ---- the server --------------------------------------------------------------

# A throwaway certificate for 127.0.0.1 (P-256: the handshakes are not what is measured).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2> "$work/openssl.log" ||
  { cat "$work/openssl.log"; exit 1; }

# Three distinct free ports, all held until all three are chosen.
read -r tcp_port tls_port ws_port < <("$python" -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
')
declare -A port=([tcp]=$tcp_port [tls]=$tls_port [ws]=$ws_port)

wait_for_port() {
  for _ in $(seq 100); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
    kill -0 "$server_pid" 2> /dev/null || { echo "transports.sh: socketchatd exited" >&2; return 1; }
    sleep 0.1
  done
  echo "transports.sh: nothing listens on port $1 after 10 s" >&2
  return 1
}

# stderr to /dev/null: socketchatd logs every connection, and that costs time.
taskset -c 0 "$daemon" --threads 1 --history off --log-messages false --rate 0 \
  --sendq-bytes 67108864 --max-connections 0 --idle-timeout 0 --login-timeout 0 \
  --data-dir "$work/data" \
  --listen "tcp://127.0.0.1:$tcp_port" --listen "tls://127.0.0.1:$tls_port" \
  --listen "ws://127.0.0.1:$ws_port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  2> /dev/null &
server_pid=$!
for transport in "${transports[@]}"; do wait_for_port "${port[$transport]}"; done
echo "socketchatd: pid $server_pid; tcp $tcp_port, tls $tls_port, ws $ws_port"

# ---- the runs ----------------------------------------------------------------

# Other work on the machine (a compiler on either core) shows up as noise.
read -r load _ < /proc/loadavg
echo "load average before the runs: $load"
if "$python" -c "import sys; sys.exit(0 if float('$load') > 0.7 else 1)"; then
  echo "warning: the machine is busy; expect noisy numbers"
fi
echo "each run: socketchat_loadgen fanout ${fanout_args[*]} --transport T (on CPU 1)"

for round in $(seq "$rounds"); do
  for transport in "${transports[@]}"; do
    echo "== $transport (round $round)"
    status=0
    taskset -c 1 "$loadgen" fanout "${fanout_args[@]}" --transport "$transport" \
      --port "${port[$transport]}" --server-pid "$server_pid" > "$work/out" 2>&1 || status=$?
    grep -v '^RESULT ' "$work/out" | sed 's/^/   /'
    json=$(sed -n 's/^RESULT //p' "$work/out" | tail -1)
    [[ -n $json ]] || json='{}'
    printf '%s\t%s\t%s\t%s\n' "$transport" "$round" "$status" "$json" >> "$results"
  done
done
stop_server

echo
"$python" - "$results" << 'EOF'
import json
import sys

rows = [["transport", "deliveries/s", "p50", "p99", "loadgen CPU", "server CPU", "all correct"]]
saturated = False
all_correct = True


def ms(result, key):
    value = result.get("latency", {}).get(key)
    return "-" if value is None else f"{value / 1000:.2f} ms"


def share(result, key):
    if key not in result or not result.get("wall_s"):
        return "-"
    return f"{100 * result[key] / result['wall_s']:.0f} %"


with open(sys.argv[1]) as lines:
    for line in lines:
        transport, run, status, text = line.rstrip("\n").split("\t", 3)
        result = json.loads(text)
        rate = result.get("deliveries_per_s")
        cpu = share(result, "loadgen_cpu_s")
        if result.get("loadgen_saturated"):
            cpu += " (!)"
            saturated = True
        correct = "yes" if status == "0" and result.get("ok") else f"NO (exit {status})"
        all_correct = all_correct and correct == "yes"
        rows.append([transport, "-" if rate is None else f"{rate:,.0f}", ms(result, "p50_us"),
                     ms(result, "p99_us"), cpu, share(result, "server_cpu_s"), correct])

widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
if saturated:
    print("(!) the load generator was on CPU most of the run: that rate is a lower bound")
sys.exit(0 if all_correct else 1)
EOF

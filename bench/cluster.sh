#!/usr/bin/env bash
# cluster.sh [NODES]
#
# What a cluster of socketchatd nodes on one Redis costs (docs/CLUSTER.md). Starts its
# own redis-server (packaging/redis.conf, a free loopback port, a temporary --dir) and
# NODES socketchatd nodes (default 3) with --cluster redis://127.0.0.1:<port>, each
# listening on tcp://127.0.0.1:0 (the bound port read from its "listening on" line),
# and a single socketchatd started the same way but without --cluster, then:
#
#   a. cross-node fanout: socketchat_loadgen fanout --ports P1,P2,... (client i on node
#      i % NODES; the room feed, SAY bench), USERS users, SENDERS senders, MESSAGES
#      messages each, --window WINDOW; the load generator checks that every message
#      reached every receiver once and in order. The same fanout against the single
#      node (--port). CPU: utime + stime from /proc/<pid>/stat before and after each
#      load generator run, summed over the nodes, and Redis's apart, less what a run
#      with --messages 0 cost (the same users connecting, logging in, joining and
#      leaving, nothing sent), so that what is left is the messages': deliveries per
#      node-CPU-second, cluster against single node. ROUNDS alternate the two.
#   b. Redis commands per message: INFO commandstats before and after each cluster
#      run, the calls' delta divided by the messages sent, per command; the run with
#      --messages 0 shows what is not per message. (This script's own INFO and EXISTS
#      are left out.)
#   c. time to free a dead node's names: for each lease in LEASES, TRIALS times: two
#      fresh nodes with --cluster-lease L, a user on each (bench/cluster_failover.py),
#      node 1 SIGKILLed after a random wait of 0 to L seconds (so that the kill falls
#      anywhere in its renewal period), the time until node 2's user receives INFO
#      alice disconnected, and then whether alice can log in again on node 2.
#
# Nothing is pinned: the nodes, Redis and the load generator share the machine's cores;
# every socketchatd runs one I/O thread (--threads 1). Every process is stopped by its
# PID at exit, and the temporary directory removed. Prints each run, then a summary.
#
# Environment:
#   BUILD_DIR     where socketchat is (or gets) built in Release (default build-bench)
#   USERS SENDERS MESSAGES WINDOW   the fanout (default 300, 10, 2000, 20)
#   ROUNDS        cluster / single-node run pairs (default 1)
#   LEASES        --cluster-lease values for part c (default "2 5"; 5 is the default)
#   TRIALS        node kills per lease (default 5)
#   NODE_ARGS     every socketchatd's flags besides --listen, --data-dir, --cluster
#                 (default "--threads 1 --history memory --log-messages false --rate 0
#                 --sendq-bytes 67108864 --max-connections 0 --idle-timeout 0
#                 --login-timeout 0"; in a cluster, history goes to Redis streams)
#   REDIS_ARGS    more redis-server flags after packaging/redis.conf's (for example
#                 "--appendfsync everysec", to see what syncing every write costs)
#   SKIP_FANOUT=1, SKIP_FAILOVER=1   leave out parts a and b, or c
#   KEEP_WORK=1   keep the working directory (logs, RESULT lines, commandstats)
#
# Needs /usr/bin/redis-server and redis-cli (Debian's redis-server), and python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
nodes=${1:-3}
build=${BUILD_DIR:-$root/build-bench}
users=${USERS:-300}
senders=${SENDERS:-10}
messages=${MESSAGES:-2000}
window=${WINDOW:-20}
rounds=${ROUNDS:-1}
leases=${LEASES:-2 5}
trials=${TRIALS:-5}
read -r -a node_args <<< "${NODE_ARGS:---threads 1 --history memory --log-messages false --rate 0 \
--sendq-bytes 67108864 --max-connections 0 --idle-timeout 0 --login-timeout 0}"
read -r -a redis_args <<< "${REDIS_ARGS:-}"
redis_server=/usr/bin/redis-server
python=/usr/bin/python3
[[ -x $python ]] || python=python3
for tool in "$redis_server" redis-cli; do
  command -v "$tool" > /dev/null || { echo "cluster.sh: $tool is not installed" >&2; exit 2; }
done
((nodes >= 2)) || { echo "cluster.sh: NODES must be 2 or more" >&2; exit 2; }

work=$(mktemp -d /tmp/socketchat-cluster.XXXXXX)
server_pid=
started=()  # every process started here and not yet stopped
redis_pid=
redis_port=

# shellcheck source=bench/lib.sh
source "$here/lib.sh"

# Stops one process started here (lib.sh's stop_server: SIGTERM, SIGKILL after 30 s).
stop_pid() {
  server_pid=$1
  stop_server
  local kept=() pid
  for pid in "${started[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  started=("${kept[@]+"${kept[@]}"}")
}

# At exit: the nodes first, Redis last, then the work directory (lib.sh's cleanup).
stop_all() {
  local pid
  for pid in "${started[@]+"${started[@]}"}"; do
    [[ $pid == "$redis_pid" ]] || stop_pid "$pid"
  done
  if [[ -n $redis_pid ]]; then stop_pid "$redis_pid"; fi
  cleanup
}
trap stop_all EXIT

# ---- build -------------------------------------------------------------------

build_release

# ---- processes ---------------------------------------------------------------

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rcli() { redis-cli -p "$redis_port" "$@"; }

start_redis() {
  mkdir -p "$work/redis"
  redis_port=$(free_port)
  "$redis_server" "$root/packaging/redis.conf" --bind 127.0.0.1 --port "$redis_port" \
    --unixsocket "$work/redis/redis.sock" --unixsocketperm 700 --dir "$work/redis" \
    --logfile "" --daemonize no "${redis_args[@]+"${redis_args[@]}"}" > "$work/redis.log" 2>&1 &
  redis_pid=$!
  started+=("$redis_pid")
  for _ in $(seq 100); do  # at most 10 s
    [[ $(rcli PING 2> /dev/null) == PONG ]] && return
    kill -0 "$redis_pid" 2> /dev/null || break
    sleep 0.1
  done
  cat "$work/redis.log" >&2
  echo "cluster.sh: redis-server did not start" >&2
  exit 2
}

# start_node NAME ARGS...: one socketchatd (NODE_ARGS, then ARGS) on a free port; sets
# node_pid and node_port. Its log goes to $work/NAME.log (no message texts in it).
start_node() {
  local name=$1
  shift
  local log=$work/$name.log
  "$daemon" --listen tcp://127.0.0.1:0 --data-dir "$work/$name-data" "${node_args[@]}" "$@" \
    > "$log" 2>&1 &
  node_pid=$!
  started+=("$node_pid")
  node_port=$(listened_port "$log" "$node_pid" "$name") || exit 2
}

# CPU seconds (user + system) the processes have used so far: /proc/PID/stat fields 14
# and 15, in clock ticks.
clock_ticks=$(getconf CLK_TCK)
cpu_seconds() {
  local total=0 pid fields
  for pid in "$@"; do
    read -r -a fields < <(sed 's/^.*) //' "/proc/$pid/stat")  # fields[0] is field 3
    total=$((total + fields[11] + fields[12]))
  done
  "$python" -c "print($total / $clock_ticks)"
}

# Waits until Redis holds no user (the last run's departures all done). EXISTS: a
# command the nodes do not send, so that part b can leave it out.
wait_users_gone() {
  for _ in $(seq 200); do  # at most 20 s
    [[ $(rcli EXISTS sc:users) == 0 ]] && return
    sleep 0.1
  done
  echo "cluster.sh: users still in sc:users after 20 s: $(rcli HLEN sc:users)" >&2
}

# run_loadgen NAME ARGS...: the load generator, its report shown and kept in NAME.out;
# NAME.cpu gets the CPU seconds of the nodes, Redis and the single node before and after.
run_loadgen() {
  local name=$1 status=0
  shift
  echo "\$ socketchat_loadgen $*"
  local before after
  before="$(cpu_seconds "${node_pids[@]}") $(cpu_seconds "$redis_pid") $(cpu_seconds "$single_pid")"
  "$loadgen" "$@" > "$work/$name.out" || status=$?
  after="$(cpu_seconds "${node_pids[@]}") $(cpu_seconds "$redis_pid") $(cpu_seconds "$single_pid")"
  grep -v '^RESULT ' "$work/$name.out" | sed 's/^/   /'
  echo "$before $after" > "$work/$name.cpu"
  if ((status != 0)); then echo "cluster.sh: $name: the load generator exited $status" >&2; fi
  return 0
}

read -r load _ < /proc/loadavg
echo "cluster.sh: $(nproc) cores, load average $load before the run; commit" \
  "$(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)"

start_redis
echo "redis-server $("$redis_server" --version | cut -d' ' -f3 | cut -d= -f2): pid $redis_pid," \
  "port $redis_port, $(rcli CONFIG GET appendonly | paste -sd' ')," \
  "$(rcli CONFIG GET appendfsync | paste -sd' '), data in $work/redis"

# ---- a, b: fanout across the nodes, and against a single node ----------------

if [[ ${SKIP_FANOUT:-0} != 1 ]]; then
  node_pids=()
  node_ports=()
  for i in $(seq "$nodes"); do
    start_node "node$i" --cluster "redis://127.0.0.1:$redis_port"
    node_pids+=("$node_pid")
    node_ports+=("$node_port")
  done
  ports=$(IFS=,; echo "${node_ports[*]}")
  echo "cluster: $nodes nodes, pids ${node_pids[*]}, ports $ports"
  start_node single
  single_pid=$node_pid
  single_port=$node_port
  echo "single node: pid $single_pid, port $single_port (no --cluster)"
  fanout=(--users "$users" --senders "$senders" --window "$window" --timeout 600)

  echo "== logins only (--messages 0): the Redis commands and CPU that are not per message"
  wait_users_gone
  rcli INFO commandstats > "$work/logins-before.stats"
  run_loadgen logins fanout --ports "$ports" --server-pid "${node_pids[0]}" "${fanout[@]}" \
    --messages 0
  wait_users_gone
  rcli INFO commandstats > "$work/logins-after.stats"
  run_loadgen single-logins fanout --port "$single_port" --server-pid "$single_pid" \
    "${fanout[@]}" --messages 0

  for round in $(seq "$rounds"); do
    echo "== round $round: cluster, $nodes nodes ($(date +%T))"
    rcli INFO commandstats > "$work/cluster$round-before.stats"
    run_loadgen "cluster$round" fanout --ports "$ports" --server-pid "${node_pids[0]}" \
      "${fanout[@]}" --messages "$messages"
    wait_users_gone
    rcli INFO commandstats > "$work/cluster$round-after.stats"
    echo "== round $round: single node ($(date +%T))"
    run_loadgen "single$round" fanout --port "$single_port" --server-pid "$single_pid" \
      "${fanout[@]}" --messages "$messages"
  done
  for pid in "${node_pids[@]}" "$single_pid"; do stop_pid "$pid"; done
fi

# ---- c: a dead node's names freed --------------------------------------------

if [[ ${SKIP_FAILOVER:-0} != 1 ]]; then
  : > "$work/failover.tsv"
  for lease in $leases; do
    for trial in $(seq "$trials"); do
      echo "== failover: --cluster-lease $lease, trial $trial ($(date +%T))"
      start_node "kill$lease-$trial-a" --cluster "redis://127.0.0.1:$redis_port" \
        --cluster-lease "$lease"
      pid_a=$node_pid
      port_a=$node_port
      # The client SIGKILLs it: out of the job table, bash reaps it without a "Killed"
      # report (and stop_pid below finds it gone, or stops it if the client failed first).
      disown "$pid_a"
      start_node "kill$lease-$trial-b" --cluster "redis://127.0.0.1:$redis_port" \
        --cluster-lease "$lease"
      pid_b=$node_pid
      port_b=$node_port
      status=0
      out=$("$python" "$here/cluster_failover.py" "$port_a" "$port_b" "$pid_a" "$lease" 30) ||
        status=$?
      echo "   $out"
      printf '%s\t%s\t%s\t%s\n' "$lease" "$trial" "$status" "$(sed -n 's/^RESULT //p' <<< "$out")" \
        >> "$work/failover.tsv"
      stop_pid "$pid_a"
      stop_pid "$pid_b"
      wait_users_gone
    done
  done
fi

# ---- summary -----------------------------------------------------------------

echo
echo "== summary ($(nproc) cores shared by the nodes, Redis and the load generator; nothing pinned)"
"$python" - "$work" "$nodes" "$rounds" << 'EOF'
import json, pathlib, sys

work, nodes, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
OWN = {"info", "exists"}  # this script's own commands, left out of the counts

def result(name):
    path = work / f"{name}.out"
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
    return None

def cpu(name):
    """CPU seconds during the run NAME: the nodes', Redis's and the single node's."""
    a = [float(x) for x in (work / f"{name}.cpu").read_text().split()]
    return {"nodes": a[3] - a[0], "redis": a[4] - a[1], "single": a[5] - a[2]}

def stats(path):
    calls = {}
    for line in path.read_text().splitlines():
        if line.startswith("cmdstat_"):
            name, fields = line[len("cmdstat_"):].split(":", 1)
            calls[name] = int(dict(f.split("=", 1) for f in fields.split(","))["calls"])
    return calls

def delta(name):
    before, after = stats(work / f"{name}-before.stats"), stats(work / f"{name}-after.stats")
    return {k: after[k] - before.get(k, 0) for k in after
            if after[k] != before.get(k, 0) and k not in OWN}

def ms(latency, key):
    return f"{latency[key] / 1000:.2f} ms"

def table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())

if (work / "cluster1.out").exists():
    base = {"cluster": cpu("logins"), "single": cpu("single-logins")}
    print("Fanout (a). CPU seconds during the load generator's run, less those of its run with"
          " --messages 0")
    print(f"  (the same logins, joins and departures: cluster nodes {base['cluster']['nodes']:.2f} s"
          f" + Redis {base['cluster']['redis']:.2f} s, single node {base['single']['single']:.2f} s)")
    rows = [("run", "deliveries/s", "p50", "p99", "correct", "node CPU s", "Redis CPU s",
             "deliveries / node-CPU-s", "/ (node+Redis)-CPU-s", "loadgen CPU")]
    for r in range(1, rounds + 1):
        for kind in ("cluster", "single"):
            res, c = result(f"{kind}{r}"), cpu(f"{kind}{r}")
            label = f"{nodes} nodes, round {r}" if kind == "cluster" else f"1 node, round {r}"
            if res is None:
                rows.append((label, "failed", "", "", "", "", "", "", "", ""))
                continue
            if kind == "cluster":
                node_cpu = c["nodes"] - base["cluster"]["nodes"]
                redis_cpu = c["redis"] - base["cluster"]["redis"]
            else:
                node_cpu, redis_cpu = c["single"] - base["single"]["single"], 0.0
            # Under one clock tick (10 ms) there is nothing to divide by.
            per = lambda seconds: f"{res['delivered'] / seconds:,.0f}" if seconds >= 0.01 else "-"
            rows.append((label, f"{res['deliveries_per_s']:,.0f}", ms(res["latency"], "p50_us"),
                         ms(res["latency"], "p99_us"), "yes" if res["ok"] else "NO",
                         f"{node_cpu:.2f}", f"{redis_cpu:.2f}" if kind == "cluster" else "-",
                         per(node_cpu), per(node_cpu + redis_cpu),
                         f"{res['loadgen_cpu_s'] / res['wall_s']:.0%}"))
    table(rows)
    for r in range(1, rounds + 1):
        c = cpu(f"single{r}")
        print(f"  (round {r}: the idle cluster nodes used {c['nodes']:.2f} s and Redis"
              f" {c['redis']:.2f} s of CPU during the single-node run)")

    print()
    print("Redis commands per message (b): INFO commandstats, calls during the run / messages sent")
    logins = delta("logins")
    base_total = sum(logins.values())
    for r in range(1, rounds + 1):
        res, d = result(f"cluster{r}"), delta(f"cluster{r}")
        if not res or not res["sent"]:
            continue
        sent, total = res["sent"], sum(d.values())
        print(f"  round {r}: {total:,} calls for {sent:,} messages, {total / sent:.3f} per message;"
              f" less the {base_total:,} of the run with no messages: {(total - base_total) / sent:.3f}")
        rows = [("command", "calls", "per message", "in the run with no messages")]
        for name in sorted(set(d) | set(logins), key=lambda k: (-d.get(k, 0), k)):
            rows.append((name, f"{d.get(name, 0):,}", f"{d.get(name, 0) / sent:.3f}",
                         f"{logins.get(name, 0):,}"))
        table(rows)

failover = work / "failover.tsv"
if failover.exists():
    print()
    print("A dead node's users freed (c): node 1 SIGKILLed, until node 2's user has"
          " `INFO alice disconnected`")
    by_lease = {}
    for line in failover.read_text().splitlines():
        lease, _, _, js = line.split("\t")
        by_lease.setdefault(lease, []).append(json.loads(js) if js else {})
    for lease, runs in by_lease.items():
        times = [r["notice_s"] for r in runs if r.get("notice_s") is not None]
        shown = ", ".join(f"{r['notice_s']:.2f}" if r.get("notice_s") is not None else "none"
                          for r in runs)
        if times:
            shown += f" s (min {min(times):.2f}, max {max(times):.2f})"
        relogins = ", ".join(str(r.get("relogin")) for r in runs)
        print(f"  --cluster-lease {lease}: {shown} (CLUSTER.md: within the lease and a third,"
              f" {float(lease) * 4 / 3:.2f} s); alice's LOGIN on node 2 right after: {relogins}")
EOF

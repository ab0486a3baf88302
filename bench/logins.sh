#!/usr/bin/env bash
# logins.sh
#
# What accounts cost: the logins scenario (bench/README.md) in two runs, each against
# a fresh socketchatd on a free loopback port with a temporary --data-dir and
# --history memory, stopped by its PID afterwards. Builds nothing.
#
#   password run: socketchatd with the default Argon2id cost and one hashing thread
#                 (--password-hash-passes 2 --password-hash-memory-kib 19456
#                 --password-hash-threads 1, the defaults). Registers PASSWORD_ACCOUNTS
#                 accounts, measures the idle PING round trip of a logged-in probe,
#                 then PASSWORD_LOGINS password logins (over those accounts in turn,
#                 PASSWORD_CONCURRENCY at once) with the probe pinging meanwhile.
#   token run:    socketchatd with a cheap cost (--password-hash-memory-kib 8
#                 --password-hash-passes 1), only so that registering TOKEN_LOGINS
#                 accounts takes seconds rather than minutes: a token login hashes
#                 nothing, so the cost does not change what it measures. Then
#                 TOKEN_LOGINS connections log in by TOKEN, TOKEN_CONCURRENCY at once
#                 (the registrations 200 at once, within the hashing queue),
#                 each to its own account, all held open until the last OK.
#
# Prints each run's table and RESULT line, then a summary.
#
# Environment:
#   SOCKETCHATD           the daemon (default build-bench/apps/socketchatd/socketchatd)
#   LOADGEN               the load generator (default build-bench/bench/socketchat_loadgen)
#   PASSWORD_ACCOUNTS     accounts for the password run (default 200)
#   PASSWORD_LOGINS       password logins (default 2000; 0 skips the password run)
#   PASSWORD_CONCURRENCY  password logins at once (default 200, under the server's
#                         --password-hash-queue of 256: no ERR server-busy)
#   PROBE_PINGS           the probe's idle round trips (default 2000)
#   PROBE_GAP_MS          between a PONG and the probe's next PING (default 1)
#   TOKEN_LOGINS          token logins, and accounts of the token run (default 10000;
#                         0 skips the token run)
#   TOKEN_CONCURRENCY     token logins at once (default 1000, within the listen backlog)
#   SERVER_CPUS           pin socketchatd to these CPUs (taskset -c list, e.g. 0);
#                         default: not pinned
#   LOADGEN_CPUS          pin the load generator likewise (e.g. 1); with both set, the
#                         load generator cannot take the server's core, as it could not
#                         from another machine
#   KEEP_WORK=1           keep the working directory (server logs, RESULT lines)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
daemon=${SOCKETCHATD:-$root/build-bench/apps/socketchatd/socketchatd}
loadgen=${LOADGEN:-$root/build-bench/bench/socketchat_loadgen}
password_accounts=${PASSWORD_ACCOUNTS:-200}
password_logins=${PASSWORD_LOGINS:-2000}
password_concurrency=${PASSWORD_CONCURRENCY:-200}
probe_pings=${PROBE_PINGS:-2000}
probe_gap_ms=${PROBE_GAP_MS:-1}
token_logins=${TOKEN_LOGINS:-10000}
token_concurrency=${TOKEN_CONCURRENCY:-1000}
python=/usr/bin/python3
[[ -x $python ]] || python=python3
server_pin=() loadgen_pin=()
[[ -n ${SERVER_CPUS:-} ]] && server_pin=(taskset -c "$SERVER_CPUS")
[[ -n ${LOADGEN_CPUS:-} ]] && loadgen_pin=(taskset -c "$LOADGEN_CPUS")

for binary in "$daemon" "$loadgen"; do
  [[ -x $binary ]] || { echo "logins.sh: $binary is not built" >&2; exit 2; }
done

work=$(mktemp -d /tmp/socketchat-logins.XXXXXX)
server_pid=
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap cleanup EXIT

# Starts socketchatd with the flags given (and those every run needs) on a free port;
# sets server_pid and port. Its log goes to $work/<name>.log: it logs every login.
start_server() {
  local name=$1
  shift
  local log=$work/$name.log
  "${server_pin[@]}" "$daemon" --listen tcp://127.0.0.1:0 --data-dir "$work/$name-data" --history memory \
    --rate 0 --idle-timeout 0 --login-timeout 0 --max-connections 0 "$@" 2> "$log" &
  server_pid=$!
  port=$(listened_port "$log" "$server_pid" "$name") || exit 2
}

# Runs the load generator; its output goes to the terminal and $work/<name>.out.
run_loadgen() {
  local name=$1
  shift
  echo "\$ socketchat_loadgen $*"
  "${loadgen_pin[@]}" "$loadgen" "$@" | tee "$work/$name.out"
}

if ((password_logins > 0)); then
  echo "== password run: default Argon2id cost, one hashing thread"
  start_server password --password-hash-threads 1 --password-hash-passes 2 \
    --password-hash-memory-kib 19456
  run_loadgen password logins --port "$port" --server-pid "$server_pid" \
    --accounts "$password_accounts" --password-logins "$password_logins" \
    --probe-pings "$probe_pings" --probe-gap-ms "$probe_gap_ms" \
    --concurrency "$password_concurrency" --timeout 1800
  stop_server
fi

if ((token_logins > 0)); then
  echo "== token run: cheap cost for the setup only (a token login hashes nothing)"
  start_server token --password-hash-memory-kib 8 --password-hash-passes 1
  run_loadgen token logins --port "$port" --server-pid "$server_pid" \
    --accounts "$token_logins" --token-logins "$token_logins" \
    --concurrency "$token_concurrency" --setup-concurrency 200 --timeout 1800
  stop_server
fi

echo "== summary ($(nproc) cores; server on CPUs ${SERVER_CPUS:-any}, load generator on ${LOADGEN_CPUS:-any})"
"$python" - "$work" << 'EOF'
import json, pathlib, sys

work = pathlib.Path(sys.argv[1])

def result(name):
    path = work / f"{name}.out"
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return None

def ms(latency, key):
    return f"{latency[key] / 1000:.2f} ms"

p = result("password")
if p:
    print(f"password logins/s (one hashing thread, default cost): {p['password_logins_per_s']:.1f}"
          f"  ({p['password_logins']} in {p['password_s']:.1f} s; one login p50"
          f" {ms(p['password_login'], 'p50_us')}, p99 {ms(p['password_login'], 'p99_us')};"
          f" server-busy {p['password_busy_retries']})")
    if "password_server_cpu_s" in p:
        print(f"  server CPU during the password logins: {p['password_server_cpu_s']:.1f} s")
    idle, loaded = p.get("probe_idle_rtt"), p.get("probe_loaded_rtt")
    if idle and loaded:
        print(f"PING p50 / p99, idle: {ms(idle, 'p50_us')} / {ms(idle, 'p99_us')};"
              f" during the password logins: {ms(loaded, 'p50_us')} / {ms(loaded, 'p99_us')}"
              f" (p99 {p.get('probe_p99_ratio', 0):.2f}x idle; goal: within 2x)")
t = result("token")
if t:
    goal = "met" if t["token_s"] <= 2 else "not met"
    print(f"token logins: {t['token_logins']} in {t['token_s']:.2f} s,"
          f" {t['token_logins_per_s']:.0f}/s (goal 10,000 within 2 s: {goal};"
          f" one login p99 {ms(t['token_login'], 'p99_us')})")
EOF

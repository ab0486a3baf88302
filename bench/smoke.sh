#!/usr/bin/env bash
# smoke.sh BUILD_DIR
#
# CI's benchmark smoke test: starts the built socketchatd on a free loopback port and
# runs a tiny fanout (10 users, 2 senders, 50 messages each), then a few PINGs, over
# the line protocol (and the fanout again with CAPS ids) and over its IRC listener; then
# a few registrations, password and token logins (the logins scenario).
# Exits non-zero if any message is lost, duplicated or reordered, or on a timeout.
# SOCKETCHATD and LOADGEN, when set, name the two binaries instead of BUILD_DIR.
set -euo pipefail

build=${1:?usage: smoke.sh BUILD_DIR}
daemon=${SOCKETCHATD:-$build/apps/socketchatd/socketchatd}
loadgen=${LOADGEN:-$build/bench/socketchat_loadgen}
for binary in "$daemon" "$loadgen"; do
  [[ -x $binary ]] || { echo "smoke.sh: $binary is not built" >&2; exit 2; }
done

work=$(mktemp -d /tmp/socketchat-smoke.XXXXXX)
log=$work/server.log
pid=
cleanup() {
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the daemon picks a free port and names it in its first log line.
# Its history database goes to the temporary directory, not the current one.
"$daemon" --listen tcp://127.0.0.1:0 --listen irc://127.0.0.1:0 --rate 0 --idle-timeout 0 \
  --login-timeout 0 --data-dir "$work/data" 2> "$log" &
pid=$!
port=
irc_port=
for _ in $(seq 100); do  # at most 10 s
  port=$(sed -n 's/.*listening on tcp:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  irc_port=$(sed -n 's/.*listening on irc:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  [[ -n $port && -n $irc_port ]] && break
  kill -0 "$pid" 2> /dev/null || { cat "$log" >&2; exit 2; }
  sleep 0.1
done
[[ -n $port && -n $irc_port ]] || { echo "smoke.sh: socketchatd did not report its ports" >&2; exit 2; }

"$loadgen" fanout --port "$port" --server-pid "$pid" --users 10 --senders 2 --messages 50 \
  --timeout 20
"$loadgen" fanout --port "$port" --server-pid "$pid" --users 10 --senders 2 --messages 50 \
  --window 5 --slow-reader --timeout 20
"$loadgen" latency --port "$port" --server-pid "$pid" --count 100 --warmup 10 --timeout 20
# With message ids on every delivery (CAPS ids).
"$loadgen" fanout --port "$port" --server-pid "$pid" --users 10 --senders 2 --messages 50 \
  --window 5 --caps ids --timeout 20
"$loadgen" fanout --port "$irc_port" --dialect irc --server-pid "$pid" --users 10 --senders 2 \
  --messages 50 --window 5 --timeout 20
"$loadgen" latency --port "$irc_port" --dialect irc --server-pid "$pid" --count 100 --warmup 10 \
  --timeout 20
# Accounts at the default password-hash cost: 5 registrations and 4 password logins.
"$loadgen" logins --port "$port" --server-pid "$pid" --accounts 4 --password-logins 4 \
  --token-logins 4 --probe-pings 20 --timeout 40
echo "bench smoke: 7 passed, 0 failed"

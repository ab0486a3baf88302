#!/usr/bin/env bash
# callgrind.sh [BUILD_DIR]
#
# The CPU cost of one delivered message, in instructions: socketchatd runs under
# valgrind --tool=callgrind with one I/O thread, a fixed small fanout runs against
# it (20 users, 2 senders, 500 messages each, window 1, so every run sends the same
# bytes in the same order), the server stops on SIGTERM, and its total instruction
# count (Ir) is divided by the deliveries. Startup, logins and shutdown are in that
# total; a second run with no message measures them, and the line below the total
# leaves them out.
#
# Then, where lib/ has them, the shares of a few named parts: publishing events on the
# I/O thread, the log thread (formatting every event for stderr) and the history
# thread (SQLite). The history writer batches by time, so the total moves by a few
# per cent from run to run; SOCKETCHATD_ARGS="--history memory" is steadier.
#
# Environment: BUILD_DIR (default build-bench, built in Release if needed),
# KEEP_WORK=1 keeps the callgrind output for callgrind_annotate, SOCKETCHATD_ARGS adds
# socketchatd flags (e.g. "--history memory"; the default is SQLite history, kept
# in the temporary directory), LOADGEN_ARGS adds flags to the load generator's fanout
# (e.g. "--caps ids": every delivery then carries its message id and stamp; the
# baseline run gets them too, so its logins include the CAPS).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-${BUILD_DIR:-$root/build-bench}}
users=20 senders=2 messages=500 window=1

work=$(mktemp -d /tmp/socketchat-callgrind.XXXXXX)
pid=
callgrind_cleanup() {  # valgrind is killed outright: its profile is not wanted then
  if [[ -n $pid ]]; then kill -KILL "$pid" 2> /dev/null || true; fi
  if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap callgrind_cleanup EXIT
build_release

# profile MESSAGES NAME: socketchatd under callgrind, the fanout with MESSAGES per
# sender, SIGTERM; leaves $work/NAME.out (the profile) and $work/NAME.fanout.
profile() {
  local messages=$1 name=$2 port=
  # Port 0: the daemon names the port it got in its first log line. Valgrind's own
  # messages go to their own file.
  # shellcheck disable=SC2086 # SOCKETCHATD_ARGS is a list of flags
  valgrind --tool=callgrind --callgrind-out-file="$work/$name.out" \
    --log-file="$work/$name.valgrind.log" \
    "$daemon" --threads 1 --host 127.0.0.1 --port 0 --rate 0 --sendq-bytes 67108864 \
    --max-connections 0 --idle-timeout 0 --login-timeout 0 --data-dir "$work/$name.data" \
    ${SOCKETCHATD_ARGS:-} 2> "$work/$name.server.log" &
  pid=$!
  for _ in $(seq 300); do  # valgrind starts slowly: at most 30 s
    port=$(sed -n 's/.*listening on tcp:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' \
      "$work/$name.server.log" | head -1)
    [[ -n $port ]] && break
    kill -0 "$pid" 2> /dev/null ||
      { cat "$work/$name.valgrind.log" "$work/$name.server.log" >&2; exit 2; }
    sleep 0.1
  done
  [[ -n $port ]] || { echo "callgrind.sh: the server did not report its port" >&2; exit 2; }

  # shellcheck disable=SC2086 # LOADGEN_ARGS is a list of flags
  "$loadgen" fanout --port "$port" --users "$users" --senders "$senders" --messages "$messages" \
    --window "$window" --timeout 300 ${LOADGEN_ARGS:-} > "$work/$name.fanout"

  kill -TERM "$pid"
  for _ in $(seq 600); do  # at most 60 s to shut down and write the profile
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  wait "$pid" || { echo "callgrind.sh: the server exited with status $?" >&2; exit 1; }
  pid=
}

instructions() { sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work/$1.out" | head -1; }

profile "$messages" run
grep -v '^RESULT ' "$work/run.fanout"
delivered=$(sed -n 's/^RESULT .*"delivered":\([0-9]*\).*/\1/p' "$work/run.fanout")
total=$(instructions run)
[[ -n $total && -n $delivered && $delivered -gt 0 ]] ||
  { echo "callgrind.sh: no instruction total or no deliveries" >&2; exit 1; }
# The same with no message at all: startup, logins and shutdown alone.
profile 0 baseline
baseline=$(instructions baseline)

# Where it went, for the parts that are easy to name: the inclusive Ir of a function
# (all it calls included), when the build has it. Names follow lib/; absent ones
# are skipped.
annotated=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/run.out" 2> /dev/null || true)
inclusive() {
  sed -n "s/^ *\([0-9,]*\) ([^)]*) *[^ ]*$1.*/\1/p" <<< "$annotated" | head -1 | tr -d ,
}
echo
echo "fanout: $users users, $senders senders, $messages messages each, window $window${LOADGEN_ARGS:+, $LOADGEN_ARGS}"
echo "server instructions (Ir): $total"
echo "deliveries: $delivered"
echo "instructions per delivered message: $((total / delivered))"
echo "  without startup, logins and shutdown ($baseline Ir with no message): $(((total - baseline) / delivered))"
share() {  # share LABEL IR
  [[ -n $2 ]] || return 0
  echo "  of which $1: $(($2 / delivered)) per delivered message ($(($2 * 100 / total)) %)"
}
publish=$(inclusive 'socketchat::detail::EventBus::publish(')
log_thread=$(inclusive 'socketchat::AsyncSink::Impl::run(')
history_thread=$(inclusive 'socketchat::detail::HistoryWriter::run(')
share "publishing events on the I/O thread (EventBus::publish)" "$publish"
share "the log thread (AsyncSink::Impl::run)" "$log_thread"
share "the history thread (HistoryWriter::run)" "$history_thread"

#!/usr/bin/env bash
# start_peer.sh inspircd|ngircd PORT [DIR]
#
# Starts one IRC server from Debian's packages with the benchmark's configuration
# (bench/peers/*.conf.in): in the background, without forking (so it stays the
# process whose PID is printed), listening on 127.0.0.1:PORT, its output in
# DIR/<server>.log (DIR defaults to a new temporary directory). Prints the PID on
# stdout once the port accepts connections; stop it with `kill PID`.
#
# Run it under `taskset -c N` to pin the server: the affinity is inherited.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
server=${1:?usage: start_peer.sh inspircd|ngircd PORT [DIR]}
port=${2:?usage: start_peer.sh inspircd|ngircd PORT [DIR]}
dir=${3:-$(mktemp -d /tmp/socketchat-peer.XXXXXX)}
mkdir -p "$dir"

fill() { sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$1" > "$2"; }

case "$server" in
  inspircd)
    command -v inspircd > /dev/null || { echo "inspircd is not installed (apt-get install inspircd)" >&2; exit 2; }
    fill "$here/inspircd.conf.in" "$dir/inspircd.conf"
    echo "bench" > "$dir/motd.txt"
    # --nofork keeps it in the foreground of this background job; --nopid and
    # --nolog keep it out of /var/run and /var/log.
    inspircd --config "$dir/inspircd.conf" --nofork --nopid --nolog --runasroot \
      > "$dir/inspircd.log" 2>&1 < /dev/null &
    ;;
  ngircd)
    command -v ngircd > /dev/null || { echo "ngircd is not installed (apt-get install ngircd)" >&2; exit 2; }
    fill "$here/ngircd.conf.in" "$dir/ngircd.conf"
    # --nodaemon: no fork, no detach; it logs to stdout instead of syslog.
    ngircd --nodaemon --passive --config "$dir/ngircd.conf" > "$dir/ngircd.log" 2>&1 < /dev/null &
    ;;
  *)
    echo "usage: start_peer.sh inspircd|ngircd PORT [DIR]" >&2
    exit 2
    ;;
esac
pid=$!

# Bounded wait for the port: 100 x 0.1 s.
for _ in $(seq 100); do
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "start_peer.sh: $server exited at start; its log:" >&2
    cat "$dir/$server.log" >&2
    exit 1
  fi
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "start_peer.sh: $server did not listen on port $port within 10 s" >&2
kill "$pid" 2> /dev/null || true
exit 1

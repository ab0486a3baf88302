"""cluster_failover.py PORT1 PORT2 PID1 [SPREAD [TIMEOUT]]

How soon a dead node's users are freed (docs/CLUSTER.md, "Failures"), for bench/cluster.sh:
logs `alice` in on node 1 (PORT1) and `bob` on node 2 (PORT2), waits until node 2's WHO
lists alice, waits a random time between 0 and SPREAD seconds (default 0; the lease,
so that the kill falls anywhere in node 1's renewal period rather than always at the
same point after the nodes started), then sends node 1 (PID1, started by the caller)
SIGKILL and measures the time until bob receives `INFO alice disconnected`. Then logs
`alice` in again on node 2, to show the name is free. Prints one line:
RESULT {"notice_s": ..., "relogin": "OK", "waited_s": ...}.

Standard library only; every wait is bounded by TIMEOUT seconds (default 30). Exit
status 0 when the notice came and the name was free again, 1 otherwise.
"""

import json
import os
import random
import signal
import socket
import sys
import time


class Client:
    """One line-protocol connection; line() waits at most until `deadline`."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def line(self, deadline):
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace").rstrip("\r")

    def ask(self, line, deadline):
        self.send(line)
        return self.line(deadline)

    def close(self):
        self.sock.close()


def main():
    port1, port2, pid1 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    spread = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    deadline = time.monotonic() + timeout

    bob = Client(port2, timeout)
    alice = Client(port1, timeout)
    for client, name in ((bob, "bob"), (alice, "alice")):
        reply = client.ask(f"LOGIN {name}", deadline)
        if reply != "OK":
            sys.exit(f"cluster_failover: LOGIN {name}: {reply!r}")

    # Node 2 hears of alice through Redis: wait until its WHO lists her.
    while True:
        bob.send("WHO")
        listed = []
        while (line := bob.line(deadline)) not in ("END", None):
            listed.append(line)
        if "USER alice" in listed:
            break
        if line is None or time.monotonic() > deadline:
            sys.exit(f"cluster_failover: node 2 never listed alice (WHO: {listed})")
        time.sleep(0.02)

    waited = random.uniform(0, spread)
    time.sleep(waited)
    killed = time.monotonic()
    os.kill(pid1, signal.SIGKILL)
    deadline = killed + timeout
    notice = None
    while (line := bob.line(deadline)) is not None:
        if line == "INFO alice disconnected":
            notice = time.monotonic() - killed
            break
    alice.close()

    relogin = None
    if notice is not None:
        again = Client(port2, timeout)
        relogin = again.ask("LOGIN alice", killed + timeout)
        again.close()
    bob.close()

    print("RESULT " + json.dumps({"notice_s": notice, "relogin": relogin, "waited_s": waited}))
    sys.exit(0 if notice is not None and relogin == "OK" else 1)


if __name__ == "__main__":
    main()

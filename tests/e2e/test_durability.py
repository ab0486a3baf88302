#!/usr/bin/python3
"""Durable before delivered: kill socketchatd with SIGKILL in the middle of a flood,
restart it on the same data directory, and check that every message any client had
received is in HISTORY.

Usage: /usr/bin/python3 test_durability.py PATH/TO/socketchatd [runs]
Standard library only; every wait is bounded.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

DAEMON = ""
RUNS = int(os.environ.get("SOCKETCHAT_DURABILITY_RUNS", "3"))
TIMEOUT = 10.0
SENDERS = 6
PER_SENDER = 400  # below HISTORY's maximum of 500, so each room's history is complete
KILL_AFTER = 300  # messages received before the kill


def start_daemon(data_dir):
    proc = subprocess.Popen(
        [DAEMON, "--host", "127.0.0.1", "--port", "0", "--history", "sqlite", "--data-dir", data_dir,
         "--rate", "0", "--log-format", "json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stderr.readline().decode()
        match = re.match(r"^socketchatd \S+ listening on tcp://127\.0\.0\.1:(\d+)$", line.strip())
        if match:
            # Keep draining stderr so the daemon never blocks on a full pipe.
            threading.Thread(target=lambda: proc.stderr.read(), daemon=True).start()
            return proc, int(match.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("socketchatd did not start")


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buffer = b""

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def expect(self, text):
        got = self.line()
        assert got == text, f"expected {text!r}, got {got!r}"


class DurabilityTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="socketchat-durability-")
        self.procs = []

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(TIMEOUT)
            proc.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def one_run(self, run):
        data_dir = os.path.join(self.tmp, f"data-{run}")
        proc, port = start_daemon(data_dir)
        self.procs.append(proc)
        rooms = [f"room{i}" for i in range(SENDERS)]

        reader = Client(port)
        reader.send("LOGIN reader")
        reader.expect("OK")
        for room in rooms:
            reader.send(f"JOIN {room}")
            reader.expect("OK")
        senders = []
        for i, room in enumerate(rooms):
            sender = Client(port)
            sender.send(f"LOGIN sender{i}")
            sender.expect("OK")
            sender.send(f"JOIN {room}")
            sender.expect("OK")
            reader.expect(f"INFO sender{i} joined {room}")
            senders.append(sender)

        def flood(i, sender):
            try:
                for seq in range(PER_SENDER):
                    sender.send(f"SAY room{i} m{i}-{seq}")
            except OSError:
                pass  # the server was killed under us: that is the point

        threads = [threading.Thread(target=flood, args=(i, s), daemon=True) for i, s in enumerate(senders)]
        for thread in threads:
            thread.start()

        received = []
        killed = False
        while True:
            try:
                line = reader.line()
            except (ConnectionResetError, socket.timeout):
                break
            if line is None:
                break
            match = re.match(r"^SAY (room\d+) sender\d+ (m\d+-\d+)$", line)
            self.assertIsNotNone(match, line)
            received.append((match.group(1), match.group(2)))
            if len(received) >= KILL_AFTER and not killed:
                proc.send_signal(signal.SIGKILL)
                killed = True
        self.assertTrue(killed, f"the flood ended after {len(received)} messages, before the kill")
        proc.wait(TIMEOUT)
        for thread in threads:
            thread.join(TIMEOUT)

        proc, port = start_daemon(data_dir)
        self.procs.append(proc)
        checker = Client(port)
        checker.send("LOGIN checker")
        checker.expect("OK")
        stored = set()
        for room in rooms:
            checker.send(f"JOIN {room}")
            checker.expect("OK")
            checker.send(f"HISTORY {room} 500")
            while (line := checker.line()) != "END":
                match = re.match(rf"^HIST {room} \d+ sender\d+ (m\d+-\d+)$", line)
                self.assertIsNotNone(match, line)
                stored.add((room, match.group(1)))
        missing = [m for m in received if m not in stored]
        self.assertEqual(missing, [], f"run {run}: received but not stored")
        self.assertGreaterEqual(len(stored), len(received))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(TIMEOUT), 0)
        return len(received), len(stored)

    def test_every_received_message_survives_sigkill(self):
        for run in range(RUNS):
            received, stored = self.one_run(run)
            print(f"run {run + 1}/{RUNS}: {received} received before SIGKILL, {stored} stored",
                  file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        DAEMON = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and sys.argv[1].isdigit():
        RUNS = int(sys.argv.pop(1))
    if not DAEMON:
        sys.exit("usage: test_durability.py PATH/TO/socketchatd [runs]")
    unittest.main()

#!/usr/bin/python3
"""Durable before delivered: kill socketchatd with SIGKILL in the middle of a flood,
restart it on the same data directory, and check that every message any client had
received is in HISTORY.

Usage: /usr/bin/python3 test_durability.py PATH/TO/socketchatd [runs]
Standard library only; every wait is bounded.
"""

import os
import re
import signal
import socket
import sys
import threading

import daemon as e2e
from daemon import TIMEOUT, Client, Daemon, DaemonTestCase, clean_env

RUNS = int(os.environ.get("SOCKETCHAT_DURABILITY_RUNS", "3"))
EXIT_TIMEOUT = 10.0  # seconds for the daemon to exit, and for the flooders to stop
SENDERS = 6
PER_SENDER = 400  # below HISTORY's maximum of 500, so each room's history is complete
KILL_AFTER = 300  # messages received before the kill


class HistorySyncTest(DaemonTestCase):
    """--history-sync full makes every commit durable on the disk (an fdatasync of the
    write-ahead log per batch of messages); normal leaves that to SQLite's checkpoints,
    none for a few messages. Counted with strace, the daemon its child."""

    def syncs_for(self, level, messages=20):
        trace = os.path.join(self.tmp, f"strace-{level}")
        # LeakSanitizer cannot work under ptrace and would fail the exit (in the ASan
        # build); leaks are checked by every other test.
        asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        daemon = self.keep_daemon(Daemon(
            "--history", "sqlite", "--data-dir", os.path.join(self.tmp, f"{level}-{messages}"),
            "--history-sync", level,
            wrapper=("strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace),
            env=clean_env(ASAN_OPTIONS=asan)))
        alice = self.keep(Client(daemon.port)).login("alice")
        bob = self.keep(Client(daemon.port)).login("bob")
        for i in range(messages):  # one at a time: a commit each
            alice.send(f"DM bob m{i}")
            bob.expect(f"DM alice m{i}")
        with open(f"/proc/{daemon.proc.pid}/task/{daemon.proc.pid}/children") as children:
            os.kill(int(children.read().split()[0]), signal.SIGTERM)
        self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)  # strace ends with its child
        with open(trace) as lines:
            return sum(1 for line in lines if "fsync(" in line or "fdatasync(" in line)

    def test_full_syncs_each_commit_and_normal_does_not(self):
        # Opening and closing the databases syncs too, as many times whatever was sent.
        normal, normal_more = self.syncs_for("normal", 20), self.syncs_for("normal", 40)
        full = self.syncs_for("full", 20)
        self.assertEqual(normal, normal_more)
        self.assertGreaterEqual(full - normal, 20)


class DurabilityTest(DaemonTestCase):
    def start(self, data_dir):
        """A daemon with durable history in `data_dir`: its process, and its port."""
        daemon = self.keep_daemon(Daemon("--history", "sqlite", "--data-dir", data_dir, "--rate", "0",
                                         "--log-format", "json"))
        return daemon.proc, daemon.port

    def one_run(self, run):
        data_dir = os.path.join(self.tmp, f"data-{run}")
        proc, port = self.start(data_dir)
        rooms = [f"room{i}" for i in range(SENDERS)]

        reader = self.keep(Client(port))
        reader.send("LOGIN reader")
        reader.expect("OK")
        for room in rooms:
            reader.send(f"JOIN {room}")
            reader.expect("OK")
        senders = []
        for i, room in enumerate(rooms):
            sender = self.keep(Client(port))
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
        proc.wait(EXIT_TIMEOUT)
        for thread in threads:
            thread.join(EXIT_TIMEOUT)

        proc, port = self.start(data_dir)
        checker = self.keep(Client(port))
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
        self.assertEqual(proc.wait(EXIT_TIMEOUT), 0)
        return len(received), len(stored)

    def test_every_received_message_survives_sigkill(self):
        for run in range(RUNS):
            received, stored = self.one_run(run)
            print(f"run {run + 1}/{RUNS}: {received} received before SIGKILL, {stored} stored",
                  file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2].isdigit():
        RUNS = int(sys.argv.pop(2))
    e2e.main(__file__)

#!/usr/bin/python3
"""End-to-end tests of SIGHUP: the real socketchatd reloads its settings while clients chat.

Usage: /usr/bin/python3 test_reload.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_reload.py

What an operator relies on: a reload loses and mixes no log line, every setting it reads
either applies at once or is named in a "needs a restart" line, and a tightened setting
(the WebSocket origins, the handshake timeout, message logging) holds from the reload on.
Standard library only; every wait is bounded and awaits a reply or a log line.
"""

import os
import re
import signal
import time

from daemon import LISTENING, TIMEOUT, Daemon, DaemonTestCase, main
from test_websocket import TEXT, Raw, upgrade_request

APPLIED = r"^\[INFO\] reload: configuration applied$"
REFUSED = r"^\[ERROR\] reload failed, keeping the current configuration: "
OUTCOME = re.compile(APPLIED + "|" + REFUSED)
MEMORY = 'history = "memory"\n'  # no data directory, unless a test asks for one


class CountingDaemon(Daemon):
    """A Daemon that can await the n-th log line matching a pattern without scanning the
    whole log again each time (a reload test logs thousands of lines)."""

    def wait_for_count(self, regex, count, timeout=TIMEOUT):
        """Waits until `count` lines match the compiled `regex`; returns how many do."""
        deadline = time.monotonic() + timeout
        seen, matched = 0, 0
        with self._changed:
            while True:
                for line in self._lines[seen:]:
                    matched += bool(regex.search(line))
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if matched >= count or self._eof or left <= 0:
                    return matched
                self._changed.wait(left)


class ReloadTest(DaemonTestCase):
    def start(self, config_text, *args):
        return self.keep_daemon(CountingDaemon("--config", self.config_file(config_text), *args))

    def reload(self, daemon, config_text):
        """Rewrites the settings file, sends SIGHUP and waits for the reload to be done."""
        daemon.forget_log()
        self.config_file(config_text)
        daemon.proc.send_signal(signal.SIGHUP)
        return daemon.wait_for_log(APPLIED)

    def raw(self, port):
        return self.keep(Raw(port))

    def upgrade_status(self, port, origin):
        raw = self.raw(port)
        raw.sock.sendall(upgrade_request(origin=origin))
        return raw.response()[0]

    def test_a_msg_stream_through_hundreds_of_reloads_loses_and_mixes_no_log_line(self):
        good = MEMORY + "rate = 0\n"
        broken = good + "no-such-key = 1\n"  # refused: the reload must say why, legibly
        daemon = self.start(good)
        alice = self.keep(daemon.client()).login("alice")
        rounds, per_round = 400, 20
        for r in range(rounds):
            # Each round: a reload (every fourth one refused) while the log thread writes
            # the previous round's lines, then the next messages, then the reload's answer.
            self.config_file(broken if r % 4 == 3 else good)
            daemon.proc.send_signal(signal.SIGHUP)
            alice.sock.sendall("".join(f"MSG m{r * per_round + i}\n" for i in range(per_round)).encode())
            outcomes = daemon.wait_for_count(OUTCOME, r + 1)
            self.assertGreaterEqual(outcomes, r + 1, f"reload {r + 1} was not answered")
        self.assertEqual(alice.ask("PING done"), "PONG done")  # every MSG was handled
        total = rounds * per_round
        logged = daemon.wait_for_count(re.compile(r"^\[MSG\] "), total)
        self.assertEqual(logged, total, f"{total - logged} of {total} [MSG] lines are missing")

        allowed = re.compile("|".join([
            LISTENING.pattern,
            r"^\[CONNECT\] new connection from 127\.0\.0\.1:\d+$",
            r"^\[LOGIN\] user=alice$",
            r'^\[MSG\] from=alice text="m\d+"$',
            APPLIED,
            REFUSED + r"INI was not able to parse no-such-key$",
        ]))
        log = daemon.log()
        garbled = [line for line in log if not allowed.search(line)]
        self.assertEqual(garbled, [], "lines that are not whole log lines")
        numbers = sorted(int(m.group(1)) for line in log if (m := re.search(r'text="m(\d+)"', line)))
        self.assertEqual(numbers, list(range(total)), "each [MSG] line once")
        self.assertEqual(sum(bool(re.search(REFUSED, line)) for line in log), rounds // 4)

    def test_a_tightened_origin_list_refuses_the_dropped_origin_after_sighup(self):
        origins = 'ws-allowed-origin = ["https://old.example", "https://new.example"]\n'
        daemon = self.start(MEMORY + origins, "--listen", "ws://127.0.0.1:0")
        port = daemon.ports["ws"]
        self.assertEqual(self.upgrade_status(port, "https://old.example"), 101)
        opened = self.raw(port).upgrade(origin="https://old.example")

        self.reload(daemon, MEMORY + 'ws-allowed-origin = ["https://new.example"]\n')
        self.assertEqual(self.upgrade_status(port, "https://old.example"), 403)
        self.assertEqual(self.upgrade_status(port, "https://new.example"), 101)
        # A WebSocket opened before the reload is not cut off: it keeps chatting.
        opened.send_frame(TEXT, b"PING still-here")
        self.assertEqual(opened.frame(), (TEXT, b"PONG still-here\n"))

        self.reload(daemon, MEMORY)  # no list at all: any origin again
        self.assertEqual(self.upgrade_status(port, "https://old.example"), 101)

    def test_a_shorter_handshake_timeout_applies_after_sighup(self):
        daemon = self.start(MEMORY + "handshake-timeout = 60\n", "--listen", "ws://127.0.0.1:0")
        self.reload(daemon, MEMORY + "handshake-timeout = 0.5\n")
        slow = self.raw(daemon.ports["ws"])
        opened = time.monotonic()
        slow.sock.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
        self.assertTrue(slow.at_eof())  # within the socket's timeout, far below 60 s
        self.assertGreaterEqual(time.monotonic() - opened, 0.4)
        daemon.wait_for_log(r"^\[ERROR\] ws-handshake-timeout remote=127\.0\.0\.1:\d+")

    def test_log_messages_changes_on_sighup(self):
        daemon = self.start(MEMORY + "log-messages = true\n")
        alice = self.keep(daemon.client()).login("alice")
        bob = self.keep(daemon.client()).login("bob")

        def say_then_join(text, room):
            """alice's MSG, then a JOIN, whose [JOIN] line is logged after the MSG's."""
            alice.send(f"MSG {text}")
            self.assertEqual(bob.line(), f"MSG alice {text}")
            self.assertEqual(alice.ask(f"JOIN {room}"), "OK")
            daemon.wait_for_log(rf"^\[JOIN\] user=alice room={room}$")

        say_then_join("logged before", "one")
        daemon.wait_for_log(r'^\[MSG\] from=alice text="logged before"$')
        self.reload(daemon, MEMORY + "log-messages = false\n")
        say_then_join("kept out of the log", "two")
        self.assertFalse([line for line in daemon.log() if "kept out" in line])
        self.reload(daemon, MEMORY + "log-messages = true\n")
        say_then_join("logged again", "three")
        daemon.wait_for_log(r'^\[MSG\] from=alice text="logged again"$')

    def test_a_setting_that_needs_a_restart_is_named_and_the_rest_applies(self):
        data = os.path.join(self.tmp, "data")
        started = (f'threads = 2\nmax-line-bytes = 4096\nhistory = "sqlite"\n'
                   f'data-dir = "{data}"\nmax-connections = 5\n')
        daemon = self.start(started)
        first = self.keep(daemon.client()).login("alice")

        changed = (f'threads = 3\nmax-line-bytes = 8192\nhistory = "memory"\n'
                   f'data-dir = "{data}-elsewhere"\nmax-connections = 1\n'
                   f'history-memory-bytes = 1048576\n')
        self.reload(daemon, changed)
        named = sorted(re.match(r"^\[INFO\] reload: needs a restart: (\S+)$", line).group(1)
                       for line in daemon.log() if "needs a restart" in line)
        self.assertEqual(named, ["data-dir", "history", "history-memory-bytes", "max-line-bytes",
                                 "threads"])
        refused = self.keep(daemon.client())  # max-connections = 1 applied at once
        self.assertEqual(refused.line(), "ERR server-full")
        # max-line-bytes is still the running 4096: a longer line is refused.
        self.assertEqual(first.ask("PING " + "x" * 5000), "ERR line-too-long")

        # Back to what it started with: nothing needs a restart any more.
        self.reload(daemon, started)
        self.assertFalse([line for line in daemon.log() if "needs a restart" in line])
        self.assertEqual(first.ask("PING back"), "PONG back")
        self.assertIsNone(daemon.proc.poll())


if __name__ == "__main__":
    main("test_reload.py")

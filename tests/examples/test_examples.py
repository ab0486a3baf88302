#!/usr/bin/python3
"""Runs each example program and checks, over real loopback sockets, that it does what
its comment says.

Usage: /usr/bin/python3 test_examples.py DIR_OF_EXAMPLE_BINARIES [unittest options]

Standard library only. Every wait is bounded: socket reads have a deadline, the
examples' stdout is awaited line by line with a deadline, exits are awaited with a
timeout. Nothing sleeps to synchronise.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

EXAMPLES_DIR = ""
TIMEOUT = 5.0  # seconds for any one expected line, reply or exit


class Example:
    """A running example on 127.0.0.1 with an ephemeral port; its stdout is collected
    line by line, its stderr kept in a file for failure messages. `args` are its
    command line (default: a TCP listener on any port); its first "listening on port N"
    line gives `port`."""

    def __init__(self, name, args=()):
        self.name = name
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [os.path.join(EXAMPLES_DIR, "example_" + name), *(args or ["tcp://127.0.0.1:0"])],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr)
        self._lines = []
        self._next = 0  # the first line wait_for_line() has not consumed
        self._eof = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        ready = self.wait_for_line(r"listening on port (\d+)")
        self.port = int(re.fullmatch(r"listening on port (\d+)", ready).group(1))

    def _collect(self):
        for raw in self.proc.stdout:
            with self._changed:
                self._lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def wait_for_line(self, pattern, timeout=TIMEOUT):
        """Consumes stdout up to and including the first line that fully matches."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                while self._next < len(self._lines):
                    line = self._lines[self._next]
                    self._next += 1
                    if regex.fullmatch(line):
                        return line
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    raise AssertionError(
                        f"example_{self.name}: no stdout line matching {pattern!r} within"
                        f" {timeout}s; stdout: {self._lines!r}; stderr: {self.stderr()!r}")
                self._changed.wait(remaining)

    def stdout_lines(self):
        with self._changed:
            return list(self._lines)

    def wait_for_stdout_eof(self, timeout=TIMEOUT):
        with self._changed:
            if not self._changed.wait_for(lambda: self._eof, timeout):
                raise AssertionError(f"example_{self.name}: stdout still open after {timeout}s")

    def stderr(self):
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def terminate_and_wait(self, sig=signal.SIGTERM, timeout=TIMEOUT):
        """Sends `sig` and returns the exit code, failing if it takes longer than timeout."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"example_{self.name} did not exit within {timeout}s of "
                                 f"signal {sig}; stderr: {self.stderr()!r}") from None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)
        self.proc.stdout.close()
        self._reader.join(timeout=TIMEOUT)
        self._stderr.close()


class Client:
    """A line-protocol client over a real TCP socket, or a Unix-domain one at
    `unix_path`."""

    def __init__(self, port=None, unix_path=None):
        if unix_path is None:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(TIMEOUT)
            self.sock.connect(unix_path)
        self._buffer = b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def recv_line(self, timeout=TIMEOUT):
        """The next line, or None at end of stream."""
        self.sock.settimeout(timeout)
        while b"\n" not in self._buffer:
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise AssertionError(f"no line within {timeout}s; buffered: {self._buffer!r}") \
                    from None
            if not chunk:
                if self._buffer:
                    raise AssertionError(f"stream ended mid-line: {self._buffer!r}")
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8")

    def login(self, name):
        self.send("LOGIN " + name)
        reply = self.recv_line()
        if reply != "OK":
            raise AssertionError(f"LOGIN {name}: expected OK, got {reply!r}")

    def expect_nothing_pending(self, token="x"):
        """Proves no line is queued for this client: a PING's PONG is the very next line."""
        self.send("PING " + token)
        reply = self.recv_line()
        if reply != "PONG " + token:
            raise AssertionError(f"expected PONG {token} as the next line, got {reply!r}")

    def expect_shutdown(self, skip=None):
        """Lines until the shutdown notice (lines matching `skip` are ignored), then EOF."""
        while True:
            line = self.recv_line()
            if line == "INFO server shutting down":
                break
            if line is None or skip is None or not re.fullmatch(skip, line):
                raise AssertionError(f"expected INFO server shutting down, got {line!r}")
        line = self.recv_line()
        if line is not None:
            raise AssertionError(f"expected the connection closed after shutdown, got {line!r}")

    def close(self):
        self.sock.close()


class ExampleCase(unittest.TestCase):
    """Starts examples and clients, and ends them all after each test."""

    def setUp(self):
        self.examples = []
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()
        for example in self.examples:
            example.close()

    def start(self, name, *args):
        example = Example(name, args)
        self.examples.append(example)
        return example

    def client(self, example, name=None, unix_path=None):
        """A client of `example`'s TCP port, or of its Unix socket at `unix_path`;
        logged in as `name` if given."""
        client = Client(example.port) if unix_path is None else Client(unix_path=unix_path)
        self.clients.append(client)
        if name is not None:
            client.login(name)
        return client

    def stop(self, example):
        self.assertEqual(example.terminate_and_wait(), 0,
                         f"example_{example.name} exit code; stderr: {example.stderr()!r}")


class ExampleTest(ExampleCase):
    """The examples of a single file: a server, a sink, a bot, a host, a filter."""

    def test_minimal(self):
        server = self.start("minimal")
        alice = self.client(server, "alice")
        bob = self.client(server, "bob")
        alice.send("MSG hello world")
        self.assertEqual(bob.recv_line(), "MSG alice hello world")
        alice.expect_nothing_pending()  # the sender does not get its own MSG back
        self.stop(server)
        alice.expect_shutdown()
        bob.expect_shutdown()
        self.assertIn("[LOGIN] user=alice", server.stderr())  # the LogSink on stderr

    def test_each_stops_on_sigint(self):
        for name in ("minimal", "audit_sink", "bot", "host_io_context", "moderation"):
            with self.subTest(example=name):
                server = self.start(name)
                self.assertEqual(server.terminate_and_wait(signal.SIGINT), 0,
                                 f"example_{name} exit code; stderr: {server.stderr()!r}")

    def test_audit_sink(self):
        server = self.start("audit_sink")
        alice = self.client(server, "alice")
        server.wait_for_line(r"audit: login alice")
        bob = self.client(server, "bob")
        server.wait_for_line(r"audit: login bob")

        alice.send('MSG say "hi" \\o/\tok')  # quotes, a backslash and a tab to escape
        self.assertEqual(bob.recv_line(), 'MSG alice say "hi" \\o/\tok')
        server.wait_for_line(r'audit: msg alice "say \\"hi\\" \\\\o/\\tok"')
        alice.send("MSG second")
        server.wait_for_line(r'audit: msg alice "second"')
        bob.send("DM alice psst")
        self.assertEqual(alice.recv_line(), "DM bob psst")
        server.wait_for_line(r'audit: dm bob -> alice "psst"')

        bob.close()
        self.clients.remove(bob)
        server.wait_for_line(r"audit: disconnect bob")
        self.assertEqual(alice.recv_line(), "INFO bob disconnected")

        # Every message has been audited (seen above) before the stop: the counts are final.
        self.stop(server)
        alice.expect_shutdown()
        server.wait_for_stdout_eof()
        lines = server.stdout_lines()
        self.assertIn("audit: disconnect alice", lines)
        self.assertEqual(lines[-1], "audit summary: alice=2 bob=1")
        for line in lines:
            self.assertRegex(line, r"^(listening on port \d+|audit: .*|audit summary: .*)$")

    def test_bot(self):
        server = self.start("bot")
        alice = self.client(server, "alice")
        alice.send("DM echo hi")
        self.assertEqual(alice.recv_line(), "DM echo echo: hi")
        alice.send("DM ECHO two words")  # names ignore case
        self.assertEqual(alice.recv_line(), "DM echo echo: two words")
        alice.send("MSG !ping")
        self.assertEqual(alice.recv_line(), "MSG echo pong")
        alice.send("MSG just chatting")  # the bot answers only !ping
        alice.expect_nothing_pending()
        alice.send("WHO")
        self.assertEqual([alice.recv_line() for _ in range(3)], ["USER alice", "USER echo", "END"])
        self.stop(server)
        alice.expect_shutdown()

    def test_host_io_context(self):
        server = self.start("host_io_context")
        alice = self.client(server, "alice")
        ticks = []
        while len(ticks) < 4:
            line = alice.recv_line(timeout=2.0)  # a tick every 200 ms
            match = re.fullmatch(r"MSG clock tick (\d+)", line or "")
            self.assertIsNotNone(match, f"expected MSG clock tick <n>, got {line!r}")
            ticks.append(int(match.group(1)))
        self.assertEqual(ticks, list(range(ticks[0], ticks[0] + 4)), "ticks count up by one")
        alice.send("WHO")
        line = alice.recv_line()
        while line != "END":  # ticks may arrive between the WHO lines
            self.assertRegex(line, r"^(USER (alice|clock)|MSG clock tick \d+)$")
            line = alice.recv_line()
        self.stop(server)  # the host's signal_set stops the server and the timer
        alice.expect_shutdown(skip=r"MSG clock tick \d+")

    def test_moderation(self):
        server = self.start("moderation")
        alice = self.client(server, "alice")
        bob = self.client(server, "bob")

        alice.send("MSG buy spam now")
        self.assertEqual(alice.recv_line(), "ERR message-rejected")
        bob.expect_nothing_pending("x")
        alice.send("DM bob SPAM!")  # any case, and DMs too
        self.assertEqual(alice.recv_line(), "ERR message-rejected")
        bob.expect_nothing_pending("y")

        alice.send("MSG darn it")
        self.assertEqual(bob.recv_line(), "MSG alice d**n it")
        alice.send("DM bob Darn, antispam spammer")  # whole words only
        self.assertEqual(bob.recv_line(), "DM alice D**n, antispam spammer")
        alice.expect_nothing_pending()  # accepted: no ERR for the sender
        self.stop(server)
        alice.expect_shutdown()
        bob.expect_shutdown()


def main():
    global EXAMPLES_DIR
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} DIR_OF_EXAMPLE_BINARIES"
                 " [unittest options]")
    EXAMPLES_DIR = sys.argv.pop(1)
    unittest.main()


if __name__ == "__main__":
    main()

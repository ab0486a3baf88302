#!/usr/bin/python3
"""End-to-end tests of what an operator scrapes and what a stalled log does: the real
socketchatd, raw sockets, /metrics over its ws:// listener.

Usage: /usr/bin/python3 test_metrics.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_metrics.py

- A daemon whose stderr nobody reads (a stalled journald, a pipe left unread) keeps
  chatting: log lines are dropped and counted in /metrics, never waited for.
- /metrics behind a bearer token: 401 without it, 200 with it, the token never logged.
- README.md names every metric /metrics exposes.
- An error the server survives (a TLS handshake that fails) is counted by its log word.
- The history backlog (messages accepted, not yet stored) is back to 0 once a HISTORY
  asked after them is answered.
Standard library only; every wait is bounded and awaits a reply, a log line or an exit.
"""

import os
import re
import signal
import socket
import subprocess
import threading

import daemon as e2e
from daemon import (LISTENING, TIMEOUT, Client, Daemon, DaemonTestCase, clean_env, main,
                    read_to_eof, run)
from test_websocket import Raw

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
DROPPED = "socketchat_sink_events_dropped_total"


def http_get(port, path, headers=()):
    """(status, headers, body) of one GET on the WebSocket port."""
    raw = Raw(port)
    try:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        raw.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        return raw.response()
    finally:
        raw.close()


def error_counts(body):
    """{detail: count} of socketchat_errors_total."""
    return {match.group(1): float(match.group(2))
            for match in re.finditer(r'^socketchat_errors_total\{detail="([^"]*)"\} (\S+)$',
                                     body.decode(), re.MULTILINE)}


def fail_a_tls_handshake(daemon):
    """Cleartext on the TLS port: the server logs tls-handshake-failed and closes."""
    with socket.create_connection(("127.0.0.1", daemon.ports["tls"]), timeout=TIMEOUT) as sock:
        sock.sendall(b"PING not tls\r\n" * 8)
        try:
            read_to_eof(sock)  # a TLS alert at most, then the end
        except ConnectionResetError:
            pass  # closed with some of our bytes unread: as good
    daemon.wait_for_log(r"^\[ERROR\] tls-handshake-failed remote=127\.0\.0\.1:\d+")


def samples(body):
    """{name: value} of the unlabelled samples, and the set of every sample's name."""
    values, names = {}, set()
    for line in body.decode().splitlines():
        if match := re.match(r"^(\w+)(\{[^}]*\})? (\S+)$", line):
            names.add(match.group(1))
            if not match.group(2):
                values[match.group(1)] = float(match.group(3))
    return values, names


class StalledLog:
    """socketchatd with its stderr on a pipe that is read only until it says where it
    listens, and never again: once the pipe is full, every write to it blocks."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([e2e.PATH, *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=clean_env())
        self.ports = {}
        listeners = sum(1 for arg in args if arg == "--listen")
        reader = threading.Thread(target=self._read_until_listening, args=(listeners,), daemon=True)
        reader.start()
        reader.join(TIMEOUT)
        if len(self.ports) < listeners:
            self.kill()
            raise AssertionError(f"the daemon did not say where it listens: {self.ports}")

    def _read_until_listening(self, listeners):
        while len(self.ports) < listeners and (raw := self.proc.stderr.readline()):
            if match := LISTENING.match(raw.decode().rstrip("\n")):
                self.ports[match.group(1)] = int(match.group(3))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self.proc.stderr.close()


class MetricsTest(DaemonTestCase):
    CERTIFICATE_CN = "127.0.0.1"

    def tls_and_ws(self, *args):
        return self.keep_daemon(Daemon("--history", "memory", "--listen", "tls://127.0.0.1:0",
                                       "--tls-cert", self.cert, "--tls-key", self.key,
                                       "--listen", "ws://127.0.0.1:0", *args))

    def test_a_log_nobody_reads_drops_lines_and_never_stalls_the_chat(self):
        stalled = StalledLog("--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                             "--rate", "0", "--history", "off", "--threads", "2",
                             "--shutdown-timeout", "1")
        try:
            alice = self.keep(Client(stalled.ports["tcp"])).login("alice")
            # Each batch is 5,000 log lines (a [MSG] each); the pipe holds a few hundred
            # and the log queue tens of thousands. Once both are full, a server that
            # waited for the log would answer no PING: each batch must still be answered.
            dropped = 0
            for batch in range(40):
                alice.sock.sendall(b"".join(b"MSG flood %d\n" % i for i in range(5000)))
                self.assertEqual(alice.ask(f"PING batch{batch}"), f"PONG batch{batch}")
                status, _, body = http_get(stalled.ports["ws"], "/metrics")
                self.assertEqual(status, 200)
                dropped = samples(body)[0].get(DROPPED, 0)
                if dropped > 0:
                    break
            self.assertGreater(dropped, 0, "no log line was dropped: the pipe never filled?")

            # Another user, on a connection of its own, chats as if nothing were wrong.
            carol = self.keep(Client(stalled.ports["tcp"]))
            self.assertEqual(carol.ask("PING hello"), "PONG hello")
            carol.login("carol")
            alice.send("MSG still chatting")
            self.assertEqual(carol.line(), "MSG alice still chatting")
            # And the daemon still stops when told to, log or no log.
            stalled.proc.send_signal(signal.SIGTERM)
            self.assertEqual(carol.line(), "INFO server shutting down")
            self.assertEqual(stalled.proc.wait(timeout=3 * TIMEOUT), 0)
        finally:
            stalled.kill()

    def test_metrics_behind_a_bearer_token(self):
        token, rotated = "tok-" + os.urandom(12).hex(), "tok-" + os.urandom(12).hex()
        config = self.config_file(f'history = "memory"\nmetrics-token = "{token}"\n')
        daemon = self.keep_daemon(Daemon("--config", config, "--listen", "ws://127.0.0.1:0"))
        port = daemon.ports["ws"]

        status, headers, body = http_get(port, "/metrics")
        self.assertEqual(status, 401)
        self.assertRegex(headers.get("www-authenticate", ""), r"^Bearer\b")
        self.assertNotIn(token.encode(), body)
        for wrong in ("Bearer " + token[:-1], "Bearer " + token + "x", "Basic " + token, token, "Bearer"):
            self.assertEqual(http_get(port, "/metrics", [("Authorization", wrong)])[0], 401, wrong)
        for right in ("Bearer " + token, "bearer " + token):
            status, _, body = http_get(port, "/metrics", [("Authorization", right)])
            self.assertEqual(status, 200, right)
            self.assertIn(b"socketchat_connections", body)
        self.assertEqual(http_get(port, "/healthz")[0], 200)  # health needs no token

        # SIGHUP rotates the token: the old one is refused from then on.
        daemon.forget_log()
        with open(config, "w") as f:
            f.write(f'history = "memory"\nmetrics-token = "{rotated}"\n')
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for_log(r"^\[INFO\] reload: configuration applied$")
        self.assertEqual(http_get(port, "/metrics", [("Authorization", "Bearer " + token)])[0], 401)
        self.assertEqual(http_get(port, "/metrics", [("Authorization", "Bearer " + rotated)])[0], 200)

        # A token that is not a bearer token is refused without being repeated.
        result = run("--metrics-token", "has space " + token, "--check-config")
        self.assertEqual(result.returncode, 2)
        self.assertIn("metrics-token", result.stderr)
        daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)
        daemon.kill()  # collects the rest of the log
        for text in (daemon.log(), [result.stdout, result.stderr]):
            leaked = [line for line in text if token in line or rotated in line]
            self.assertEqual(leaked, [], "the token is in the log")

    def test_errors_are_counted_by_the_word_the_log_gives_them(self):
        daemon = self.tls_and_ws()
        status, _, body = http_get(daemon.ports["ws"], "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"# TYPE socketchat_errors_total counter\n", body)
        self.assertEqual(error_counts(body), {})
        for failed in (1, 2):
            fail_a_tls_handshake(daemon)
            _, _, body = http_get(daemon.ports["ws"], "/metrics")
            self.assertEqual(error_counts(body), {"tls-handshake-failed": failed})
        # And the TLS listener still serves a real client.
        client = self.keep(daemon.client(port=daemon.ports["tls"], tls=self.trusted))
        self.assertEqual(client.ask("PING after"), "PONG after")

    def test_the_history_backlog_is_empty_once_what_was_sent_is_stored(self):
        daemon = self.keep_daemon(Daemon("--data-dir", os.path.join(self.tmp, "data"),
                                         "--listen", "tcp://127.0.0.1:0",
                                         "--listen", "ws://127.0.0.1:0"))  # SQLite history
        alice = self.keep(daemon.client(port=daemon.ports["tcp"])).login("alice")
        alice.sock.sendall(b"".join(b"MSG stored %d\n" % i for i in range(30)))
        # A HISTORY is answered after every message sent before it is in the store.
        alice.send("HISTORY * 30")
        lines = [alice.line() for _ in range(31)]
        self.assertEqual(lines[-1], "END")
        self.assertTrue(lines[0].endswith(" alice stored 0"), lines[0])
        _, _, body = http_get(daemon.ports["ws"], "/metrics")
        self.assertIn(b"# TYPE socketchat_history_backlog_messages gauge\n", body)
        self.assertEqual(samples(body)[0]["socketchat_history_backlog_messages"], 0)

    def test_without_a_token_metrics_stay_open_and_the_readme_names_every_metric(self):
        daemon = self.tls_and_ws()
        fail_a_tls_handshake(daemon)  # so that the errors' family has a sample
        status, _, body = http_get(daemon.ports["ws"], "/metrics")
        self.assertEqual(status, 200)
        _, exposed = samples(body)
        self.assertIn(DROPPED, exposed)
        with open(README) as f:
            documented = set(re.findall(r"`(socketchat_\w+)`", f.read()))
        self.assertEqual(sorted(exposed - documented), [], "exposed but not in README.md")
        self.assertEqual(sorted(documented - exposed), [], "in README.md but not exposed")


if __name__ == "__main__":
    main("test_metrics.py")

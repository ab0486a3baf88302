"""What the end-to-end tests share: a running socketchatd with its stderr collected, and a
line-protocol client over TCP or TLS.

Standard library only. Every wait is bounded: sockets have timeouts, and the daemon's log
is awaited line by line with a deadline, never slept on.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

PATH = os.environ.get("SOCKETCHATD", "")  # the daemon under test; main() sets it from argv[1]
TIMEOUT = 5.0  # seconds for any single expected reply, log line or exit

# "socketchatd 0.2.0 listening on wss://127.0.0.1:43123/chat": the scheme and the real port.
LISTENING = re.compile(r"^socketchatd \S+ listening on (tcp|tls|ws|wss|irc|ircs)://(\S+):(\d+)(/\S*)?$")


def clean_env(**extra):
    """The test's environment without any SOCKETCHAT_ variable it did not ask for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETCHAT_")}
    env.update(extra)
    return env


def run(*args, env=None):
    """Runs a socketchatd that is expected to exit by itself (--help, a start-up error...)."""
    return subprocess.run([PATH, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TIMEOUT, env=env if env is not None else clean_env())


def make_certificate(directory, common_name):
    """A new self-signed certificate for 127.0.0.1 with its own P-256 key, written by the
    openssl CLI as <common_name>.crt and <common_name>.key in `directory` (a temporary
    directory: keys are never committed). Returns the two paths."""
    certificate = os.path.join(directory, common_name + ".crt")
    key = os.path.join(directory, common_name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=" + common_name,
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=TIMEOUT)
    return certificate, key


def tls_context(*trusted_certificates):
    """A client context that trusts only the given certificates and checks the server's
    name (127.0.0.1); with none, it verifies nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not trusted_certificates:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    for certificate in trusted_certificates:
        context.load_verify_locations(certificate)
    return context


class Daemon:
    """A running socketchatd, its stderr collected. Without --listen it listens on
    tcp://127.0.0.1:0; with --listen URLs (give port 0) it waits for one "listening on"
    line per URL. `ports` maps each scheme to the real port of its first listener."""

    def __init__(self, *args, env=None, wrapper=()):
        """`wrapper`: a command that runs the daemon as its child (strace ...); `proc` is
        then the wrapper's process."""
        listeners = sum(1 for arg in args if arg == "--listen" or arg.startswith("--listen="))
        if listeners == 0:
            args = ("--host", "127.0.0.1", "--port", "0", *args)
        self.proc = subprocess.Popen(
            [*wrapper, PATH, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env if env is not None else clean_env())
        self._lines = []
        self._changed = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        self.ports = {}
        try:
            for line in self.wait_for_lines(LISTENING.pattern, max(listeners, 1)):
                scheme, port = LISTENING.match(line).group(1, 3)
                self.ports.setdefault(scheme, int(port))
        except BaseException:
            self.kill()
            raise
        self.port = self.ports.get("tcp")  # the plain TCP port, when there is one

    def _collect(self):
        for raw in self.proc.stderr:
            with self._changed:
                self._lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def log(self):
        with self._changed:
            return list(self._lines)

    def forget_log(self):
        """Drops the lines seen so far, so that wait_for_log() sees only what comes next."""
        with self._changed:
            self._lines.clear()

    def wait_for_lines(self, pattern, count, timeout=TIMEOUT):
        """The first `count` log lines matching the regular expression, waiting if need be."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self._lines if regex.search(line)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    raise AssertionError(f"not {count} log line(s) match {pattern!r}; log:\n" +
                                         "\n".join(self._lines))
                self._changed.wait(left)

    def wait_for_log(self, pattern, timeout=TIMEOUT):
        """The first log line matching the regular expression, waiting for it if need be."""
        return self.wait_for_lines(pattern, 1, timeout)[0]

    def client(self, port=None, tls=None):
        return Client(port if port is not None else self.port, tls=tls)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self._reader.join(TIMEOUT)  # the pipe is at EOF now that the daemon is gone
        self.proc.stderr.close()


class Conversation:
    """What a line-protocol user does, over any connection with send() and line()."""

    def ask(self, line):
        self.send(line)
        return self.line()

    def lines_until_end(self):
        lines = []
        while (line := self.line()) not in ("END", None):
            lines.append(line)
        return lines

    def expect(self, line):
        """The next line must be `line`."""
        got = self.line()
        assert got == line, f"expected {line!r}, got {got!r}"

    def login(self, name):
        reply = self.ask(f"LOGIN {name}")
        assert reply == "OK", f"LOGIN {name}: {reply!r}"
        return self


class Client(Conversation):
    """One line-protocol connection with a bounded wait on every read; over TLS when
    given an ssl.SSLContext (the server's name is then checked as 127.0.0.1)."""

    def __init__(self, port, tls=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if tls is not None:
            try:
                self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
            except BaseException:
                self.sock.close()
                raise
        self.buffer = b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def line(self):
        """The next line, or None at end of stream; a timeout raises socket.timeout."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


    def close(self):
        self.sock.close()



def read_to_eof(sock):
    """Every byte the peer sends before it closes. A reset raises, and a peer that never
    closes times out: either fails the test."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


class DaemonTestCase(unittest.TestCase):
    """Daemons and clients a test makes are kept and ended in tearDown; each test has a
    temporary directory (self.tmp). A class that sets CERTIFICATE_CN gets one certificate
    for all its tests: cls.cert, cls.key and cls.trusted (a context that trusts it)."""

    CERTIFICATE_CN = None

    @classmethod
    def setUpClass(cls):
        cls.certificates = None
        if cls.CERTIFICATE_CN:
            cls.certificates = tempfile.mkdtemp(prefix="socketchatd-certs-")
            cls.cert, cls.key = make_certificate(cls.certificates, cls.CERTIFICATE_CN)
            cls.trusted = tls_context(cls.cert)

    @classmethod
    def tearDownClass(cls):
        if cls.certificates:
            shutil.rmtree(cls.certificates, ignore_errors=True)

    def setUp(self):
        self.daemons = []
        self.clients = []
        self.tmp = tempfile.mkdtemp(prefix="socketchatd-e2e-")

    def tearDown(self):
        for client in self.clients:
            client.close()
        for daemon in self.daemons:
            daemon.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def keep_daemon(self, daemon):
        self.daemons.append(daemon)
        return daemon

    def keep(self, client):
        self.clients.append(client)
        return client

    def config_file(self, text):
        """(Re)writes the test's settings file (socketchatd.conf in self.tmp); returns its path."""
        path = os.path.join(self.tmp, "socketchatd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

def main(script):
    """Runs the unittest module `script` with the daemon named by argv[1] (or SOCKETCHATD)."""
    global PATH
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        PATH = sys.argv.pop(1)
    if not PATH or not os.access(PATH, os.X_OK):
        sys.exit(f"usage: {script} PATH/TO/socketchatd (or set SOCKETCHATD)")
    PATH = os.path.abspath(PATH)
    unittest.main()  # exits non-zero when a test fails

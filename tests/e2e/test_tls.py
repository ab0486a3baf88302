#!/usr/bin/python3
"""End-to-end tests of the tls:// transport: the real socketchatd, Python's ssl module and
`openssl s_client`, over loopback, with self-signed certificates made for the run.

Usage: /usr/bin/python3 test_tls.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_tls.py

Standard library and the openssl CLI only. Every wait is bounded (socket and subprocess
timeouts, the daemon's log awaited with a deadline); nothing sleeps.
"""

import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings

import daemon as e2e
from daemon import TIMEOUT, Client, Daemon, DaemonTestCase, make_certificate, read_to_eof, tls_context

RELOADED = r"^\[INFO\] reload: configuration applied$"
RELOAD_FAILED = r"^\[ERROR\] reload failed, keeping the current configuration"


def der_of(certificate_file):
    with open(certificate_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def common_name(tls_socket):
    """The CN of the certificate the server showed (the socket verified it)."""
    subject = dict(pair for rdn in tls_socket.getpeercert()["subject"] for pair in rdn)
    return subject["commonName"]


def pinned_context(version):
    """A client that offers exactly one TLS version. TLS 1.1 needs security level 0 in
    OpenSSL 3, else the client itself refuses to offer it and the server is never asked."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1_1 is deprecated: that is the point
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def s_client(port, *args, stdin=""):
    """openssl s_client against 127.0.0.1:port; stdout and stderr together."""
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                          input=stdin, capture_output=True, text=True, timeout=TIMEOUT)


class TlsTest(DaemonTestCase):
    """One certificate for the class (made by the openssl CLI), a daemon per test through
    start(), ended by the base in tearDown."""

    CERTIFICATE_CN = "first.test"

    def start(self, *args, cert=None, key=None):
        """A daemon listening on tls:// and tcp:// (port 0) with the class's certificate."""
        daemon = Daemon("--history", "memory", "--listen", "tls://127.0.0.1:0",
                        "--listen", "tcp://127.0.0.1:0", "--tls-cert", cert or self.cert,
                        "--tls-key", key or self.key, *args)
        return self.keep_daemon(daemon)

    def tls(self, daemon, context=None):
        return self.keep(Client(daemon.ports["tls"], tls=context or self.trusted))

    def tcp(self, daemon):
        return self.keep(Client(daemon.ports["tcp"]))

    def raw(self, daemon):
        sock = socket.create_connection(("127.0.0.1", daemon.ports["tls"]), timeout=TIMEOUT)
        self.addCleanup(sock.close)
        return sock

    def assertAlive(self, client, token="alive"):
        """PING answers PONG as the very next line: nothing else was queued for the client."""
        self.assertEqual(client.ask(f"PING {token}"), f"PONG {token}")

    def assertChat(self, one, one_name, other, other_name, text):
        """MSG and DM each way between two logged-in users, and nothing else arrives."""
        one.send(f"MSG {text} from {one_name}")
        self.assertEqual(other.line(), f"MSG {one_name} {text} from {one_name}")
        other.send(f"MSG {text} from {other_name}")
        self.assertEqual(one.line(), f"MSG {other_name} {text} from {other_name}")
        one.send(f"DM {other_name} psst")
        self.assertEqual(other.line(), f"DM {one_name} psst")
        other.send(f"DM {one_name} psst back")
        self.assertEqual(one.line(), f"DM {other_name} psst back")
        self.assertAlive(one)
        self.assertAlive(other)


class ChatOverTlsTest(TlsTest):
    def test_tls_and_tcp_users_chat_together(self):
        daemon = self.start()
        alice = self.tls(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        self.assertIn(alice.sock.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(common_name(alice.sock), "first.test")

        self.assertChat(alice, "alice", bob, "bob", "hello")
        for client in (alice, bob):
            client.send("WHO")
            self.assertEqual(client.lines_until_end(), ["USER alice", "USER bob"])
        self.assertEqual(bob.ask("DM nobody hi"), "ERR no-such-user")

        alice.send("QUIT")
        self.assertIsNone(alice.line())
        self.assertEqual(bob.line(), "INFO alice disconnected")
        daemon.wait_for_log(r"^\[DISCONNECT\] alice disconnected$")

    def test_shutdown_tells_tls_users(self):
        daemon = self.start()
        alice = self.tls(daemon).login("alice")
        daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(alice.line(), "INFO server shutting down")
        self.assertIsNone(alice.line())
        self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)

    def test_openssl_s_client_chats_with_a_tcp_user(self):
        daemon = self.start()
        alice = self.tcp(daemon).login("alice")
        # -quiet keeps s_client's own lines off stdout and reads on after stdin ends,
        # until the server closes the connection (QUIT).
        result = s_client(daemon.ports["tls"], "-quiet", "-CAfile", self.cert, "-verify_return_error",
                          "-verify_ip", "127.0.0.1",
                          stdin="LOGIN carol\nMSG hi from s_client\nDM alice psst\nWHO\nQUIT\n")
        self.assertEqual(result.stdout, "OK\nUSER alice\nUSER carol\nEND\n", result.stderr)
        self.assertEqual(alice.line(), "MSG carol hi from s_client")
        self.assertEqual(alice.line(), "DM carol psst")
        self.assertEqual(alice.line(), "INFO carol disconnected")
        self.assertAlive(alice)


class RecordClient(e2e.Conversation):
    """A TLS client over memory BIOs, so that what crosses the socket is seen record by
    record: `records` counts the application-data records received, and burst() sends
    each line as a record of its own, all of them in one send."""

    def __init__(self, port, context):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname="127.0.0.1")
        self.raw = b""  # received, not yet a whole record
        self.buffer = b""  # decrypted, not yet a whole line
        self.records = 0
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.receive()
        self.flush()

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def receive(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.raw += data
        while len(self.raw) >= 5 and len(self.raw) >= 5 + int.from_bytes(self.raw[3:5], "big"):
            size = 5 + int.from_bytes(self.raw[3:5], "big")
            if self.raw[0] == 23:  # application data (TLS 1.3 hides its handshake in these too)
                self.records += 1
            self.incoming.write(self.raw[:size])
            self.raw = self.raw[size:]

    def burst(self, lines):
        for line in lines:
            self.tls.write(line.encode() + b"\n")
        self.flush()

    def send(self, line):
        self.burst([line])

    def line(self):
        while b"\n" not in self.buffer:
            try:
                self.buffer += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.receive()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def close(self):
        self.sock.close()


class BurstTest(TlsTest):
    """What a client sends in one burst is read whole, however many records it takes,
    as a read over TCP takes every line that has arrived: its messages are fanned out
    together and each reader's next write carries them all (docs/PERFORMANCE.md, "Over
    TLS and WebSocket")."""

    def record_client(self, daemon):
        return self.keep(RecordClient(daemon.ports["tls"], self.trusted))

    def test_a_burst_of_records_reaches_a_reader_in_one_write(self):
        daemon = self.start("--threads", "1", "--rate", "0")
        alice = self.record_client(daemon).login("alice")
        bob = self.record_client(daemon).login("bob")
        self.assertAlive(bob)
        before = bob.records
        alice.burst([f"MSG burst {i}" for i in range(50)])
        for i in range(50):
            self.assertEqual(bob.line(), f"MSG alice burst {i}")
        # Read one record at a time, each message was written to bob on its own (50
        # records); read whole, the burst is one write.
        self.assertLessEqual(bob.records - before, 3)
        self.assertAlive(bob)
        self.assertAlive(alice)

    def test_a_burst_larger_than_a_read_arrives_whole_and_in_order(self):
        daemon = self.start("--threads", "1", "--rate", "0")
        alice = self.record_client(daemon).login("alice")
        bob = self.tls(daemon).login("bob")
        texts = [f"{i:03d} " + chr(ord("a") + i % 26) * 1000 for i in range(200)]  # 200 KB
        alice.burst([f"MSG {text}" for text in texts])
        for text in texts:
            self.assertEqual(bob.line(), f"MSG alice {text}")
        self.assertAlive(bob)
        self.assertAlive(alice)


class CloseNotifyTest(TlsTest):
    """Every close the server makes ends with its TLS close_notify, sent without waiting
    for the client's: a strict client (Python's ssl with suppress_ragged_eofs=False
    raises SSLEOFError on a bare EOF) reads a clean end after the last line."""

    def strict(self, daemon):
        context = tls_context(self.cert)
        context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF  # Python sets it by default
        sock = socket.create_connection(("127.0.0.1", daemon.ports["tls"]), timeout=TIMEOUT)
        self.addCleanup(sock.close)
        tls = context.wrap_socket(sock, server_hostname="127.0.0.1", suppress_ragged_eofs=False)
        self.addCleanup(tls.close)
        return tls

    def test_after_quit(self):
        daemon = self.start()
        client = self.strict(daemon)
        client.sendall(b"LOGIN alice\nQUIT\n")
        self.assertEqual(read_to_eof(client), b"OK\n")

    def test_at_shutdown(self):
        daemon = self.start()
        client = self.strict(daemon)
        client.sendall(b"LOGIN alice\nPING up\n")
        received = b""
        while not received.endswith(b"PONG up\n"):
            received += client.recv(4096)
        daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(read_to_eof(client), b"INFO server shutting down\n")
        self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)

    def test_at_the_login_timeout(self):
        daemon = self.start("--login-timeout", "1")
        client = self.strict(daemon)
        client.sendall(b"PING before login\n")
        self.assertEqual(read_to_eof(client), b"PONG before login\nINFO disconnected due to inactivity\n")


class TlsVersionTest(TlsTest):
    def test_tls_1_1_fails_the_handshake_and_the_server_goes_on(self):
        daemon = self.start()
        with self.assertRaises(ssl.SSLError) as refused:
            self.tls(daemon, pinned_context(ssl.TLSVersion.TLSv1_1))
        # The server's alert, not the client refusing to offer TLS 1.1 by itself.
        self.assertEqual(refused.exception.reason, "TLSV1_ALERT_PROTOCOL_VERSION", refused.exception)
        daemon.wait_for_log(r"^\[ERROR\] tls-handshake-failed remote=127\.0\.0\.1:\d+ ")
        self.assertAlive(self.tls(daemon))

    def test_tls_1_2_and_1_3_work(self):
        daemon = self.start()
        for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            client = self.tls(daemon, pinned_context(version))
            self.assertEqual(client.sock.version(), name)
            client.login("user" + name[-1])
            self.assertAlive(client)

    def test_openssl_s_client_versions(self):
        daemon = self.start()
        verified = ("-CAfile", self.cert, "-verify_return_error", "-verify_ip", "127.0.0.1")
        old = s_client(daemon.ports["tls"], "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
        self.assertNotEqual(old.returncode, 0, old.stdout + old.stderr)
        self.assertIn("alert protocol version", old.stdout + old.stderr)
        self.assertIn("no peer certificate available", old.stdout + old.stderr)
        for flag, version in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            result = s_client(daemon.ports["tls"], flag, *verified)
            output = result.stdout + result.stderr
            self.assertEqual(result.returncode, 0, output)
            self.assertRegex(output, rf"New, {re.escape(version)}, Cipher is ")
            self.assertRegex(output, r"(?m)^subject=CN\s*=\s*first\.test$")
            self.assertIn("Verify return code: 0 (ok)", output)


class TlsAbuseTest(TlsTest):
    def test_plain_text_on_the_tls_port_is_closed_without_harm(self):
        daemon = self.start()
        alice = self.tls(daemon).login("alice")
        for garbage in (b"LOGIN mallory\nMSG hi\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"):  # a ClientHello record of nonsense
            daemon.forget_log()
            sock = self.raw(daemon)
            sock.sendall(garbage)
            received = read_to_eof(sock)  # closed: the socket's timeout bounds the wait
            self.assertNotIn(b"OK", received)
            daemon.wait_for_log(r"^\[ERROR\] tls-handshake-failed remote=127\.0\.0\.1:\d+ ")
        self.assertIsNone(daemon.proc.poll())
        self.assertAlive(alice)
        bob = self.tls(daemon).login("bob")
        bob.send("WHO")
        self.assertEqual(bob.lines_until_end(), ["USER alice", "USER bob"])  # no mallory
        self.assertChat(alice, "alice", bob, "bob", "still here")

    def test_a_client_that_never_handshakes_is_closed_after_the_handshake_timeout(self):
        daemon = self.start("--handshake-timeout", "0.5")
        alice = self.tls(daemon).login("alice")  # handshook at once: the timeout is not hers
        silent = self.raw(daemon)
        stalling = self.raw(daemon)
        opened = time.monotonic()
        stalling.sendall(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello's first bytes, then nothing
        self.assertEqual(read_to_eof(silent), b"")
        self.assertEqual(read_to_eof(stalling), b"")
        self.assertGreaterEqual(time.monotonic() - opened, 0.4)  # not before it (timer slack)
        daemon.wait_for_lines(r"^\[ERROR\] tls-handshake-timeout remote=127\.0\.0\.1:\d+", 2)
        self.assertAlive(alice)  # connected more than 0.5 s ago, and still here


class RecordLayerTest(TlsTest):
    """After a TLS 1.3 handshake the server seals and opens the records itself
    (ARCHITECTURE.md, "TLS"): every cipher suite, key updates either way, and records
    that are not sealed with the client's key."""

    def test_each_tls_1_3_cipher_suite_carries_the_chat(self):
        daemon = self.start("--rate", "0")  # 50 PINGs at once
        alice = self.tcp(daemon).login("alice")
        for suite in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                      "TLS_CHACHA20_POLY1305_SHA256"):
            with self.subTest(suite=suite):
                # 24 KB each way: more than a record (16 KiB), cut and joined again.
                pings = "".join(f"PING {i} {'x' * 480}\n" for i in range(50))
                result = s_client(daemon.ports["tls"], "-quiet", "-tls1_3", "-ciphersuites", suite,
                                  stdin=f"LOGIN carol\nMSG hi\n{pings}QUIT\n")
                self.assertEqual(result.stdout, "OK\n" + pings.replace("PING", "PONG"),
                                 result.stderr[-500:])
                self.assertEqual(alice.line(), "MSG carol hi")
                self.assertEqual(alice.line(), "INFO carol disconnected")

    def test_key_updates_asked_for_and_not(self):
        daemon = self.start()
        # Without -quiet, s_client takes "K" (a key update asking for the server's) and "k"
        # (one that does not) on a line of their own, and says KEYUPDATE.
        proc = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{daemon.ports['tls']}",
                                 "-tls1_3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.addCleanup(proc.kill)
        lines = []

        def until(wanted):
            deadline = time.monotonic() + TIMEOUT
            while wanted not in lines:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"no {wanted!r} in {lines[-20:]}")
                ready, _, _ = select.select([proc.stdout], [], [], left)
                if ready:
                    line = proc.stdout.readline()
                    self.assertNotEqual(line, "", f"s_client ended before {wanted!r}: {lines[-20:]}")
                    lines.append(line.rstrip("\n"))

        def say(text):
            proc.stdin.write(text + "\n")
            proc.stdin.flush()

        say("LOGIN kay")
        until("OK")
        for round, command in enumerate(("K", "k", "K", "K", "k"), 1):
            say(command)
            until("KEYUPDATE")
            lines.remove("KEYUPDATE")
            say(f"PING {round}")
            until(f"PONG {round}")  # sealed with the server's keys of now, opened by s_client
        say("QUIT")
        self.assertEqual(proc.wait(timeout=TIMEOUT), 0)
        daemon.wait_for_log(r"^\[DISCONNECT\] kay disconnected$")

    def test_a_record_changed_in_any_byte_closes_only_its_connection(self):
        daemon = self.start()
        alice = self.tls(daemon).login("alice")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1_3

        def connection():
            """A TLS 1.3 client whose records go through our hands (memory BIOs), logged in."""
            sock = self.raw(daemon)
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = context.wrap_bio(incoming, outgoing)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    sock.sendall(outgoing.read())
                    incoming.write(sock.recv(65536))
            sock.sendall(outgoing.read())
            tls.write(b"LOGIN mallory\n")
            sock.sendall(outgoing.read())
            reply = b""
            while b"OK\n" not in reply:
                data = sock.recv(65536)
                self.assertNotEqual(data, b"")
                incoming.write(data)
                try:
                    reply += tls.read()
                except ssl.SSLWantReadError:
                    pass
            return sock, tls, incoming, outgoing

        sock, tls, incoming, outgoing = connection()
        tls.write(b"MSG hi\n")
        record = outgoing.read()
        self.assertEqual(record[0], 23)  # application_data, sealed
        sock.sendall(record)  # as it is: taken
        self.assertEqual(alice.line(), "MSG mallory hi")
        sock.sendall(b"QUIT\n")  # plain text where a record should be
        incoming.write(read_to_eof(sock))
        with self.assertRaises(ssl.SSLError) as said:  # the server's alert, then the end
            tls.read()
        self.assertEqual(said.exception.reason, "SSLV3_ALERT_UNEXPECTED_MESSAGE")
        self.assertEqual(alice.line(), "INFO mallory disconnected")

        # Every byte but the length's (a longer one waits for bytes that never come): the
        # server's last words are a fatal alert saying why (RFC 8446, 6.2), then it closes.
        for position in [0, 1, 2] + list(range(5, len(record))):
            with self.subTest(position=position):
                sock, tls, incoming, outgoing = connection()
                tls.write(b"MSG hi\n")
                changed = bytearray(outgoing.read())
                changed[position] ^= 0x01
                sock.sendall(bytes(changed))
                incoming.write(read_to_eof(sock))
                with self.assertRaises(ssl.SSLError) as said:
                    tls.read()
                # The record type (position 0) is not application data; any other
                # change, the header's included (it is authenticated), fails to open.
                self.assertEqual(said.exception.reason, "SSLV3_ALERT_UNEXPECTED_MESSAGE"
                                 if position == 0 else "SSLV3_ALERT_BAD_RECORD_MAC")
                self.assertEqual(alice.line(), "INFO mallory disconnected")  # and no MSG
        self.assertIsNone(daemon.proc.poll())
        self.assertAlive(alice)


class StartupErrorTest(TlsTest):
    def assertStartupError(self, cert, key, named):
        """Exit 1 and a single `socketchatd: …` line on stderr that names the file."""
        result = e2e.run("--history", "memory", "--listen", "tls://127.0.0.1:0",
                         "--tls-cert", cert, "--tls-key", key)
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertRegex(lines[0], r"^socketchatd: ")
        self.assertIn(named, lines[0])

    def file(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_missing_certificate(self):
        missing = os.path.join(self.tmp, "missing.crt")
        self.assertStartupError(missing, self.key, missing)

    def test_garbage_certificate(self):
        garbage = self.file("garbage.crt", "this is not a certificate\n")
        self.assertStartupError(garbage, self.key, garbage)

    def test_unreadable_certificate(self):
        unreadable = os.path.join(self.tmp, "directory.crt")
        os.mkdir(unreadable)  # unreadable as a file, even for root
        self.assertStartupError(unreadable, self.key, unreadable)
        if os.geteuid() != 0:  # root reads a mode-000 file all the same
            locked = self.file("locked.crt", open(self.cert).read())
            os.chmod(locked, 0)
            self.assertStartupError(locked, self.key, locked)

    def test_missing_or_garbage_key(self):
        missing = os.path.join(self.tmp, "missing.key")
        self.assertStartupError(self.cert, missing, missing)
        garbage = self.file("garbage.key", "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
        self.assertStartupError(self.cert, garbage, garbage)

    def test_key_that_does_not_match_the_certificate(self):
        _, other_key = make_certificate(self.tmp, "other.test")
        self.assertStartupError(self.cert, other_key, other_key)


class ReloadTest(TlsTest):
    def start_with_copies(self):
        """A daemon (tls, tcp and wss) whose certificate files, copies of the class's, the
        test may replace."""
        self.cert_file = os.path.join(self.tmp, "server.crt")
        self.key_file = os.path.join(self.tmp, "server.key")
        shutil.copyfile(self.cert, self.cert_file)
        shutil.copyfile(self.key, self.key_file)
        return self.start("--listen", "wss://127.0.0.1:0", cert=self.cert_file, key=self.key_file)

    def wss_certificate(self, daemon, context):
        """The certificate (DER) a new connection to the wss:// port is shown."""
        sock = socket.create_connection(("127.0.0.1", daemon.ports["wss"]), timeout=TIMEOUT)
        with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            return tls.getpeercert(binary_form=True)

    def install(self, cert, key):
        """Replaces the daemon's files, each at once (rename), as a deploy tool does."""
        for source, target in ((cert, self.cert_file), (key, self.key_file)):
            staged = target + ".new"
            shutil.copyfile(source, staged)
            os.replace(staged, target)

    def test_sighup_serves_a_new_certificate_and_keeps_connections(self):
        daemon = self.start_with_copies()
        alice = self.tls(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        fresh = tempfile.mkdtemp(dir=self.tmp)
        new_cert, new_key = make_certificate(fresh, "second.test")

        self.install(new_cert, new_key)
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for_log(RELOADED)

        # The open connection keeps its certificate and its chat.
        self.assertEqual(alice.sock.getpeercert(binary_form=True), der_of(self.cert))
        self.assertChat(alice, "alice", bob, "bob", "after the reload")
        # A new one gets the new certificate: its DER bytes, its CN, and no longer the old one.
        carol = self.tls(daemon, tls_context(self.cert, new_cert)).login("carol")
        self.assertEqual(carol.sock.getpeercert(binary_form=True), der_of(new_cert))
        self.assertEqual(common_name(carol.sock), "second.test")
        self.assertChat(carol, "carol", alice, "alice", "hello newcomer")
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.tls(daemon, tls_context(self.cert))
        seen = s_client(daemon.ports["tls"], "-CAfile", new_cert, "-verify_return_error",
                        "-verify_ip", "127.0.0.1")
        self.assertRegex(seen.stdout, r"(?m)^subject=CN\s*=\s*second\.test$", seen.stderr)
        self.assertEqual(self.wss_certificate(daemon, tls_context(new_cert)), der_of(new_cert))
        self.assertIsNone(daemon.proc.poll())

    def test_sighup_with_a_broken_certificate_keeps_the_old_one(self):
        daemon = self.start_with_copies()
        alice = self.tls(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        broken = tempfile.mkdtemp(dir=self.tmp)
        garbage = os.path.join(broken, "garbage.crt")
        with open(garbage, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        _, other_key = make_certificate(broken, "other.test")

        for name, cert, key in (("garbage certificate", garbage, self.key),
                                ("key of another certificate", self.cert, other_key)):
            with self.subTest(name):
                self.install(cert, key)
                daemon.forget_log()  # this SIGHUP must log its own failure
                daemon.proc.send_signal(signal.SIGHUP)
                line = daemon.wait_for_log(RELOAD_FAILED)
                self.assertNotIn("configuration applied", "\n".join(daemon.log()))
                self.assertIn(self.tmp, line)  # names the file it could not use
                newcomer = self.tls(daemon)  # trusts the old certificate only
                self.assertEqual(newcomer.sock.getpeercert(binary_form=True), der_of(self.cert))
                self.assertEqual(common_name(newcomer.sock), "first.test")
                self.assertAlive(newcomer)
                self.assertEqual(self.wss_certificate(daemon, self.trusted), der_of(self.cert))
                self.assertChat(alice, "alice", bob, "bob", name)

        os.remove(self.cert_file)  # and a certificate that is not there at all
        daemon.forget_log()
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for_log(RELOAD_FAILED)
        self.assertEqual(common_name(self.tls(daemon).sock), "first.test")
        self.assertChat(alice, "alice", bob, "bob", "missing file")
        self.assertIsNone(daemon.proc.poll())


if __name__ == "__main__":
    e2e.main("test_tls.py")

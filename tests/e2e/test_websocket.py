#!/usr/bin/python3
"""End-to-end tests of the ws:// and wss:// transports and of the HTTP routes on the
WebSocket port: the real socketchatd, Debian's python3-websockets as the WebSocket client,
raw sockets where a well-behaved client library cannot misbehave on purpose, and one
daemon serving tcp, tls, ws and wss at once.

Usage: /usr/bin/python3 test_websocket.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_websocket.py

Standard library, python3-websockets (its threading client from version 11; Debian 12 has
10.4, asyncio only, so there each WsClient runs its own event loop in a thread and the test
waits on it with a bound) and the openssl CLI for the certificate. Every wait is bounded;
nothing sleeps.
"""

import asyncio
import base64
import hashlib
import inspect
import os
import re
import signal
import socket
import ssl
import threading
import time

import websockets
import websockets.exceptions

import daemon as e2e
from daemon import TIMEOUT, Client, Conversation, Daemon, DaemonTestCase, make_certificate, tls_context

MIB = 1024 * 1024  # websocket_max_frame_bytes and websocket_max_message_bytes by default
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


try:  # websockets 11 and later; Debian 12 has 10.4, asyncio only
    import websockets.sync.client as websockets_sync
except ImportError:
    websockets_sync = None


class WsClient(Conversation):
    """A python3-websockets connection driven from the test's thread, every call waiting at
    most TIMEOUT: the library's threading client when it has one (websockets 11+), else its
    asyncio client with the event loop in a thread of its own. Speaks lines like
    daemon.Client; line() returns None once the server has closed."""

    def __init__(self, url, **options):
        self.pending = []
        self.loop = None
        if websockets_sync is not None:
            accepted = inspect.signature(websockets_sync.connect).parameters
            if "ssl" in options and "ssl" not in accepted:
                options["ssl_context"] = options.pop("ssl")  # its name before websockets 14
            if "ping_interval" in accepted:
                options["ping_interval"] = None
            self.ws = websockets_sync.connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT, **options)
            return
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        try:
            self.ws = self._await(lambda: websockets.connect(
                url, open_timeout=TIMEOUT, close_timeout=TIMEOUT, ping_interval=None, **options))
        except BaseException:
            self._stop_loop()
            raise

    def _await(self, make, timeout=TIMEOUT):
        """Awaits make() on the client's loop (made there: websockets 10 binds objects to the
        loop current when they are created), for at most `timeout` seconds."""
        async def bounded():
            return await asyncio.wait_for(make(), timeout)
        return asyncio.run_coroutine_threadsafe(bounded(), self.loop).result(timeout + 1)

    def send_message(self, message):
        """One message as given: a str (one text frame, LF or not) or a list of str
        (one fragmented text message) or bytes (binary)."""
        if self.loop is None:
            self.ws.send(message)
        else:
            self._await(lambda: self.ws.send(message))

    def send(self, line):
        self.send_message(line + "\n")

    def message(self):
        """The next text message, or None once the connection is closed."""
        try:
            if self.loop is None:
                return self.ws.recv(timeout=TIMEOUT)
            return self._await(self.ws.recv)
        except websockets.exceptions.ConnectionClosed:
            return None

    def ping(self, payload):
        """Sends a ping and waits for its pong."""
        if self.loop is None:
            assert self.ws.ping(payload).wait(TIMEOUT), "no pong"
        else:
            pong = self._await(lambda: self.ws.ping(payload))
            self._await(lambda: pong)  # done when the matching pong arrives

    def close_from_client(self):
        """The client's close handshake (code 1000), waiting for the server's answer."""
        if self.loop is None:
            self.ws.close()
        else:
            self._await(self.ws.close)

    def line(self):
        while not self.pending:
            message = self.message()
            if message is None:
                return None
            # Each text frame the server sends carries whole lines.
            assert message.endswith("\n"), f"a frame without a final LF: {message!r}"
            self.pending.extend(message.split("\n")[:-1])
        return self.pending.pop(0)


    @property
    def close_code(self):
        """The code of the server's close frame, once the connection is closed."""
        if hasattr(self.ws, "close_code"):
            return self.ws.close_code
        return self.ws.protocol.close_code  # threading client before websockets 13

    def close(self):
        try:
            if hasattr(self, "ws"):
                self.close_from_client()
        except Exception:
            pass  # closed already, or the daemon is gone
        finally:
            self._stop_loop()

    def _stop_loop(self):
        if self.loop is None or self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


def mask(payload, key):
    repeated = (key * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def frame(opcode, payload, fin=True, masked=True):
    """One WebSocket frame as a client sends it (masked), or not when asked to misbehave."""
    head = bytes([(0x80 if fin else 0) | opcode])
    size = len(payload)
    bit = 0x80 if masked else 0
    if size < 126:
        head += bytes([bit | size])
    elif size <= 0xFFFF:
        head += bytes([bit | 126]) + size.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + size.to_bytes(8, "big")
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + mask(payload, key)


def upgrade_request(path="/ws", key=None, version="13", origin=None, drop=()):
    """A WebSocket upgrade request; `drop` leaves headers out by name."""
    headers = {"Host": "127.0.0.1", "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Key": key or base64.b64encode(os.urandom(16)).decode(),
               "Sec-WebSocket-Version": version}
    if origin:
        headers["Origin"] = origin
    lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items() if k not in drop]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Raw:
    """A plain socket speaking HTTP and WebSocket frames byte by byte."""

    def __init__(self, port, tls=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.buffer = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buffer += chunk

    def _take(self, size):
        while len(self.buffer) < size:
            self._fill()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def response(self):
        """(status, headers with lower-case names, body) of one HTTP response."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        match = re.match(r"^HTTP/1\.1 (\d{3}) ", status_line)
        assert match, f"not an HTTP/1.1 status line: {status_line!r}"
        headers = {}
        for line in header_lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        body = self._take(int(headers.get("content-length", "0")))
        return int(match.group(1)), headers, body

    def at_eof(self):
        """True when the server has closed its side and sent nothing more."""
        while chunk := self.sock.recv(65536):
            self.buffer += chunk
        return self.buffer == b""

    def upgrade(self, path="/ws", **request):
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(upgrade_request(path, key=key, **request))
        status, headers, _ = self.response()
        assert status == 101, status
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        assert headers.get("sec-websocket-accept") == expected, headers
        return self

    def send_frame(self, opcode, payload, fin=True, masked=True):
        self.sock.sendall(frame(opcode, payload, fin, masked))

    def frame(self):
        """(opcode, payload) of the next frame from the server, which must not mask."""
        first, second = self._take(2)
        assert first & 0x80, "the server fragments nothing"
        assert not second & 0x80, "a server frame must not be masked"
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(self._take(2), "big")
        elif size == 127:
            size = int.from_bytes(self._take(8), "big")
        return first & 0x0F, self._take(size)

    def close_code(self):
        """The code of the server's close frame (skipping text frames before it); the
        connection must end right after it."""
        while True:
            opcode, payload = self.frame()
            if opcode == CLOSE:
                assert len(payload) >= 2, payload
                assert self.at_eof(), self.buffer
                return int.from_bytes(payload[:2], "big")

    def close(self):
        self.sock.close()


class WebSocketTest(DaemonTestCase):
    """One certificate per class (openssl CLI); a daemon per test through start(),
    ended by the base in tearDown."""

    CERTIFICATE_CN = "ws.test"

    def start(self, *args, listen=("ws", "tcp")):
        """A daemon on 127.0.0.1 port 0 for each scheme in `listen` ("ws" may carry a path:
        "ws:/chat"), with the class's certificate when a scheme needs one."""
        urls = []
        for scheme in listen:
            scheme, _, path = scheme.partition(":")
            urls += ["--listen", f"{scheme}://127.0.0.1:0{path}"]
        if any(scheme.startswith(("tls", "wss")) for scheme in listen):
            urls += ["--tls-cert", self.cert, "--tls-key", self.key]
        return self.keep_daemon(Daemon("--history", "memory", *urls, *args))

    def ws(self, daemon, path="/ws", **options):
        return self.keep(WsClient(f"ws://127.0.0.1:{daemon.ports['ws']}{path}", **options))

    def wss(self, daemon, path="/ws"):
        return self.keep(WsClient(f"wss://127.0.0.1:{daemon.ports['wss']}{path}", ssl=self.trusted))

    def tcp(self, daemon):
        return self.keep(Client(daemon.ports["tcp"]))

    def tls(self, daemon):
        return self.keep(Client(daemon.ports["tls"], tls=self.trusted))

    def raw(self, daemon, scheme="ws"):
        return self.keep(Raw(daemon.ports[scheme], tls=self.trusted if scheme == "wss" else None))

    def http(self, daemon, request, scheme="ws"):
        """Sends raw bytes to the WebSocket port; the response, after which the server closes."""
        raw = self.raw(daemon, scheme)
        raw.sock.sendall(request)
        status, headers, body = raw.response()
        self.assertTrue(raw.at_eof(), f"the connection stays open after {status}")
        return status, headers, body

    def get(self, daemon, path, scheme="ws"):
        return self.http(daemon, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(), scheme)

    def assertAlive(self, client, token="alive"):
        """PING answers PONG as the very next line: nothing else was queued for the client."""
        self.assertEqual(client.ask(f"PING {token}"), f"PONG {token}")


class FramingTest(WebSocketTest):
    def test_ws_and_tcp_users_chat_together(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        alice.send("MSG hello from the web")
        self.assertEqual(bob.line(), "MSG alice hello from the web")
        bob.send("MSG hello from tcp")
        self.assertEqual(alice.line(), "MSG bob hello from tcp")
        alice.send("DM bob psst")
        self.assertEqual(bob.line(), "DM alice psst")
        bob.send("DM alice psst back")
        self.assertEqual(alice.line(), "DM bob psst back")
        for client in (alice, bob):
            client.send("WHO")
            self.assertEqual(client.lines_until_end(), ["USER alice", "USER bob"])
        self.assertAlive(alice)
        self.assertAlive(bob)

    def test_a_frame_with_two_lines_gets_two_replies(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        alice.send_message("PING one\nPING two\n")
        self.assertEqual([alice.line(), alice.line()], ["PONG one", "PONG two"])
        alice.send_message("PING three\r\nPING four")  # CRLF, and a last line without LF
        self.assertEqual([alice.line(), alice.line()], ["PONG three", "PONG four"])
        alice.send_message("MSG first\nMSG second\n")
        self.assertEqual([bob.line(), bob.line()], ["MSG alice first", "MSG alice second"])
        self.assertAlive(alice)

    def test_a_frame_without_lf_is_one_line(self):
        daemon = self.start()
        alice = self.ws(daemon)
        bob = self.tcp(daemon).login("bob")
        alice.send_message("LOGIN alice")
        self.assertEqual(alice.line(), "OK")
        alice.send_message("MSG no newline here")
        self.assertEqual(bob.line(), "MSG alice no newline here")
        alice.send_message("")  # an empty message is an empty line: ignored
        alice.send_message("PING solo")
        self.assertEqual(alice.line(), "PONG solo")
        self.assertAlive(bob)

    def test_a_fragmented_message(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        alice.send_message(["PI", "NG frag", "mented\nMSG split ", "across fragments"])
        self.assertEqual(alice.line(), "PONG fragmented")
        self.assertEqual(bob.line(), "MSG alice split across fragments")
        # Raw: a UTF-8 character split across fragments, and a ping between them.
        raw = self.raw(daemon).upgrade()
        raw.send_frame(TEXT, b"LOGIN carol\nMSG caf\xc3", fin=False)
        raw.send_frame(PING, b"in between")
        raw.send_frame(CONTINUATION, b"\xa9 ok\n")
        self.assertEqual(raw.frame(), (PONG, b"in between"))
        self.assertEqual(raw.frame(), (TEXT, b"OK\n"))
        self.assertEqual(alice.line(), "MSG carol caf\u00e9 ok")
        self.assertEqual(bob.line(), "MSG carol caf\u00e9 ok")

    def test_a_burst_of_output_arrives_in_order_as_frames_of_whole_lines(self):
        daemon = self.start("--rate", "0")
        watcher = self.ws(daemon).login("watcher")
        talker = self.tcp(daemon).login("talker")
        filler = "x" * 3000
        talker.sock.sendall(b"".join(f"MSG {i:03d} {filler}\n".encode() for i in range(100)))
        for i in range(100):  # line() checks that every frame ends with a LF
            self.assertEqual(watcher.line(), f"MSG talker {i:03d} {filler}")
        self.assertAlive(watcher)

    def test_frames_sent_with_the_upgrade_request_are_read(self):
        daemon = self.start()
        raw = self.raw(daemon)
        key = base64.b64encode(os.urandom(16)).decode()
        raw.sock.sendall(upgrade_request(key=key) + frame(TEXT, b"PING early\n"))  # one write
        self.assertEqual(raw.response()[0], 101)
        self.assertEqual(raw.frame(), (TEXT, b"PONG early\n"))

    def test_ping_is_answered_with_pong(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        alice.ping(b"are you there")  # returns when the matching pong is in
        self.assertAlive(alice)
        raw = self.raw(daemon).upgrade()
        raw.send_frame(PING, b"raw ping")
        self.assertEqual(raw.frame(), (PONG, b"raw ping"))


class CloseTest(WebSocketTest):
    def test_quit_closes_with_1000(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        alice.send("QUIT")
        self.assertIsNone(alice.line())
        self.assertEqual(alice.close_code, 1000)
        self.assertEqual(bob.line(), "INFO alice disconnected")

    def test_server_shutdown_says_so_then_closes_with_1001(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        bob = self.tcp(daemon).login("bob")
        daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(alice.line(), "INFO server shutting down")
        self.assertIsNone(alice.line())
        self.assertEqual(alice.close_code, 1001)
        self.assertEqual(bob.line(), "INFO server shutting down")
        self.assertIsNone(bob.line())
        self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)

    def test_invalid_utf8_closes_with_1007(self):
        daemon = self.start()
        bob = self.tcp(daemon).login("bob")
        raw = self.raw(daemon).upgrade()
        raw.send_frame(TEXT, b"LOGIN mallory\n")
        self.assertEqual(raw.frame(), (TEXT, b"OK\n"))
        raw.send_frame(TEXT, b"MSG bad \xff\xfe bytes\n")
        self.assertEqual(raw.close_code(), 1007)
        self.assertEqual(bob.line(), "INFO mallory disconnected")  # and no MSG before it
        self.assertAlive(bob)

    def test_binary_closes_with_1003(self):
        daemon = self.start()
        alice = self.ws(daemon).login("alice")
        try:
            alice.send_message(b"MSG binary\n")
        except websockets.exceptions.ConnectionClosed:
            pass  # the close may already be in
        self.assertIsNone(alice.message())
        self.assertEqual(alice.close_code, 1003)

    def test_unmasked_frame_closes_with_1002(self):
        daemon = self.start()
        bob = self.tcp(daemon).login("bob")
        raw = self.raw(daemon).upgrade()
        raw.send_frame(TEXT, b"LOGIN mallory\n")
        self.assertEqual(raw.frame(), (TEXT, b"OK\n"))
        raw.send_frame(TEXT, b"MSG unmasked\n", masked=False)
        self.assertEqual(raw.close_code(), 1002)
        self.assertEqual(bob.line(), "INFO mallory disconnected")
        self.assertAlive(bob)

    def test_other_protocol_errors_close_with_1002(self):
        daemon = self.start()
        reserved_bit = bytearray(frame(TEXT, b"PING\n"))
        reserved_bit[0] |= 0x40  # RSV1, and no extension was negotiated
        cases = {
            "reserved bit": bytes(reserved_bit),
            "continuation without a message": frame(CONTINUATION, b"PING\n"),
            "control frame over 125 bytes": frame(PING, b"x" * 126),
            "fragmented control frame": frame(PING, b"x", fin=False),
            "reserved close code 1005": frame(CLOSE, (1005).to_bytes(2, "big")),
            "unknown opcode 3": frame(0x3, b"PING\n"),
        }
        for name, bad in cases.items():
            with self.subTest(name):
                raw = self.raw(daemon).upgrade()
                raw.sock.sendall(bad)
                self.assertEqual(raw.close_code(), 1002)
        self.assertAlive(self.ws(daemon))

    def test_a_close_from_the_client_is_answered_with_its_code(self):
        daemon = self.start()
        raw = self.raw(daemon).upgrade()
        raw.send_frame(CLOSE, (4000).to_bytes(2, "big") + b"bye")
        self.assertEqual(raw.close_code(), 4000)
        raw = self.raw(daemon).upgrade()
        raw.send_frame(CLOSE, b"")  # no code: answered 1000
        self.assertEqual(raw.close_code(), 1000)
        alice = self.ws(daemon).login("alice")
        alice.close_from_client()
        self.assertEqual(alice.close_code, 1000)
        self.assertIsNone(alice.line())
        daemon.wait_for_log(r"^\[DISCONNECT\] alice disconnected$")

    def test_oversize_frame_closes_with_1009(self):
        daemon = self.start()
        bob = self.tcp(daemon).login("bob")
        alice = self.ws(daemon).login("alice")
        try:
            alice.send_message("MSG " + "x" * MIB)  # one frame over 1 MiB
        except websockets.exceptions.ConnectionClosed:
            pass
        self.assertIsNone(alice.message())
        self.assertEqual(alice.close_code, 1009)
        self.assertEqual(bob.line(), "INFO alice disconnected")
        # A message over 1 MiB in fragments of half a MiB each.
        raw = self.raw(daemon).upgrade()
        raw.send_frame(TEXT, b"MSG " + b"y" * (MIB // 2), fin=False)
        raw.send_frame(CONTINUATION, b"y" * (MIB // 2), fin=False)
        self.assertEqual(raw.close_code(), 1009)
        self.assertAlive(bob)
        self.assertIsNone(daemon.proc.poll())


class HandshakeTest(WebSocketTest):
    def test_wrong_version_is_426(self):
        daemon = self.start()
        status, headers, _ = self.http(daemon, upgrade_request(version="8"))
        self.assertEqual(status, 426)
        self.assertEqual(headers.get("sec-websocket-version"), "13")

    def test_missing_or_bad_key_or_headers_is_400(self):
        daemon = self.start()
        for request in (upgrade_request(drop=("Sec-WebSocket-Key",)),
                        upgrade_request(key="c2hvcnQ="),  # base64, but of 5 bytes
                        upgrade_request(drop=("Upgrade",)),
                        upgrade_request(drop=("Sec-WebSocket-Version",))):
            with self.subTest(request=request):
                status, _, _ = self.http(daemon, request)
                self.assertEqual(status, 400)

    def test_allowed_origin(self):
        daemon = self.start("--ws-allowed-origin", "http://good.example")
        status, _, _ = self.http(daemon, upgrade_request(origin="http://evil.example"))
        self.assertEqual(status, 403)
        alice = self.ws(daemon, origin="http://good.example").login("alice")
        self.assertAlive(alice)
        self.raw(daemon).upgrade(origin="http://good.example")  # 101, checked inside

    def test_path(self):
        daemon = self.start(listen=("ws:/chat",))
        alice = self.ws(daemon, path="/chat").login("alice")
        self.assertAlive(alice)
        status, _, _ = self.http(daemon, upgrade_request(path="/ws"))
        self.assertEqual(status, 404)

    def test_an_upgrade_that_never_finishes_is_closed_after_the_handshake_timeout(self):
        daemon = self.start("--handshake-timeout", "0.5")
        alice = self.ws(daemon).login("alice")  # upgraded at once: the timeout is not hers
        slow = self.raw(daemon)
        opened = time.monotonic()
        slow.sock.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
        self.assertTrue(slow.at_eof())
        self.assertGreaterEqual(time.monotonic() - opened, 0.4)  # not before it (timer slack)
        daemon.wait_for_log(r"^\[ERROR\] ws-handshake-timeout remote=127\.0\.0\.1:\d+")
        self.assertAlive(alice)


class HttpTest(WebSocketTest):
    def test_browser_client_page(self):
        daemon = self.start()
        status, headers, body = self.get(daemon, "/")
        self.assertEqual(status, 200)
        self.assertRegex(headers.get("content-type", ""), r"^text/html\b")
        self.assertIn(b"<html", body.lower())

    def test_healthz(self):
        daemon = self.start(listen=("ws", "wss"))
        for scheme in ("ws", "wss"):
            status, _, body = self.get(daemon, "/healthz", scheme)
            self.assertEqual((status, body.strip()), (200, b"ok"), scheme)

    def test_not_found_bad_request_and_oversized_head(self):
        daemon = self.start()
        self.assertEqual(self.get(daemon, "/nope")[0], 404)
        self.assertEqual(self.http(daemon, b"\x00\x01garbage\xff\r\n\r\n")[0], 400)
        self.assertEqual(self.http(daemon, b"NOT HTTP AT ALL\r\n\r\n")[0], 400)
        big = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 10240 + b"\r\n\r\n"
        self.assertEqual(self.http(daemon, big)[0], 431)
        self.assertIsNone(daemon.proc.poll())

    def metrics(self, daemon):
        """The samples of /metrics, {(name, labels): value}, checking the text format."""
        status, headers, body = self.get(daemon, "/metrics")
        self.assertEqual(status, 200)
        self.assertRegex(headers.get("content-type", ""), r"^text/plain\b")
        samples, typed = {}, set()
        for line in body.decode().splitlines():
            if match := re.match(r"^# TYPE (\w+) (gauge|counter)$", line):
                typed.add(match.group(1))
            elif line.startswith("# HELP ") or not line:
                continue
            else:
                match = re.match(r'^(\w+)(?:\{(\w+)="([^"]*)"\})? (\d+(?:\.\d+)?)$', line)
                self.assertIsNotNone(match, f"not a Prometheus sample: {line!r}")
                name, label, value, number = match.groups()
                self.assertIn(name, typed, f"{name} has no # TYPE before it")
                samples[(name, f"{label}={value}" if label else "")] = float(number)
        return samples

    def test_metrics_count_open_connections_per_transport(self):
        daemon = self.start(listen=("ws", "tcp", "tls", "wss"))
        tcp = self.tcp(daemon).login("tcp_user")
        tls = self.tls(daemon).login("tls_user")
        ws = self.ws(daemon).login("ws_user")
        wss = self.wss(daemon)  # open, not logged in
        self.assertAlive(wss)
        tcp.send("MSG counted")
        for client in (tls, ws):
            self.assertEqual(client.line(), "MSG tcp_user counted")

        samples = self.metrics(daemon)  # this request's own connection is no WebSocket
        connections = {transport: samples[("socketchat_connections", f"transport={transport}")]
                       for transport in ("tcp", "tls", "ws", "wss", "local")}
        self.assertEqual(connections, {"tcp": 1, "tls": 1, "ws": 1, "wss": 1, "local": 0})
        self.assertEqual(samples[("socketchat_users", "")], 3)
        for counter in ("socketchat_commands_total", "socketchat_received_bytes_total",
                        "socketchat_sent_messages_total", "socketchat_sent_bytes_total"):
            self.assertGreater(samples[(counter, "")], 0, counter)
        for counter in ("socketchat_sendq_drops_total", "socketchat_rate_limited_total"):
            self.assertEqual(samples[(counter, "")], 0, counter)

        ws.send("QUIT")
        self.assertIsNone(ws.line())
        daemon.wait_for_log(r"^\[DISCONNECT\] ws_user disconnected$")
        samples = self.metrics(daemon)
        self.assertEqual(samples[("socketchat_connections", "transport=ws")], 0)
        self.assertEqual(samples[("socketchat_connections", "transport=tcp")], 1)
        self.assertEqual(samples[("socketchat_users", "")], 2)


class WssTest(WebSocketTest):
    def test_wss_and_ws_users_chat(self):
        daemon = self.start(listen=("wss", "ws"))
        alice = self.wss(daemon).login("alice")
        bob = self.ws(daemon).login("bob")
        alice.send("MSG over tls")
        self.assertEqual(bob.line(), "MSG alice over tls")
        bob.send("DM alice back")
        self.assertEqual(alice.line(), "DM bob back")
        alice.send("QUIT")
        self.assertIsNone(alice.line())
        self.assertEqual(alice.close_code, 1000)
        self.assertEqual(bob.line(), "INFO alice disconnected")

    def test_wss_shutdown_says_so_then_closes_with_1001(self):
        daemon = self.start(listen=("wss",))
        alice = self.wss(daemon).login("alice")
        daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(alice.line(), "INFO server shutting down")
        self.assertIsNone(alice.line())
        self.assertEqual(alice.close_code, 1001)
        self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)

    def test_wss_refuses_a_client_that_does_not_trust_it(self):
        daemon = self.start(listen=("wss",))
        with self.assertRaises(ssl.SSLCertVerificationError):
            WsClient(f"wss://127.0.0.1:{daemon.ports['wss']}/ws", ssl=ssl.create_default_context())
        self.assertAlive(self.wss(daemon))


class MixedTransportsTest(WebSocketTest):
    def test_four_users_one_per_transport(self):
        daemon = self.start(listen=("tcp", "tls", "ws", "wss"))
        users = {"tcp_tom": self.tcp(daemon), "tls_tina": self.tls(daemon),
                 "ws_walt": self.ws(daemon), "wss_wendy": self.wss(daemon)}
        for name, client in users.items():
            client.login(name)
        everyone = sorted((f"USER {name}" for name in users), key=str.lower)
        for name, client in users.items():
            client.send("WHO")
            self.assertEqual(client.lines_until_end(), everyone, name)
        for sender, client in users.items():
            client.send(f"MSG hello from {sender}")
            for name, other in users.items():
                if name != sender:
                    self.assertEqual(other.line(), f"MSG {sender} hello from {sender}", name)
            self.assertAlive(client)  # the sender got nothing back
        users["ws_walt"].send("DM wss_wendy web to web")
        self.assertEqual(users["wss_wendy"].line(), "DM ws_walt web to web")
        users["tls_tina"].send("DM tcp_tom tls to tcp")
        self.assertEqual(users["tcp_tom"].line(), "DM tls_tina tls to tcp")
        for client in users.values():
            self.assertAlive(client)


if __name__ == "__main__":
    e2e.main("test_websocket.py")

#!/usr/bin/python3
"""End-to-end tests of how each listener refuses a connection at the connection limits
(max-connections, max-connections-per-ip), each in its own protocol: the line protocol's
ERR over tcp://, IRC's ERROR over irc://, an HTTP 503 over ws://, and over tls://, wss://
and ircs:// a clean close with no cleartext bytes. Real clients: Python's ssl module,
python3-websockets and raw sockets.

Usage: /usr/bin/python3 test_refusals.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_refusals.py

Every wait is bounded; nothing sleeps.
"""

import asyncio
import base64
import os
import socket
import ssl

import websockets
import websockets.exceptions

import daemon as e2e
from daemon import TIMEOUT, Daemon, DaemonTestCase, read_to_eof

SCHEMES = ("tcp", "tls", "ws", "wss", "irc", "ircs")


def upgrade_request():
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def status_of(error):
    """The HTTP status of a refused websockets handshake, whatever the library's version."""
    if hasattr(error, "status_code"):  # InvalidStatusCode, websockets before 14
        return error.status_code
    return error.response.status_code  # InvalidStatus, websockets 14 and later


class RefusalTest(DaemonTestCase):
    CERTIFICATE_CN = "127.0.0.1"

    def start(self, *args):
        """A daemon on every scheme; `args` set the limits."""
        urls = []
        for scheme in SCHEMES:
            urls += ["--listen", f"{scheme}://127.0.0.1:0" + ("/ws" if scheme in ("ws", "wss") else "")]
        return self.keep_daemon(Daemon("--history", "off", "--tls-cert", self.cert, "--tls-key",
                                       self.key, *urls, *args))

    def full(self):
        """A daemon whose one connection is taken: every other gets server-full."""
        daemon = self.start("--max-connections", "1")
        self.holder = self.keep(daemon.client()).login("holder")
        return daemon

    def crowded(self):
        """A daemon that allows one connection per address, loopback included, and
        127.0.0.1 has it: every other from there gets too-many-connections."""
        daemon = self.start("--max-connections-per-ip", "1", "--connection-limit-exempt", "")
        self.holder = self.keep(daemon.client()).login("holder")
        return daemon

    def connect(self, daemon, scheme):
        sock = socket.create_connection(("127.0.0.1", daemon.ports[scheme]), timeout=TIMEOUT)
        self.addCleanup(sock.close)
        return sock

    def assertHolderAlive(self):
        self.assertEqual(self.holder.ask("PING still"), "PONG still")

    # ---- cleartext refusals -------------------------------------------------------

    def test_line_protocol_gets_err_byte_exact(self):
        for start, code in ((self.full, "server-full"), (self.crowded, "too-many-connections")):
            daemon = start()
            sock = self.connect(daemon, "tcp")
            sock.sendall(b"LOGIN eager\n")  # clients do not wait for a greeting
            self.assertEqual(read_to_eof(sock), f"ERR {code}\n".encode())
            self.assertHolderAlive()
            daemon.wait_for_log(rf"^\[ERROR\] {code} ")

    def test_irc_gets_error(self):
        for start, why in ((self.full, "Server full"),
                           (self.crowded, "Too many connections from your address")):
            daemon = start()
            sock = self.connect(daemon, "irc")
            sock.sendall(b"NICK eager\r\nUSER eager 0 * :Eager\r\n")
            self.assertEqual(read_to_eof(sock), f"ERROR :Closing Link: ({why})\r\n".encode())
            self.assertHolderAlive()

    def test_websocket_gets_http_503_before_the_upgrade(self):
        for start, code in ((self.full, "server-full"), (self.crowded, "too-many-connections")):
            daemon = start()
            sock = self.connect(daemon, "ws")
            sock.sendall(upgrade_request())
            response = read_to_eof(sock)
            head, _, body = response.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            self.assertEqual(lines[0], "HTTP/1.1 503 Service Unavailable")
            self.assertIn("Connection: close", lines)
            self.assertIn(f"Content-Length: {len(body)}", lines)
            self.assertIn(code.encode(), body)
            self.assertHolderAlive()

    def test_a_websocket_library_reports_503(self):
        daemon = self.full()

        async def attempt():
            async with websockets.connect(f"ws://127.0.0.1:{daemon.ports['ws']}/ws",
                                          open_timeout=TIMEOUT, close_timeout=TIMEOUT):
                pass

        with self.assertRaises(websockets.exceptions.InvalidHandshake) as caught:
            asyncio.run(asyncio.wait_for(attempt(), TIMEOUT))
        self.assertEqual(status_of(caught.exception), 503)
        self.assertHolderAlive()

    # ---- TLS: no cleartext, a clean close --------------------------------------------

    def test_tls_clients_see_a_clean_close_and_no_bytes(self):
        for start in (self.full, self.crowded):
            daemon = start()
            for scheme in ("tls", "wss", "ircs"):
                with self.subTest(scheme=scheme, limit=start.__name__):
                    # A real TLS client: its handshake ends at the server's FIN (EOF), not
                    # at a reset, and not at cleartext read as a bad TLS record.
                    sock = self.connect(daemon, scheme)
                    with self.assertRaises((ssl.SSLEOFError, ssl.SSLZeroReturnError)):
                        self.trusted.wrap_socket(sock, server_hostname="127.0.0.1")
                    # The bytes on the wire: none at all, then the FIN, whatever was sent.
                    sock = self.connect(daemon, scheme)
                    self.assertEqual(read_to_eof(sock), b"")
                    sock = self.connect(daemon, scheme)
                    sock.sendall(b"\x16\x03\x01\x00\x05hello")  # the start of a handshake record
                    self.assertEqual(read_to_eof(sock), b"")
            self.assertHolderAlive()

    def test_admitted_again_once_a_slot_is_free(self):
        daemon = self.full()
        sock = self.connect(daemon, "tls")
        self.assertEqual(read_to_eof(sock), b"")
        self.holder.send("QUIT")
        self.assertIsNone(self.holder.line())
        # The slot is released once the holder's session has closed: wait for its log line.
        daemon.wait_for_log(r"^\[DISCONNECT\] ")
        client = self.keep(daemon.client(port=daemon.ports["tls"], tls=self.trusted))
        self.assertEqual(client.ask("PING back"), "PONG back")


if __name__ == "__main__":
    e2e.main(__file__)

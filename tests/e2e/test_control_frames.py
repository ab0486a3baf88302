"""WebSocket control frames are bounded like everything else a client causes: each ping
is charged to the command rate (no pong for one over it), and the pongs waiting for a
client count against its sendq_bytes, so a client that pings and never reads is
dropped like any slow reader, and the server's memory does not grow with its pings.

Usage: test_control_frames.py PATH/TO/socketchatd
"""

import base64
import os
import socket
import time

import daemon as e2e
from daemon import TIMEOUT, Daemon, DaemonTestCase
from test_websocket import CLOSE, PING, PONG, Raw, frame, upgrade_request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class ControlFramesTest(DaemonTestCase):
    def start(self, *args):
        return self.keep_daemon(Daemon("--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0/ws",
                                       "--history", "off", *args))

    def test_pings_are_charged_to_the_command_rate(self):
        daemon = self.start("--rate", "20", "--rate-burst", "40")
        client = Raw(daemon.ports["ws"]).upgrade()
        self.addCleanup(client.sock.close)
        began = time.monotonic()
        flood = b"".join(frame(PING, b"p%05d" % i) for i in range(1000))
        client.sock.sendall(flood + frame(CLOSE, b"\x03\xe8"))
        pongs = 0
        while True:
            opcode, payload = client.frame()
            if opcode == CLOSE:
                break
            self.assertEqual(opcode, PONG)
            pongs += 1
        allowed = 40 + 20 * (time.monotonic() - began) + 1
        self.assertGreater(pongs, 0)
        self.assertLessEqual(pongs, allowed, "every ping was answered: pings are not rate-limited")

    def test_a_client_that_pings_and_never_reads_is_dropped(self):
        daemon = self.start("--rate", "0", "--sendq-bytes", "65536", "--send-buffer-bytes", "4096")
        witness = self.keep(daemon.client()).login("witness")
        baseline = rss_kib(daemon.proc.pid)

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window from the start
        sock.settimeout(TIMEOUT)
        sock.connect(("127.0.0.1", daemon.ports["ws"]))
        self.clients.append(sock)
        sock.sendall(upgrade_request())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)  # byte by byte: nothing of the pongs is read
        self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)

        batch = b"".join(frame(PING, os.urandom(125)) for _ in range(200))
        deadline = time.monotonic() + 10 * TIMEOUT
        sent = 0
        while not any("sendq-exceeded" in line for line in daemon.log()):
            self.assertLess(time.monotonic(), deadline,
                            f"never dropped after {sent >> 20} MiB of pings; RSS {rss_kib(daemon.proc.pid)} KiB")
            try:
                sock.sendall(batch)
            except (ConnectionError, socket.timeout):
                break  # the server closed it (the log line follows)
            sent += len(batch)
        daemon.wait_for_log(r"^\[ERROR\] sendq-exceeded ")
        self.assertLess(rss_kib(daemon.proc.pid) - baseline, 32 * 1024, "the pongs were kept")
        witness.send("PING still")
        self.assertEqual(witness.line(), "PONG still")


if __name__ == "__main__":
    e2e.main(__file__)

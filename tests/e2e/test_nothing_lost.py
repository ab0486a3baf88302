"""Nothing a client sent is lost because it left right after: every message accepted
before the end of its connection (end of input, a WebSocket close, IRC's QUIT) reaches
the users online, before its sender's departure; and commands read before the end of
input are answered. Against the real socketchatd with its default, durable SQLite
history, driven by ncat, python3-websockets and a raw IRC client.

Usage: test_nothing_lost.py PATH/TO/socketchatd
"""

import asyncio
import os
import socket
import subprocess

import websockets

import daemon as e2e
from daemon import TIMEOUT, Daemon, DaemonTestCase
from test_websocket import CLOSE, TEXT, Raw, frame

SENDERS = 20


class NothingLostTest(DaemonTestCase):
    def start(self):
        data = os.path.join(self.tmp, "data")
        return self.keep_daemon(Daemon("--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0/ws",
                                       "--listen", "irc://127.0.0.1:0", "--data-dir", data))

    def watch(self, daemon, name="watch"):
        return self.keep(daemon.client()).login(name)

    def assertDeliveredBeforeDeparture(self, watcher, expected):
        """`expected` maps each sender to its MSG line; every one must arrive, and before
        that sender's `INFO <name> disconnected`."""
        seen = []
        missing = dict(expected)
        while missing:
            line = watcher.line()
            self.assertIsNotNone(line, f"the watcher was disconnected; still missing {sorted(missing)}")
            seen.append(line)
            if line.startswith("INFO ") and line.endswith(" disconnected"):
                for name in line[len("INFO "):-len(" disconnected")].split(" "):
                    self.assertNotIn(name, missing, f"{name}'s departure came before its message: {seen}")
            for name, message in list(missing.items()):
                if line == message:
                    del missing[name]

    def test_ncat_senders_that_end_their_input_at_once(self):
        daemon = self.start()
        watcher = self.watch(daemon)
        procs = [subprocess.Popen(["ncat", "127.0.0.1", str(daemon.port)], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(SENDERS)]
        try:
            for i, proc in enumerate(procs):
                proc.stdin.write(f"LOGIN s{i}\nMSG hi {i}\n".encode())
                proc.stdin.close()  # ncat shuts down its sending side: end of input
            self.assertDeliveredBeforeDeparture(watcher, {f"s{i}": f"MSG s{i} hi {i}" for i in range(SENDERS)})
        finally:
            for proc in procs:
                proc.wait(TIMEOUT)
        # All of them are in history too: durable before delivered.
        history = self.keep(daemon.client()).login("reader")
        history.send("HISTORY * 100")
        stored = sorted(line.split(" ", 3)[3] for line in history.lines_until_end())
        self.assertEqual(stored, sorted(f"s{i} hi {i}" for i in range(SENDERS)))

    def test_websocket_senders_that_close_right_after_sending(self):
        daemon = self.start()
        watcher = self.watch(daemon)
        url = f"ws://127.0.0.1:{daemon.ports['ws']}/ws"

        async def sender(i):
            async with websockets.connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                                          ping_interval=None) as ws:
                await ws.send(f"LOGIN w{i}\n")
                # The first line is the OK; others' messages may share its frame.
                frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(frame.split("\n")[0], "OK")
                await ws.send(f"MSG hi {i}\n")
            # leaving the block sent the close frame right behind the message

        async def all_senders():
            await asyncio.wait_for(asyncio.gather(*(sender(i) for i in range(SENDERS))), 4 * TIMEOUT)

        asyncio.run(all_senders())
        self.assertDeliveredBeforeDeparture(watcher, {f"w{i}": f"MSG w{i} hi {i}" for i in range(SENDERS)})

    def test_irc_users_that_quit_right_after_sending(self):
        daemon = self.start()
        watcher = self.watch(daemon)
        socks = []
        try:
            for i in range(SENDERS):
                sock = socket.create_connection(("127.0.0.1", daemon.ports["irc"]), timeout=TIMEOUT)
                socks.append(sock)
                sock.sendall(f"NICK i{i}\r\nUSER i{i} 0 * :irc user\r\n".encode())
            for sock in socks:
                read_until(sock, b" 001 ")
            for i, sock in enumerate(socks):
                sock.sendall(f"PRIVMSG &public :hi {i}\r\nQUIT :bye\r\n".encode())
            self.assertDeliveredBeforeDeparture(watcher, {f"i{i}": f"MSG i{i} hi {i}" for i in range(SENDERS)})
        finally:
            for sock in socks:
                sock.close()

    def test_commands_read_before_the_end_of_input_are_answered(self):
        daemon = self.start()
        self.watch(daemon, "carol")
        # WHO and HISTORY wait for the MSG before them to be stored; the input has ended
        # by then, and they are answered all the same.
        ncat = subprocess.run(["ncat", "127.0.0.1", str(daemon.port)],
                              input="LOGIN alice\nMSG one\nWHO\nHISTORY * 1\n", capture_output=True,
                              text=True, timeout=TIMEOUT)
        lines = ncat.stdout.split("\n")
        self.assertEqual(lines[:4], ["OK", "USER alice", "USER carol", "END"])
        self.assertRegex(lines[4], r"^HIST \* \d+ alice one$")
        self.assertEqual(lines[5:], ["END", ""])

    def test_a_websocket_close_comes_after_the_replies_to_what_came_before_it(self):
        daemon = self.start()
        self.watch(daemon, "carol")
        raw = Raw(daemon.ports["ws"]).upgrade()
        self.addCleanup(raw.sock.close)
        raw.send_frame(TEXT, b"LOGIN alice\n")
        self.assertEqual(raw.frame(), (TEXT, b"OK\n"))
        # WHO waits for the MSG to be stored; the close frame is already on its way.
        raw.sock.sendall(frame(TEXT, b"MSG one\nWHO\n") + frame(CLOSE, b"\x03\xe8"))
        received = b""
        while True:
            opcode, payload = raw.frame()
            if opcode == CLOSE:
                self.assertEqual(payload, b"\x03\xe8")
                break
            self.assertEqual(opcode, TEXT)
            received += payload
        self.assertEqual(received, b"USER alice\nUSER carol\nEND\n")


def read_until(sock, marker):
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed before {marker!r}: {data!r}"
        data += chunk
    return data


if __name__ == "__main__":
    e2e.main(__file__)

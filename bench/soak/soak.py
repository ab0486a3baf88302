#!/usr/bin/python3
"""A bounded chaos soak of the real socketchatd.

One daemon listens on tcp, tls, ws, wss, irc and ircs at once (a throwaway certificate,
SQLite history in a temporary data directory, every limit at its default). For --seconds,
--clients clients connect over every transport and do what users and abusers do: chat
(MSG, DM, SAY), join and leave rooms, list (WHO, ROOMS, WHO <room>), read history, send
lines that are too long or not UTF-8, flood WebSocket pings, stop reading, leave
abruptly, open sockets and never speak, never finish a TLS handshake or a WebSocket
upgrade; IRC clients register, join, talk and quit. The daemon gets SIGHUPs at random
times and is killed (SIGKILL) and restarted on the same data directory mid-run.

At the end it checks invariants (see docs/RELIABILITY.md), prints a summary and exits
0 if all hold, 1 if one fails (each failure is named), 2 if the soak itself could not
run. Standard library and python3-websockets only; run with /usr/bin/python3:

    /usr/bin/python3 bench/soak/soak.py --socketchatd build/apps/socketchatd/socketchatd \\
        --seconds 600

Every wait is bounded. Sleeps only pace the random load; synchronisation awaits replies,
log lines, process exits or events, each with a deadline.
"""

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import logging
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import websockets
import websockets.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "e2e"))
import daemon as e2e  # noqa: E402  (make_certificate, clean_env, tls_context, LISTENING)
import irc_lines  # noqa: E402

# ---- the daemon's defaults (include/socketchat/options.hpp, docs/PROTOCOL.md) ----------
MAX_LINE_BYTES = 4096
IRC_MAX_LINE = 512
SENDQ_BYTES = 1 << 20
RATE_PER_SECOND = 20
RATE_BURST = 40
LOGIN_TIMEOUT = 30.0
HANDSHAKE_TIMEOUT = 10.0  # the default; --handshake-timeout sets the daemon's and ours
HISTORY_MAX = 500
MAX_ROOMS_PER_USER = 20
MAX_REPLY_BYTES = 256 * 1024  # and never more than a quarter of sendq_bytes

SCHEMES = ("tcp", "tls", "ws", "wss", "irc", "ircs")
LINE_TRANSPORTS = ("tcp", "tls", "ws", "wss")
ROOMS = ("soak-a", "soak-b", "soak-c", "soak-d")
SERVER = "socketchat"  # the IRC server name
# What a sanitizer writes when it finds something (the daemon's stderr).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")
# A chat text starts with its unique id: "<sender>:<sequence>".
ID = re.compile(r"^([a-z][a-z0-9]{0,31}):(\d+)(?= |$)")
# Bytes a client that stops reading may still receive beyond sendq_bytes without the
# limit being broken: the server's kernel send buffer (SO_SNDBUF 64 KiB, doubled by
# Linux), the client's receive buffer, and what the client's own event loop and TLS layer
# had already taken in before it stopped asking.
READER_SLACK = 512 * 1024
# The slow reader's "pumps": connections that talk to it while it does not read.
PUMPS = 4
PUMP_TEXT = 3900

INVARIANTS = {
    1: "the daemon never crashed except by our SIGKILL, and no sanitizer reported",
    2: "every chat message a client received or had confirmed is in history",
    3: "every accepted message reached every witness online, in order per sender",
    4: "no well-behaved client was disconnected or left without an answer",
    5: "RSS and descriptors return to within 10 % of the baseline",
    6: "the limits hold as documented (line, UTF-8, send queue, lists, rooms, handshakes)",
}


class Closed(Exception):
    """The connection ended (or never opened)."""


def dm_scope(a, b):
    a, b = a.lower(), b.lower()
    return "@" + "|".join(sorted((a, b)))


# ---- the daemon --------------------------------------------------------------------------

class Daemon:
    """One socketchatd process: its stderr copied to a file by a thread of its own (so the
    daemon never waits for our event loop to read its log) and scanned on the way for the
    "listening on" lines, sanitizer reports and error events."""

    def __init__(self, soak, ports):
        self.soak = soak
        self.loop = asyncio.get_running_loop()
        self.ready = asyncio.Event()
        self.exited = asyncio.Event()
        self.ports = {}
        self.returncode = None
        self.expected_exit = False
        self.sanitizer_lines = []
        self.lock = threading.Lock()
        listen = []
        for scheme in SCHEMES:
            path = "/ws" if scheme in ("ws", "wss") else ""
            listen += ["--listen", f"{scheme}://127.0.0.1:{ports.get(scheme, 0)}{path}"]
        self.args = [soak.args.socketchatd, *listen, "--tls-cert", soak.cert, "--tls-key", soak.key,
                     "--data-dir", soak.data_dir, "--handshake-timeout", f"{soak.handshake_timeout:g}"]
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=e2e.clean_env())
        self.pid = self.proc.pid
        self.started = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._wait, daemon=True).start()

    def _read(self):
        log = self.soak.log_file
        capture = 0
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.soak.log_lock:
                log.write(f"[{self.pid}] {line}\n")
            if line.startswith(("[MSG]", "[SAY]", "[DM]")):
                continue  # texts are ours: nothing to scan for
            with self.lock:
                if capture > 0 or any(mark in line for mark in SANITIZER_MARKS):
                    capture = capture - 1 if capture > 0 else 40
                    if len(self.sanitizer_lines) < 400:
                        self.sanitizer_lines.append(line)
                if line.startswith("[ERROR] "):
                    kind = line.split()[1]
                    self.soak.log_errors[kind] += 1
                    user = re.search(r" user=(\S+)", line)
                    if user and len(self.soak.errors_by_user) < 200000:
                        self.soak.errors_by_user[user.group(1)].append(kind)
                elif line.startswith("[INFO] reload: configuration applied"):
                    self.soak.counts["reloads applied"] += 1
                elif "reload failed" in line:
                    self.soak.reload_failures.append(line)
            match = e2e.LISTENING.match(line)
            if match:
                scheme, port = match.group(1, 3)
                self.ports[scheme] = int(port)
                if len(self.ports) == len(SCHEMES):
                    self.loop.call_soon_threadsafe(self.ready.set)
        self.proc.stderr.close()

    def _wait(self):
        self.returncode = self.proc.wait()
        self.loop.call_soon_threadsafe(self.exited.set)

    async def wait_ready(self, timeout):
        ready = asyncio.ensure_future(self.ready.wait())
        exited = asyncio.ensure_future(self.exited.wait())
        await asyncio.wait({ready, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        exited.cancel()
        return self.ready.is_set()

    def alive(self):
        return self.returncode is None

    def signal(self, signum):
        if self.alive():
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    async def stop(self, signum, timeout):
        self.expected_exit = True
        self.signal(signum)
        try:
            await asyncio.wait_for(self.exited.wait(), timeout)
        except asyncio.TimeoutError:
            self.signal(signal.SIGKILL)
            await asyncio.wait_for(self.exited.wait(), 10)
            return None
        return self.returncode

    def rss_kb(self):
        return self.status_kb("VmRSS")

    def status_kb(self, field):
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def fds(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return None

    def sanitized(self):
        """Whether the binary runs under a sanitizer (whose allocator keeps freed memory)."""
        try:
            with open(f"/proc/{self.pid}/maps") as maps:
                text = maps.read()
        except OSError:
            return False
        return any(lib in text for lib in ("libasan", "libtsan", "libubsan", "libmsan"))


# ---- connections ----------------------------------------------------------------------

LOCAL_PORT_NOTE = "local port "


@contextlib.asynccontextmanager
async def connected_socket(port, timeout, rcvbuf=None, sndbuf=None):
    """A TCP connection to the daemon, for a stream or WebSocket to take over. If what is
    built on it fails, the socket is closed and the error notes its local port, so that
    the failure can be found in the daemon's log (remote=127.0.0.1:PORT)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    local_port = None
    try:
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), timeout)
        local_port = sock.getsockname()[1]  # while it is open: a failure may close it
        yield sock
    except BaseException as e:
        if local_port is not None:
            e.add_note(f"{LOCAL_PORT_NOTE}{local_port}")
        sock.close()
        raise


def with_local_port(error):
    """The error as repr() shows it, with the local port if it has one noted."""
    notes = [n for n in getattr(error, "__notes__", ()) if n.startswith(LOCAL_PORT_NOTE)]
    return repr(error) + "".join(f" ({n})" for n in notes)


class StreamConn:
    """TCP, optionally inside TLS (asyncio streams). Lines in and out as str."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.bytes_in = 0

    @classmethod
    async def open(cls, port, tls, timeout, rcvbuf=None, sndbuf=None, limit=1 << 20):
        async with connected_socket(port, timeout, rcvbuf, sndbuf) as sock:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                sock=sock, ssl=TLS_CONTEXT if tls else None, server_hostname="127.0.0.1" if tls else None,
                limit=limit, ssl_handshake_timeout=timeout if tls else None), timeout)
        return cls(reader, writer)

    def write(self, data):
        if self.writer.is_closing():
            raise Closed("closing")
        self.writer.write(data)

    async def send(self, data, timeout=None):
        self.write(data)
        try:
            await asyncio.wait_for(self.writer.drain(), timeout)
        except (ConnectionError, OSError) as e:
            raise Closed(str(e)) from None

    async def readline(self):
        """The next line without its end, or None at the end of the stream."""
        try:
            raw = await self.reader.readline()
        except (ConnectionError, OSError, ssl.SSLError, asyncio.IncompleteReadError):
            return None
        except (asyncio.LimitOverrunError, ValueError):
            return None
        if not raw:
            return None
        self.bytes_in += len(raw)
        if not raw.endswith(b"\n"):
            return None  # cut off by the end of the connection: not a line
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    async def read_some(self):
        try:
            data = await self.reader.read(65536)
        except (ConnectionError, OSError, ssl.SSLError):
            return b""
        self.bytes_in += len(data)
        return data

    def shutdown_write(self):
        if self.writer.can_write_eof():
            self.writer.write_eof()
            return True
        return False

    def abort(self, rst):
        sock = self.writer.get_extra_info("socket")
        if rst and sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.writer.transport.abort()

    async def close(self):
        if not self.writer.is_closing():
            self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (asyncio.TimeoutError, ConnectionError, OSError, ssl.SSLError):
            self.writer.transport.abort()


class WsConn:
    """A WebSocket from python3-websockets (an independent implementation of RFC 6455)."""

    def __init__(self, ws):
        self.ws = ws
        self.lines = collections.deque()
        self.bytes_in = 0

    @classmethod
    async def open(cls, port, tls, timeout):
        url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/ws"
        async with connected_socket(port, timeout) as sock:
            ws = await asyncio.wait_for(websockets.connect(
                url, sock=sock, ssl=TLS_CONTEXT if tls else None,
                server_hostname="127.0.0.1" if tls else None, max_size=None, ping_interval=None,
                compression=None, open_timeout=timeout, close_timeout=timeout), timeout + 1)
        return cls(ws)

    async def send(self, data, timeout=None):
        try:
            await asyncio.wait_for(self.ws.send(data.decode()), timeout)
        except websockets.exceptions.ConnectionClosed as e:
            raise Closed(str(e)) from None

    async def readline(self):
        while not self.lines:
            try:
                message = await self.ws.recv()
            except (websockets.exceptions.ConnectionClosed, ConnectionError, OSError):
                return None
            if isinstance(message, bytes):
                message = message.decode("utf-8", "replace")  # the server sends text only
            self.bytes_in += len(message)
            parts = message.split("\n")
            if parts and parts[-1] == "":
                parts.pop()
            self.lines.extend(parts)
        return self.lines.popleft()

    def shutdown_write(self):
        return False

    async def close_handshake(self, timeout):
        try:
            await asyncio.wait_for(self.ws.close(), timeout)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass

    def abort(self, rst):
        transport = self.ws.transport
        sock = transport.get_extra_info("socket")
        if rst and sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        transport.abort()

    async def close(self):
        self.ws.transport.abort()


def ws_frame(opcode, payload, fin=True):
    """A masked client frame (RFC 6455 5.2)."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 65536:
        head.append(0x80 | 126)
        head += struct.pack("!H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack("!Q", n)
    key = os.urandom(4)
    head += key
    if n:
        mask = (key * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")
    return bytes(head) + payload


class RawWsConn:
    """A WebSocket spoken by hand over StreamConn, for what a library will not do on
    purpose: invalid UTF-8 in a text frame, ping floods, not reading."""

    def __init__(self, stream):
        self.s = stream
        self.lines = collections.deque()
        self.partial = b""
        self.eof = False
        self.close_code = None
        self.pong_bytes = 0
        self.bytes_in = 0

    @classmethod
    async def open(cls, port, tls, timeout, rcvbuf=None, sndbuf=None):
        stream = await StreamConn.open(port, tls, timeout, rcvbuf=rcvbuf, sndbuf=sndbuf, limit=1 << 16)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            stream.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                          f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
            head = await asyncio.wait_for(stream.reader.readuntil(b"\r\n\r\n"), timeout)
            if not head.startswith(b"HTTP/1.1 101"):
                raise Closed(head.split(b"\r\n", 1)[0].decode("latin-1"))
        except BaseException:
            stream.abort(False)
            raise
        return cls(stream)

    def write(self, data):
        self.s.write(ws_frame(0x1, data))

    async def send(self, data, timeout=None):
        self.write(data)
        try:
            await asyncio.wait_for(self.s.writer.drain(), timeout)
        except (ConnectionError, OSError) as e:
            raise Closed(str(e)) from None

    async def _frame(self):
        reader = self.s.reader
        try:
            head = await reader.readexactly(2)
            n = head[1] & 0x7F
            extra = 0
            if n == 126:
                n = struct.unpack("!H", await reader.readexactly(2))[0]
                extra = 2
            elif n == 127:
                n = struct.unpack("!Q", await reader.readexactly(8))[0]
                extra = 8
            payload = await reader.readexactly(n) if n else b""
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ssl.SSLError):
            self.eof = True
            return
        self.bytes_in += 2 + extra + n
        opcode = head[0] & 0x0F
        if opcode in (0x0, 0x1):
            self.partial += payload
            if head[0] & 0x80:
                text = self.partial.decode("utf-8", "replace")
                self.partial = b""
                parts = text.split("\n")
                if parts and parts[-1] == "":
                    parts.pop()
                self.lines.extend(parts)
        elif opcode == 0x8:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            try:
                self.s.write(ws_frame(0x8, payload[:2]))
            except Closed:
                pass
            self.eof = True
        elif opcode == 0x9:
            try:
                self.s.write(ws_frame(0xA, payload))
            except Closed:
                pass
        elif opcode == 0xA:
            self.pong_bytes += n

    async def readline(self):
        while not self.lines:
            if self.eof:
                return None
            await self._frame()
        return self.lines.popleft()

    def shutdown_write(self):
        return False

    def abort(self, rst):
        self.s.abort(rst)

    async def close(self):
        self.s.abort(False)


async def open_conn(scheme, port, timeout, raw_ws=False, **options):
    if scheme in ("ws", "wss"):
        if raw_ws or options:
            return await RawWsConn.open(port, scheme == "wss", timeout, **options)
        return await WsConn.open(port, scheme == "wss", timeout)
    if options:
        options.setdefault("limit", 1 << 16)  # a reader that stops reading stops early
    return await StreamConn.open(port, scheme in ("tls", "ircs"), timeout, **options)


# ---- protocol clients -------------------------------------------------------------------

class Expect:
    __slots__ = ("kind", "arg", "future", "lines", "tick")

    def __init__(self, kind, arg=None):
        self.kind = kind
        self.arg = arg
        self.future = asyncio.get_running_loop().create_future()
        self.lines = []
        self.tick = None

    def done(self, value, tick):
        self.tick = tick
        if not self.future.done():
            self.future.set_result(value)

    def fail(self, error):
        if not self.future.done():
            self.future.set_exception(error)
            self.future.exception()  # retrieved: an abandoned wait is no error


class Bucket:
    """The client's own token bucket, stricter than the server's (20/s, burst 40), so that a
    well-behaved client never earns ERR rate-limited."""

    def __init__(self, rate=RATE_PER_SECOND * 0.75, burst=RATE_BURST * 0.75):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = time.monotonic()

    async def take(self, n=1):
        n = min(n, self.burst)
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= n:
                self.tokens -= n
                return
            await asyncio.sleep((n - self.tokens) / self.rate)  # pacing, not synchronisation


class Client:
    """What both protocols share: one connection, a reader task that records every chat
    message received and hands replies to the commands waiting for them, in order."""

    protocol = None

    def __init__(self, soak, conn, name, role, scheme):
        self.soak = soak
        self.conn = conn
        self.name = name
        self.role = role  # witness, chatter, chaos, auditor
        self.scheme = scheme
        self.epoch = soak.epoch
        self.pending = collections.deque()
        self.lock = asyncio.Lock()
        self.closed = asyncio.Event()
        self.by_us = False  # we ended it (QUIT, close, abort)
        self.eof_tick = None
        self.eof_epoch = None
        self.last_seq = {}
        self.recent = collections.deque(maxlen=12)
        self.notices = []
        self.witness_run = None
        self.dms = collections.defaultdict(list)  # peer -> ids received from it
        self.seq = 0
        self.bucket = Bucket()
        self.park_after = None  # a token: the reader stops once that PONG is in
        self.parked = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())
        soak.live.add(self)
        soak.counts["connections"] += 1

    # -- reading --
    async def _read(self):
        try:
            while True:
                line = await self.conn.readline()
                if line is None:
                    break
                self.recent.append(line[:200])
                self.dispatch(line)
                if self.park_after and "PONG" in line and \
                        line.rsplit(" ", 1)[-1].lstrip(":") == self.park_after:
                    self.parked.set()
                    await asyncio.Event().wait()  # until cancelled: the input is left alone
        except Exception as e:  # a bug of ours: keep it visible
            self.soak.internal(f"{self.name} reader", e)
        finally:
            self.eof_tick = self.soak.tick()
            self.eof_epoch = self.soak.epoch
            for expect in self.pending:
                if expect.kind == "maybe":
                    expect.done(None, self.eof_tick)  # no error came before the end
                else:
                    expect.fail(Closed("connection closed"))
            self.pending.clear()
            self.closed.set()
            self.soak.live.discard(self)

    def chat(self, scope, sender, text):
        """A chat message arrived (MSG, SAY, DM, or their IRC spelling)."""
        soak = self.soak
        soak.counts["messages delivered"] += 1
        match = ID.match(text)
        if not match:
            soak.counts["deliveries without an id (IRC continuation lines)"] += 1
            return
        mid, author, seq = match.group(0), match.group(1), int(match.group(2))
        soak.note_received(self, mid, scope, sender)
        last = self.last_seq.get(author)
        if last is not None and seq <= last:
            soak.fail(3, f"{self.role} {self.name} ({self.scheme}) received {mid} after "
                         f"{author}:{last}: duplicated or out of order")
        self.last_seq[author] = seq
        if self.witness_run is not None:
            self.witness_run.received.add(mid)
        if scope.startswith("@"):
            self.dms[sender.lower()].append(mid)

    def resolve(self, line, is_error):
        """Gives a reply line to the first command waiting; False if none was."""
        tick = self.soak.tick()
        while self.pending:
            expect = self.pending[0]
            if expect.kind == "maybe":  # a message: nothing on success, an error otherwise
                self.pending.popleft()
                if is_error(line):
                    expect.done(line, tick)
                    return True
                expect.done(None, tick)
                continue
            if self.match(expect, line, is_error, tick):
                self.pending.popleft()
            return True
        return False

    # -- writing --
    async def request(self, lines, kinds, on_sent=None, cost=None):
        """Sends `lines` at once and returns one Expect per entry of `kinds` (a kind or a
        (kind, arg) pair), registered in order with the write so replies match."""
        if self.closed.is_set():
            raise Closed("connection closed")
        await self.bucket.take(cost if cost is not None else len(lines))
        async with self.lock:
            expects = []
            for kind in kinds:
                kind, arg = kind if isinstance(kind, tuple) else (kind, None)
                expects.append(Expect(kind, arg))
            self.pending.extend(expects)
            if on_sent:
                on_sent()
            self.soak.counts["commands sent"] += len(lines)
            data = self.encode(lines)
            try:
                await self.conn.send(data, self.soak.reply_timeout)
            except (Closed, ConnectionError, OSError, asyncio.TimeoutError, RuntimeError) as e:
                raise Closed(f"send failed: {e}") from None
        return expects

    async def wait(self, expect, what):
        try:
            return await asyncio.wait_for(asyncio.shield(expect.future), self.soak.reply_timeout)
        except asyncio.TimeoutError:
            if self.expected_end():
                raise Closed("daemon restarted") from None
            raise NoAnswer(f"no answer to {what} within {self.soak.reply_timeout:.0f} s") from None

    async def ask(self, lines, kinds, what=None):
        expects = await self.request(lines, kinds)
        return [await self.wait(e, what or lines[0]) for e in expects]

    def next_id(self):
        self.seq += 1
        return f"{self.name}:{self.seq}", self.seq

    def expected_end(self):
        """The connection ended (or may end) because of us: our close or our SIGKILL."""
        epoch = self.eof_epoch if self.eof_epoch is not None else self.soak.epoch
        return self.by_us or epoch != self.epoch

    def unexpected_close(self):
        return self.closed.is_set() and not self.expected_end()

    def why(self):
        reasons = self.soak.errors_by_user.get(self.name, [])
        log = f"; daemon log: {', '.join(reasons)}" if reasons else ""
        last = " | ".join(list(self.recent)[-4:])
        notices = f"; notices: {self.notices[-2:]}" if self.notices else ""
        return f"last lines: [{last}]{notices}{log}"

    async def sync(self, what="sync", token=None):
        """A PING whose PONG comes after every reply to what was sent before it."""
        token = token or self.soak.token()
        [expect] = await self.request([self.ping_line(token)], [("sync", token)])
        return await self.wait(expect, what)

    async def stop_reading(self):
        """The reader stops right after the PONG of one last PING: from then on the
        connection's input is left alone (or read directly)."""
        self.park_after = self.soak.token()
        await self.sync("PING before it stops reading", self.park_after)
        await asyncio.wait_for(self.parked.wait(), self.soak.reply_timeout)

    async def abort(self, rst):
        self.by_us = True
        try:
            self.conn.abort(rst)
        except Exception:
            pass
        await self.finish()

    async def finish(self):
        """Waits (bounded) for the reader to see the end, then releases everything."""
        try:
            await asyncio.wait_for(self.closed.wait(), 5)
        except asyncio.TimeoutError:
            self.by_us = True
            try:
                self.conn.abort(False)
            except Exception:
                pass
            try:
                await asyncio.wait_for(self.closed.wait(), 5)
            except asyncio.TimeoutError:
                self.reader.cancel()
        try:
            await self.conn.close()
        except Exception:
            pass
        self.soak.live.discard(self)


class NoAnswer(Exception):
    pass


class LineClient(Client):
    protocol = "line"
    REPLIES = ("OK", "ERR", "PONG", "USER", "ROOM", "HIST", "END", "HELP")

    def encode(self, lines):
        return ("\n".join(lines) + "\n").encode() if all(isinstance(x, str) for x in lines) else \
            b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)

    def ping_line(self, token):
        return f"PING {token}"

    def dispatch(self, line):
        verb, _, rest = line.partition(" ")
        if verb == "MSG":
            sender, _, text = rest.partition(" ")
            return self.chat("*", sender, text)
        if verb == "SAY":
            room, _, rest = rest.partition(" ")
            sender, _, text = rest.partition(" ")
            return self.chat("#" + room.lower(), sender, text)
        if verb == "DM":
            sender, _, text = rest.partition(" ")
            return self.chat(dm_scope(sender, self.name), sender, text)
        if verb == "INFO":
            if line in ("INFO disconnected due to inactivity", "INFO server shutting down"):
                self.notices.append(line)  # about us
            return
        if verb == "HIST":
            self.soak.check_hist(self, line)
        if not self.resolve(line, lambda x: x.startswith("ERR ")) and self.role != "chaos":
            self.soak.counts["replies nobody asked for"] += 1
            self.soak.unasked.append(f"{self.role} {self.name}: {line[:100]}")

    def match(self, expect, line, is_error, tick):
        kind = expect.kind
        if kind == "one":
            expect.done(line, tick)
            return True
        if kind == "list":  # lines up to END, or one ERR
            if not expect.lines and line.startswith("ERR "):
                expect.done([line], tick)
                return True
            if line == "END":
                self.soak.check_reply_size(self, expect.lines, 1)
                expect.done(expect.lines, tick)
                return True
            expect.lines.append(line)
            return False
        if kind == "sync":
            if line == f"PONG {expect.arg}":
                expect.done(expect.lines, tick)
                return True
            expect.lines.append(line)
            return False
        raise AssertionError(kind)

    async def login(self):
        [reply] = await self.ask([f"LOGIN {self.name}"], ["one"])
        if reply != "OK":
            raise LoginRefused(reply)
        return self.soak.tick()

    def say_line(self, kind, target, text):
        return {"MSG": f"MSG {text}", "SAY": f"SAY {target} {text}", "DM": f"DM {target} {text}"}[kind]

    async def join(self, room):
        [reply] = await self.ask([f"JOIN {room}"], ["one"])
        return reply == "OK", reply

    async def part(self, room):
        [reply] = await self.ask([f"PART {room}"], ["one"])
        return reply == "OK", reply

    async def quit(self):
        self.by_us = True
        await self.request(["QUIT"], [])


class LoginRefused(Exception):
    pass


def irc_parse(line):
    """irc_lines.parse with "" for no prefix and the command in upper case, as the soak
    compares them."""
    prefix, command, params = irc_lines.parse(line)
    return prefix or "", command.upper(), params


class IrcClient(Client):
    protocol = "irc"

    def encode(self, lines):
        return b"".join((x if isinstance(x, bytes) else x.encode()) + b"\r\n" for x in lines)

    def ping_line(self, token):
        return f"PING {token}"

    def dispatch(self, line):
        if not line:
            return
        try:
            prefix, command, params = irc_parse(line)
        except ValueError:
            prefix, command, params = "", "", []
        nick = prefix.split("!", 1)[0] if "!" in prefix else ""
        if command == "PING":
            try:
                self.conn.write(f"PONG :{params[-1] if params else SERVER}\r\n".encode())
            except (Closed, RuntimeError, AttributeError):
                pass
            return
        if nick and command in ("PRIVMSG", "NOTICE") and len(params) >= 2:
            target, text = params[0], params[1]
            if target == "&public":
                return self.chat("*", nick, text)
            if target.startswith("#"):
                return self.chat("#" + target[1:].lower(), nick, text)
            return self.chat(dm_scope(nick, self.name), nick, text)
        if nick and nick.lower() != self.name.lower() and command in ("JOIN", "PART", "QUIT", "NICK"):
            return  # others coming, going and renaming
        if command == "ERROR":
            self.notices.append(line)
        if not self.resolve((prefix, command, params, line), self.is_error) and command != "ERROR" \
                and self.role != "chaos":
            self.soak.counts["replies nobody asked for"] += 1
            self.soak.unasked.append(f"{self.role} {self.name}: {line[:100]}")

    @staticmethod
    def is_error(reply):
        prefix, command, params, line = reply
        return command == "NOTICE" or command == "263" or (command.isdigit() and command[0] in "45")

    def match(self, expect, reply, is_error, tick):
        prefix, command, params, line = reply
        kind, arg = expect.kind, expect.arg
        if kind == "reg":  # the welcome burst ends with the names of &public
            if command == "366" and len(params) > 1 and params[1] == "&public":
                expect.done("OK", tick)
                return True
            if command in ("432", "433", "451", "462", "263") or command == "ERROR":
                expect.done(line, tick)
                return True
            return False
        if kind == "join":
            if command == "366" and len(params) > 1 and params[1].lower() == arg:
                expect.done("OK", tick)
                return True
            if is_error(reply) and command != "NOTICE":
                expect.done(line, tick)
                return True
            return False
        if kind == "part":
            if command == "PART":
                expect.done("OK", tick)
                return True
            if is_error(reply):
                expect.done(line, tick)
                return True
            return False
        if kind == "end":  # lines up to one of the numerics in arg
            if command in arg or command == "263":
                self.soak.check_reply_size(self, expect.lines + [line], 2)
                expect.done(expect.lines, tick)
                return True
            expect.lines.append(line)
            return False
        if kind == "one":
            expect.done(line, tick)
            return True
        if kind == "sync":
            if command == "PONG" and params and params[-1] == arg:
                expect.done(expect.lines, tick)
                return True
            expect.lines.append(line)
            return False
        raise AssertionError(kind)

    async def login(self):
        [reply] = await self.ask([f"NICK {self.name}", f"USER {self.name} 0 * :{self.name}"], ["reg"],
                                 "registration")
        if reply != "OK":
            raise LoginRefused(reply)
        return self.soak.tick()

    def say_line(self, kind, target, text):
        to = {"MSG": "&public", "SAY": "#" + (target or ""), "DM": target}[kind]
        return f"PRIVMSG {to} :{text}"

    async def join(self, room):
        [reply] = await self.ask([f"JOIN #{room}"], [("join", "#" + room.lower())])
        return reply == "OK", reply

    async def part(self, room):
        [reply] = await self.ask([f"PART #{room}"], ["part"])
        return reply == "OK", reply

    async def quit(self):
        self.by_us = True
        await self.request(["QUIT :soak"], [])


async def connect(soak, scheme, name, role, raw_ws=False, login=True, **options):
    """A connection over `scheme`, logged in (LOGIN or IRC registration) unless asked not to."""
    port = soak.ports[scheme]
    conn = await open_conn(scheme, port, soak.reply_timeout, raw_ws=raw_ws, **options)
    cls = IrcClient if scheme in ("irc", "ircs") else LineClient
    client = cls(soak, conn, name, role, scheme)
    if login:
        try:
            client.login_tick = await client.login()
        except BaseException:
            await client.abort(False)
            raise
        if role in ("witness", "chatter"):
            soak.online[name] = client
    return client


# ---- the people -------------------------------------------------------------------------

class WitnessRun:
    """One witness connection: when it could first hear the feed and each room (ticks),
    the last PING whose PONG came back (everything confirmed before that PING must have
    reached it), and the ids it received."""

    def __init__(self, name, scheme, epoch):
        self.name = name
        self.scheme = scheme
        self.epoch = epoch
        self.since = {}  # scope -> tick from which it hears that scope
        self.mark = -1  # tick of the last PING answered
        self.received = set()
        self.end = None  # why it ended, if not by us


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.counts = collections.Counter()
        self.faults = collections.Counter()
        self.log_errors = collections.Counter()
        self.errors_by_user = collections.defaultdict(list)
        self.reload_failures = []
        self.failures = collections.defaultdict(list)
        self.failure_counts = collections.Counter()
        self.internal_errors = []
        self.unasked = collections.deque(maxlen=20)
        self.log_lock = threading.Lock()
        self.clock = 0
        self.tokens = 0
        self.epoch = 0
        # id -> [scope, sender, epoch, well_behaved, t_send, t_conf, rejected, confirmed how]
        self.msgs = {}
        self.received = {}  # id -> scope, for every id any client received
        self.live = set()
        self.online = {}
        self.witness_runs = []
        self.witnesses = {}
        self.daemons = []
        self.daemon = None
        self.ports = {}
        self.reply_timeout = 20.0
        self.level = "off"  # off (only the witnesses stay), full (chaos)
        self.level_changed = asyncio.Condition()
        self.stopping = False
        self.chaos_off = asyncio.Event()
        self.active = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.heavy = collections.Counter()
        self.fault_kinds = args.fault_kinds
        self.doing = {}  # worker -> what it does now (for a quiet phase that takes too long)
        self.rss_peak = 0
        self.lag = []
        self.sanitized = False
        self.baseline = None
        self.after = None
        self.stored_checked = 0

    # -- bookkeeping --
    def tick(self):
        self.clock += 1
        return self.clock

    def token(self):
        self.tokens += 1
        return f"t{self.tokens}"

    def fail(self, invariant, message):
        self.failure_counts[invariant] += 1
        if len(self.failures[invariant]) < 12:
            self.failures[invariant].append(message)

    def log_lines_of(self, message, most=10):
        """The daemon's log lines about the connection a failure notes the local port of."""
        ports = re.findall(LOCAL_PORT_NOTE + r"(\d+)", message)
        if not ports or not hasattr(self, "log_path"):
            return []
        self.log_file.flush()
        with open(self.log_path, errors="replace") as log:
            about = re.compile(r"127\.0\.0\.1:(?:" + "|".join(ports) + r")\b")
            return [line.rstrip("\n")[:300] for line in log if about.search(line)][:most]

    def internal(self, where, error):
        if len(self.internal_errors) < 20:
            self.internal_errors.append(f"{where}: " + "".join(
                traceback.format_exception(type(error), error, error.__traceback__)))

    def new_msg(self, mid, scope, sender, well_behaved):
        record = [scope, sender, self.epoch, well_behaved, None, None, False, None]
        self.msgs[mid] = record
        return record

    def note_received(self, client, mid, scope, sender):
        sent = self.msgs.get(mid)
        if sent is None:
            self.fail(2, f"{client.name} received {mid} in {scope}, which nobody sent")
        elif sent[0] != scope or sent[1].lower() != sender.lower():
            self.fail(3, f"{client.name} received {mid} from {sender} in {scope}; "
                         f"it was sent by {sent[1]} to {sent[0]}")
        self.received.setdefault(mid, scope)

    def check_reply_size(self, client, lines, line_end):
        size = sum(len(x.encode()) + line_end for x in lines) + (4 if line_end == 1 else 0)
        limit = min(MAX_REPLY_BYTES, SENDQ_BYTES // 4)
        if size > limit:
            self.fail(6, f"{client.name} ({client.scheme}) got a list reply of {size} bytes "
                         f"(max_reply_bytes {limit}): {lines[0][:60]!r}...")

    def check_hist(self, client, line):
        parts = line.split(" ", 4)
        if len(parts) < 5:
            return self.fail(2, f"{client.name}: malformed history line {line[:100]!r}")
        match = ID.match(parts[4])
        if match and match.group(0) not in self.msgs:
            self.fail(2, f"{client.name}: HISTORY shows {match.group(0)}, which nobody sent")

    async def pause(self, low, high):
        """Load shaping: a random pause; True when chaos is over meanwhile."""
        try:
            await asyncio.wait_for(self.chaos_off.wait(), self.rng.uniform(low, high))
            return True
        except asyncio.TimeoutError:
            return False

    async def hold(self, seconds, *events):
        """Waits for any of `events` (awaitables), chaos ending, or `seconds`."""
        waits = [asyncio.ensure_future(self.chaos_off.wait())] + [asyncio.ensure_future(e) for e in events]
        done, rest = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in rest:
            task.cancel()
        return done

    async def set_level(self, level):
        async with self.level_changed:
            self.level = level
            if level == "off":
                self.chaos_off.set()
            else:
                self.chaos_off.clear()
            self.level_changed.notify_all()

    async def wait_turn(self):
        """Until chaos is on (or the soak is over)."""
        async with self.level_changed:
            await self.level_changed.wait_for(lambda: self.stopping or self.level == "full")
        return not self.stopping

    async def daemon_up(self):
        def up():
            return self.stopping or (self.daemon and self.daemon.epoch == self.epoch and
                                     self.daemon.ready.is_set() and self.daemon.alive())
        async with self.level_changed:
            try:
                await asyncio.wait_for(self.level_changed.wait_for(up), 60 * self.scale)
            except asyncio.TimeoutError:
                return False
        return not self.stopping

    # -- the daemon --
    async def start_daemon(self, ports):
        daemon = Daemon(self, ports)
        daemon.epoch = self.epoch
        if not await daemon.wait_ready(15 * self.scale):
            if ports and daemon.alive():  # the old ports may be taken meanwhile: any port then
                await daemon.stop(signal.SIGKILL, 10)
                return await self.start_daemon({})
            await daemon.stop(signal.SIGKILL, 10)
            raise SystemExit(f"soak: socketchatd did not start; log: {self.log_path}\n" +
                             "\n".join(daemon.sanitizer_lines[:40]))
        self.daemons.append(daemon)
        self.daemon = daemon
        self.ports = dict(daemon.ports)
        asyncio.ensure_future(self.watch(daemon))
        async with self.level_changed:
            self.level_changed.notify_all()
        return daemon

    async def watch(self, daemon):
        await daemon.exited.wait()
        if not daemon.expected_exit:
            self.fail(1, f"socketchatd (pid {daemon.pid}) exited by itself with status "
                         f"{daemon.returncode}; log: " + " | ".join(daemon.sanitizer_lines[:5]))
            self.epoch += 1
            if not self.stopping:  # carry on with a new one, so the other checks still run
                await self.start_daemon(daemon.ports)

    async def kill_and_restart(self):
        await self.fence()
        self.epoch += 1
        old = self.daemon
        code = await old.stop(signal.SIGKILL, 10)
        self.faults["SIGKILL + restart"] += 1
        if code != -signal.SIGKILL:
            self.fail(1, f"socketchatd was killed but its status is {code}")
        await self.start_daemon(old.ports)

    async def fence(self):
        """Every witness PINGs and gets its PONG: whatever was confirmed before has reached it."""
        waits = [w.mark_now() for w in self.witnesses.values()]
        await asyncio.gather(*waits, return_exceptions=True)

    async def sighups(self):
        while not self.stopping:
            if await self.pause(1.5, 5.0) and self.stopping:
                return
            if self.level == "off" or not self.daemon or not self.daemon.alive():
                async with self.level_changed:
                    await self.level_changed.wait_for(lambda: self.stopping or self.level != "off")
                continue
            if self.level == "full" and not self.faults["certificate replaced + SIGHUP"] and \
                    self.rng.random() < 0.2:
                await asyncio.to_thread(self.replace_certificate)
                self.faults["certificate replaced + SIGHUP"] += 1
            self.daemon.signal(signal.SIGHUP)
            self.faults["SIGHUP"] += 1

    def replace_certificate(self):
        fresh = os.path.join(self.tmp, "fresh")
        os.makedirs(fresh, exist_ok=True)
        cert, key = e2e.make_certificate(fresh, "localhost")
        os.replace(key, self.key)
        os.replace(cert, self.cert)

    async def sample(self):
        """The daemon's RSS peak and our own event loop's lag, twice a second."""
        while not self.stopping:
            start = time.monotonic()
            await asyncio.sleep(0.5)
            self.lag.append(time.monotonic() - start - 0.5)
            if self.daemon and self.daemon.alive() and self.daemon is self.daemons[-1]:
                rss = self.daemon.rss_kb()
                if rss:
                    self.rss_peak = max(self.rss_peak, rss)

    # -- phases --
    async def quiet(self, timeout):
        """Chaos stops; waits until every client but the witnesses has left."""
        await self.set_level("off")
        try:
            await asyncio.wait_for(self.idle.wait(), timeout)
        except asyncio.TimeoutError:
            self.counts["quiet phases that had to abort clients"] += 1
            if self.args.verbose:
                print("soak: still busy after the quiet timeout: " + "; ".join(
                    f"{k}: {v}" for k, v in self.doing.items()), flush=True)
            for client in list(self.live):
                if client.role not in ("witness", "auditor"):
                    await client.abort(False)
            try:
                await asyncio.wait_for(self.idle.wait(), 10)
            except asyncio.TimeoutError:
                self.counts["workers still busy after quiet"] += self.active

    async def settled_figures(self, within=None, timeout=10.0):
        """Polls the daemon's RSS and descriptors until they stop moving (baseline) or are
        within `within` of the baseline; returns the last (rss, fds) and whether it held."""
        deadline = time.monotonic() + timeout
        last = None
        steady = 0
        while True:
            figures = (self.daemon.rss_kb(), self.daemon.fds())
            if within is not None:
                if self.holds(figures, within):
                    return figures, True
            else:
                steady = steady + 1 if figures[1] == (last[1] if last else None) else 0
                if steady >= 4:
                    return figures, True
            last = figures
            if time.monotonic() >= deadline:
                return figures, False
            await asyncio.sleep(0.5)  # nothing to await: /proc is sampled

    def holds(self, figures, baseline):
        rss, fds = figures
        ok_fds = fds is not None and fds <= baseline[1] * 1.10
        ok_rss = self.sanitized or (rss is not None and rss <= baseline[0] * 1.10)
        return ok_fds and ok_rss

    def spawn(self, coroutine, where):
        async def guarded():
            try:
                await coroutine
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.internal(where, e)
        return asyncio.ensure_future(guarded())

    async def worker(self, index, kind):
        while not self.stopping:
            if not await self.wait_turn():
                return
            if not await self.daemon_up():
                return
            self.active += 1
            self.idle.clear()
            key = f"{kind} {index}"
            self.doing[key] = "starting"
            try:
                if kind == "chatter":
                    await Chatter(self, index).run()
                else:
                    await Chaos(self, index).run()
            except Exception as e:
                self.internal(f"{kind} {index}", e)
                await asyncio.sleep(1)
            finally:
                self.doing.pop(key, None)
                self.active -= 1
                if self.active == 0:
                    self.idle.set()
            await self.pause(0.1, 0.8 if kind == "chaos" else 0.3)  # load shaping

    async def main(self):
        args = self.args
        self.tmp = tempfile.mkdtemp(prefix="socketchat-soak-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "socketchatd.log")
        self.log_file = open(self.log_path, "w", buffering=1 << 16)
        self.cert, self.key = await asyncio.to_thread(e2e.make_certificate, self.tmp, "localhost")
        self.scale = 1.0
        self.handshake_timeout = args.handshake_timeout
        started = time.monotonic()
        await self.start_daemon({})
        self.sanitized = self.daemon.sanitized()
        self.scale = args.timeout_scale or (3.0 if self.sanitized else 1.0)
        self.reply_timeout = 20.0 * self.scale
        tasks = [self.spawn(self.sample(), "sampler"), self.spawn(self.sighups(), "SIGHUPs")]
        for i in range(args.witnesses):
            witness = Witness(self, i, SCHEMES[i % len(SCHEMES)])
            self.witnesses[i] = witness
            tasks.append(self.spawn(witness.run(), f"witness {i}"))
        await asyncio.gather(*(w.ready.wait() for w in self.witnesses.values()))
        chatters = max(1, round(args.clients * 0.55))
        workers = [asyncio.ensure_future(self.worker(i, "chatter")) for i in range(chatters)]
        workers += [asyncio.ensure_future(self.worker(i, "chaos")) for i in range(args.clients - chatters)]
        print(f"soak: socketchatd pid {self.daemon.pid}, ports {self.ports}, {args.clients} clients "
              f"({chatters} chatters), {args.witnesses} witnesses, {args.seconds} s, seed {args.seed}"
              + (", sanitizer build" if self.sanitized else ""), flush=True)

        # Phase 1: chaos, with the SIGKILLs (and restarts) in it. The phases' lengths are
        # shares of --seconds of chaos; restarts, quiet phases and settling come on top.
        await self.set_level("full")
        kills = sorted(self.rng.uniform(0.2, 0.3) * args.seconds for _ in range(args.kills))
        self.phases = []

        def phase(name):
            self.phases.append(f"{name} {time.monotonic() - started:.1f}")
        chaos_start = started
        for at in kills:
            await asyncio.sleep(max(0.0, chaos_start + at - time.monotonic()))  # the schedule
            phase("kill")
            paused = time.monotonic()
            await self.kill_and_restart()
            chaos_start += time.monotonic() - paused
            phase("restarted")
        # Phase 2: the last daemon warms up under the same load as the rest of the run (its
        # working set, the allocator's arenas, SQLite's page cache), then the baseline is
        # taken with only the witnesses connected.
        await self.witnesses_ready()
        phase("warm-up")
        warm_from = time.monotonic()
        warm_until = warm_from + max(5.0, args.warmup * args.seconds)
        await self.fill_page_caches()
        await asyncio.sleep(max(0.0, warm_until - time.monotonic()))  # the schedule
        chaos_done = (warm_from - chaos_start) + (time.monotonic() - warm_from)
        phase("quiet")
        await self.quiet(15)
        await self.fence()
        phase("settle")
        self.baseline, _ = await self.settled_figures(timeout=10 * self.scale)
        # Phase 3: chaos until the end.
        phase("chaos")
        await self.set_level("full")
        main_phase = max(0.3 * args.seconds, args.seconds - chaos_done)
        await asyncio.sleep(main_phase)  # the schedule
        chaos_seconds = chaos_done + main_phase
        # The end: everyone but the witnesses leaves; the figures must come back.
        phase("quiet")
        await self.quiet(15)
        await self.fence()
        phase("settle")
        self.after, self.settled = await self.settled_figures(self.baseline, args.settle_seconds)
        self.hwm = self.daemon.status_kb("VmHWM")
        phase("audit")
        audit = await self.audit()
        phase("stop")
        self.stopping = True
        async with self.level_changed:
            self.level_changed.notify_all()
        await self.set_level("off")
        await asyncio.gather(*(w.stop() for w in self.witnesses.values()), return_exceptions=True)
        await asyncio.wait(workers + tasks, timeout=15)
        for task in workers + tasks:
            task.cancel()
        for client in list(self.live):
            await client.abort(False)
        code = await self.daemon.stop(signal.SIGTERM, 15 * self.scale)
        if code != 0:
            self.fail(1, f"socketchatd did not stop cleanly on SIGTERM: status {code}")
        self.log_file.flush()
        stored = self.read_store()
        self.check(audit, stored)
        return self.report(chaos_seconds, time.monotonic() - started)

    async def fill_page_caches(self):
        """SQLite keeps a page cache per connection (2 MB by default, one connection writes,
        one reads) that fills as the database grows and is read; a fresh process starts
        empty. So that this growth is not taken for a leak, the warm-up writes a few MB of
        history to rooms of its own (big texts, within the rate limit) and reads it back."""
        seeders, per_seeder = 48, 24
        text = "seed " + "".join(self.rng.choice("abcdefghij") for _ in range(3000))

        async def seed(i):
            name = f"s{i}e{self.epoch}"
            client = await connect(self, "tcp", name, "seeder")
            room = f"seed-{name}"
            await client.join(room)
            lines = []
            for _ in range(per_seeder):
                mid, _ = client.next_id()
                self.new_msg(mid, "#" + room, name, False)
                lines.append(f"SAY {room} {mid} {text}")
            await client.ask(lines + [f"HISTORY {room} {HISTORY_MAX}"], ["list"], "seeding")
            await client.quit()
            await client.finish()
        results = await asyncio.gather(*(seed(i) for i in range(seeders)), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        self.counts["history written to fill the page caches (kB)"] = \
            (seeders - len(failed)) * per_seeder * (len(text) + 20) // 1024
        if failed:
            self.counts["seeders that failed"] += len(failed)

    async def witnesses_ready(self):
        try:
            async with self.level_changed:
                await asyncio.wait_for(self.level_changed.wait_for(
                    lambda: all(w.current() for w in self.witnesses.values())), 30 * self.scale)
        except asyncio.TimeoutError:
            late = [w.scheme for w in self.witnesses.values() if not w.current()]
            self.fail(4, f"witnesses over {late} were not back in every room {30 * self.scale:.0f} s "
                         f"after the restart")

    async def audit(self):
        """A fresh client reads the feed's and every room's history (HISTORY <scope> 500)."""
        answers = {}
        try:
            client = await connect(self, "tcp", "auditor", "auditor")
            for room in ROOMS:
                await client.join(room)
            for scope in ("*",) + ROOMS:
                [lines] = await client.ask([f"HISTORY {scope} {HISTORY_MAX}"], ["list"])
                key = "*" if scope == "*" else "#" + scope
                more = [int(x.split()[1]) for x in lines if x.startswith("MORE ")]
                answers[key] = ([tuple(x.split(" ", 4)[3:5]) for x in lines if x.startswith("HIST ")],
                                more[0] if more else 0)
                if lines and lines[0].startswith("ERR"):
                    self.fail(2, f"auditor: HISTORY {scope}: {lines[0]}")
            await client.quit()
            await client.finish()
        except (Closed, NoAnswer, LoginRefused, OSError, asyncio.TimeoutError) as e:
            self.fail(2, f"the auditor could not read history: {e!r}")
        return answers

    def read_store(self):
        path = os.path.join(self.data_dir, "history.db")
        try:
            db = sqlite3.connect(path)
            rows = db.execute("SELECT scope, sender, text FROM messages ORDER BY id").fetchall()
            db.close()
        except sqlite3.Error as e:
            self.fail(2, f"cannot read the history database {os.path.basename(path)}: {e}")
            return None
        return rows

    # -- the verdict --
    def check(self, audit, rows):
        # 1: crashes are recorded as they happen; sanitizer reports are in the logs.
        for daemon in self.daemons:
            if daemon.sanitizer_lines:
                self.fail(1, f"sanitizer report from pid {daemon.pid}:\n    " +
                          "\n    ".join(daemon.sanitizer_lines[:30]))
        for line in self.reload_failures[:3]:
            self.fail(1, f"a SIGHUP with an unchanged configuration failed: {line}")
        # 2: received or confirmed => stored; the HISTORY answers match the store.
        if rows is not None:
            stored = {}
            by_scope = collections.defaultdict(list)
            for scope, sender, text in rows:
                by_scope[scope].append((sender, text))
                match = ID.match(text)
                if match:
                    stored[match.group(0)] = scope
                    if match.group(0) not in self.msgs:
                        self.fail(2, f"history holds {match.group(0)} in {scope}, which nobody sent")
            self.stored_checked = len(stored)
            for mid, scope in self.received.items():
                if stored.get(mid) != scope:
                    self.fail(2, f"{mid} was received in {scope} but is not in history")
            for mid, record in self.msgs.items():
                if record[7] == "PONG" and not record[6] and stored.get(mid) != record[0]:
                    self.fail(2, f"{mid} ({record[0]}) was confirmed to its sender (PONG) but is not in history")
            for scope, (answer, more) in audit.items():
                # The latest HISTORY_MAX, or (MORE n) the latest that fit in max_reply_bytes.
                latest = by_scope.get(scope, [])[-HISTORY_MAX:]
                expected = latest[len(latest) - len(answer):] if more else latest
                if answer != expected or (more and more != len(latest) - len(answer)):
                    self.fail(2, f"HISTORY {scope} {HISTORY_MAX} answered {len(answer)} messages (MORE {more}) "
                                 f"that are not the latest {len(latest)} in the store")
        # 3: every witness got every confirmed message of a well-behaved sender that was sent
        # after it could hear the scope and confirmed before its last answered PING.
        self.expected_deliveries = 0
        missing = collections.Counter()
        for run in self.witness_runs:
            for mid, (scope, sender, epoch, good, t_send, t_conf, rejected, how) in self.msgs.items():
                if not good or rejected or t_conf is None or epoch != run.epoch:
                    continue
                since = run.since.get(scope)
                if since is None or t_send <= since or t_conf >= run.mark:
                    continue
                self.expected_deliveries += 1
                if mid not in run.received:
                    missing[how] += 1
                    when = "its PONG came" if how == "PONG" else f"the sender left by {how} right after it"
                    self.fail(3, f"witness {run.name} ({run.scheme}) never received {mid} ({scope}), sent "
                                 f"by a well-behaved client while the witness was online ({when})")
        self.missing_by_witness = missing
        # 5: RSS and descriptors.
        if self.baseline and self.after and not self.holds(self.after, self.baseline):
            rss_b, fds_b = self.baseline
            rss_a, fds_a = self.after
            what = []
            if not self.sanitized and (rss_a is None or rss_a > rss_b * 1.10):
                what.append(f"RSS {rss_a} kB after vs {rss_b} kB baseline "
                            f"(+{(rss_a - rss_b) * 100 / rss_b:.0f} %)")
            if fds_a is None or fds_a > fds_b * 1.10:
                what.append(f"{fds_a} descriptors after vs {fds_b} baseline")
            self.fail(5, f"after {self.args.settle_seconds:.0f} s of settling: " + "; ".join(what))

    def report(self, chaos_seconds, wall_seconds):
        lags = sorted(self.lag) or [0.0]
        rss_b, fds_b = self.baseline or (None, None)
        rss_a, fds_a = self.after or (None, None)
        confirmed = sum(1 for r in self.msgs.values() if r[5] is not None and not r[6])
        summary = {
            "seconds": round(chaos_seconds, 1),
            "wall_seconds": round(wall_seconds, 1),
            "clients": self.args.clients,
            "witnesses": self.args.witnesses,
            "connections": self.counts["connections"],
            "commands_sent": self.counts["commands sent"],
            "messages_sent": len(self.msgs),
            "messages_confirmed": confirmed,
            "messages_delivered": self.counts["messages delivered"],
            "witness_deliveries_checked": getattr(self, "expected_deliveries", 0),
            "stored_messages_checked": self.stored_checked,
            "faults": dict(sorted(self.faults.items())),
            "daemon_errors_logged": dict(sorted(self.log_errors.items())),
            "rss_kb": {"baseline": rss_b, "after": rss_a, "peak_sampled": self.rss_peak,
                       "VmHWM": getattr(self, "hwm", None)},
            "fds": {"baseline": fds_b, "after": fds_a},
            "loop_lag_s": {"p50": round(lags[len(lags) // 2], 3), "max": round(lags[-1], 3)},
            "sanitizer_build": self.sanitized,
            "seed": self.args.seed,
            "failed_invariants": sorted(self.failure_counts),
        }
        out = []
        out.append("")
        out.append(f"soak summary ({summary['seconds']} s of chaos, {summary['wall_seconds']} s in all, "
                   f"seed {self.args.seed})")
        out.append(f"  clients             {self.args.clients} + {self.args.witnesses} witnesses; "
                   f"{summary['connections']} connections made")
        out.append(f"  commands sent       {summary['commands_sent']}")
        out.append(f"  chat messages       {summary['messages_sent']} sent, {confirmed} confirmed, "
                   f"{summary['messages_delivered']} deliveries received")
        out.append(f"  witness checks      {summary['witness_deliveries_checked']} expected deliveries; "
                   f"{summary['stored_messages_checked']} stored messages read back")
        out.append("  faults injected     " + ", ".join(f"{k} {v}" for k, v in summary["faults"].items()))
        if self.log_errors:
            out.append("  daemon error events " + ", ".join(f"{k} {v}" for k, v in sorted(self.log_errors.items())))
        rss_note = " (not compared: sanitizer allocator)" if self.sanitized else ""
        out.append(f"  RSS kB              baseline {rss_b}, after {rss_a}, peak {self.rss_peak}{rss_note}")
        out.append(f"  descriptors         baseline {fds_b}, after {fds_a}")
        out.append(f"  soak's loop lag     p50 {summary['loop_lag_s']['p50']} s, max {summary['loop_lag_s']['max']} s")
        out.append("  timeline (s)        " + ", ".join(self.phases))
        if getattr(self, "missing_by_witness", None):
            out.append("  witness misses by how the message was confirmed: " +
                       ", ".join(f"{k} {v}" for k, v in self.missing_by_witness.items()))
        if self.args.verbose and self.unasked:
            out.append("  replies nobody asked for (last): " + " || ".join(self.unasked))
        notable = {k: v for k, v in self.counts.items() if k not in ("connections", "commands sent",
                                                                      "messages delivered")}
        if notable:
            out.append("  notes               " + ", ".join(f"{k} {v}" for k, v in sorted(notable.items())))
        out.append("")
        for number, text in INVARIANTS.items():
            status = "FAIL" if number in self.failure_counts else "ok"
            if number == 5 and self.sanitized and status == "ok":
                status = "ok (descriptors only)"
            out.append(f"  invariant {number}: {status:5} {text}")
        for number in sorted(self.failures):
            out.append("")
            out.append(f"FAILED invariant {number} ({self.failure_counts[number]} time(s)): {INVARIANTS[number]}")
            for message in self.failures[number]:
                out.append(f"  - {message}")
                out.extend(f"      daemon: {line}" for line in self.log_lines_of(message))
        if self.internal_errors:
            out.append("")
            out.append("the soak itself failed (a bug in the soak, not in the daemon):")
            out.extend("  " + e for e in self.internal_errors[:5])
        out.append("")
        out.append("SOAK-RESULT " + json.dumps(summary, sort_keys=True))
        print("\n".join(out), flush=True)
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump(summary, f, indent=2, sort_keys=True)
        if self.internal_errors:
            return 2
        return 1 if self.failure_counts else 0


class Witness:
    """A well-behaved client that stays logged in for a whole daemon lifetime, in the feed
    and every room, reads everything, PINGs every second or two (each PONG is a mark: what
    was confirmed before that PING must have reached it) and now and then asks, within
    the rate limit, for a burst of big answers (HISTORY 500 of every scope, ROOMS, WHO)."""

    def __init__(self, soak, index, scheme):
        self.soak = soak
        self.index = index
        self.scheme = scheme
        self.client = None
        self.run_ = None
        self.ready = asyncio.Event()  # once: the first connection is in every room
        self.incarnation = 0
        self.stopped = False

    def current(self):
        """Connected to the current daemon and in every room."""
        run = self.run_
        return run is not None and run.epoch == self.soak.epoch and len(run.since) == len(ROOMS) + 1 \
            and not self.client.closed.is_set()

    async def mark_now(self):
        client, run = self.client, self.run_
        if client is None or client.closed.is_set():
            return
        token = self.soak.token()
        sent = []
        [expect] = await client.request([client.ping_line(token)], [("sync", token)],
                                        on_sent=lambda: sent.append(self.soak.tick()))
        await client.wait(expect, "PING")
        run.mark = max(run.mark, sent[0])

    async def run(self):
        soak = self.soak
        while not soak.stopping and not self.stopped:
            if not await soak.daemon_up():
                return
            self.incarnation += 1
            name = f"w{self.index}e{soak.epoch}x{self.incarnation}"
            epoch = soak.epoch
            try:
                client = await connect(soak, self.scheme, name, "witness")
            except (Closed, NoAnswer, LoginRefused, OSError, asyncio.TimeoutError, ssl.SSLError,
                    websockets.exceptions.WebSocketException) as e:
                if soak.epoch == epoch and soak.daemon.alive():
                    soak.fail(4, f"witness {name} ({self.scheme}) could not connect and log in: "
                                 f"{with_local_port(e)}")
                await asyncio.sleep(1)  # pacing before the next try
                continue
            run = WitnessRun(name, self.scheme, client.epoch)
            client.witness_run = run
            run.since["*"] = client.login_tick
            self.client, self.run_ = client, run
            soak.witness_runs.append(run)
            try:
                for room in ROOMS:
                    ok, reply = await client.join(room)
                    if not ok:
                        soak.fail(4, f"witness {name} ({self.scheme}): JOIN {room} answered {reply}")
                        raise NoAnswer(f"JOIN {room}: {reply}")
                    run.since["#" + room] = soak.tick()
                self.ready.set()
                async with soak.level_changed:
                    soak.level_changed.notify_all()
                await self.watch(client)
            except NoAnswer as e:
                if not str(e).startswith("JOIN"):
                    soak.fail(4, f"witness {name} ({self.scheme}): {e}; {client.why()}")
                await client.abort(False)
            except Closed:
                pass
            if client.unexpected_close() and not self.stopped:
                run.end = "closed by the server"
                soak.fail(4, f"witness {name} ({self.scheme}) was disconnected by the server; {client.why()}")
            soak.online.pop(name, None)
            await client.finish()
        self.ready.set()

    async def watch(self, client):
        soak = self.soak
        next_burst = time.monotonic() + soak.rng.uniform(3, 8)
        closed = asyncio.ensure_future(client.closed.wait())
        try:
            await self.keep_watching(client, closed, next_burst)
        finally:
            closed.cancel()

    async def keep_watching(self, client, closed, next_burst):
        soak = self.soak
        while not client.closed.is_set() and not self.stopped:
            await self.mark_now()
            if soak.level == "full" and time.monotonic() >= next_burst:
                await self.burst(client)
                next_burst = time.monotonic() + soak.rng.uniform(5, 12)
            if client.closed.is_set() or self.stopped:
                break
            await asyncio.wait({closed}, timeout=soak.rng.uniform(0.8, 2.0))  # then the next PING

    async def burst(self, client):
        soak = self.soak
        if client.protocol == "line":
            scopes = ["*"] + list(ROOMS)
            lines = [f"HISTORY {scopes[i % len(scopes)]} {HISTORY_MAX}" for i in range(26)]
            lines += ["ROOMS", "WHO", "ROOMS", f"WHO {ROOMS[0]}"]
            kinds = ["list"] * len(lines)
        else:
            lines = ["LIST", "NAMES &public", "WHO &public"] + [f"NAMES #{r}" for r in ROOMS] + ["LIST"] * 6
            ends = {"LIST": ("323",), "NAMES": ("366",), "WHO": ("315",)}
            kinds = [("end", ends[line.split()[0]]) for line in lines]
        expects = await client.request(lines, kinds)
        soak.counts["witness bursts"] += 1
        for expect in expects:
            answer = await client.wait(expect, "a burst of big answers")
            if client.protocol == "line" and answer and answer[0].startswith("ERR"):
                soak.counts[f"witness burst answers {answer[0]}"] += 1

    async def stop(self):
        self.stopped = True
        client = self.client
        if client is None or client.closed.is_set():
            return
        try:
            await client.quit()
        except Closed:
            pass
        await client.finish()


class Chatter:
    """A well-behaved client for a random while: logs in over a random transport, joins
    rooms, chats (each message followed by a PING, so its PONG confirms it), lists, reads
    history, stays within the rate limit, reads everything, and leaves gracefully (QUIT,
    end of input, a WebSocket close), sometimes right after its last messages."""

    def __init__(self, soak, index):
        self.soak = soak
        self.index = index
        self.rooms = set()

    async def run(self):
        soak = self.soak
        rng = soak.rng
        scheme = rng.choice(SCHEMES)
        soak.counts[f"chatter sessions {scheme}"] += 1
        name = f"c{self.index}x{soak.counts['names']}"
        soak.counts["names"] += 1
        epoch = soak.epoch
        try:
            client = await connect(soak, scheme, name, "chatter")
        except (Closed, NoAnswer, LoginRefused, OSError, asyncio.TimeoutError, ssl.SSLError,
                websockets.exceptions.WebSocketException) as e:
            if soak.daemon.alive() and soak.epoch == epoch:
                soak.fail(4, f"chatter {name} ({scheme}) could not connect and log in: "
                          f"{with_local_port(e)}")
            return
        self.client = client
        soak.doing[f"chatter {self.index}"] = f"{name} over {scheme}"
        try:
            lifetime = time.monotonic() + rng.uniform(3, max(6, min(40, soak.args.seconds * 0.2)))
            for room in rng.sample(ROOMS, rng.randint(1, 3)):
                await self.join(room)
            while time.monotonic() < lifetime and soak.level != "off" and not client.closed.is_set():
                await self.step()
                if await soak.pause(0.15, 0.7):
                    break
            await self.leave()
        except NoAnswer as e:
            soak.fail(4, f"chatter {name} ({scheme}): {e}; {client.why()}")
            await client.abort(False)
        except Closed:
            pass
        if client.unexpected_close():
            soak.fail(4, f"chatter {name} ({scheme}) was disconnected by the server; {client.why()}")
        soak.online.pop(name, None)
        await client.finish()

    async def join(self, room):
        ok, reply = await self.client.join(room)
        if ok:
            self.rooms.add(room)
        else:
            self.refused(f"JOIN {room}", reply)

    def refused(self, what, reply):
        """A well-behaved command refused: rate-limited is counted (our own event loop may
        have bunched the commands), anything else is a failure."""
        reply = self.short(reply)
        if "rate-limited" in reply or reply.startswith("263"):
            self.soak.counts["well-behaved commands rate-limited"] += 1
        else:
            self.soak.fail(4, f"chatter {self.client.name} ({self.client.scheme}): {what} answered {reply}")

    async def message(self, confirm=True):
        """One MSG, SAY or DM with a unique id; its PONG confirms it (or its ERR rejects it)."""
        soak, rng, client = self.soak, self.soak.rng, self.client
        roll = rng.random()
        if roll < 0.08:
            kind, target, scope = "MSG", None, "*"
        elif roll < 0.25 and len(soak.online) > 1:
            peer = rng.choice(list(soak.online))
            if peer == client.name:
                return None
            kind, target, scope = "DM", peer, dm_scope(client.name, peer)
        elif self.rooms:
            target = rng.choice(sorted(self.rooms))
            kind, scope = "SAY", "#" + target
        else:
            return None
        mid, _ = client.next_id()
        text = f"{mid} {kind.lower()}{soak.pad()}"
        record = soak.new_msg(mid, scope, client.name, True)
        line = client.say_line(kind, target, text)

        def sent():
            record[4] = soak.tick()
        if not confirm:
            [expect] = await client.request([line], ["maybe"], on_sent=sent)
            return record, expect
        token = soak.token()
        error, pong = await client.request([line, client.ping_line(token)], ["maybe", ("sync", token)],
                                           on_sent=sent)
        reply = await client.wait(error, line[:20])
        await client.wait(pong, "PING")
        if reply is not None:
            record[6] = True
            soak.counts[f"well-behaved message refused: {self.short(reply)}"] += 1
        else:
            record[5] = error.tick
            record[7] = "PONG"
        return record, None

    @staticmethod
    def short(reply):
        if isinstance(reply, tuple):  # IRC: (prefix, command, params, line)
            return f"{reply[1]} {' '.join(reply[2][2:3])}".strip()
        if reply.startswith(":"):  # an IRC line
            _, command, params = irc_parse(reply)
            return f"{command} {params[-1] if params else ''}".strip()[:60]
        return reply[:40]

    async def step(self):
        soak, rng, client = self.soak, self.soak.rng, self.client
        roll = rng.random()
        line = client.protocol == "line"
        if roll < 0.55:
            await self.message()
        elif roll < 0.63:
            room = rng.choice(ROOMS)
            if room in self.rooms:
                self.rooms.discard(room)  # no SAY to it from now on
                ok, reply = await client.part(room)
                if not ok:
                    self.refused(f"PART {room}", reply)
            else:
                await self.join(room)
        elif roll < 0.70:
            await client.ask(["WHO"] if line else ["WHO &public"], ["list"] if line else [("end", ("315",))])
        elif roll < 0.76:
            await client.ask(["ROOMS"] if line else ["LIST"], ["list"] if line else [("end", ("323",))])
        elif roll < 0.81:
            room = rng.choice(ROOMS)
            await client.ask([f"WHO {room}"] if line else [f"NAMES #{room}"],
                             ["list"] if line else [("end", ("366",))])
        elif roll < 0.93:
            if line:
                scope = rng.choice(["*", f"@{rng.choice(list(soak.online) or [client.name])}"] +
                                   sorted(self.rooms))
                [answer] = await client.ask([f"HISTORY {scope} {rng.choice([10, 50, HISTORY_MAX])}"], ["list"])
                if answer and answer[0].startswith("ERR"):
                    self.refused(f"HISTORY {scope}", answer[0])
            else:
                await client.ask([f"WHOIS {rng.choice(list(soak.online) or [client.name])}"],
                                 [("end", ("318",))])
        elif roll < 0.98:
            await client.sync("PING")
        elif roll < 0.99 and line:
            await client.ask(["HELP"], ["list"])
        else:
            # A pipelined burst of big answers, within the rate limit.
            n = rng.randint(8, 24)
            if line:
                scopes = ["*"] + sorted(self.rooms)
                lines = [f"HISTORY {scopes[i % len(scopes)]} {HISTORY_MAX}" for i in range(n)] + ["ROOMS"]
                kinds = ["list"] * len(lines)
            else:
                lines = ["LIST"] * n
                kinds = [("end", ("323",))] * n
            soak.counts["chatter bursts"] += 1
            expects = await client.request(lines, kinds)
            for expect in expects:
                await client.wait(expect, "a burst of big answers")

    async def leave(self):
        """Gracefully, sometimes right after a few unconfirmed messages: they must be
        delivered all the same (the server has read them before the end of input)."""
        soak, rng, client = self.soak, self.soak.rng, self.client
        if client.closed.is_set():
            return
        if client.protocol == "line" and rng.random() < 0.3 and client.dms:
            await self.check_dm_history()
        last = []
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            sent = await self.message(confirm=False)
            if sent:
                last.append(sent)
        how = rng.random()
        client.by_us = True
        if isinstance(client.conn, WsConn) and how < 0.5:
            how = "a WebSocket close"
            await client.conn.close_handshake(soak.reply_timeout)
        elif client.scheme in ("tcp", "irc") and how < 0.5:
            how = "end of input"
            client.conn.shutdown_write()
        else:
            how = "QUIT"
            await client.quit()
        soak.counts[f"chatter leaves by {how}"] += 1
        try:
            await asyncio.wait_for(client.closed.wait(), soak.reply_timeout)
        except asyncio.TimeoutError:
            if client.epoch == soak.epoch:
                soak.fail(4, f"chatter {client.name} ({client.scheme}) left gracefully but the server "
                             f"did not close within {soak.reply_timeout:.0f} s")
            return
        if client.eof_epoch != client.epoch:
            return  # the daemon was killed meanwhile: nothing is confirmed
        for record, expect in last:
            if expect.future.done() and expect.future.result() is None:
                record[5] = client.eof_tick  # the end came after them and no error
                record[7] = how
            else:
                record[6] = True
        if last:
            soak.counts["messages sent right before leaving"] += len(last)

    async def check_dm_history(self):
        """The recipient reads HISTORY @sender: every DM it got from that sender is there."""
        soak, client = self.soak, self.client
        peer = soak.rng.choice(sorted(client.dms))
        # Only what arrived before the question: a DM that comes while the answer is on
        # its way may have been stored after the read.
        received = list(client.dms[peer])
        [answer] = await client.ask([f"HISTORY @{peer} {HISTORY_MAX}"], ["list"])
        if answer and answer[0].startswith("ERR"):
            return self.refused(f"HISTORY @{peer}", answer[0])
        seen = set()
        for line in answer:
            parts = line.split(" ", 4)
            match = ID.match(parts[4]) if parts[0] == "HIST" and len(parts) == 5 else None
            if match:
                seen.add(match.group(0))
        soak.counts["DM history checks"] += 1
        for mid in received:
            if mid not in seen:
                soak.fail(2, f"{client.name} received DM {mid} from {peer}, but HISTORY @{peer} does not show it")


class Chaos:
    """A client that misbehaves, one way per connection."""

    HEAVY = {"slow reader": 3, "WebSocket ping flood": 2, "room spam": 12}

    def __init__(self, soak, index):
        self.soak = soak
        self.index = index

    async def run(self):
        soak, rng = self.soak, self.soak.rng
        kinds = [k for k in soak.fault_kinds if soak.heavy[k] < self.HEAVY.get(k, 10 ** 9)]
        if not kinds:
            await soak.pause(0.5, 1.0)
            return
        kind = rng.choices(kinds, weights=[self.KINDS[k][0] for k in kinds])[0]
        soak.heavy[kind] += 1
        soak.counts["names"] += 1
        self.name = f"k{self.index}x{soak.counts['names']}"
        soak.doing[f"chaos {self.index}"] = kind
        self.epoch = soak.epoch
        try:
            await self.KINDS[kind][1](self)
            soak.faults[kind] += 1
        except (Closed, NoAnswer, LoginRefused, OSError, asyncio.TimeoutError, ssl.SSLError,
                asyncio.IncompleteReadError, websockets.exceptions.WebSocketException):
            soak.faults[kind] += 1  # a misbehaving client may well be shown the door
        finally:
            soak.heavy[kind] -= 1
            for client in list(soak.live):
                if client.name == self.name:
                    await client.abort(False)

    def limit_failure(self, message):
        """A broken limit, unless the daemon was restarted meanwhile."""
        if self.soak.epoch == self.epoch:
            self.soak.fail(6, f"{self.name}: {message}")

    async def login(self, scheme, raw_ws=True, **options):
        client = await connect(self.soak, scheme, self.name, "chaos", raw_ws=raw_ws, **options)
        room = self.soak.rng.choice(ROOMS)
        await client.join(room)
        client.room = room
        return client

    async def chatter(self, client, n):
        """A few messages, not confirmed (this client is not well-behaved)."""
        lines = []
        for _ in range(n):
            mid, _ = client.next_id()
            kind = self.soak.rng.choice(["SAY", "SAY", "MSG"])
            scope = "*" if kind == "MSG" else "#" + client.room
            self.soak.new_msg(mid, scope, client.name, False)
            lines.append(client.say_line(kind, client.room, f"{mid} chaos{self.soak.pad()}"))
        if lines:
            await client.request(lines, [], cost=0)

    async def end(self, client):
        rng = self.soak.rng
        roll = rng.random()
        if roll < 0.4:
            await client.abort(rng.random() < 0.5)
        else:
            try:
                await client.quit()
            except Closed:
                pass
            await client.finish()

    async def do_big_line(self):
        rng = self.soak.rng
        scheme = rng.choice(SCHEMES)
        client = await self.login(scheme)
        irc = client.protocol == "irc"
        limit = IRC_MAX_LINE if irc else MAX_LINE_BYTES
        size = rng.randint(limit + 1, 5 * limit)
        line = (f"PRIVMSG #{client.room} :" if irc else f"SAY {client.room} ") + "x" * size
        [reply] = await client.ask([line], ["one"], "a line that is too long")
        got = irc_parse(reply)[1] if irc else reply
        if got != ("417" if irc else "ERR line-too-long"):
            self.limit_failure(f"a {size}-byte line over {scheme} was answered {reply!r}")
        await client.sync("PING after a line that is too long")
        await self.chatter(client, rng.randint(0, 3))
        await self.end(client)

    async def do_invalid_utf8(self):
        soak, rng = self.soak, self.soak.rng
        scheme = rng.choice(SCHEMES)
        client = await self.login(scheme)
        mid, _ = client.next_id()
        if isinstance(client.conn, RawWsConn):
            client.conn.write(f"SAY {client.room} {mid} ".encode() + b"\xff\xfe\xc3(")
            soak.new_msg(mid, "#" + client.room, client.name, False)
            try:
                await asyncio.wait_for(client.closed.wait(), soak.reply_timeout)
            except asyncio.TimeoutError:
                self.limit_failure(f"a text frame with invalid UTF-8 over {scheme} was not refused")
                return await self.end(client)
            if client.conn.close_code != 1007:
                self.limit_failure(f"a text frame with invalid UTF-8 over {scheme}: close code "
                                   f"{client.conn.close_code} (expected 1007)")
            return await client.finish()
        body = (f"PRIVMSG #{client.room} :{mid} ".encode() if client.protocol == "irc"
                else f"SAY {client.room} {mid} ".encode()) + b"bad \xff\xfe\xc3( bytes"
        [lines] = await client.ask([body, client.ping_line("u8")], [("sync", "u8")], "invalid UTF-8 + PING")
        ok = any("not valid UTF-8" in x for x in lines) if client.protocol == "irc" else \
            "ERR invalid-utf8" in lines
        if not ok:
            self.limit_failure(f"invalid UTF-8 over {scheme} was answered {lines!r}")
        await self.chatter(client, rng.randint(0, 2))
        await self.end(client)

    async def do_junk_commands(self):
        soak, rng = self.soak, self.soak.rng
        scheme = rng.choice(SCHEMES)
        client = await connect(soak, scheme, self.name, "chaos", raw_ws=True, login=False)
        if client.protocol == "irc":
            before = ["PRIVMSG #x :hi", "JOIN #soak-a", "FOO", "CAP LS 302", "CAP END"]
            # (No NICK to a valid nick, nor JOIN 0, nor a change of a room's topic or modes: a
            # rename, leaving every room or a key on a room is no junk; the junk client may
            # have made #soak-a, and so be its operator.)
            after = ["FOO bar", "JOIN &nope", "JOIN #bad/room", "PART #nowhere", "PRIVMSG", "PRIVMSG nobody-here :x",
                     "NICK bad!nick", "USER a b c d", "MODE " + self.name + " +i", "WHOIS nobody-here", "TOPIC #soak-a",
                     "TOPIC #nowhere :new", "MODE #soak-a +x", "MODE #soak-a b", "INVITE nobody-here #soak-a",
                     "AWAY :gone", "AWAY", "USERHOST " + self.name,
                     "ISON a b", "KICK #soak-a x", "NAMES", "WHOWAS x", "PING", "NOTICE nobody-here :x"]
        else:
            before = ["WHO", "MSG hi", "HISTORY *", "help", "NOPE", ""]
            after = ["LOGIN again", "FOO", "HISTORY", "HISTORY * 0", "HISTORY * -3", "HISTORY * many",
                     "HISTORY soak-zz", "JOIN", "JOIN bad/room", "JOIN " + "r" * 40, "PART nowhere", "SAY",
                     "SAY nowhere hi", "DM", "DM nobody-here hi", "DM " + self.name, "MSG", "MSG    ",
                     "WHO no-such-room", "   ", "\t", "ping tok\r", "rooms", "who"]
        await client.ask(before + [client.ping_line("j0")], [("sync", "j0")], "junk before login")
        client.login_tick = await client.login()
        client.room = ROOMS[0]
        await client.join(client.room)
        await client.ask(after + [client.ping_line("j1")], [("sync", "j1")], "junk after login")
        mid, _ = client.next_id()
        soak.new_msg(mid, "#" + client.room, client.name, False)
        await client.request([client.say_line("SAY", client.room, f"{mid} ctl \x1b[31m\x07 x\x7f")], [], cost=0)
        await self.end(client)

    async def do_abrupt_close_rst(self):
        await self.abrupt(True)

    async def do_close_without_quit(self):
        await self.abrupt(False)

    async def abrupt(self, rst):
        rng = self.soak.rng
        scheme = rng.choice(SCHEMES)
        client = await self.login(scheme)
        await self.chatter(client, rng.randint(0, 4))
        if rng.random() < 0.5 and client.protocol == "line":
            await client.request([f"HISTORY * {HISTORY_MAX}", "WHO", "ROOMS"], [], cost=0)  # answers never read
        await client.abort(rst)

    async def do_half_open_socket(self):
        scheme = self.soak.rng.choice(SCHEMES)
        # tcp and irc wait for a login (login_timeout); the others for a handshake.
        limit = LOGIN_TIMEOUT if scheme in ("tcp", "irc") else self.soak.handshake_timeout
        await self.silent(scheme, b"", limit)

    async def do_stalled_tls_handshake(self):
        scheme = self.soak.rng.choice(["tls", "wss", "ircs"])
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = TLS_CONTEXT.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outgoing.read()
        await self.silent(scheme, hello[:len(hello) // 2], self.soak.handshake_timeout)

    async def do_stalled_websocket_upgrade(self):
        scheme = self.soak.rng.choice(["ws", "wss"])
        head = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\n").encode()
        await self.silent(scheme, head, self.soak.handshake_timeout, tls=scheme == "wss")

    async def silent(self, scheme, first_bytes, limit, tls=False):
        """Connects, sends `first_bytes` (maybe nothing) and waits: the server must close
        the connection after `limit` seconds (the login or handshake timeout)."""
        soak = self.soak
        conn = await StreamConn.open(soak.ports[scheme], tls, soak.reply_timeout)
        soak.counts["connections"] += 1
        opened = time.monotonic()
        try:
            if first_bytes:
                await conn.send(first_bytes, soak.reply_timeout)

            async def until_closed():
                while await conn.read_some():
                    pass
            slack = 5 * soak.scale
            hold = soak.rng.uniform(3, limit + slack + 5)
            reading = asyncio.ensure_future(until_closed())
            await soak.hold(hold, asyncio.shield(reading))
            held = time.monotonic() - opened
            closed = reading.done() and not soak.chaos_off.is_set() and soak.epoch == self.epoch
            reading.cancel()
            if closed:
                soak.counts[f"silent connections closed by the server ({scheme})"] += 1
                if held < limit - 1:
                    soak.counts[f"silent connections closed early ({scheme}, {held:.0f} s)"] += 1
            elif held >= limit + slack and not soak.chaos_off.is_set():
                self.limit_failure(f"a {scheme} connection that never finished its "
                                   f"{'login' if limit == LOGIN_TIMEOUT else 'handshake'} was still open "
                                   f"after {held:.0f} s (limit {limit:.0f} s)")
        finally:
            conn.abort(False)

    async def do_slow_reader(self):
        """Stops reading while others keep talking to it: the server must drop it
        (sendq-exceeded) before it holds more than sendq_bytes of output for it. The
        output is other users' messages ("pumps", in a room of the reader's own), each
        confirmed delivered before the reader reads again, so that only what the server
        queued while the reader was not reading is counted. The reader also keeps asking
        for big answers meanwhile (which a server may make wait)."""
        soak, rng = self.soak, self.soak.rng
        scheme = rng.choice(SCHEMES)
        client = await self.login(scheme, rcvbuf=4096)
        room = f"slow-{self.name}"
        ok, reply = await client.join(room)
        if not ok:
            return await self.end(client)
        pumps = []
        try:
            for k in range(PUMPS):
                pump = await connect(soak, "tcp", f"p{k}{self.name}", "chaos")
                pumps.append(pump)
                await pump.join(room)
            await client.stop_reading()  # the kernel buffers fill, then the server's queue
            asking = asyncio.ensure_future(self.keep_asking(client))
            text = "pump " + "".join(rng.choice("klmnopqrst") for _ in range(PUMP_TEXT))
            per_pump = (SENDQ_BYTES + 2 * READER_SLACK) // (PUMP_TEXT * PUMPS) + 1

            async def pump_out(pump):
                for start in range(0, per_pump, 20):
                    lines = []
                    for _ in range(min(20, per_pump - start)):
                        mid, _ = pump.next_id()
                        soak.new_msg(mid, "#" + room, pump.name, False)
                        lines.append(f"SAY {room} {mid} {text}")
                    await pump.request(lines, [])
                    if soak.chaos_off.is_set():
                        return False
                await pump.sync("the last message of a pump")  # delivered to the reader's queue
                return True
            done = await asyncio.gather(*(pump_out(p) for p in pumps))
            asking.cancel()
            if not all(done):
                return
            sent = per_pump * PUMPS * (PUMP_TEXT + len(room) + 30)
            # Read: bounded by sendq_bytes plus the buffers on the way, unless dropped.
            got, end = await self.read_back(client.conn, lambda line: any(p.name in line[:100] for p in pumps))
            soak.counts["slow reader: bytes of others' messages read back (max)"] = max(
                soak.counts["slow reader: bytes of others' messages read back (max)"], got)
            if end is None:
                soak.counts["slow readers dropped by the server"] += 1
            if got > SENDQ_BYTES + READER_SLACK:
                self.limit_failure(f"a {scheme} client that did not read while {sent} bytes of messages were "
                                   f"sent to it got {got} bytes of them when it read again (sendq_bytes "
                                   f"{SENDQ_BYTES}, + {READER_SLACK} for buffers on the way)"
                                   f"{'' if end is None else ' and was not dropped'}")
        finally:
            client.conn.abort(False)
            client.reader.cancel()
            soak.live.discard(client)
            for pump in pumps:
                try:
                    await pump.quit()
                except Closed:
                    pass
                await pump.finish()

    async def keep_asking(self, client):
        """Big answers asked for by a client that does not read."""
        if client.protocol == "line":
            lines = [f"HISTORY {s} {HISTORY_MAX}" for s in ("*",) + ROOMS[:1]] + ["ROOMS", "WHO"]
        else:
            lines = ["WHO &public", "NAMES &public", "LIST"]
        while True:
            try:
                client.conn.write(client.encode(lines))
            except (Closed, RuntimeError, OSError, AttributeError):
                return
            await asyncio.sleep(0.5)  # pacing

    async def read_back(self, conn, counted):
        """Reads until the end of the connection or a second with nothing new; returns the
        bytes of the lines `counted` accepts, and None if the connection ended."""
        got = 0
        while True:
            try:
                line = await asyncio.wait_for(conn.readline(), 2 * self.soak.scale)
            except asyncio.TimeoutError:
                return got, "open"
            if line is None:
                return got, None
            if counted(line):
                got += len(line.encode()) + 1

    async def do_websocket_ping_flood(self):
        """Pings without reading the pongs: they are output like any other, and the server
        must not queue more of them than sendq_bytes for a client that does not read."""
        soak, rng = self.soak, self.soak.rng
        scheme = rng.choice(["ws", "wss"])
        client = await self.login(scheme, rcvbuf=4096, sndbuf=16384)
        await client.stop_reading()
        conn = client.conn
        frame = ws_frame(0x9, b"p" * 125)
        total = 4 * SENDQ_BYTES
        count = total // len(frame)
        blob = frame * 256
        sent = 0
        try:
            while sent < count and not soak.chaos_off.is_set():
                conn.s.write(blob)
                sent += 256
                await asyncio.wait_for(conn.s.writer.drain(), 5 * soak.scale)
            soak.counts["ping flood: pings sent"] += sent
        except asyncio.TimeoutError:
            soak.counts["ping flood: the server stopped reading"] += 1
        except (Closed, ConnectionError, OSError, RuntimeError):
            soak.counts["ping flood: dropped while flooding"] += 1
            conn.abort(False)
            client.reader.cancel()
            soak.live.discard(client)
            return
        # Now read: the pongs queued meanwhile (counted by the connection).
        _, end = await self.read_back(conn, lambda line: False)
        soak.counts["ping flood: pong bytes read back (max)"] = max(
            soak.counts["ping flood: pong bytes read back (max)"], conn.pong_bytes)
        if sent * 131 > SENDQ_BYTES + READER_SLACK and conn.pong_bytes > SENDQ_BYTES + READER_SLACK:
            self.limit_failure(f"a {scheme} client that sent {sent} pings without reading was sent "
                               f"{conn.pong_bytes} bytes of pongs it had not read (sendq_bytes {SENDQ_BYTES}, "
                               f"+ {READER_SLACK} for buffers on the way)"
                               f"{'' if end is None else ' and was not dropped'}")
        conn.abort(False)
        client.reader.cancel()
        soak.live.discard(client)

    async def do_room_spam(self):
        """Joins many rooms of its own (ROOMS grows), lists them, stays a while."""
        soak, rng = self.soak, self.soak.rng
        scheme = rng.choice(LINE_TRANSPORTS + ("irc",))
        client = await self.login(scheme)
        n = rng.randint(10, 2 * MAX_ROOMS_PER_USER)
        rooms = [f"z{self.name}r{i}" for i in range(n)]
        joined = 1  # the room of login()
        for start in range(0, n, 20):
            chunk = rooms[start:start + 20]
            if client.protocol == "irc":
                expects = await client.request([f"JOIN {','.join('#' + r for r in chunk)}"],
                                               [("join", "#" + r.lower()) for r in chunk], cost=len(chunk))
            else:
                expects = await client.request([f"JOIN {r}" for r in chunk], ["one"] * len(chunk))
            for expect in expects:
                joined += await client.wait(expect, "JOIN of many rooms") == "OK"
        soak.counts["spam rooms joined"] += joined - 1
        if joined > MAX_ROOMS_PER_USER:
            self.limit_failure(f"joined {joined} rooms over {scheme} (max_rooms_per_user {MAX_ROOMS_PER_USER})")
        await client.ask(["ROOMS"] if client.protocol == "line" else ["LIST"],
                         ["list"] if client.protocol == "line" else [("end", ("323",))])
        await soak.hold(rng.uniform(2, 15), client.closed.wait())
        await self.end(client)

    async def do_http_request(self):
        soak, rng = self.soak, self.soak.rng
        scheme = rng.choice(["ws", "wss"])
        path = rng.choice(["/healthz", "/metrics", "/", "/nope"])
        conn = await StreamConn.open(soak.ports[scheme], scheme == "wss", soak.reply_timeout)
        soak.counts["connections"] += 1
        try:
            await conn.send(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            status = await asyncio.wait_for(conn.readline(), soak.reply_timeout)
        finally:
            conn.abort(False)
        want = {"/healthz": "200", "/metrics": "200", "/": "200", "/nope": "404"}[path]
        if status is None or status.split(" ")[1:2] != [want]:
            self.limit_failure(f"GET {path} over {scheme} answered {status!r} (expected {want})")


Chaos.KINDS = {  # weight, what it does
    "big line": (1.0, Chaos.do_big_line),
    "invalid UTF-8": (1.0, Chaos.do_invalid_utf8),
    "junk commands": (0.8, Chaos.do_junk_commands),
    "abrupt close (RST)": (1.0, Chaos.do_abrupt_close_rst),
    "close without QUIT": (1.0, Chaos.do_close_without_quit),
    "half-open socket": (0.8, Chaos.do_half_open_socket),
    "stalled TLS handshake": (0.6, Chaos.do_stalled_tls_handshake),
    "stalled WebSocket upgrade": (0.6, Chaos.do_stalled_websocket_upgrade),
    "slow reader": (0.4, Chaos.do_slow_reader),
    "WebSocket ping flood": (0.3, Chaos.do_websocket_ping_flood),
    "room spam": (0.5, Chaos.do_room_spam),
    "HTTP request": (0.4, Chaos.do_http_request),
}

TLS_CONTEXT = None


def soak_pad(rng):
    source = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4096))

    def pad():
        n = rng.choice((0, 10, 40, 80, 150, 300))
        if not n:
            return ""
        start = rng.randrange(0, len(source) - n)
        return " " + source[start:start + n]
    return pad


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socketchatd", required=True, help="the daemon to soak")
    parser.add_argument("--seconds", type=float, default=60, help="length of the chaos (default 60)")
    parser.add_argument("--clients", type=int, default=200,
                        help="concurrent clients besides the witnesses (default 200)")
    parser.add_argument("--witnesses", type=int, default=6,
                        help="well-behaved clients that stay for a whole daemon lifetime (default 6, "
                             "one per transport)")
    parser.add_argument("--kills", type=int, default=1, help="SIGKILL + restart of the daemon (default 1)")
    parser.add_argument("--warmup", type=float, default=0.2,
                        help="share of --seconds the restarted daemon runs under load before its "
                             "baseline is taken (default 0.2)")
    parser.add_argument("--settle-seconds", type=float, default=20,
                        help="how long RSS and descriptors may take to come back (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="for the random choices (default: random)")
    parser.add_argument("--handshake-timeout", type=float, default=HANDSHAKE_TIMEOUT,
                        help="the daemon's --handshake-timeout, which stalled handshakes are held "
                             f"against (default {HANDSHAKE_TIMEOUT:g}; more for a sanitizer build, "
                             "where well-behaved TLS handshakes under load take seconds)")
    parser.add_argument("--timeout-scale", type=float, default=0,
                        help="multiplies every timeout (default: 1, or 3 under a sanitizer)")
    parser.add_argument("--json", help="also write the summary to this file")
    parser.add_argument("--verbose", action="store_true", help="more detail in the summary")
    parser.add_argument("--faults", help="comma-separated subset of the chaos clients' faults "
                                         "(default: all of " + ", ".join(Chaos.KINDS) + ")")
    parser.add_argument("--keep-dir", action="store_true",
                        help="keep the temporary directory (the daemon's log, the data directory)")
    parser.add_argument("--give-up", type=float, default=0,
                        help="end a soak that is itself stuck after this many seconds, saying "
                             "where it was (default: the chaos's length + 120)")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 31)
    if not os.access(args.socketchatd, os.X_OK):
        parser.error(f"not an executable: {args.socketchatd}")
    args.socketchatd = os.path.abspath(args.socketchatd)
    args.fault_kinds = list(Chaos.KINDS)
    if args.faults:
        args.fault_kinds = [k.strip() for k in args.faults.split(",")]
        unknown = [k for k in args.fault_kinds if k not in Chaos.KINDS]
        if unknown:
            parser.error(f"unknown faults {unknown}; choose from {list(Chaos.KINDS)}")
    if args.witnesses < 1 or args.clients < 1 or args.seconds < 10:
        parser.error("at least one client and one witness, and 10 seconds")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * (args.clients + args.witnesses) + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if 2 * (args.clients + args.witnesses) + 256 > want:
        parser.error(f"--clients {args.clients} needs more descriptors than the limit of {want}")
    return args


async def amain(args):
    global TLS_CONTEXT
    TLS_CONTEXT = e2e.tls_context()
    if os.environ.get("SSLKEYLOGFILE"):  # the clients' secrets, to read a capture with
        TLS_CONTEXT.keylog_filename = os.environ["SSLKEYLOGFILE"]
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: None)  # aborted TLS transports complain
    soak = Soak(args)
    soak.pad = soak_pad(soak.rng)
    give_up = args.give_up or args.seconds + 120
    try:
        return await asyncio.wait_for(soak.main(), give_up)
    except asyncio.TimeoutError:
        # A bug of the soak's own (a task that died and is waited for), not the daemon's:
        # said so, with what every worker was doing, rather than left to a test timeout.
        print(f"soak: the soak itself is stuck: gave up after {give_up:.0f} s", flush=True)
        print("  workers: " + "; ".join(f"{k}: {v}" for k, v in sorted(soak.doing.items())), flush=True)
        for error in soak.internal_errors[:5]:
            print("  " + error, flush=True)
        return 2
    except Exception as e:
        soak.internal("the soak's main sequence", e)
        print("soak: the soak itself failed:\n" + "\n".join(soak.internal_errors), flush=True)
        return 2
    finally:
        for daemon in soak.daemons + ([soak.daemon] if soak.daemon else []):
            if daemon.alive():
                daemon.expected_exit = True
                daemon.signal(signal.SIGKILL)
        if hasattr(soak, "log_file"):
            soak.log_file.close()
        if hasattr(soak, "tmp"):
            if args.keep_dir:
                print(f"soak: the daemon's log and data directory are in {soak.tmp}", flush=True)
            else:
                if soak.failure_counts:
                    print("soak: run with --keep-dir to keep the daemon's log", flush=True)
                shutil.rmtree(soak.tmp, ignore_errors=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.getLogger("websockets").setLevel(logging.CRITICAL)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        code = asyncio.run(amain(args))
    except SystemExit:
        raise
    except KeyboardInterrupt:
        return 2
    sys.exit(code)


if __name__ == "__main__":
    main()

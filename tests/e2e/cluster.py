"""What the cluster's end-to-end tests share (docs/CLUSTER.md): a real redis-server of the
test's own, and socketchatd nodes joined to it with --cluster.

RedisServer starts Debian's /usr/bin/redis-server with the bundled packaging/redis.conf
and, on its command line, what is the test's own (as tests/support/redis_server.cpp does):
a free loopback port, a Unix socket and a data directory in a new temporary directory.
It is stopped by its PID, and its directory removed.

Standard library only. Every wait is bounded: the server's output is awaited line by line
with a deadline, sockets have timeouts, and processes are waited for with a timeout.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import redis

from daemon import TIMEOUT, Client, Daemon, DaemonTestCase
from irc_lines import TEST_SERVER_NAME

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CONF = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "packaging", "redis.conf"))
START_TIMEOUT = 10.0  # seconds for redis-server to say it is ready


def free_port():
    """A loopback port nobody listens on now (the kernel's choice), for redis-server to take."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own, started at construction and ready (it said so, and
    answered PING). `url` is what --cluster takes. stop() ends it by its PID (SIGTERM, then
    SIGKILL if it does not exit in time) and removes its directory; pause() and resume()
    send it SIGSTOP and SIGCONT."""

    def __init__(self, *extra):
        self.directory = tempfile.mkdtemp(prefix="socketchat-e2e-redis-")
        self.unix_path = os.path.join(self.directory, "redis.sock")
        self.extra = [str(word) for word in extra]
        self.proc = None
        self.port = None
        self._output = []
        self._changed = threading.Condition()
        self._eof = False
        self._reader = None
        try:
            # The port is free when chosen; another process may take it before redis-server
            # binds it, so a start that fails on the port is tried again with another.
            for attempt in range(3):
                self.port = free_port()
                if self._start() or "Address already in use" not in self.output() or attempt == 2:
                    break
            if not self.running():
                raise AssertionError(f"redis-server did not start:\n{self.output()}")
            if self.command("PING") is not True:
                raise AssertionError(f"redis-server does not answer PING:\n{self.output()}")
        except BaseException:
            self.stop()
            raise

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def _start(self):
        """Starts redis-server; True once it said it is ready, False if it exited first."""
        argv = [REDIS_SERVER, REDIS_CONF,  # the bundled configuration, then what is the test's own
                "--bind", "127.0.0.1", "--port", str(self.port),
                "--unixsocket", self.unix_path, "--unixsocketperm", "700",
                "--dir", self.directory, "--logfile", "", "--daemonize", "no", *self.extra]
        with self._changed:
            self._output = []
            self._eof = False
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=self.directory)
        self._reader = threading.Thread(target=self._collect, args=(self.proc,), daemon=True)
        self._reader.start()
        # Its last word at start: the Unix socket, after the TCP port.
        ready = f"ready to accept connections at {self.unix_path}"
        deadline = time.monotonic() + START_TIMEOUT
        with self._changed:
            while not any(ready in line for line in self._output):
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    break
                self._changed.wait(left)
            started = any(ready in line for line in self._output)
        if not started:
            self._end_process()
        return started

    def _collect(self, proc):
        for raw in proc.stdout:
            with self._changed:
                self._output.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def output(self):
        """What redis-server has written (its log), as one string."""
        with self._changed:
            return "\n".join(self._output)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def command(self, *words, timeout=TIMEOUT):
        """One command on a new TCP connection (python3-redis), its reply as Redis gave
        it (bytes for bulk strings, "PONG" as True); an error reply raises redis.ResponseError."""
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout,
                             socket_connect_timeout=timeout)
        try:
            return client.execute_command(*words)
        finally:
            client.close()

    def pause(self):
        """SIGSTOP: the process stops, its connections stay open and unanswered."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def crash_and_restart(self):
        """SIGKILL, then a new redis-server on the same port and directory: what the old one
        acknowledged comes back from its append-only file (appendfsync always)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self._end_process()
        if not self._start():
            raise AssertionError(f"redis-server did not start again:\n{self.output()}")

    def _end_process(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # a paused one could not stop
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=TIMEOUT)
        if self._reader is not None:
            self._reader.join(TIMEOUT)  # its output is at EOF now that it is gone
        self.proc.stdout.close()
        self.proc = None

    def stop(self):
        """Ends redis-server (by PID) and removes its directory; again does nothing."""
        self._end_process()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


class Relay:
    """A TCP relay from a loopback port of its own to Redis's, standing for the network
    between one node and Redis: `url` is what that node's --cluster takes. cut() ends every
    connection through it and refuses new ones (each accepted and closed at once) until
    mend(); stop() ends it. Its threads end with the sockets they serve."""

    def __init__(self, port):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets = []  # both ends of every connection through it
        self._cut = False
        self._stopped = False
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # stopped
            with self._lock:
                refused = self._cut or self._stopped
            if refused:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=TIMEOUT)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    pump = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                    self._threads.append(pump)
                    pump.start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):  # one direction ended: the connection ends
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        """Ends every connection through the relay, and refuses new ones until mend()."""
        with self._lock:
            self._cut = True
            ends, self._sockets = self._sockets, []
        for end in ends:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def mend(self):
        with self._lock:
            self._cut = False

    def stop(self):
        with self._lock:
            self._stopped = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.listener.close()
        self.cut()
        for thread in self._threads:
            thread.join(TIMEOUT)


def listen_urls(listen):
    """--listen arguments for the schemes given (tcp, irc, ws), each on a free loopback port."""
    urls = []
    for scheme in listen:
        urls += ["--listen", f"{scheme}://127.0.0.1:0" + ("/ws" if scheme == "ws" else "")]
    return urls


def start_node(redis, data_dir, *args, listen=("tcp",), lease=None):
    """One socketchatd joined to `redis`'s world (--cluster `redis.url`: a RedisServer's, or
    a Relay's to it), or a node of its own when `redis` is None (then with in-memory
    history). Its data directory is `data_dir`.
    A node that does not start fails the test with the daemon's own words."""
    cluster = []
    if redis is not None:
        cluster = ["--cluster", redis.url]
        if lease is not None:
            cluster += ["--cluster-lease", str(lease)]
    else:
        cluster = ["--history", "memory"]
    argv = [*cluster, "--data-dir", data_dir, "--server-name", TEST_SERVER_NAME, *listen_urls(listen),
            *args]
    try:
        return Daemon(*argv)
    except AssertionError as error:
        raise AssertionError(f"socketchatd {' '.join(argv)} did not start: {error}") from None


class ClusterTestCase(DaemonTestCase):
    """Each test has a redis-server of its own (self.redis), stopped after the test's
    daemons; nodes() starts daemons joined to it, and the base ends them in tearDown."""

    def setUp(self):
        super().setUp()
        self.redis = RedisServer()
        self.addCleanup(self.redis.stop)  # cleanups run after tearDown: the nodes go first

    def nodes(self, count, *args, listen=("tcp",), lease=None):
        """`count` nodes of one world, node i in a data directory of its own."""
        started = []
        for _ in range(count):
            data_dir = os.path.join(self.tmp, f"node{len(self.daemons) + 1}")
            started.append(self.keep_daemon(start_node(self.redis, data_dir, *args, listen=listen,
                                                       lease=lease)))
        return started

    def user(self, node, name=None):
        """A line-protocol user over the node's tcp listener, logged in when named."""
        client = self.keep(Client(node.ports["tcp"]))
        return client.login(name) if name else client

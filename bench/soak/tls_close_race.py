#!/usr/bin/env python3
"""Fresh TLS handshakes beside TLS readers the server keeps dropping: a stress of the
moment a TLS connection is closed while one of its waits has just completed.

A sender broadcasts big messages; readers with a small receive buffer read them slowly,
so the server drops them (sendq-exceeded) as their sockets turn writable; meanwhile
fresh clients connect, handshake, PING and leave, taking the descriptor numbers the
dropped readers free. Every fresh client must complete its handshake and get its PONG:
a closed connection that still read or wrote its old descriptor number would break the
handshake of whichever client had it (UNEXPECTED_MESSAGE, WRONG_VERSION_NUMBER).

    bench/soak/tls_close_race.py build/apps/socketchatd/socketchatd [--seconds 60]

Exits 1 if any fresh client failed. docs/RELIABILITY.md has the figures.
"""
import argparse
import os
import random
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("socketchatd")
parser.add_argument("--seconds", type=float, default=60)
parser.add_argument("--readers", type=int, default=8)
parser.add_argument("--fresh", type=int, default=4, help="clients handshaking over and over")
args = parser.parse_args()

directory = tempfile.TemporaryDirectory(prefix="socketchat-tls-race-")
cert, key = os.path.join(directory.name, "c.crt"), os.path.join(directory.name, "c.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
               check=True, capture_output=True)
daemon = subprocess.Popen([args.socketchatd, "--listen", "tls://127.0.0.1:0", "--tls-cert", cert,
                           "--tls-key", key, "--history", "off", "--sendq-bytes", "65536",
                           "--send-buffer-bytes", "8192", "--rate", "0"],
                          stderr=subprocess.PIPE, text=True)
port = None
for line in daemon.stderr:
    if match := re.search(r"listening on tls://127\.0\.0\.1:(\d+)", line):
        port = int(match.group(1))
        break
if port is None:
    sys.exit("socketchatd did not start")
threading.Thread(target=lambda: daemon.stderr.read(), daemon=True).start()

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
end = time.monotonic() + args.seconds
failures = []
counts = {"fresh handshakes": 0, "reader connections": 0}
lock = threading.Lock()


def connect(rcvbuf=None):
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    return context.wrap_socket(sock, server_hostname="127.0.0.1")


def drain(tls):
    try:
        while tls.recv(65536):
            pass
    except (ssl.SSLError, OSError):
        pass


def sender():
    tls = connect()
    tls.sendall(b"LOGIN sender\n")
    threading.Thread(target=drain, args=(tls,), daemon=True).start()
    burst = (b"MSG " + b"x" * 3000 + b"\n") * 20
    while time.monotonic() < end:
        tls.sendall(burst)
        time.sleep(0.002)  # pacing


def reader(index):
    n = 0
    while time.monotonic() < end:
        n += 1
        try:
            tls = connect(rcvbuf=4096)
            tls.sendall(f"LOGIN r{index}x{n}\n".encode())
            while tls.recv(1024):
                time.sleep(random.uniform(0, 0.003))  # a slow reader, on purpose
        except (ssl.SSLError, OSError):
            pass  # dropped by the server: what a slow reader earns
        with lock:
            counts["reader connections"] += 1


def fresh(index):
    while time.monotonic() < end:
        try:
            with connect() as tls:
                tls.sendall(f"PING f{index}\n".encode())
                answer = b""
                while b"\n" not in answer:
                    more = tls.recv(100)
                    if not more:
                        raise ConnectionError("closed before the PONG")
                    answer += more
                if answer != f"PONG f{index}\n".encode():
                    raise ValueError(f"answered {answer!r}")
            with lock:
                counts["fresh handshakes"] += 1
        except (ssl.SSLError, OSError, ValueError) as e:
            with lock:
                failures.append(repr(e))


threads = [threading.Thread(target=sender)]
threads += [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
threads += [threading.Thread(target=fresh, args=(i,)) for i in range(args.fresh)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
daemon.terminate()
daemon.wait()
print(f"{counts['fresh handshakes']} fresh handshakes, {counts['reader connections']} "
      f"reader connections, {len(failures)} fresh clients failed")
for failure in failures[:10]:
    print("  ", failure)
sys.exit(1 if failures else 0)

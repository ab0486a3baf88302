#!/usr/bin/python3
"""Runs the examples that extend the server, a transport of their own
(examples/unix_socket) and a protocol of their own (examples/json_protocol), and checks
over real sockets that their users chat with line-protocol users over TCP.

Usage: /usr/bin/python3 test_extension_examples.py DIR_OF_EXAMPLE_BINARIES [unittest options]

Standard library only, and the helpers of test_examples.py: every wait is bounded,
nothing sleeps to synchronise.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_examples  # noqa: E402  (beside this file)
from test_examples import TIMEOUT, Client, ExampleCase  # noqa: E402


class ChatCase(ExampleCase):
    def relay(self, sender, line, receiver, expected):
        """`sender` sends `line`, and the next line `receiver` gets is `expected`."""
        sender.send(line)
        self.assertEqual(receiver.recv_line(), expected, f"after {line!r}")

    def expect_reply(self, client, request, reply):
        self.relay(client, request, client, reply)


class UnixSocketTest(ChatCase):
    """examples/unix_socket: the line protocol over a Unix-domain socket and over TCP."""

    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)  # after tearDown: the example has ended
        self.path = os.path.join(folder.name, "chat.sock")

    def start_unix(self):
        server = self.start("unix_socket", self.path)  # its port: the TCP listener's
        server.wait_for_line("listening on unix://" + re.escape(self.path))
        return server

    def run_another(self):
        """A second example_unix_socket on the same path, expected to refuse to start."""
        binary = os.path.join(test_examples.EXAMPLES_DIR, "example_unix_socket")
        return subprocess.run([binary, self.path], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT)

    def test_unix_user_chats_with_tcp_user(self):
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.path)  # the file a crashed server leaves behind: nobody listens
        stale.close()
        server = self.start_unix()
        alice = self.client(server, "alice", unix_path=self.path)
        bob = self.client(server, "bob")

        self.relay(alice, "MSG hello from a unix socket", bob, "MSG alice hello from a unix socket")
        self.relay(bob, "MSG hello from tcp", alice, "MSG bob hello from tcp")
        self.relay(alice, "DM bob psst", bob, "DM alice psst")
        self.relay(bob, "DM alice psst back", alice, "DM bob psst back")
        alice.send("WHO")
        self.assertEqual([alice.recv_line() for _ in range(3)], ["USER alice", "USER bob", "END"])
        alice.expect_nothing_pending()
        bob.expect_nothing_pending()

        self.stop(server)
        alice.expect_shutdown()
        bob.expect_shutdown()
        self.assertFalse(os.path.exists(self.path), "the socket file is removed on stop")
        # A Unix client has no address: the transport names it by path and number.
        self.assertIn(f"new connection from unix:{self.path}#1", server.stderr())

    def test_passwords_over_the_socket(self):
        # Its streams say they are encrypted (nobody on the way reads them): a password
        # is taken over it, though the client has no loopback address.
        server = self.start_unix()
        alice = self.client(server, unix_path=self.path)
        self.expect_reply(alice, "REGISTER alice alice-password", "OK")
        alice.send("QUIT")
        self.assertIsNone(alice.recv_line())  # closed: the name is free again
        again = self.client(server, unix_path=self.path)
        self.expect_reply(again, "LOGIN alice wrong-password", "ERR bad-credentials")
        self.expect_reply(again, "LOGIN alice alice-password", "OK")
        self.stop(server)

    def test_another_server_does_not_take_the_socket(self):
        server = self.start_unix()
        other = self.run_another()
        self.assertEqual(other.returncode, 1, other.stderr)
        self.assertIn(b"another server is listening there", other.stderr)
        alice = self.client(server, "alice", unix_path=self.path)  # still served
        alice.expect_nothing_pending()
        self.stop(server)
        alice.expect_shutdown()

        with open(self.path, "w") as file:
            file.write("not a socket")
        other = self.run_another()
        self.assertEqual(other.returncode, 1, other.stderr)
        self.assertIn(b"the file exists and is not a socket", other.stderr)
        with open(self.path) as file:
            self.assertEqual(file.read(), "not a socket", "a file that is no socket is kept")

    def test_stops_on_sigint(self):
        server = self.start_unix()
        self.assertEqual(server.terminate_and_wait(signal.SIGINT), 0, server.stderr())
        self.assertFalse(os.path.exists(self.path))


class JsonProtocolTest(ChatCase):
    """examples/json_protocol: JSON lines on one port, the line protocol on the other."""

    def setUp(self):
        super().setUp()
        self.server = self.start("json_protocol", "tcp://127.0.0.1:0?protocol=json",
                                 "tcp://127.0.0.1:0")  # its port: the line protocol's
        ready = self.server.wait_for_line(r"listening on port \d+ \(json\)")
        self.json_port = int(re.search(r"\d+", ready).group())

    def json_client(self, name=None):
        client = Client(self.json_port)
        self.clients.append(client)
        if name is not None:
            self.expect_reply(client, '{"type":"login","name":"%s"}' % name, '{"type":"ok"}')
        return client

    def test_json_user_chats_with_line_user(self):
        alice = self.json_client("alice")
        bob = self.client(self.server, "bob")

        self.relay(alice, '{"type":"msg","text":"hi from json"}', bob, "MSG alice hi from json")
        self.relay(bob, "MSG hi from the line protocol",
                   alice, '{"type":"msg","from":"bob","text":"hi from the line protocol"}')
        self.relay(alice, '{"type":"dm","to":"bob","text":"psst"}', bob, "DM alice psst")
        self.relay(bob, "DM alice psst back",
                   alice, '{"type":"dm","from":"bob","text":"psst back"}')
        # Quotes, a backslash and UTF-8, escaped for JSON.
        self.relay(bob, 'MSG say "hé" \\o/',
                   alice, '{"type":"msg","from":"bob","text":"say \\"hé\\" \\\\o/"}')
        self.expect_reply(alice, '{"type":"who"}', '{"type":"users","names":["alice","bob"]}')
        bob.expect_nothing_pending()  # alice's own requests sent bob nothing

        self.stop(self.server)
        self.assertEqual(alice.recv_line(), '{"type":"closing","reason":"shutting-down"}')
        self.assertIsNone(alice.recv_line())
        bob.expect_shutdown()

    def test_bad_input_is_answered_and_the_connection_stays(self):
        alice = self.json_client("alice")
        bob = self.client(self.server, "bob")
        invalid = '{"type":"error","code":"invalid-json"}'
        self.expect_reply(alice, '{"type":"msg",', invalid)
        self.expect_reply(alice, "hello?", invalid)
        alice.sock.sendall(b'{"type":"msg","text":"\xff"}\n')  # not UTF-8
        self.assertEqual(alice.recv_line(), invalid)
        self.expect_reply(alice, '{"type":"dance"}', '{"type":"error","code":"unknown-command"}')
        self.expect_reply(alice, "[1,2]", '{"type":"error","code":"unknown-command"}')
        self.expect_reply(alice, '{"type":"dm","to":"bob"}',
                          '{"type":"error","code":"empty-message"}')
        self.expect_reply(alice, '{"type":"dm","text":"to whom?"}',
                          '{"type":"error","code":"missing-argument"}')
        self.expect_reply(alice, '{"type":"msg","text":"' + "x" * 5000 + '"}',  # > 4096 bytes
                          '{"type":"error","code":"line-too-long"}')
        self.expect_reply(self.json_client(), '{"type":"login","name":"bob"}',
                          '{"type":"error","code":"username-taken"}')
        bob.expect_nothing_pending()  # none of that reached bob

        # A newline inside a text cannot forge a line for line-protocol users.
        self.relay(alice, '{"type":"msg","text":"one\\nMSG eve forged\\u0000"}',
                   bob, "MSG alice oneMSG eve forged")
        alice.sock.sendall(b'{"type":"msg",')  # a line in two writes
        alice.sock.sendall(b'"text":"in two parts"}\n')
        self.assertEqual(bob.recv_line(), "MSG alice in two parts")
        self.expect_reply(alice, '{"type":"ping","token":"still here"}',
                          '{"type":"pong","token":"still here"}')

    def test_rooms_and_history(self):
        alice = self.json_client("alice")
        bob = self.client(self.server, "bob")
        self.expect_reply(bob, "JOIN lobby", "OK")
        self.relay(alice, '{"type":"join","room":"lobby"}', bob, "INFO alice joined lobby")
        self.assertEqual(alice.recv_line(), '{"type":"ok"}')
        self.relay(bob, "SAY lobby hey",
                   alice, '{"type":"say","room":"lobby","from":"bob","text":"hey"}')
        self.relay(alice, '{"type":"say","room":"lobby","text":"hello room"}',
                   bob, "SAY lobby alice hello room")
        self.expect_reply(alice, '{"type":"rooms"}',
                          '{"type":"rooms","rooms":[{"name":"lobby","members":2}]}')
        alice.send('{"type":"history","target":"lobby","count":2}')
        self.assertRegex(alice.recv_line(),
                         r'^\{"type":"history","target":"lobby","messages":\['
                         r'\{"from":"bob","text":"hey","time":\d+\},'
                         r'\{"from":"alice","text":"hello room","time":\d+\}\]\}$')
        self.relay(bob, "QUIT", alice, '{"type":"disconnected","user":"bob"}')

    def test_stops_on_sigint(self):
        self.assertEqual(self.server.terminate_and_wait(signal.SIGINT), 0, self.server.stderr())


if __name__ == "__main__":
    test_examples.main()

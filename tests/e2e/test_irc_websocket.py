#!/usr/bin/python3
"""End-to-end tests of IRC over WebSocket (IRCv3's WebSocket specification): a
python3-websockets client that asks for the subprotocol text.ircv3.net (or
binary.ircv3.net) on the ordinary ws:// listener speaks IRC, one line per message
without CR LF, and chats with an `ncat` user of the line protocol and an irc:// user.
A client that asks for no subprotocol, or only for unknown ones, still speaks the line
protocol.

Usage: /usr/bin/python3 test_irc_websocket.py PATH/TO/socketchatd [unittest options]

Standard library, python3-websockets and the ncat program. Every wait is bounded.
"""

import os

import daemon as e2e
from daemon import Daemon, DaemonTestCase
from test_irc import SERVER, Irc, numeric, pong, source
from test_irssi import Ncat
from test_websocket import WsClient


class IrcOverWebSocket(Irc):
    """An IRC client over WebSocket: each line it sends is one message, each message it
    receives one line (checked: no CR or LF in it). Registration and the rest as Irc's."""

    def __init__(self, port, subprotocol="text.ircv3.net"):  # no socket of Irc's own
        self.binary = subprotocol.startswith("binary.")
        self.ws = WsClient(f"ws://127.0.0.1:{port}/ws", subprotocols=[subprotocol])
        self.nick = None

    @property
    def subprotocol(self):
        return self.ws.ws.subprotocol

    def send(self, *lines):
        for line in lines:
            self.ws.send_message(line.encode() if self.binary else line)

    def line(self):
        message = self.ws.message()
        if message is None:
            return None
        expected = bytes if self.binary else str
        assert isinstance(message, expected), f"a {type(message).__name__} message: {message!r}"
        if self.binary:
            message = message.decode()
        assert "\r" not in message and "\n" not in message, f"not one line: {message!r}"
        return message

    def close(self):
        self.ws.close()


class IrcOverWebSocketTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.daemon = self.keep_daemon(Daemon("--server-name", SERVER, "--listen", "tcp://127.0.0.1:0", "--listen",
                                              "irc://127.0.0.1:0", "--listen",
                                              "ws://127.0.0.1:0/ws"))

    def ws_irc(self, nick, subprotocol="text.ircv3.net"):
        client = self.keep(IrcOverWebSocket(self.daemon.ports["ws"], subprotocol))
        self.assertEqual(client.subprotocol, subprotocol)
        client.register(nick)
        return client

    def ncat(self, name):
        client = self.keep(Ncat(self.daemon.ports["tcp"], os.path.join(self.tmp, f"{name}.err")))
        return client.login(name)

    def irc(self, nick):
        client = self.keep(Irc(self.daemon.ports["irc"]))
        client.register(nick)
        return client

    def test_text_subprotocol_chats_with_an_ncat_user_and_an_irc_user(self):
        wendy = self.ws_irc("wendy")
        lina = self.ncat("lina")
        alice = self.irc("alice")

        wendy.send("PRIVMSG &public :hello from the browser")
        self.assertEqual(lina.line(), "MSG wendy hello from the browser")
        self.assertEqual(alice.line(), f"{source('wendy')} PRIVMSG &public :hello from the browser")

        lina.send("MSG hi wendy")
        self.assertEqual(wendy.line(), f"{source('lina')} PRIVMSG &public :hi wendy")
        self.assertEqual(alice.line(), f"{source('lina')} PRIVMSG &public :hi wendy")

        alice.send("PRIVMSG wendy :psst")
        self.assertEqual(wendy.line(), f"{source('alice')} PRIVMSG wendy :psst")
        wendy.send("PRIVMSG lina :and to you")
        self.assertEqual(lina.line(), "DM wendy and to you")

        # Rooms: the browser's JOIN echo and names, each line its own message.
        self.assertEqual(lina.ask("JOIN general"), "OK")
        wendy.send("JOIN #general")
        self.assertEqual(wendy.until(numeric(366, "wendy", "#general :End of /NAMES list.")), [
            f"{source('wendy')} JOIN #general",
            numeric(353, "wendy", "= #general :@lina wendy"),
            numeric(366, "wendy", "#general :End of /NAMES list."),
        ])
        self.assertEqual(lina.line(), "INFO wendy joined general")
        lina.send("SAY general in the room")
        self.assertEqual(wendy.line(), f"{source('lina')} PRIVMSG #general :in the room")

        wendy.send("QUIT :bye")
        self.assertEqual(wendy.line(), "ERROR :Closing Link: wendy (Quit: bye)")
        self.assertEqual(lina.line(), "INFO wendy disconnected")

    def test_binary_subprotocol_carries_the_same_lines_as_bytes(self):
        bob = self.ws_irc("bob", "binary.ircv3.net")
        lina = self.ncat("lina")
        bob.send("PING :check")
        self.assertEqual(bob.line(), pong("check"))
        lina.send("DM bob héllo")
        self.assertEqual(bob.line(), f"{source('lina')} PRIVMSG bob :héllo")
        bob.send("PRIVMSG lina :back")
        self.assertEqual(lina.line(), "DM bob back")

    def test_without_a_known_subprotocol_the_line_protocol_is_spoken(self):
        for offered in ([], ["chat.example.org"]):
            with self.subTest(offered=offered):
                client = self.keep(WsClient(f"ws://127.0.0.1:{self.daemon.ports['ws']}/ws",
                                            subprotocols=offered))
                self.assertIsNone(client.ws.subprotocol)
                self.assertEqual(client.ask("PING x"), "PONG x")

    def test_the_first_known_subprotocol_offered_wins(self):
        ws = self.keep(WsClient(f"ws://127.0.0.1:{self.daemon.ports['ws']}/ws",
                                subprotocols=["chat.example.org", "binary.ircv3.net",
                                              "text.ircv3.net"]))
        self.assertEqual(ws.ws.subprotocol, "binary.ircv3.net")


if __name__ == "__main__":
    e2e.main(__file__)

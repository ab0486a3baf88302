#!/usr/bin/python3
"""End-to-end tests of the irc:// and ircs:// listeners: the real socketchatd, Debian's
python3-irc as a real IRC bot, raw sockets for byte-exact lines (and for clients that
misbehave on purpose), line-protocol users over TCP and python3-websockets users over
ws://, all in one world.

Usage: /usr/bin/python3 test_irc.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_irc.py

Standard library, python3-irc, python3-websockets and the openssl CLI (for the ircs://
certificate). Every wait is bounded: sockets have timeouts, the bot's reactor runs with a
deadline, the daemon's log is awaited with a deadline. Nothing sleeps to synchronise:
"nothing else arrived" is shown by a PING whose PONG is the very next line.
"""

import os
import re
import socket
import time
import unittest

import irc.client
import irc.connection

import daemon as e2e
from daemon import TIMEOUT, Client, Daemon, DaemonTestCase
from irc_lines import TEST_SERVER_NAME, parse
from test_websocket import WsClient

SERVER = TEST_SERVER_NAME  # --server-name: in every numeric, and every user's host
MAX_LINE = 512  # RFC 2812 2.3: bytes in one IRC line, CR LF included
ISUPPORT = ("CHANTYPES=#& CHANLIMIT=#:20 NICKLEN=32 CHANNELLEN=33 USERLEN=11 CASEMAPPING=ascii PREFIX=(ov)@+ "
            "CHANMODES=b,k,l,imnt :are supported by this server")
ISUPPORT_2 = "MODES=4 TOPICLEN=390 KEYLEN=23 NETWORK=socketchat WHOX ELIST=MU CHATHISTORY=500 MSGREFTYPES=msgid,timestamp :are supported by this server"
# What CAP LS 302 (and later) and an older CAP LS list (docs/IRC.md, IRCv3).
CAPS_302 = "multi-prefix sasl=PLAIN message-tags server-time echo-message batch draft/chathistory cap-notify account-notify away-notify userhost-in-names extended-join labeled-response"
CAPS = "multi-prefix sasl message-tags server-time echo-message batch draft/chathistory cap-notify account-notify away-notify userhost-in-names extended-join labeled-response"
Reactor = getattr(irc.client, "Reactor", None) or irc.client.IRC  # named IRC in older versions (8.5)


def source(nick, user=None):
    """How a user appears as the source of what they send: ":nick!~user@server", the user
    name USER's (register() gives the nick in lower case) or a line user's name, cut to 10."""
    return f":{nick}!~{(user or nick)[:10]}@{SERVER}"


def welcome_text(nick, user=None):
    """The text of 001 to `nick`, registered with USER `user` (default: the nick in lower case)."""
    return f":Welcome to the socketchat IRC Network {source(nick, user or nick.lower())[1:]}"


def numeric(code, nick, rest):
    return f":{SERVER} {code:03d} {nick} {rest}"


def pong(token):
    return f":{SERVER} PONG {SERVER} :{token}"


def version_of(daemon):
    """The daemon's version, from its first "listening on" line."""
    return re.match(r"^socketchatd (\S+) listening on ", daemon.log()[0]).group(1)


class Irc:
    """One raw IRC connection (plain, or TLS when given an ssl.SSLContext) with a bounded
    wait on every read. line() is the next line the server sent without its CR LF (and
    checks that it ended with CR LF), or None at end of stream."""

    def __init__(self, port, tls=None, receive_buffer=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if receive_buffer:  # before connect(), so that the window starts small
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            self.sock.settimeout(TIMEOUT)
            self.sock.connect(("127.0.0.1", port))
            if tls is not None:
                self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        except BaseException:
            self.sock.close()
            raise
        self.buffer = b""
        self.nick = None

    def send(self, *lines):
        """Lines as one write, each ended with CR LF."""
        self.sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))

    def send_bytes(self, data):
        self.sock.sendall(data)

    def raw_line(self):
        """The next line as bytes, with its CR LF; None at end of stream."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                assert self.buffer == b"", f"the stream ended inside a line: {self.buffer!r}"
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line + b"\n"

    def line(self):
        raw = self.raw_line()
        if raw is None:
            return None
        assert raw.endswith(b"\r\n"), f"a line without CR LF: {raw!r}"
        return raw[:-2].decode()

    def lines(self, count):
        return [self.line() for _ in range(count)]

    def until(self, last):
        """Every line up to and including the line `last`."""
        lines = []
        while True:
            line = self.line()
            assert line is not None, f"closed before {last!r}; got {lines!r}"
            lines.append(line)
            if line == last:
                return lines

    def ask(self, line, count=1):
        self.send(line)
        return self.line() if count == 1 else self.lines(count)

    def register(self, nick, user=None):
        """NICK and USER (`user`, or the nick in lower case, with the real name "<nick> the
        tester"); the welcome burst up to the end of &public's names. With `user`, USER has
        come before."""
        if user is None:
            self.send(f"NICK {nick}", f"USER {nick.lower()} 0 * :{nick} the tester")
        else:
            self.send(f"NICK {nick}")
        first = self.line()
        assert first == numeric(1, nick, welcome_text(nick, user)), first
        self.nick = nick
        return [first] + self.until(numeric(366, nick, "&public :End of /NAMES list."))

    def at_eof(self):
        """True when the server has closed its side and sent nothing more."""
        while chunk := self.sock.recv(65536):
            self.buffer += chunk
        return self.buffer == b""

    def close(self):
        self.sock.close()


class Bot:
    """A python3-irc client driven from the test's thread: wait() runs the reactor
    (process_once) until an event that matches comes, or fails at a deadline. The
    library answers the server's PING itself."""

    def __init__(self, port, nick, tls=None):
        self.reactor = Reactor()
        self.events = []  # not yet taken by wait(); raw lines are in self.raw
        self.raw = []
        self.sockets = []  # python3-irc does not close its socket when the server has closed it
        self.reactor.add_global_handler("all_events", self._record, 10)

        def wrap(sock):
            sock.settimeout(TIMEOUT)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
            self.sockets.append(sock)
            return sock

        factory = irc.connection.Factory(wrapper=wrap)
        self.connection = self.reactor.server().connect("127.0.0.1", port, nick, ircname="python3-irc bot",
                                                        connect_factory=factory)

    def _record(self, connection, event):
        if event.type == "all_raw_messages":
            self.raw.append(event.arguments[0])
        else:
            self.events.append(event)

    def wait(self, kind, source=None, target=None, arguments=None, timeout=TIMEOUT):
        """The first event of type `kind` not yet taken whose source (nick!user@host),
        target and arguments are the ones given; the events before it stay."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if (event.type == kind and (source is None or event.source == source)
                        and (target is None or event.target == target)
                        and (arguments is None or list(event.arguments) == arguments)):
                    del self.events[i]
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(e.type, e.source, e.target, e.arguments) for e in self.events]
                raise AssertionError(f"no {kind} event from {source} to {target} {arguments}; "
                                     f"events: {seen}")
            self.reactor.process_once(min(left, 0.05))

    def close(self):
        try:
            if self.connection.is_connected():
                self.connection.close()
        except Exception:
            pass  # the server closed first
        for sock in self.sockets:
            sock.close()


class IrcTestCase(DaemonTestCase):
    """A daemon per test through start(), clients through irc(), line() and ws(): the base
    ends them all in tearDown."""

    def start(self, *args, listen=("irc", "tcp"), history="memory"):
        urls = []
        for scheme in listen:
            urls += ["--listen", f"{scheme}://127.0.0.1:0" + ("/ws" if scheme == "ws" else "")]
        if "ircs" in listen:
            urls += ["--tls-cert", self.cert, "--tls-key", self.key]
        return self.keep_daemon(Daemon("--history", history, "--server-name", SERVER, *urls, *args))

    def irc(self, daemon, nick=None, scheme="irc", **options):
        """A raw IRC connection, registered as `nick` when one is given."""
        tls = self.trusted if scheme == "ircs" else None
        client = self.keep(Irc(daemon.ports[scheme], tls=tls, **options))
        if nick:
            client.register(nick)
        return client

    def line(self, daemon, name=None):
        """A line-protocol user over TCP, logged in as `name` when one is given."""
        client = self.keep(Client(daemon.ports["tcp"]))
        return client.login(name) if name else client

    def ws(self, daemon, name):
        return self.keep(WsClient(f"ws://127.0.0.1:{daemon.ports['ws']}/ws")).login(name)

    def bot(self, daemon, nick, scheme="irc"):
        return self.keep(Bot(daemon.ports[scheme], nick, tls=self.trusted if scheme == "ircs" else None))

    def assertAlive(self, client, token="alive"):
        """PING answers PONG as the very next line: nothing else was queued for the client."""
        if isinstance(client, Irc):
            self.assertEqual(client.ask(f"PING {token}"), pong(token))
        else:
            self.assertEqual(client.ask(f"PING {token}"), f"PONG {token}")

    def assertReplies(self, client, lines, expected):
        """Sends the lines in one write; the replies are exactly `expected`, then nothing."""
        client.send(*lines, "PING end")
        self.assertEqual(client.until(pong("end")), [*expected, pong("end")])

    def join(self, client, channel, names):
        """JOIN as an IRC client: the echo, then the channel's names."""
        nick = client.nick
        self.assertEqual(client.ask(f"JOIN {channel}", 3), [
            f"{source(nick)} JOIN {channel}",
            numeric(353, nick, f"= {channel} :{names}"),
            numeric(366, nick, f"{channel} :End of /NAMES list."),
        ])

    def general_of_three(self, daemon):
        """#general with lina (line protocol), then alice and bob (IRC) in it, every join
        seen by those already there. Returns (lina, alice, bob)."""
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN general"), "OK")
        alice = self.irc(daemon, "alice")
        bob = self.irc(daemon, "bob")
        self.join(alice, "#general", "alice @lina")
        self.assertEqual(lina.line(), "INFO alice joined general")
        self.join(bob, "#general", "alice bob @lina")
        self.assertEqual(alice.line(), f"{source('bob')} JOIN #general")
        self.assertEqual(lina.line(), "INFO bob joined general")
        return lina, alice, bob


class BotTest(IrcTestCase):
    def test_python_irc_bot_chats_with_line_and_websocket_users(self):
        daemon = self.start(listen=("irc", "tcp", "ws"))
        lina = self.line(daemon, "lina")
        webb = self.ws(daemon, "webb")
        for user in (lina, webb):
            self.assertEqual(user.ask("JOIN general"), "OK")
        self.assertEqual(lina.line(), "INFO webb joined general")

        bot = self.bot(daemon, "bot")
        welcome = bot.wait("welcome", target="bot")
        self.assertEqual(welcome.arguments, [welcome_text("bot")[1:]])
        self.assertEqual(bot.connection.features.network, "socketchat")  # from 005
        self.assertEqual("".join(bot.connection.features.chantypes), "#&")  # a str or a list, by version
        bot.wait("join", source=f"bot!~bot@{SERVER}", target="&public")
        bot.connection.join("#general")
        bot.wait("join", source=f"bot!~bot@{SERVER}", target="#general")
        names = bot.wait("namreply", arguments=["=", "#general", "bot @lina webb"])
        self.assertEqual(names.target, "bot")
        for user in (lina, webb):
            self.assertEqual(user.line(), "INFO bot joined general")

        # Room messages, both ways.
        lina.send("SAY general hello from a line")
        bot.wait("pubmsg", source=f"lina!~lina@{SERVER}", target="#general", arguments=["hello from a line"])
        self.assertEqual(webb.line(), "SAY general lina hello from a line")
        webb.send("SAY general hello from the web")
        bot.wait("pubmsg", source=f"webb!~webb@{SERVER}", target="#general", arguments=["hello from the web"])
        self.assertEqual(lina.line(), "SAY general webb hello from the web")
        bot.connection.privmsg("#general", "hello from irc")
        for user in (lina, webb):
            self.assertEqual(user.line(), "SAY general bot hello from irc")

        # Direct messages, both ways.
        lina.send("DM bot psst from a line")
        bot.wait("privmsg", source=f"lina!~lina@{SERVER}", target="bot", arguments=["psst from a line"])
        webb.send("DM bot psst from the web")
        bot.wait("privmsg", source=f"webb!~webb@{SERVER}", target="bot", arguments=["psst from the web"])
        bot.connection.privmsg("lina", "hi lina")
        self.assertEqual(lina.line(), "DM bot hi lina")
        bot.connection.privmsg("webb", "hi webb")
        self.assertEqual(webb.line(), "DM bot hi webb")

        # The public feed (the line protocol's MSG) is the channel &public.
        lina.send("MSG hi")
        bot.wait("pubmsg", source=f"lina!~lina@{SERVER}", target="&public", arguments=["hi"])
        self.assertEqual(webb.line(), "MSG lina hi")
        bot.connection.privmsg("&public", "hi all from irc")
        for user in (lina, webb):
            self.assertEqual(user.line(), "MSG bot hi all from irc")

        # What the bot received, byte for byte.
        self.assertLessEqual({
            f":lina!~lina@{SERVER} PRIVMSG #general :hello from a line",
            f":webb!~webb@{SERVER} PRIVMSG bot :psst from the web",
            f":lina!~lina@{SERVER} PRIVMSG &public :hi",
        }, set(bot.raw))

        for user in (lina, webb):
            user.send("WHO")
            self.assertEqual(user.lines_until_end(), ["USER bot", "USER lina", "USER webb"])

        # Leaving and disconnecting, as the bot sees them.
        self.assertEqual(lina.ask("PART general"), "OK")
        bot.wait("part", source=f"lina!~lina@{SERVER}", target="#general")
        self.assertEqual(webb.line(), "INFO lina left general")
        lina.send("QUIT")
        self.assertIsNone(lina.line())
        bot.wait("quit", source=f"lina!~lina@{SERVER}", arguments=["Quit"])
        self.assertEqual(webb.line(), "INFO lina disconnected")

        # Everything the bot was sent was expected above: no echo of its own messages.
        self.assertEqual([(e.type, e.source, e.target, e.arguments) for e in bot.events
                          if e.type in ("pubmsg", "privmsg", "pubnotice", "privnotice")], [])

        bot.connection.quit("done here")
        bot.wait("error", target="Closing Link: bot (Quit: done here)")  # python3-irc: the text is the target
        bot.wait("disconnect")
        self.assertEqual(webb.line(), "INFO bot disconnected")
        self.assertAlive(webb)


class RegistrationTest(IrcTestCase):
    def test_welcome_burst(self):
        daemon = self.start()
        version = version_of(daemon)
        self.line(daemon, "lina")
        alice = self.irc(daemon)
        alice.send("NICK alice", "USER alice 0 * :Alice Liddell")
        burst = alice.lines(10)
        self.assertEqual(burst[:2], [
            numeric(1, "alice", welcome_text("alice")),
            numeric(2, "alice", f":Your host is {SERVER}, running version {version}"),
        ])
        self.assertRegex(burst[2], rf"^:{SERVER} 003 alice :This server was created "
                                   r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
        self.assertEqual(burst[3:], [
            numeric(4, "alice", f"{SERVER} {version} i biklmnotv"),
            numeric(5, "alice", ISUPPORT),
            numeric(5, "alice", ISUPPORT_2),
            numeric(422, "alice", ":MOTD File is missing"),
            f"{source('alice')} JOIN &public",
            numeric(353, "alice", "= &public :alice"),  # only the newcomer: NAMES &public lists everyone
            numeric(366, "alice", "&public :End of /NAMES list."),
        ])
        tokens = dict(token.partition("=")[::2] for token in parse(burst[4])[2][1:-1])
        self.assertEqual(tokens["CHANTYPES"], "#&")
        self.assertEqual(tokens["NICKLEN"], "32")
        self.assertEqual(tokens["CASEMAPPING"], "ascii")
        self.assertAlive(alice)
        self.assertEqual(self.irc(daemon).register("Bob")[-2], numeric(353, "Bob", "= &public :Bob"))
        self.assertReplies(alice, ["NAMES &public"], [  # everyone, whatever the protocol, sorted without case
            numeric(353, "alice", "= &public :alice Bob lina"),
            numeric(366, "alice", "&public :End of /NAMES list."),
        ])

    def test_cap_ls_holds_registration_until_cap_end(self):
        daemon = self.start()
        carol = self.irc(daemon)
        self.assertReplies(carol, ["CAP LS 302", "NICK carol", "USER carol 0 * :Carol"],
                           [f":{SERVER} CAP * LS :{CAPS_302}"])  # and no 001: registration waits
        self.assertReplies(carol, ["CAP REQ :chghost sasl", "CAP LIST", "CAP REQ :multi-prefix",
                                   "CAP LIST", "CAP BOGUS"], [
            f":{SERVER} CAP * NAK :chghost sasl",  # all or nothing
            f":{SERVER} CAP * LIST :cap-notify",  # on unasked with CAP LS 302 (IRCv3)
            f":{SERVER} CAP * ACK :multi-prefix",
            f":{SERVER} CAP * LIST :multi-prefix cap-notify",
            numeric(410, "*", "BOGUS :Invalid CAP command"),
        ])
        self.assertEqual(self.line(daemon).ask("LOGIN CAROL"), "OK")  # the nick is not taken yet
        carol.send("NICK carol2", "CAP END")
        self.assertEqual(carol.line(), numeric(1, "carol2", welcome_text("carol2", "carol")))
        carol.nick = "carol2"
        carol.until(numeric(366, "carol2", "&public :End of /NAMES list."))
        self.assertReplies(carol, ["CAP LS"], [f":{SERVER} CAP carol2 LS :{CAPS}"])  # nothing held now

    def test_nick_errors_then_a_free_nick_registers(self):
        daemon = self.start()
        self.line(daemon, "Lina")
        dave = self.irc(daemon)
        self.assertReplies(dave, ["NICK", "NICK :", "USER dave 0 * :Dave"],
                           [numeric(431, "*", ":No nickname given")] * 2)
        bad = ["9-x!", "-dave", "_dave", "d" * 33, "dav\u00e9", "#dave", "dave@home", "da,ve"]
        self.assertReplies(dave, [f"NICK {nick}" for nick in bad],
                           [numeric(432, "*", f"{nick} :Erroneous nickname") for nick in bad])
        # Names are unique across both protocols, without regard to case.
        self.assertReplies(dave, ["NICK LINA", "NICK lina"],
                           [numeric(433, "*", "LINA :Nickname is already in use"),
                            numeric(433, "*", "lina :Nickname is already in use")])
        dave.send("NICK dave-2.x_y")
        self.assertEqual(dave.line(), numeric(1, "dave-2.x_y", welcome_text("dave-2.x_y", "dave")))
        dave.nick = "dave-2.x_y"
        dave.until(numeric(366, dave.nick, "&public :End of /NAMES list."))
        self.assertAlive(dave)
        # NICKLEN=32: 32 characters are a nick, 33 are not.
        longest = self.irc(daemon)
        self.assertReplies(longest, ["USER x 0 * :x", "NICK " + "n" * 33],
                           [numeric(432, "*", "n" * 33 + " :Erroneous nickname")])
        longest.register("N" * 32, user="x")
        # USER needs its four parameters.
        self.assertReplies(self.irc(daemon), ["NICK eve", "USER eve 0 *"],
                           [numeric(461, "*", "USER :Not enough parameters")])

    def test_a_line_user_cannot_take_an_irc_nick(self):
        daemon = self.start()
        self.irc(daemon, "Alice")
        lina = self.line(daemon)
        self.assertEqual(lina.ask("LOGIN alice"), "ERR username-taken")
        self.assertEqual(lina.ask("LOGIN ALICE"), "ERR username-taken")
        self.assertReplies(self.irc(daemon), ["NICK aLiCe", "USER a 0 * :a"],
                           [numeric(433, "*", "aLiCe :Nickname is already in use")])

    def test_commands_before_registration_get_451(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        early = self.irc(daemon)
        commands = ["JOIN #general", "PRIVMSG lina :hi", "NOTICE lina :hi", "WHO", "WHOIS lina", "LIST",
                    "NAMES", "TOPIC #general", "MODE lina", "AWAY :gone", "USERHOST lina", "PART #general",
                    "FOO bar"]
        self.assertReplies(early, commands, [numeric(451, "*", ":You have not registered")] * len(commands))
        self.assertAlive(lina)  # nothing reached her
        self.assertReplies(early, ["PONG :whatever"], [])
        early.send("QUIT")
        self.assertEqual(early.line(), "ERROR :Closing Link: * (Quit: Client quit)")
        self.assertTrue(early.at_eof())
        self.assertAlive(lina)  # no one had logged in: no one is announced

    def test_462_after_registration_and_the_same_nick_is_nothing(self):
        daemon = self.start()
        alice = self.irc(daemon, "alice")
        self.assertReplies(alice, ["USER alice 0 * :again", "PASS secret", "NICK alice"], [
            numeric(462, "alice", ":You may not reregister"),
            numeric(462, "alice", ":You may not reregister"),
        ])


class ChannelTest(IrcTestCase):
    def test_join_echo_names_and_what_others_see(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)
        # Again, and &public (everyone is in it): nothing.
        self.assertReplies(alice, ["JOIN #general", "JOIN &public", "join #GENERAL"], [])
        # A list of channels, one created by this JOIN.
        self.assertReplies(alice, ["JOIN #second,#general,#third"], [
            f"{source('alice')} JOIN #second", numeric(353, "alice", "= #second :@alice"),
            numeric(366, "alice", "#second :End of /NAMES list."),
            f"{source('alice')} JOIN #third", numeric(353, "alice", "= #third :@alice"),
            numeric(366, "alice", "#third :End of /NAMES list."),
        ])
        self.assertAlive(lina)
        self.assertEqual(lina.ask("JOIN third"), "OK")
        self.assertEqual(alice.line(), f"{source('lina')} JOIN #third")
        # Room messages, every way.
        lina.send("SAY general from the line")
        for irc_user in (alice, bob):
            self.assertEqual(irc_user.line(), f"{source('lina')} PRIVMSG #general :from the line")
        alice.send("PRIVMSG #general :from irc")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG #general :from irc")
        self.assertEqual(lina.line(), "SAY general alice from irc")
        self.assertAlive(alice)  # no echo of her own message

    def test_join_errors(self):
        daemon = self.start()
        alice = self.irc(daemon, "alice")
        self.assertReplies(alice, ["JOIN general", "JOIN #bad!name", "JOIN #", "JOIN #" + "r" * 33,
                                   "JOIN &other", "JOIN"], [
            numeric(403, "alice", "general :No such channel"),
            numeric(403, "alice", "#bad!name :No such channel"),
            numeric(403, "alice", "# :No such channel"),
            numeric(403, "alice", "#" + "r" * 33 + " :No such channel"),
            numeric(403, "alice", "&other :No such channel"),
            numeric(461, "alice", "JOIN :Not enough parameters"),
        ])
        self.join(alice, "#" + "r" * 32, "@alice")  # CHANNELLEN=33

    def test_part_echo_and_errors(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)

        # The reason reaches everyone: IRC users in the PART, line users after the room.
        self.assertReplies(alice, ["PART #general :see \x02you\x02"],
                           [f"{source('alice')} PART #general :see you"])
        self.assertEqual(bob.line(), f"{source('alice')} PART #general :see you")
        self.assertEqual(lina.line(), "INFO alice left general see you")
        self.assertReplies(alice, ["PART #general", "PART #nosuch", "PART general", "PART &public", "PART"], [
            numeric(442, "alice", "#general :You're not on that channel"),
            numeric(442, "alice", "#nosuch :You're not on that channel"),
            numeric(403, "alice", "general :No such channel"),
            f":{SERVER} NOTICE alice :&public is the public feed and cannot be left",
            numeric(461, "alice", "PART :Not enough parameters"),
        ])
        self.assertEqual(lina.ask("PART general  off to lunch "), "OK")
        self.assertEqual(bob.line(), f"{source('lina')} PART #general :off to lunch")
        self.assertAlive(alice)  # not in the room any more: told nothing

    def test_privmsg_and_notice_targets_and_errors(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        alice = self.irc(daemon, "alice")
        bob = self.irc(daemon, "bob")
        self.assertEqual(lina.ask("JOIN general"), "OK")
        self.assertReplies(alice, [
            "PRIVMSG #nochan :x", "PRIVMSG #general :x", "PRIVMSG nobody :x", "PRIVMSG", "PRIVMSG lina",
            "PRIVMSG lina :", "PRIVMSG lina :   ",
        ], [
            numeric(404, "alice", "#nochan :Cannot send to channel"),
            numeric(404, "alice", "#general :Cannot send to channel"),  # not a member
            numeric(401, "alice", "nobody :No such nick/channel"),
            numeric(411, "alice", ":No recipient given (PRIVMSG)"),
            numeric(412, "alice", ":No text to send"),
            numeric(412, "alice", ":No text to send"),
            numeric(412, "alice", ":No text to send"),
        ])
        # NOTICE is never answered with an error (RFC 2812 3.3.2).
        self.assertReplies(alice, ["NOTICE nobody :x", "NOTICE", "NOTICE lina", "NOTICE #nochan :x",
                                   "NOTICE #general :x"], [])
        self.assertAlive(lina)

        alice.send("PRIVMSG lina :a direct message")
        self.assertEqual(lina.line(), "DM alice a direct message")
        alice.send("NOTICE lina :a notice")  # delivered like any message
        self.assertEqual(lina.line(), "DM alice a notice")
        alice.send("PRIVMSG &public :to everyone")
        self.assertEqual(lina.line(), "MSG alice to everyone")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG &public :to everyone")
        alice.send("privmsg lina,bob :to both")  # a lower-case command, a list of targets
        self.assertEqual(lina.line(), "DM alice to both")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG bob :to both")
        # A client's own prefix and message tags change nothing.
        alice.send("@time=2020-01-01T00:00:00Z :bob!bob@elsewhere PRIVMSG lina :not from bob")
        self.assertEqual(lina.line(), "DM alice not from bob")
        alice.send("PRIVMSG Lina :  padded text  ")
        self.assertEqual(lina.line(), "DM alice padded text")
        self.assertAlive(alice)

        lina.send("DM alice from the line")
        self.assertEqual(alice.line(), f"{source('lina')} PRIVMSG alice :from the line")
        lina.send("MSG to the feed")
        self.assertEqual(alice.line(), f"{source('lina')} PRIVMSG &public :to the feed")
        self.assertEqual(bob.line(), f"{source('lina')} PRIVMSG &public :to the feed")
        bob.send("PRIVMSG ALICE :case does not matter")
        self.assertEqual(alice.line(), f"{source('bob')} PRIVMSG alice :case does not matter")

    def test_names(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN general"), "OK")
        alice = self.irc(daemon, "alice")
        self.irc(daemon, "Bob")
        self.assertReplies(alice, ["NAMES #general", "NAMES &public", "NAMES", "NAMES #nochan",
                                   "NAMES general", "NAMES #general,&public"], [
            numeric(353, "alice", "= #general :@lina"),  # membership is not needed
            numeric(366, "alice", "#general :End of /NAMES list."),
            numeric(353, "alice", "= &public :alice Bob lina"),
            numeric(366, "alice", "&public :End of /NAMES list."),
            numeric(366, "alice", "* :End of /NAMES list."),
            numeric(366, "alice", "#nochan :End of /NAMES list."),
            numeric(366, "alice", "general :End of /NAMES list."),
            numeric(353, "alice", "= #general :@lina"),
            numeric(366, "alice", "#general :End of /NAMES list."),
            numeric(353, "alice", "= &public :alice Bob lina"),
            numeric(366, "alice", "&public :End of /NAMES list."),
        ])


class QueryTest(IrcTestCase):
    def test_who_whois_list(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN general"), "OK")
        self.assertEqual(lina.ask("JOIN zoo"), "OK")
        alice = self.irc(daemon, "alice")
        self.join(alice, "#general", "alice @lina")

        def who(channel, nick, real_name=None, flags="H"):
            return numeric(352, "alice", f"{channel} ~{nick} {SERVER} {SERVER} {nick} {flags} :0 "
                                         f"{real_name or nick}")

        self.assertReplies(alice, ["WHO #general", "WHO &public", "WHO LINA", "WHO nobody", "WHO #nochan",
                                   "WHO"], [
            who("#general", "alice", "alice the tester"), who("#general", "lina", flags="H@"),
            numeric(315, "alice", "#general :End of /WHO list."),
            who("&public", "alice", "alice the tester"), who("&public", "lina"),
            numeric(315, "alice", "&public :End of /WHO list."),
            who("*", "lina"), numeric(315, "alice", "LINA :End of /WHO list."),
            numeric(315, "alice", "nobody :End of /WHO list."),
            numeric(315, "alice", "#nochan :End of /WHO list."),
            numeric(315, "alice", "* :End of /WHO list."),
        ])
        self.assertReplies(alice, ["WHOIS lina", f"WHOIS {SERVER} alice", "WHOIS nobody", "WHOIS",
                                   "WHOWAS gone", "WHOWAS"], [
            numeric(311, "alice", f"lina ~lina {SERVER} * :lina"),
            numeric(312, "alice", f"lina {SERVER} :socketchat"),
            numeric(318, "alice", "lina :End of /WHOIS list."),
            numeric(311, "alice", f"alice ~alice {SERVER} * :alice the tester"),
            numeric(312, "alice", f"alice {SERVER} :socketchat"),
            numeric(318, "alice", "alice :End of /WHOIS list."),
            numeric(401, "alice", "nobody :No such nick/channel"),
            numeric(318, "alice", "nobody :End of /WHOIS list."),
            numeric(431, "alice", ":No nickname given"),
            numeric(406, "alice", "gone :There was no such nickname"),  # no nick history is kept
            numeric(369, "alice", "gone :End of WHOWAS"),
            numeric(431, "alice", ":No nickname given"),
        ])
        self.assertReplies(alice, ["LIST"], [
            numeric(321, "alice", "Channel :Users  Name"),
            numeric(322, "alice", "#general 2 :"),
            numeric(322, "alice", "#zoo 1 :"),
            numeric(323, "alice", ":End of /LIST"),
        ])

    def test_topic_mode_away_userhost(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        alice = self.irc(daemon, "alice")
        self.assertEqual(lina.ask("JOIN general"), "OK")  # lina's room: alice is no operator
        self.join(alice, "#general", "alice @lina")
        self.assertEqual(lina.line(), "INFO alice joined general")
        self.assertReplies(alice, ["TOPIC #general", "TOPIC #general :a new topic", "TOPIC &public",
                                   "TOPIC #nochan", "TOPIC"], [
            numeric(331, "alice", "#general :No topic is set"),
            numeric(482, "alice", "#general :You're not channel operator"),
            numeric(331, "alice", "&public :No topic is set"),
            numeric(403, "alice", "#nochan :No such channel"),
            numeric(461, "alice", "TOPIC :Not enough parameters"),
        ])
        alice.send("MODE #general")
        self.assertEqual(alice.line(), numeric(324, "alice", "#general +nt"))
        prefix, code, params = parse(alice.line())
        self.assertEqual((prefix, code, params[:2]), (SERVER, "329", ["alice", "#general"]))
        created = int(params[2])  # when lina's JOIN made the room
        self.assertLessEqual(abs(created - time.time()), 60)
        self.assertReplies(alice, ["MODE #general b", "MODE #general +b",
                                   "MODE #general +o lina", "MODE &public", "MODE #nochan", "MODE alice",
                                   "MODE alice +i", "MODE lina", "MODE"], [
            numeric(368, "alice", "#general :End of channel ban list"),
            numeric(368, "alice", "#general :End of channel ban list"),
            numeric(482, "alice", "#general :You're not channel operator"),
            numeric(324, "alice", "&public +nt"),
            numeric(403, "alice", "#nochan :No such channel"),
            numeric(221, "alice", "+"),
            # MODE alice +i: accepted, changes nothing, no reply
            numeric(502, "alice", ":Cannot change mode for other users"),
            numeric(461, "alice", "MODE :Not enough parameters"),
        ])
        self.assertReplies(alice, ["USERHOST alice nobody lina", "ISON :LINA nobody alice"], [
            numeric(302, "alice", f":alice=+~alice@{SERVER} lina=+~lina@{SERVER}"),
            numeric(303, "alice", ":lina alice"),  # as each spelled its name
        ])
        self.assertAlive(lina)  # none of it reached anyone else

    def test_who_masks_whox_and_list_masks(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)
        self.assertEqual(self.line(daemon, "linus").ask("JOIN lounge"), "OK")

        def who(channel, nick, real_name=None, flags="H"):
            return numeric(352, "alice", f"{channel} ~{nick} {SERVER} {SERVER} {nick} {flags} :0 "
                                         f"{real_name or nick}")

        # Masks of nicks (* and ?), "*" for everyone; "o": operators only (none here).
        self.assertReplies(alice, ["WHO LIN*", "WHO ?ob", "WHO * o", "WHO *"], [
            who("*", "lina"), who("*", "linus"), numeric(315, "alice", "LIN* :End of /WHO list."),
            who("*", "bob", "bob the tester"), numeric(315, "alice", "?ob :End of /WHO list."),
            numeric(315, "alice", "* :End of /WHO list."),
            who("*", "alice", "alice the tester"), who("*", "bob", "bob the tester"), who("*", "lina"),
            who("*", "linus"), numeric(315, "alice", "* :End of /WHO list."),
        ])
        # WHOX, as WeeChat and HexChat ask it: the fields in WHOX's order, whatever was asked.
        self.assertReplies(alice, ["WHO #general %tnuhsraf,123", "WHO bob %na", "WHO nobody %n"], [
            numeric(354, "alice", f"123 ~alice {SERVER} {SERVER} alice H 0 :alice the tester"),
            numeric(354, "alice", f"123 ~bob {SERVER} {SERVER} bob H 0 :bob the tester"),
            numeric(354, "alice", f"123 ~lina {SERVER} {SERVER} lina H@ 0 :lina"),
            numeric(315, "alice", "#general :End of /WHO list."),
            numeric(354, "alice", "bob 0"),
            numeric(315, "alice", "bob :End of /WHO list."),
            numeric(315, "alice", "nobody :End of /WHO list."),
        ])
        # LIST with masks and ELIST's member bounds.
        self.assertReplies(alice, ["LIST #gen*", "LIST >2", "LIST <2", "LIST #lounge,#nothing"], [
            numeric(321, "alice", "Channel :Users  Name"), numeric(322, "alice", "#general 3 :"),
            numeric(323, "alice", ":End of /LIST"),
            numeric(321, "alice", "Channel :Users  Name"), numeric(322, "alice", "#general 3 :"),
            numeric(323, "alice", ":End of /LIST"),
            numeric(321, "alice", "Channel :Users  Name"), numeric(322, "alice", "#lounge 1 :"),
            numeric(323, "alice", ":End of /LIST"),
            numeric(321, "alice", "Channel :Users  Name"), numeric(322, "alice", "#lounge 1 :"),
            numeric(323, "alice", ":End of /LIST"),
        ])

    def test_away_is_shown_to_others(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)
        self.assertReplies(bob, ["AWAY :gone \x02fishing\x02"],
                           [numeric(306, "bob", ":You have been marked as being away")])
        alice.send("NOTICE bob :no answer to this", "PRIVMSG bob :are you there?")
        self.assertEqual(alice.line(), numeric(301, "alice", "bob :gone fishing"))  # to the PRIVMSG
        self.assertEqual(bob.line(), f"{source('alice')} NOTICE bob :no answer to this")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG bob :are you there?")
        self.assertReplies(alice, ["WHOIS bob", "WHO #general", "USERHOST bob alice"], [
            numeric(311, "alice", f"bob ~bob {SERVER} * :bob the tester"),
            numeric(312, "alice", f"bob {SERVER} :socketchat"),
            numeric(301, "alice", "bob :gone fishing"),
            numeric(318, "alice", "bob :End of /WHOIS list."),
            numeric(352, "alice", f"#general ~alice {SERVER} {SERVER} alice H :0 alice the tester"),
            numeric(352, "alice", f"#general ~bob {SERVER} {SERVER} bob G :0 bob the tester"),
            numeric(352, "alice", f"#general ~lina {SERVER} {SERVER} lina H@ :0 lina"),
            numeric(315, "alice", "#general :End of /WHO list."),
            numeric(302, "alice", f":bob=-~bob@{SERVER} alice=+~alice@{SERVER}"),
        ])
        self.assertReplies(bob, ["AWAY"], [numeric(305, "bob", ":You are no longer marked as being away")])
        self.assertReplies(alice, ["PRIVMSG bob :back?", "WHO bob"], [
            numeric(352, "alice", f"* ~bob {SERVER} {SERVER} bob H :0 bob the tester"),
            numeric(315, "alice", "bob :End of /WHO list."),
        ])  # no 301 now
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG bob :back?")
        # An away user that leaves is not away when the name comes back.
        self.assertReplies(bob, ["AWAY :bye"], [numeric(306, "bob", ":You have been marked as being away")])
        bob.send("QUIT")
        self.assertEqual(alice.line(), f"{source('bob')} QUIT :Quit")
        again = self.irc(daemon, "bob")
        self.assertReplies(alice, ["WHO bob"], [
            numeric(352, "alice", f"* ~bob {SERVER} {SERVER} bob H :0 bob the tester"),
            numeric(315, "alice", "bob :End of /WHO list."),
        ])
        self.assertAlive(again)
        self.assertEqual(lina.line(), "INFO bob disconnected")
        self.assertAlive(lina)

    def test_lusers_and_join_0(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)
        self.join(alice, "#second", "@alice")
        self.assertReplies(alice, ["LUSERS"], [
            numeric(251, "alice", ":There are 3 users and 0 invisible on 1 servers"),
            numeric(254, "alice", "2 :channels formed"),
            numeric(255, "alice", ":I have 3 clients and 0 servers"),
            numeric(265, "alice", "3 3 :Current local users 3, max 3"),
            numeric(266, "alice", "3 3 :Current global users 3, max 3"),
        ])
        # JOIN 0: out of every channel, each PART seen by its members (and the leaver).
        self.assertReplies(alice, ["JOIN 0"], [f"{source('alice')} PART #general",
                                               f"{source('alice')} PART #second"])
        self.assertEqual(bob.line(), f"{source('alice')} PART #general")
        self.assertEqual(lina.line(), "INFO alice left general")
        self.assertReplies(alice, ["JOIN 0"], [])  # in none: nothing
        lina.send("QUIT")
        self.assertEqual(alice.line(), f"{source('lina')} QUIT :Quit")
        self.assertReplies(alice, ["LUSERS"], [
            numeric(251, "alice", ":There are 2 users and 0 invisible on 1 servers"),
            numeric(254, "alice", "1 :channels formed"),
            numeric(255, "alice", ":I have 2 clients and 0 servers"),
            numeric(265, "alice", "2 3 :Current local users 2, max 3"),
            numeric(266, "alice", "2 3 :Current global users 2, max 3"),
        ])

    def test_ping_pong_and_unknown_commands(self):
        daemon = self.start()
        alice = self.irc(daemon, "alice")
        self.assertReplies(alice, ["PING token", "PING :two words", "ping lower", "PING", f"PONG :{SERVER}",
                                   "PONG", "FOO bar", "foo", "KILL bob", "KNOCK #general"], [
            pong("token"), pong("two words"), pong("lower"),
            numeric(409, "alice", ":No origin specified"),
            numeric(421, "alice", "FOO :Unknown command"),
            numeric(421, "alice", "foo :Unknown command"),
            numeric(421, "alice", "KILL :Unknown command"),
            numeric(421, "alice", "KNOCK :Unknown command"),
        ])
        # PING works before registration too.
        self.assertEqual(self.irc(daemon).ask("PING early"), pong("early"))


class KindsTest(IrcTestCase):
    """NOTICE, CTCP and /me between IRC, line and browser users."""

    def test_notice_action_and_ctcp(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)
        # An action: CTCP ACTION to IRC users, "/me ..." to line users, both ways.
        alice.send("PRIVMSG #general :\x01ACTION waves\x01")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG #general :\x01ACTION waves\x01")
        self.assertEqual(lina.line(), "SAY general alice /me waves")
        lina.send("SAY general /me nods")
        self.assertEqual(alice.line(), f"{source('lina')} PRIVMSG #general :\x01ACTION nods\x01")
        self.assertEqual(bob.line(), f"{source('lina')} PRIVMSG #general :\x01ACTION nods\x01")
        # A NOTICE stays a NOTICE for IRC users, and is a message to line users.
        alice.send("NOTICE #general :heads up", "NOTICE lina :psst")
        self.assertEqual(bob.line(), f"{source('alice')} NOTICE #general :heads up")
        self.assertEqual(lina.line(), "SAY general alice heads up")
        self.assertEqual(lina.line(), "DM alice psst")
        # CTCP queries and replies pass between IRC users unchanged, and to nobody else.
        alice.send("PRIVMSG bob :\x01VERSION\x01", "PRIVMSG #general :\x01PING 42\x01")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG bob :\x01VERSION\x01")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG #general :\x01PING 42\x01")
        bob.send("NOTICE alice :\x01VERSION HexChat 2.16\x01")
        self.assertEqual(alice.line(), f"{source('bob')} NOTICE alice :\x01VERSION HexChat 2.16\x01")
        alice.send("PRIVMSG lina :\x01VERSION\x01")  # a line user gets no CTCP
        self.assertAlive(lina)
        # History keeps the messages as line users saw them, and no CTCP.
        lina.send("HISTORY general")
        self.assertEqual([line.split(" ", 3)[3] for line in lina.lines_until_end()],
                         ["alice /me waves", "lina /me nods", "alice heads up"])

    def test_a_maximal_privmsg_arrives_whole_in_lines_of_512_bytes(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)
        head = "PRIVMSG #general :"
        text = "\u00e9" * ((MAX_LINE - 2 - len(head)) // 2)  # 2-byte characters, up to 510 bytes
        alice.send(head + text)
        got = ""
        prefix = f"{source('alice')} {head}"
        while len(got) < len(text):
            line = bob.raw_line()
            self.assertLessEqual(len(line), MAX_LINE)
            decoded = line.decode("utf-8")  # cut between characters
            self.assertTrue(decoded.startswith(prefix) and decoded.endswith("\r\n"), decoded)
            got += decoded[len(prefix):-2]
        self.assertEqual(got, text)
        self.assertEqual(lina.line(), f"SAY general alice {text}")


class RenameTest(IrcTestCase):
    """NICK after registration, and the line protocol's RENAME: one name each, across both."""

    def test_nick_renames_and_everyone_is_told(self):
        daemon = self.start("--rename-interval", "0")
        lina, alice, bob = self.general_of_three(daemon)
        self.assertReplies(alice, ["NICK alice"], [])  # the same nick: nothing
        alice.send("NICK Alicia")
        self.assertEqual(alice.line(), f"{source('alice')} NICK :Alicia")  # to the user itself
        self.assertEqual(bob.line(), f"{source('alice')} NICK :Alicia")
        self.assertEqual(lina.line(), "INFO alice renamed Alicia")
        alice.nick = "Alicia"
        me = source("Alicia", "alice")
        # The new name is the user's everywhere: its rooms, DMs, lists; the old one is free.
        alice.send("PRIVMSG #general :still here")
        self.assertEqual(bob.line(), f"{me} PRIVMSG #general :still here")
        self.assertEqual(lina.line(), "SAY general Alicia still here")
        lina.send("DM alicia hi")
        self.assertEqual(alice.line(), f"{source('lina')} PRIVMSG Alicia :hi")
        lina.send("WHO general")
        self.assertEqual(lina.lines_until_end(), ["USER Alicia", "USER bob", "USER lina"])
        self.assertEqual(self.line(daemon).ask("LOGIN alice"), "OK")
        # Taken, invalid: 433, 432; a change of case only is a rename too.
        self.assertReplies(alice, ["NICK BOB", "NICK alice", "NICK 9!"], [
            numeric(433, "Alicia", "BOB :Nickname is already in use"),
            numeric(433, "Alicia", "alice :Nickname is already in use"),
            numeric(432, "Alicia", "9! :Erroneous nickname"),
        ])
        alice.send("NICK ALICIA")
        self.assertEqual(bob.line(), f"{me} NICK :ALICIA")
        self.assertEqual(lina.line(), "INFO Alicia renamed ALICIA")
        # A line user renames with RENAME; IRC users see its NICK.
        self.assertEqual(lina.ask("RENAME lena"), "OK")
        self.assertEqual(bob.line(), f"{source('lina')} NICK :lena")
        self.assertEqual(lina.ask("RENAME bob"), "ERR username-taken")
        self.assertEqual(lina.ask("RENAME"), "ERR missing-argument")
        self.assertEqual(lina.ask("RENAME l n"), "ERR invalid-username")

    def test_renames_are_rate_limited(self):
        daemon = self.start("--rename-interval", "30")
        lina, alice, bob = self.general_of_three(daemon)
        # The first rename at once; the next within 30 s of it is too fast.
        alice.send("NICK zed")
        self.assertEqual(alice.line(), f"{source('alice')} NICK :zed")
        self.assertEqual(bob.line(), f"{source('alice')} NICK :zed")
        alice.nick = "zed"
        self.assertReplies(alice, ["NICK ned"],
                           [numeric(438, "zed", "ned :Nick change too fast. Please wait a while.")])
        self.assertEqual(lina.line(), "INFO alice renamed zed")
        self.assertEqual(lina.ask("RENAME lena"), "OK")
        self.assertEqual(lina.ask("RENAME lina"), "ERR rate-limited")
        self.assertEqual(bob.line(), f"{source('lina')} NICK :lena")
        self.assertAlive(bob)


class IdentityTest(IrcTestCase):
    """The server's name, and what USER says of a user, as other users see them."""

    def test_user_name_and_real_name_are_shown_to_everyone(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN general"), "OK")
        bob = self.irc(daemon, "bob")
        self.join(bob, "#general", "bob @lina")
        self.assertEqual(lina.line(), "INFO bob joined general")
        zed = self.irc(daemon)
        # Only what a name may hold is kept of USER's user name (no '@', no '!'), cut to 10
        # bytes; the real name is trimmed.
        zed.send("NICK Zed", "USER z@e!d_x.y-1234567 0 * :  Zed Zebra  ")
        self.assertEqual(zed.line(), numeric(1, "Zed", welcome_text("Zed", "zed_x.y-12")))
        zed.until(numeric(366, "Zed", "&public :End of /NAMES list."))
        zed.nick = "Zed"
        me = source("Zed", "zed_x.y-12")
        self.assertEqual(zed.ask("JOIN #general", 3)[0], f"{me} JOIN #general")
        self.assertEqual(bob.line(), f"{me} JOIN #general")
        self.assertEqual(lina.line(), "INFO Zed joined general")
        zed.send("PRIVMSG #general :hi", "PRIVMSG bob :psst", "PART #general")
        self.assertEqual(bob.lines(3), [f"{me} PRIVMSG #general :hi", f"{me} PRIVMSG bob :psst",
                                        f"{me} PART #general"])
        self.assertEqual([lina.line(), lina.line()], ["SAY general Zed hi", "INFO Zed left general"])
        self.assertReplies(bob, ["WHOIS zed", "WHO Zed", "WHO #general"], [
            numeric(311, "bob", f"Zed ~zed_x.y-12 {SERVER} * :Zed Zebra"),
            numeric(312, "bob", f"Zed {SERVER} :socketchat"),
            numeric(318, "bob", "zed :End of /WHOIS list."),
            numeric(352, "bob", f"* ~zed_x.y-12 {SERVER} {SERVER} Zed H :0 Zed Zebra"),
            numeric(315, "bob", "Zed :End of /WHO list."),
            numeric(352, "bob", f"#general ~bob {SERVER} {SERVER} bob H :0 bob the tester"),
            numeric(352, "bob", f"#general ~lina {SERVER} {SERVER} lina H@ :0 lina"),
            numeric(315, "bob", "#general :End of /WHO list."),
        ])
        self.assertReplies(zed, ["USERHOST Zed"], [
            f"{me} PART #general",  # its own PART's echo, from before
            numeric(302, "Zed", f":Zed=+~zed_x.y-12@{SERVER}"),
        ])
        zed.send("QUIT")
        zed.until("ERROR :Closing Link: Zed (Quit: Client quit)")
        self.assertEqual(bob.line(), f"{me} QUIT :Quit")
        self.assertEqual(lina.line(), "INFO Zed disconnected")

    def test_user_without_a_real_name_is_461(self):
        daemon = self.start()
        eve = self.irc(daemon)
        self.assertReplies(eve, ["NICK eve", "USER eve 0 * :", "USER eve 0 * :   ", "USER eve 0 *"],
                           [numeric(461, "*", "USER :Not enough parameters")] * 3)
        eve.register("eve")  # then a full USER registers

    def test_server_name_is_the_hosts_unless_given(self):
        daemon = self.keep_daemon(Daemon("--history", "memory", "--listen", "irc://127.0.0.1:0"))
        host = socket.gethostname()
        expected = host if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}", host) else "socketchat"
        client = self.keep(Irc(daemon.ports["irc"]))
        self.assertEqual(client.ask("PING x"), f":{expected} PONG {expected} :x")
        client.send("NICK amy", "USER amy 0 * :Amy")
        self.assertEqual(client.line(), f":{expected} 001 amy :Welcome to the socketchat IRC Network "
                                        f"amy!~amy@{expected}")

    def test_motd_version_time_admin_info(self):
        motd = os.path.join(self.tmp, "motd.txt")
        with open(motd, "w", encoding="utf-8") as f:
            f.write("Welcome to the test server.\r\n\nBe kind: \u00e9t\u00e9 \x1b[31mred\n" + "x" * 100)
        daemon = self.start("--motd", motd)
        alice = self.irc(daemon)
        alice.send("NICK alice", "USER alice 0 * :Alice")
        burst = alice.until(numeric(366, "alice", "&public :End of /NAMES list."))
        shown = [
            numeric(375, "alice", f":- {SERVER} Message of the Day -"),
            numeric(372, "alice", ":- Welcome to the test server."),
            numeric(372, "alice", ":- "),
            numeric(372, "alice", ":- Be kind: \u00e9t\u00e9 [31mred"),  # no escape character
            numeric(372, "alice", ":- " + "x" * 80),  # lines wrapped at 80 bytes
            numeric(372, "alice", ":- " + "x" * 20),
            numeric(376, "alice", ":End of /MOTD command."),
        ]
        self.assertEqual(burst[6:13], shown)
        alice.nick = "alice"
        self.assertReplies(alice, ["MOTD"], shown)
        version = version_of(daemon)
        alice.send("VERSION", "TIME", "ADMIN", "INFO")
        self.assertEqual(alice.lines(3), [numeric(351, "alice", f"socketchat-{version}. {SERVER} :"),
                                          numeric(5, "alice", ISUPPORT), numeric(5, "alice", ISUPPORT_2)])
        self.assertRegex(alice.line(), rf"^:{re.escape(SERVER)} 391 alice {re.escape(SERVER)} "
                                       r":\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
        self.assertEqual(alice.line(), numeric(423, "alice", f"{SERVER} :No administrative info available"))
        info = alice.until(numeric(374, "alice", ":End of /INFO list"))
        self.assertTrue(all(line.startswith(f":{SERVER} 371 alice :") for line in info[:-1]))
        self.assertIn(version, info[0])
        # Without --motd: 422, at registration (RegistrationTest) and to MOTD.
        plain = self.start()
        bob = self.irc(plain, "bob")
        self.assertReplies(bob, ["MOTD"], [numeric(422, "bob", ":MOTD File is missing")])


class QuitTest(IrcTestCase):
    def test_quit_sends_error_then_closes_and_others_see_it(self):
        daemon = self.start()
        lina, alice, bob = self.general_of_three(daemon)

        alice.send("QUIT :see you")
        self.assertEqual(alice.line(), "ERROR :Closing Link: alice (Quit: see you)")
        self.assertTrue(alice.at_eof())
        self.assertEqual(lina.line(), "INFO alice disconnected")  # once, though they shared a room
        self.assertEqual(bob.line(), f"{source('alice')} QUIT :Quit: see you")
        self.assertAlive(lina)
        self.assertAlive(bob)
        daemon.wait_for_log(r"^\[DISCONNECT\] alice disconnected$")

        again = self.irc(daemon, "alice")  # the nick is free again at once
        again.send("QUIT")
        self.assertEqual(again.line(), "ERROR :Closing Link: alice (Quit: Client quit)")
        self.assertTrue(again.at_eof())
        self.assertEqual(lina.line(), "INFO alice disconnected")

        # A connection that just ends, without QUIT.
        carol = self.irc(daemon, "carol")
        carol.close()
        self.assertEqual(bob.line(), f"{source('alice')} QUIT :Quit")
        self.assertEqual(bob.line(), f"{source('carol')} QUIT :Quit")
        self.assertEqual(lina.line(), "INFO carol disconnected")

        # A line user's QUIT reason reaches IRC users; line users see the seed's line.
        lena = self.line(daemon, "lena")
        lena.send("QUIT lunch time")
        self.assertEqual(bob.line(), f"{source('lena')} QUIT :Quit: lunch time")
        self.assertEqual(lina.line(), "INFO lena disconnected")

    def test_a_line_user_disconnect_is_a_quit(self):
        daemon = self.start()
        alice = self.irc(daemon, "alice")
        lina = self.line(daemon, "lina")
        lina.send("QUIT")
        self.assertIsNone(lina.line())
        self.assertEqual(alice.line(), f"{source('lina')} QUIT :Quit")
        lena = self.line(daemon, "lena")
        lena.close()  # no QUIT: the connection ends
        self.assertEqual(alice.line(), f"{source('lena')} QUIT :Quit")
        self.assertAlive(alice)


class BadInputTest(IrcTestCase):
    def test_line_length_limit(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        alice = self.irc(daemon, "alice")
        head = "PRIVMSG lina :"
        longest = head + "x" * (MAX_LINE - 2 - len(head))  # 510 bytes, and the CR LF
        alice.send(longest)
        self.assertEqual(lina.line(), "DM alice " + "x" * (MAX_LINE - 2 - len(head)))
        self.assertReplies(alice, [longest + "y", "PRIVMSG lina :" + "z" * 600], [
            numeric(417, "alice", ":Input line was too long"),
            numeric(417, "alice", ":Input line was too long"),
        ])
        alice.send_bytes(b"PRIVMSG lina :" + b"w" * 600 + b"\n")  # LF alone ends a line too
        self.assertEqual(alice.line(), numeric(417, "alice", ":Input line was too long"))
        self.assertAlive(lina)  # none of the long lines reached her
        alice.send("PRIVMSG lina :still works")
        self.assertEqual(lina.line(), "DM alice still works")

    def test_invalid_utf8_gets_a_notice(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        alice = self.irc(daemon, "alice")
        notice = f":{SERVER} NOTICE alice :Line ignored: not valid UTF-8"
        alice.send_bytes(b"PRIVMSG lina :caf\xc3\r\n"  # cut short
                         b"PRIVMSG lina :\xff\xfe\r\n"  # never UTF-8
                         b"\xc0\xaf\r\n"  # an overlong "/"
                         b"PRIVMSG \xed\xa0\x80 :x\r\n")  # a surrogate
        self.assertEqual(alice.lines(4), [notice] * 4)
        self.assertAlive(alice)
        self.assertAlive(lina)
        alice.send("PRIVMSG lina :caf\u00e9 \u2603")  # valid UTF-8 goes through as it is
        self.assertEqual(lina.line(), "DM alice caf\u00e9 \u2603")

    def test_garbage_empty_lines_and_spaces(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        alice = self.irc(daemon, "alice")
        alice.send_bytes(b"\r\n\n\r\n   \r\n \t \r\n:prefix.only\r\n@tags=only\r\n@tag :prefix\r\n"
                         b"\x80\x81\x82garbage\r\n" + bytes(range(0x80, 0x100)) + b"\r\n")
        notice = f":{SERVER} NOTICE alice :Line ignored: not valid UTF-8"
        self.assertEqual(alice.lines(3), [numeric(421, "alice", "\t :Unknown command"), notice, notice])
        self.assertAlive(alice)
        alice.send("PRIVMSG lina :after the garbage")
        self.assertEqual(lina.line(), "DM alice after the garbage")
        self.assertIsNone(daemon.proc.poll())

    def test_a_megabyte_without_a_newline(self):
        daemon = self.start()
        lina = self.line(daemon, "lina")
        bob = self.irc(daemon, "bob")
        alice = self.irc(daemon, "alice")
        alice.send_bytes(b"PRIVMSG lina :" + b"z" * (1024 * 1024))
        self.assertEqual(alice.line(), numeric(417, "alice", ":Input line was too long"))
        self.assertAlive(bob)  # others are served meanwhile
        self.assertAlive(lina)
        bob.send("PRIVMSG lina :meanwhile")
        self.assertEqual(lina.line(), "DM bob meanwhile")
        # The rest of the line is dropped up to its end; then the connection goes on.
        alice.send_bytes(b"z" * 4096 + b"\r\n")
        self.assertAlive(alice)
        alice.send("PRIVMSG lina :after a megabyte")
        self.assertEqual(lina.line(), "DM alice after a megabyte")
        self.assertAlive(lina)  # nothing of the megabyte arrived


class LimitsTest(IrcTestCase):
    def test_rate_limit_is_263(self):
        # A burst of 4 commands and then one every 10 s: none comes back during the test.
        daemon = self.start("--rate", "0.1", "--rate-burst", "4")
        lina = self.line(daemon, "lina")  # LOGIN spends one of lina's
        alice = self.irc(daemon, "alice")  # registration spends one of alice's
        alice.send("PRIVMSG lina :one", "PRIVMSG &public :two", "PING a", "PRIVMSG lina :three", "PING b",
                   "JOIN #general")
        self.assertEqual(alice.lines(4), [
            pong("a"),
            numeric(263, "alice", "PRIVMSG :Please wait a while and try again."),
            numeric(263, "alice", "PING :Please wait a while and try again."),
            numeric(263, "alice", "JOIN :Please wait a while and try again."),
        ])
        self.assertEqual([lina.line(), lina.line()], ["DM alice one", "MSG alice two"])
        # "three" was dropped: what lina hears next is someone else.
        marker = self.line(daemon, "mark")
        marker.send("DM lina marker")
        self.assertEqual(lina.line(), "DM mark marker")

    def test_idle_client_is_pinged_and_a_pong_keeps_it(self):
        daemon = self.start("--idle-timeout", "0.5", "--login-timeout", "0")
        alice = self.irc(daemon, "alice")
        quiet_since = time.monotonic()
        self.assertEqual(alice.line(), f"PING :{SERVER}")
        self.assertGreaterEqual(time.monotonic() - quiet_since, 0.4)  # not before the idle time (timer slack)
        alice.send(f"PONG :{SERVER}")
        quiet_since = time.monotonic()
        self.assertEqual(alice.line(), f"PING :{SERVER}")  # kept, and idle again
        self.assertGreaterEqual(time.monotonic() - quiet_since, 0.4)
        alice.send("PING any-line")  # any line answers, not only a PONG
        self.assertEqual(alice.line(), pong("any-line"))
        self.assertEqual(alice.line(), f"PING :{SERVER}")
        pinged = time.monotonic()  # and now silence
        self.assertEqual(alice.line(), "ERROR :Closing Link: alice (Ping timeout)")
        self.assertGreaterEqual(time.monotonic() - pinged, 0.4)
        self.assertTrue(alice.at_eof())
        daemon.wait_for_log(r"^\[DISCONNECT\] alice disconnected$")

    def test_login_timeout(self):
        daemon = self.start("--login-timeout", "0.5", "--idle-timeout", "0")
        alice = self.irc(daemon, "alice")
        silent = self.irc(daemon)
        chatty = self.irc(daemon)
        negotiating = self.irc(daemon)
        opened = time.monotonic()
        self.assertReplies(chatty, ["NICK chatty"], [])  # no USER: never registered
        self.assertEqual(negotiating.ask("CAP LS"), f":{SERVER} CAP * LS :{CAPS}")
        negotiating.send("NICK neg", "USER neg 0 * :n")  # and never CAP END
        for client in (silent, chatty, negotiating):
            self.assertEqual(client.line(), "ERROR :Closing Link: * (Registration timed out)")
            self.assertTrue(client.at_eof())
        self.assertGreaterEqual(time.monotonic() - opened, 0.4)
        self.assertAlive(alice)  # registered in time: no timeout for her
        self.assertEqual(self.line(daemon).ask("LOGIN chatty"), "OK")  # never taken

    def test_a_reader_too_slow_for_its_sendq_is_dropped(self):
        daemon = self.start("--rate", "0", "--sendq-bytes", "65536", "--send-buffer-bytes", "4096",
                            "--log-messages", "false")
        lina = self.line(daemon, "lina")
        slow = self.irc(daemon, receive_buffer=4096)
        slow.register("slow")  # and reads nothing from now on
        flood = ("MSG " + "f" * 1000 + "\n").encode() * 16
        deadline = time.monotonic() + 10 * TIMEOUT
        while not any("sendq-exceeded" in line for line in daemon.log()):
            self.assertLess(time.monotonic(), deadline, "the slow reader was never dropped")
            lina.sock.sendall(flood)
        daemon.wait_for_log(r"^\[ERROR\] sendq-exceeded user=slow ")
        self.assertEqual(lina.line(), "INFO slow disconnected")
        self.assertAlive(lina)
        self.assertAlive(self.irc(daemon, "fast"))

    def test_connection_limits(self):
        daemon = self.start("--max-connections-per-ip", "2", "--connection-limit-exempt", "")
        self.irc(daemon, "alice")
        self.line(daemon, "lina")
        refused = self.irc(daemon)
        self.assertEqual(refused.line(), "ERROR :Closing Link: (Too many connections from your address)")
        self.assertTrue(refused.at_eof())

        daemon = self.start("--max-connections", "1")
        alice = self.irc(daemon, "alice")
        refused = self.irc(daemon)
        self.assertEqual(refused.line(), "ERROR :Closing Link: (Server full)")
        self.assertTrue(refused.at_eof())
        self.assertAlive(alice)


    def test_room_limits_are_405_and_437_and_chanlimit_tells(self):
        daemon = self.start("--rate", "0", "--max-rooms", "3", "--max-rooms-per-user", "2")
        alice = self.irc(daemon)
        burst = alice.register("alice")
        self.assertEqual(burst[4], numeric(5, "alice", ISUPPORT.replace("CHANLIMIT=#:20", "CHANLIMIT=#:2")))
        self.join(alice, "#a", "@alice")
        self.join(alice, "#b", "@alice")
        # Her third: 405, no NAMES; &public is no room and counts for nothing.
        self.assertReplies(alice, ["JOIN #c", "JOIN &public"], [
            numeric(405, "alice", "#c :You have joined too many channels"),
        ])
        bob = self.irc(daemon, "bob")
        self.join(bob, "#c", "@bob")  # the server's third room
        self.assertReplies(bob, ["JOIN #d,#A"], [
            numeric(437, "bob", "#d :Cannot create channel: the server has too many channels"),
            f"{source('bob')} JOIN #A",  # a room that exists may still be joined
            numeric(353, "bob", "= #A :@alice bob"),
            numeric(366, "bob", "#A :End of /NAMES list."),
        ])
        self.assertEqual(alice.line(), f"{source('bob')} JOIN #a")
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN d"), "ERR too-many-rooms")
        self.assertReplies(bob, ["PART #c", "JOIN #d"], [
            f"{source('bob')} PART #c",
            f"{source('bob')} JOIN #d",
            numeric(353, "bob", "= #d :@bob"),
            numeric(366, "bob", "#d :End of /NAMES list."),
        ])

    def test_long_lists_end_with_416_and_the_asker_stays(self):
        # Replies of at most 2048 bytes: a quarter of --sendq-bytes.
        daemon = self.start("--rate", "0", "--max-rooms-per-user", "0", "--max-line-bytes", "1024",
                            "--sendq-bytes", "8192")
        alice = self.irc(daemon, "alice")
        rooms = [f"#room{i:04}" for i in range(200)]
        alice.send(*(f"JOIN {room}" for room in rooms))
        alice.until(numeric(366, "alice", "#room0199 :End of /NAMES list."))

        # 321 (53 bytes), 322 lines of 46, the 416 (77) and 323 (46): 40 rooms fit.
        alice.send("LIST")
        listed = alice.until(numeric(323, "alice", ":End of /LIST"))
        self.assertEqual(listed, [numeric(321, "alice", "Channel :Users  Name")]
                         + [numeric(322, "alice", f"{room} 1 :") for room in rooms[:40]]
                         + [numeric(416, "alice", "LIST :output too large, truncated (160 more)"),
                            numeric(323, "alice", ":End of /LIST")])
        self.assertEqual(sum(len(line) + 2 for line in listed), 2016)
        self.assertAlive(alice)

        # 60 line users of 32-character names in #room0000: NAMES and WHO are cut too.
        names = [f"user{100 + i}" + "x" * 25 for i in range(60)]
        for name in names:
            self.assertEqual(self.line(daemon, name).ask("JOIN room0000"), "OK")
        while (line := alice.line()) != f"{source(names[-1])} JOIN #room0000":
            self.assertRegex(line, r" JOIN #room0000$")
        for command, end in (("NAMES", 366), ("WHO", 315)):
            alice.send(f"{command} #room0000")
            got = alice.until(numeric(end, "alice", f"#room0000 :End of /{command} list."))
            self.assertLessEqual(sum(len(line) + 2 for line in got), 2048)
            self.assertRegex(got[-2], rf"^:{SERVER} 416 alice {command} :output too large, "
                                      r"truncated \(\d+ more\)$")
            if command == "NAMES":
                shown = " ".join(line.split(" :", 1)[1] for line in got[:-2]).split(" ")
                self.assertTrue(all(line.startswith(f":{SERVER} 353 alice = #room0000 :") for line in got[:-2]))
            else:
                shown = [line.split(" ")[7] for line in got[:-2]]
                self.assertTrue(all(line.startswith(f":{SERVER} 352 alice #room0000 ") for line in got[:-2]))
            everyone = sorted(["alice"] + names, key=str.lower)
            if command == "NAMES":  # alice made the room: its operator
                everyone = ["@" + nick if nick == "alice" else nick for nick in everyone]
            self.assertEqual(shown, everyone[:len(shown)])
            self.assertGreater(len(shown), 5)
            self.assertEqual(got[-2].split("(")[1], f"{len(everyone) - len(shown)} more)")
        self.assertAlive(alice)


class IrcsTest(IrcTestCase):
    CERTIFICATE_CN = "irc.test"

    def test_ircs_user_chats_with_a_plain_irc_user(self):
        daemon = self.start(listen=("ircs", "irc", "tcp"))
        alice = self.irc(daemon, scheme="ircs")
        self.assertIn(alice.sock.version(), ("TLSv1.2", "TLSv1.3"))
        alice.register("alice")
        bob = self.irc(daemon, "bob")
        lina = self.line(daemon, "lina")
        self.join(alice, "#general", "@alice")
        self.join(bob, "#general", "@alice bob")
        self.assertEqual(alice.line(), f"{source('bob')} JOIN #general")

        alice.send("PRIVMSG #general :over tls")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG #general :over tls")
        bob.send("PRIVMSG #general :in the clear")
        self.assertEqual(alice.line(), f"{source('bob')} PRIVMSG #general :in the clear")
        bob.send("PRIVMSG alice :psst")
        self.assertEqual(alice.line(), f"{source('bob')} PRIVMSG alice :psst")
        alice.send("PRIVMSG &public :hello all")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG &public :hello all")
        self.assertEqual(lina.line(), "MSG alice hello all")

        alice.send("QUIT :bye")
        self.assertEqual(alice.line(), "ERROR :Closing Link: alice (Quit: bye)")
        self.assertEqual(bob.line(), f"{source('alice')} QUIT :Quit: bye")
        self.assertEqual(lina.line(), "INFO alice disconnected")

    def test_python_irc_bot_over_ircs(self):
        daemon = self.start(listen=("ircs", "irc", "tcp"))
        bob = self.irc(daemon, "bob")
        bot = self.bot(daemon, "tlsbot", scheme="ircs")
        bot.wait("welcome", target="tlsbot")
        bot.connection.privmsg("bob", "hello over tls")
        self.assertEqual(bob.line(), f"{source('tlsbot')} PRIVMSG bob :hello over tls")
        bob.send("PRIVMSG tlsbot :hello in the clear")
        bot.wait("privmsg", source=f"bob!~bob@{SERVER}", target="tlsbot", arguments=["hello in the clear"])

    def test_plain_text_on_the_ircs_port_harms_no_one(self):
        daemon = self.start(listen=("ircs", "irc", "tcp"))
        alice = self.irc(daemon, "alice", scheme="ircs")
        plain = self.keep(Irc(daemon.ports["ircs"]))
        plain.send("NICK mallory", "USER m 0 * :m")
        received = b""
        try:
            while chunk := plain.sock.recv(4096):  # closed: the socket's timeout bounds the wait
                received += chunk
        except ConnectionResetError:
            pass  # closed with our bytes unread: as good
        self.assertNotIn(b"socketchat", received)  # a TLS alert at most, no IRC
        daemon.wait_for_log(r"^\[ERROR\] tls-handshake-failed remote=127\.0\.0\.1:\d+ ")
        self.assertAlive(alice)
        self.assertReplies(alice, ["WHO &public"], [
            numeric(352, "alice", f"&public ~alice {SERVER} {SERVER} alice H :0 alice the tester"),
            numeric(315, "alice", "&public :End of /WHO list."),
        ])  # no mallory
        self.assertIsNone(daemon.proc.poll())


class LongAndOddLinesTest(IrcTestCase):
    """Every line the server sends is one IRC line: at most 512 bytes, no NUL, no CR but
    the one before the LF (RFC 2812 2.3 and 2.3.1)."""

    def test_long_line_protocol_messages_arrive_as_several_whole_irc_lines(self):
        # A line-protocol user may send 4096 bytes; an IRC line holds 512.
        daemon = self.start()
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN general"), "OK")
        alice = self.irc(daemon, "alice")
        self.join(alice, "#general", "alice @lina")
        self.assertEqual(lina.line(), "INFO alice joined general")
        text = "\u00e9" * 1500  # 3000 bytes of two-byte characters
        for command, target in ((f"MSG {text}", "&public"), (f"SAY general {text}", "#general"),
                                (f"DM alice {text}", "alice")):
            lina.send(command)
            pieces = []
            raw = alice.raw_line()  # the first piece: the rest is queued behind it
            alice.send("PING sync")  # answered after the last piece
            while raw != pong("sync").encode() + b"\r\n":
                self.assertIsNotNone(raw)
                self.assertLessEqual(len(raw), MAX_LINE, f"{len(raw)} bytes to {target}")
                prefix, verb, params = parse(raw.decode()[:-2])  # each piece is valid UTF-8
                self.assertEqual((prefix, verb, params[0]), (f"lina!~lina@{SERVER}", "PRIVMSG", target))
                pieces.append(params[1])
                raw = alice.raw_line()
            self.assertGreater(len(pieces), 1)
            self.assertEqual("".join(pieces), text)  # all of it, in order, cut between characters

    def test_replies_never_echo_nul_or_a_bare_cr(self):
        # Numerics echo the command, channel or nick the client sent.
        daemon = self.start()
        alice = self.irc(daemon, "alice")
        alice.send_bytes(b"FOO\rBAR\r\nX\x00Y\r\nJOIN #a\rb\r\nPRIVMSG #x\x00y :hi\r\nWHOIS no\rbody\r\n"
                         b"PING end\r\n")
        replies = []
        while (raw := alice.raw_line()) != pong("end").encode() + b"\r\n":
            self.assertIsNotNone(raw)
            self.assertNotIn(b"\x00", raw)
            self.assertNotIn(b"\r", raw[:-2])
            replies.append(raw.decode()[:-2])
        self.assertEqual(replies[:2], [numeric(421, "alice", "FOO?BAR :Unknown command"),
                                       numeric(421, "alice", "X?Y :Unknown command")])


if __name__ == "__main__":
    e2e.main("test_irc.py")

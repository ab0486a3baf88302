#!/usr/bin/python3
"""Accounts over irc://: the real socketchatd with accounts (its default, `optional`, kept
in a temporary --data-dir), an account registered through the line protocol, then IRC
clients logging in to it: SASL PLAIN over raw sockets (byte-exact lines: python3-irc
has no SASL), PASS through python3-irc, and the nick an account reserves.

Usage: /usr/bin/python3 test_irc_accounts.py PATH/TO/socketchatd [unittest options]
Standard library and python3-irc. Every wait is bounded: sockets have timeouts, the
bot's reactor runs with a deadline.
"""

import base64
import os
import subprocess

import irc.connection

import daemon as e2e
from daemon import Client, Daemon, DaemonTestCase
from test_irc import CAPS_302, SERVER, Bot, Irc, Reactor, numeric, pong, source, welcome_text

PASSWORD = "password1"


def plain(authcid, password, authzid=""):
    """The base64 of a SASL PLAIN message: authzid NUL authcid NUL password."""
    return base64.b64encode(f"{authzid}\0{authcid}\0{password}".encode()).decode()


class PassBot(Bot):
    """python3-irc's client given a password: it sends PASS before NICK and USER."""

    def __init__(self, port, nick, password):
        self.reactor = Reactor()
        self.events = []
        self.raw = []
        self.sockets = []
        self.reactor.add_global_handler("all_events", self._record, 10)

        def wrap(sock):
            sock.settimeout(e2e.TIMEOUT)
            self.sockets.append(sock)
            return sock

        self.connection = self.reactor.server().connect(
            "127.0.0.1", port, nick, password=password, ircname="python3-irc bot",
            connect_factory=irc.connection.Factory(wrapper=wrap))


class AccountsDaemon(DaemonTestCase):
    """A daemon with bob's account, lina on the line protocol, and the IRC helpers."""

    def setUp(self):
        super().setUp()
        self.daemon = self.keep_daemon(Daemon(
            "--history", "memory", "--data-dir", os.path.join(self.tmp, "data"), "--server-name", SERVER,
            "--listen", "irc://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0"))
        # lina watches over the line protocol; bob's account is made by a connection
        # that then leaves, so that the account is free to log in to.
        self.lina = self.keep(Client(self.daemon.ports["tcp"])).login("lina")
        registrar = self.keep(Client(self.daemon.ports["tcp"]))
        self.assertEqual(registrar.ask(f"REGISTER bob {PASSWORD}"), "OK")
        registrar.send("QUIT")
        self.assertEqual(self.lina.line(), "INFO bob disconnected")

    def irc(self):
        return self.keep(Irc(self.daemon.ports["irc"]))

    def sasl_start(self, client, nick="bob"):
        """CAP LS 302, NICK, USER, CAP REQ :sasl, AUTHENTICATE PLAIN, up to its "+"."""
        client.send("CAP LS 302", f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        self.assertEqual(client.line(), f":{SERVER} CAP * LS :{CAPS_302}")
        self.assertEqual(client.ask("CAP REQ :sasl"), f":{SERVER} CAP * ACK :sasl")
        client.send("AUTHENTICATE PLAIN")
        self.assertEqual(client.raw_line(), b"AUTHENTICATE +\r\n")

    def welcome(self, client, nick, user=None):
        """The welcome burst after CAP END, from 001 to the end of &public's names; `user`:
        USER's user name, if not the nick."""
        client.send("CAP END")
        self.assertEqual(client.line(), numeric(1, nick, welcome_text(nick, user or nick)))
        client.until(numeric(366, nick, "&public :End of /NAMES list."))
        client.nick = nick

    def assertSeenAsBob(self, client):
        """lina sees the IRC user as bob: in WHO, and as the sender of its DM; and bob gets
        hers."""
        self.lina.send("WHO")
        self.assertEqual(self.lina.lines_until_end(), ["USER bob", "USER lina"])
        self.lina.send("DM bob hello from the line side")
        self.assertEqual(client.line(), f"{source('lina')} PRIVMSG bob :hello from the line side")
        client.send("PRIVMSG lina :hello from IRC")
        self.assertEqual(self.lina.line(), "DM bob hello from IRC")


class IrcAccountsTest(AccountsDaemon):
    def test_sasl_plain_logs_in_then_registration_welcomes(self):
        bob = self.irc()
        self.sasl_start(bob)
        bob.send(f"AUTHENTICATE {plain('bob', PASSWORD)}")
        self.assertEqual(bob.raw_line(), f":{SERVER} 900 bob bob!~bob@{SERVER} bob "
                                         ":You are now logged in as bob\r\n".encode())
        self.assertEqual(bob.raw_line(), f":{SERVER} 903 bob :SASL authentication successful\r\n".encode())
        bob.send("CAP END")
        self.assertEqual(bob.raw_line(), f":{SERVER} 001 bob {welcome_text('bob')}\r\n".encode())
        bob.until(numeric(366, "bob", "&public :End of /NAMES list."))
        self.assertSeenAsBob(bob)
        # Logged in: another SASL exchange is refused, and the account cannot be had twice.
        self.assertEqual(bob.ask("AUTHENTICATE PLAIN"),
                         numeric(907, "bob", ":You have already authenticated using SASL"))
        other = self.irc()
        self.sasl_start(other, nick="bobby")
        other.send(f"AUTHENTICATE {plain('bob', PASSWORD)}")
        self.assertEqual(other.line(), numeric(904, "bobby", ":SASL authentication failed: "
                                                             "the account is in use on another connection"))

    def test_sasl_with_a_nick_other_than_the_account(self):
        client = self.irc()
        self.sasl_start(client, nick="someone")
        client.send(f"AUTHENTICATE {plain('bob', PASSWORD, authzid='bob')}")
        self.assertEqual(client.lines(2), [
            numeric(900, "bob", f"{source('bob', 'someone')[1:]} bob :You are now logged in as bob"),
            numeric(903, "bob", ":SASL authentication successful"),
        ])
        self.welcome(client, "bob", "someone")
        self.assertSeenAsBob(client)

    def test_sasl_wrong_password_904_then_the_nick_is_reserved(self):
        client = self.irc()
        self.sasl_start(client)
        client.send(f"AUTHENTICATE {plain('bob', 'not-the-password')}")
        self.assertEqual(client.raw_line(), f":{SERVER} 904 bob :SASL authentication failed\r\n".encode())
        # Unregistered still: CAP END is a guest's registration of a reserved nick.
        client.send("CAP END")
        self.assertEqual(client.raw_line(),
                         f":{SERVER} 433 * bob :Nickname is reserved for a registered account\r\n".encode())
        client.send("NICK bob_")
        self.assertEqual(client.line(), numeric(1, "bob_", welcome_text("bob_", "bob")))
        client.until(numeric(366, "bob_", "&public :End of /NAMES list."))
        self.lina.send("WHO")
        self.assertEqual(self.lina.lines_until_end(), ["USER bob_", "USER lina"])

    def test_sasl_retry_after_a_failure_and_an_abort(self):
        client = self.irc()
        self.sasl_start(client)
        client.send("AUTHENTICATE *")
        self.assertEqual(client.line(), numeric(906, "bob", ":SASL authentication aborted"))
        client.send("AUTHENTICATE SCRAM-SHA-256")
        self.assertEqual(client.lines(2), [numeric(908, "bob", "PLAIN :are available SASL mechanisms"),
                                           numeric(904, "bob", ":SASL authentication failed")])
        client.send("AUTHENTICATE PLAIN")
        self.assertEqual(client.line(), "AUTHENTICATE +")
        client.send(f"AUTHENTICATE {plain('bob', PASSWORD)}")
        self.assertEqual(client.line(), numeric(900, "bob", f"bob!~bob@{SERVER} bob "
                                                            ":You are now logged in as bob"))
        self.assertEqual(client.line(), numeric(903, "bob", ":SASL authentication successful"))
        self.welcome(client, "bob")
        self.assertSeenAsBob(client)

    def test_guest_nick_of_an_account_is_reserved(self):
        client = self.irc()
        client.send("NICK bob", "USER bob 0 * :Bob")
        self.assertEqual(client.line(),
                         numeric(433, "*", "bob :Nickname is reserved for a registered account"))
        client.send("NICK Bob2")
        self.assertEqual(client.line(), numeric(1, "Bob2", welcome_text("Bob2", "bob")))

    def test_a_guest_may_not_rename_to_an_account_nor_an_account_user_at_all(self):
        guest = self.irc()
        guest.register("guest")
        # As for its registration: an account's nick is reserved (asked of the account store).
        self.assertEqual(guest.ask("NICK BOB"),
                         numeric(433, "guest", "BOB :Nickname is reserved for a registered account"))
        self.assertEqual(self.lina.ask("RENAME bob"), "ERR password-required")
        bob = self.irc()
        self.sasl_start(bob)
        bob.send(f"AUTHENTICATE {plain('bob', PASSWORD)}")
        bob.until(numeric(903, "bob", ":SASL authentication successful"))
        self.welcome(bob, "bob")
        self.assertEqual(bob.ask("NICK bobby"),
                         numeric(447, "bob", ":Cannot change nickname: it is an account's, or on a cluster"))
        # A guest's rename to a free name goes through the account store too, and is fine.
        guest.send("NICK visitor")
        self.assertEqual(guest.line(), f"{source('guest')} NICK :visitor")
        self.assertEqual(self.lina.line(), "INFO guest renamed visitor")

    def test_pass_logs_in_with_python_irc(self):
        bot = self.keep(PassBot(self.daemon.ports["irc"], "bob", PASSWORD))
        bot.wait("welcome", target="bob")
        self.lina.send("WHO")
        self.assertEqual(self.lina.lines_until_end(), ["USER bob", "USER lina"])
        self.lina.send("DM bob hi bot")
        bot.wait("privmsg", source=f"lina!~lina@{SERVER}", target="bob", arguments=["hi bot"])
        bot.connection.privmsg("lina", "hi lina")  # written at once
        self.assertEqual(self.lina.line(), "DM bob hi lina")

    def test_wrong_pass_is_464_and_a_later_pass_works(self):
        client = self.irc()
        client.send("PASS not-the-password", "NICK bob", "USER bob 0 * :Bob")
        self.assertEqual(client.raw_line(), f":{SERVER} 464 * :Password incorrect\r\n".encode())
        client.send(f"PASS {PASSWORD}", "NICK bob")
        self.assertEqual(client.line(), numeric(1, "bob", welcome_text("bob")))
        client.until(numeric(366, "bob", "&public :End of /NAMES list."))
        client.nick = "bob"
        self.assertSeenAsBob(client)
        self.assertEqual(client.ask("PING end"), pong("end"))


class WithoutAccountsTest(DaemonTestCase):
    def test_pass_is_not_looked_at_and_sasl_fails(self):
        daemon = self.keep_daemon(Daemon("--history", "memory", "--accounts", "off", "--server-name", SERVER,
                                         "--listen", "irc://127.0.0.1:0"))
        alice = self.keep(Irc(daemon.ports["irc"]))
        alice.send("PASS any-server-password", "NICK alice", "USER alice 0 * :Alice")
        self.assertEqual(alice.line(), numeric(1, "alice", welcome_text("alice")))
        bob = self.keep(Irc(daemon.ports["irc"]))
        bob.send("CAP LS 302", "NICK bob", "USER bob 0 * :Bob", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
        self.assertEqual(bob.lines(3), [f":{SERVER} CAP * LS :{CAPS_302}", f":{SERVER} CAP * ACK :sasl",
                                        "AUTHENTICATE +"])
        bob.send(f"AUTHENTICATE {plain('bob', PASSWORD)}")
        self.assertEqual(bob.line(), numeric(904, "bob", ":SASL authentication failed"))
        bob.send("CAP END")  # a guest, then
        self.assertEqual(bob.line(), numeric(1, "bob", welcome_text("bob")))

class IrcModerationTest(AccountsDaemon):
    """A room's owner (bob's account created it) kicks and bans from IRC; the line
    protocol's members see the same KICK."""

    def owner_in_room(self):
        bob = self.irc()
        self.sasl_start(bob)
        bob.send(f"AUTHENTICATE {plain('bob', PASSWORD)}")
        bob.until(numeric(903, "bob", ":SASL authentication successful"))
        self.welcome(bob, "bob")
        bob.send("JOIN #lounge")
        bob.until(numeric(366, "bob", "#lounge :End of /NAMES list."))
        self.assertEqual(self.lina.ask("JOIN lounge"), "OK")
        self.assertEqual(bob.line(), f":lina!~lina@{SERVER} JOIN #lounge")
        return bob

    def test_owner_kicks_a_line_user(self):
        bob = self.owner_in_room()
        bob.send("KICK #lounge lina :be nice")
        self.assertEqual(bob.line(), f":bob!~bob@{SERVER} KICK #lounge lina :be nice")
        self.assertEqual(self.lina.line(), "KICK lounge lina bob be nice")
        bob.send("KICK #lounge lina", "KICK #nowhere lina")
        self.assertEqual(bob.line(), numeric(441, "bob", "lina #lounge :They aren't on that channel"))
        self.assertEqual(bob.line(), numeric(403, "bob", "#nowhere :No such channel"))

    def test_the_owner_is_marked_at_in_names_and_who(self):
        self.owner_in_room()
        guest = self.irc()
        guest.register("guest")
        self.assertEqual(guest.ask("NAMES #lounge", 2), [
            numeric(353, "guest", "= #lounge :@bob lina"),
            numeric(366, "guest", "#lounge :End of /NAMES list."),
        ])
        self.assertEqual(guest.ask("WHO #lounge", 3), [
            numeric(352, "guest", f"#lounge ~bob {SERVER} {SERVER} bob H@ :0 bob"),
            numeric(352, "guest", f"#lounge ~lina {SERVER} {SERVER} lina H :0 lina"),
            numeric(315, "guest", "#lounge :End of /WHO list."),
        ])

    def test_a_guest_may_not_kick(self):
        self.owner_in_room()
        guest = self.irc()
        guest.register("guest")
        guest.send("KICK #lounge lina")
        self.assertEqual(guest.line(), numeric(482, "guest", "#lounge :You're not channel operator"))

    def test_owner_bans_by_nick_and_lifts_it(self):
        bob = self.owner_in_room()
        bob.send("MODE #lounge +b lina!*@*")
        self.assertEqual(bob.line(), f":bob!~bob@{SERVER} MODE #lounge +b lina!*@*")
        self.assertEqual(bob.line(), f":bob!~bob@{SERVER} KICK #lounge lina :banned")
        self.assertEqual(self.lina.line(), "MODE lounge bob +b lina!*@*")  # line users see it too
        self.assertEqual(self.lina.line(), "KICK lounge lina bob banned")
        self.assertEqual(self.lina.ask("JOIN lounge"), "ERR banned")
        bob.send("MODE #lounge +b *!*@host.example")  # every host shows as the server: nobody
        self.assertEqual(bob.line(), f":bob!~bob@{SERVER} MODE #lounge +b *!*@host.example")
        bob.send("MODE #lounge -b lina")
        self.assertEqual(bob.line(), f":bob!~bob@{SERVER} MODE #lounge -b lina!*@*")
        self.assertEqual(self.lina.ask("JOIN lounge"), "OK")


class IrcOperTest(AccountsDaemon):
    """OPER with an operator's account: the role given by the admin command on the
    running server's data directory."""

    def test_oper_needs_an_operators_account(self):
        client = self.irc()
        client.register("guest")
        client.send("OPER bob wrong-password", f"OPER bob {PASSWORD}", "OPER bob")
        self.assertEqual(client.line(), numeric(464, "guest", ":Password incorrect"))
        self.assertEqual(client.line(), numeric(491, "guest", ":No O-lines for your host"))
        self.assertEqual(client.line(), numeric(461, "guest", "OPER :Not enough parameters"))
        granted = subprocess.run(
            [e2e.PATH, "accounts", "grant-op", "bob", "--data-dir", os.path.join(self.tmp, "data")],
            capture_output=True, text=True, timeout=e2e.TIMEOUT, check=False)
        self.assertEqual(granted.returncode, 0, granted.stderr)
        self.assertEqual(client.ask(f"OPER bob {PASSWORD}"),
                         numeric(381, "guest", ":You are now an IRC operator"))
        # An operator may kick in any room, though it neither owns it nor is in it.
        self.assertEqual(self.lina.ask("JOIN den"), "OK")
        client.send("KICK #den lina :operator's call")
        self.assertEqual(self.lina.line(), "KICK den lina guest operator's call")


if __name__ == "__main__":
    e2e.main("test_irc_accounts.py")

#!/usr/bin/python3
"""End-to-end tests of channel operators, channel modes, TOPIC and INVITE (docs/IRC.md,
Commands; docs/PROTOCOL.md, Rooms and "Operators, room operators and modes"): the real
socketchatd, raw IRC sockets and line-protocol users over TCP in the same daemon, every
line asserted byte for byte.

Usage: /usr/bin/python3 test_irc_channels.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_irc_channels.py

Standard library, and python3-irc and python3-websockets through test_irc.py's helpers.
Every wait is bounded: sockets have timeouts. Nothing sleeps to synchronise: "nothing
else arrived" is shown by a PING whose PONG is the very next line.
"""

import re
import time

import daemon as e2e
from test_irc import ISUPPORT, ISUPPORT_2, SERVER, IrcTestCase, numeric, source, version_of

TOPICLEN = 390


def names(nick, channel, listed):
    """The names list of a channel as `nick` receives it: 353 and 366."""
    return [numeric(353, nick, f"= {channel} :{listed}"), numeric(366, nick, f"{channel} :End of /NAMES list.")]


def who(asker, channel, nick, flags, real_name=None):
    """A 352 line of WHO #channel: a user registered by register() has the real name
    "<nick> the tester", a line user its name."""
    return numeric(352, asker, f"{channel} ~{nick} {SERVER} {SERVER} {nick} {flags} :0 {real_name or nick}")


def end_of_who(asker, channel):
    return numeric(315, asker, f"{channel} :End of /WHO list.")


class ChannelsTestCase(IrcTestCase):
    """A daemon without a command rate (these tests send many commands at once), and a
    room of three: alice (IRC) created #room, bob (IRC) and lina (line protocol) joined."""

    maxDiff = None  # a failure shows every line

    def start(self, *args, **options):
        return super().start("--rate", "0", *args, **options)

    def room_of_three(self, daemon):
        alice = self.irc(daemon, "alice")
        self.join(alice, "#room", "@alice")  # the creator is the room's operator
        bob = self.irc(daemon, "bob")
        self.join(bob, "#room", "@alice bob")  # the second joiner is not
        self.assertEqual(alice.line(), f"{source('bob')} JOIN #room")
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN room"), "OK")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} JOIN #room")
        return alice, bob, lina

    def room_closed_by(self, change):
        """A room of three (room_of_three) whose operator alice then makes the mode change
        `change` ("+i", "+k key"), seen by all, and two users outside it: carol (IRC) and
        lena (line protocol). Returns the daemon and the five."""
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        carol = self.irc(daemon, "carol")
        lena = self.line(daemon, "lena")
        self.assertMode(alice, f"MODE #room {change}", change, [bob], [lina])
        return daemon, alice, bob, lina, carol, lena

    def invite_in(self, alice, bob, lina, carol):
        """alice (the operator of room_of_three's room) invites carol, who is told and
        joins: 341 to alice, INVITE to carol, her JOIN seen by every member."""
        self.assertReplies(alice, ["INVITE carol #room"], [numeric(341, "alice", "carol #room")])
        self.assertEqual(carol.line(), f"{source('alice')} INVITE carol :#room")
        self.join(carol, "#room", "@alice bob carol lina")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('carol')} JOIN #room")
        self.assertEqual(lina.line(), "INFO carol joined room")

    def assertMode(self, setter, command, changes, irc_members=(), line_members=(), room="room"):
        """An IRC user's MODE command: its echo is the only reply, and every other member
        sees the same line (IRC users) or `MODE <room> <by> <changes>` (line users)."""
        seen = f"{source(setter.nick)} MODE #{room} {changes}"
        self.assertReplies(setter, [command], [seen])
        for member in irc_members:
            self.assertEqual(member.line(), seen)
        for member in line_members:
            self.assertEqual(member.line(), f"MODE {room} {setter.nick} {changes}")

    def assertTime(self, line, head, low, high, tail=""):
        """A line that is `head`, a time (a whole number) from low to high, then `tail`;
        returns the time."""
        found = re.fullmatch(re.escape(head) + r"(\d+)" + re.escape(tail), line)
        self.assertIsNotNone(found, f"{line!r} is not {head!r}, a time and {tail!r}")
        self.assertTrue(low <= int(found.group(1)) <= high, f"{line!r}: not from {low} to {high}")
        return int(found.group(1))

    def assertModes(self, client, channel, modes):
        """MODE #channel: 324 with `modes`, then a 329."""
        client.send(f"MODE {channel}")
        self.assertEqual(client.line(), numeric(324, client.nick, f"{channel} {modes}"))
        self.assertRegex(client.line(), rf"^:{re.escape(SERVER)} 329 {client.nick} {re.escape(channel)} \d+$")


class WelcomeTest(ChannelsTestCase):
    def test_004_and_005_announce_the_channel_modes(self):
        daemon = self.start()
        version = version_of(daemon)
        alice = self.irc(daemon)
        burst = alice.register("alice")
        self.assertEqual(burst[3:6], [numeric(4, "alice", f"{SERVER} {version} i biklmnotv"),
                                      numeric(5, "alice", ISUPPORT), numeric(5, "alice", ISUPPORT_2)])
        self.assertReplies(alice, ["VERSION"], [numeric(351, "alice", f"socketchat-{version}. {SERVER} :"),
                                                numeric(5, "alice", ISUPPORT),
                                                numeric(5, "alice", ISUPPORT_2)])


class OperatorTest(ChannelsTestCase):
    def test_the_creator_is_op_in_names_and_who(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertReplies(bob, ["NAMES #room", "WHO #room"], [
            *names("bob", "#room", "@alice bob lina"),
            who("bob", "#room", "alice", "H@", "alice the tester"),
            who("bob", "#room", "bob", "H", "bob the tester"),
            who("bob", "#room", "lina", "H"),
            end_of_who("bob", "#room"),
        ])
        self.assertReplies(bob, ["WHO #room %nf"], [  # WHOX's flags too
            numeric(354, "bob", "alice H@"), numeric(354, "bob", "bob H"), numeric(354, "bob", "lina H"),
            end_of_who("bob", "#room"),
        ])
        # A line user that creates a room is its operator too, and IRC users see it so.
        self.assertEqual(lina.ask("JOIN lounge"), "OK")
        self.assertReplies(bob, ["JOIN #lounge"], [f"{source('bob')} JOIN #lounge",
                                                   *names("bob", "#lounge", "bob @lina")])
        self.assertReplies(bob, ["WHO #lounge"], [
            who("bob", "#lounge", "bob", "H", "bob the tester"),
            who("bob", "#lounge", "lina", "H@"),
            end_of_who("bob", "#lounge"),
        ])
        self.assertEqual(lina.line(), "INFO bob joined lounge")
        self.assertAlive(alice)

    def test_mode_query_324_and_329(self):
        before = int(time.time())
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        after = int(time.time()) + 1
        alice.send("MODE #room")
        self.assertEqual(alice.line(), numeric(324, "alice", "#room +nt"))
        created = self.assertTime(alice.line(), f":{SERVER} 329 alice #room ", before, after)
        self.assertAlive(alice)
        self.assertReplies(bob, ["MODE #room"], [  # a member who is not an operator may ask
            numeric(324, "bob", "#room +nt"), numeric(329, "bob", f"#room {created}"),
        ])
        self.assertEqual(lina.ask("MODE room"), "MODE room +nt")
        self.assertEqual(lina.ask("MODE nosuch"), "ERR no-such-room")
        self.assertReplies(alice, ["MODE #nosuch", "MODE #nosuch +m"], [
            numeric(403, "alice", "#nosuch :No such channel"),
            numeric(403, "alice", "#nosuch :No such channel"),
        ])
        self.assertAlive(bob)
        self.assertAlive(lina)

    def test_op_and_voice_are_broadcast_to_every_member_and_shown_in_names(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertMode(alice, "MODE #room +o bob", "+o bob", [bob], [lina])
        self.assertReplies(alice, ["NAMES #room"], names("alice", "#room", "@alice @bob lina"))
        self.assertReplies(bob, ["WHO #room"], [
            who("bob", "#room", "alice", "H@", "alice the tester"),
            who("bob", "#room", "bob", "H@", "bob the tester"),
            who("bob", "#room", "lina", "H"),
            end_of_who("bob", "#room"),
        ])
        self.assertMode(alice, "MODE #room -o bob", "-o bob", [bob], [lina])
        self.assertMode(alice, "MODE #room +v bob", "+v bob", [bob], [lina])
        self.assertReplies(alice, ["NAMES #room", "WHO #room"], [
            *names("alice", "#room", "@alice +bob lina"),
            who("alice", "#room", "alice", "H@", "alice the tester"),
            who("alice", "#room", "bob", "H+", "bob the tester"),
            who("alice", "#room", "lina", "H"),
            end_of_who("alice", "#room"),
        ])
        self.assertMode(alice, "MODE #room -v bob", "-v bob", [bob], [lina])
        self.assertReplies(bob, ["NAMES #room"], names("bob", "#room", "@alice bob lina"))
        # The same change again changes nothing: nothing is sent.
        self.assertReplies(alice, ["MODE #room -v bob", "MODE #room +nt"], [])
        # Several changes in one command, as IRC spells them.
        self.assertMode(alice, "MODE #room +ov bob bob", "+ov bob bob", [bob], [lina])
        self.assertReplies(alice, ["NAMES #room"], names("alice", "#room", "@alice @bob lina"))  # the higher
        # With IRCv3's multi-prefix, every prefix, in the order of PREFIX.
        self.assertReplies(bob, ["CAP REQ :multi-prefix", "NAMES #room", "WHO #room"], [
            f":{SERVER} CAP bob ACK :multi-prefix",
            *names("bob", "#room", "@alice @+bob lina"),
            who("bob", "#room", "alice", "H@", "alice the tester"),
            who("bob", "#room", "bob", "H@+", "bob the tester"),
            who("bob", "#room", "lina", "H"),
            end_of_who("bob", "#room"),
        ])
        self.assertMode(alice, "MODE #room -o bob", "-o bob", [bob], [lina])
        self.assertReplies(alice, ["NAMES #room"], names("alice", "#room", "@alice +bob lina"))

        # A line user made operator gives modes with the line protocol's MODE: OK, and
        # everyone, the sender included, is told.
        self.assertMode(alice, "MODE #room +o lina", "+o lina", [bob], [lina])
        lina.send("MODE room -v bob")
        self.assertEqual(lina.line(), "OK")
        self.assertEqual(lina.line(), "MODE room lina -v bob")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} MODE #room -v bob")
        self.assertReplies(bob, ["NAMES #room"], names("bob", "#room", "@alice bob @lina"))
        self.assertAlive(lina)

    def test_mode_errors(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        carol = self.irc(daemon, "carol")  # online, in no room
        # Not the room's operator: 482, whatever the change.
        self.assertReplies(bob, ["MODE #room +o bob", "MODE #room +m", "MODE #room -t", "MODE #room +b x!*@*"],
                           [numeric(482, "bob", "#room :You're not channel operator")] * 4)
        self.assertEqual(lina.ask("MODE room +m"), "ERR not-operator")
        # o and v of someone not in the room (online or not): 441.
        self.assertReplies(alice, ["MODE #room +o carol", "MODE #room +v nobody"], [
            numeric(441, "alice", "carol #room :They aren't on that channel"),
            numeric(441, "alice", "nobody #room :They aren't on that channel"),
        ])
        # An unknown letter: 472, and nothing else of the command changes anything.
        self.assertReplies(alice, ["MODE #room +z", "MODE #room +mz"], [
            numeric(472, "alice", "z :is unknown mode char to me"),
            numeric(472, "alice", "z :is unknown mode char to me"),
        ])
        self.assertModes(alice, "#room", "+nt")
        # A change without its argument: 461; a bad key, limit or mask: 696.
        self.assertReplies(alice, ["MODE #room +l", "MODE #room +o", "MODE #room +l abc",
                                   "MODE #room +l 0", "MODE #room +l 100001", "MODE #room +k " + "k" * 24,
                                   "MODE #room +k a,b", "MODE #room +b a$b"], [
            numeric(461, "alice", "MODE :Not enough parameters"),
            numeric(461, "alice", "MODE :Not enough parameters"),
            numeric(696, "alice", "#room l abc :Invalid mode parameter"),
            numeric(696, "alice", "#room l 0 :Invalid mode parameter"),
            numeric(696, "alice", "#room l 100001 :Invalid mode parameter"),
            numeric(696, "alice", "#room k " + "k" * 24 + " :Invalid mode parameter"),
            numeric(696, "alice", "#room k a,b :Invalid mode parameter"),
            numeric(696, "alice", "#room b a$b :Invalid mode parameter"),  # neither a nick nor a mask
        ])
        # The line protocol's answers to the same.
        self.assertMode(alice, "MODE #room +o lina", "+o lina", [bob], [lina])
        for command, reply in (("MODE room +o carol", "ERR no-such-user"), ("MODE room +z", "ERR unknown-mode"),
                               ("MODE room +l", "ERR missing-argument"), ("MODE room +l abc", "ERR invalid-argument"),
                               ("MODE room +k " + "k" * 24, "ERR invalid-argument"),
                               ("MODE room +b a$b", "ERR invalid-argument"),
                               ("MODE nosuch +m", "ERR no-such-room")):
            self.assertEqual(lina.ask(command), reply, command)
        self.assertModes(alice, "#room", "+nt")  # none of it changed anything
        self.assertAlive(bob)
        self.assertAlive(carol)
        # +k without its key is a change without its argument too.
        self.assertReplies(alice, ["MODE #room +k"], [numeric(461, "alice", "MODE :Not enough parameters")])
        self.assertEqual(lina.ask("MODE room +k"), "ERR missing-argument")

    def test_more_than_four_changes_apply_only_four(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        # Five changes: m, i, -n, -t count; the fifth (+l 5) is ignored.
        self.assertMode(alice, "MODE #room +mi-nt+l 5", "+mi-nt", [bob], [lina])
        self.assertModes(alice, "#room", "+im")
        self.assertEqual(lina.ask("MODE room"), "MODE room +im")
        # Changes with arguments count the same: -m, +v bob, +v lina, +k key; +l 3 is the fifth.
        self.assertMode(alice, "MODE #room -m+vvkl bob lina key 3", "-m+vvk bob lina key", [bob], [lina])
        self.assertModes(alice, "#room", "+ik key")
        self.assertReplies(alice, ["NAMES #room"], names("alice", "#room", "@alice +bob +lina"))
        self.assertAlive(bob)

    def test_a_guest_creator_kicks(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        # bob is no operator: 482, and nobody hears of it.
        self.assertReplies(bob, ["KICK #room lina :go"], [numeric(482, "bob", "#room :You're not channel operator")])
        self.assertEqual(lina.ask("KICK room bob"), "ERR not-operator")
        # alice, a guest who created the room, is its operator.
        kick = f"{source('alice')} KICK #room bob :enough"
        self.assertReplies(alice, ["KICK #room bob :enough"], [kick])
        self.assertEqual(bob.line(), kick)
        self.assertEqual(lina.line(), "KICK room bob alice enough")
        self.assertReplies(bob, ["PRIVMSG #room :still here?"],
                           [numeric(404, "bob", "#room :Cannot send to channel")])  # out of it
        # Without a reason, the kicker's nick is the reason; line users see none.
        self.assertReplies(alice, ["KICK #room lina", "KICK #room lina", "KICK #nosuch bob"], [
            f"{source('alice')} KICK #room lina :alice",
            numeric(441, "alice", "lina #room :They aren't on that channel"),
            numeric(403, "alice", "#nosuch :No such channel"),
        ])
        self.assertEqual(lina.line(), "KICK room lina alice")
        self.assertEqual(lina.ask("SAY room hello?"), "ERR not-in-room")
        self.assertAlive(bob)

    def test_an_op_who_parts_and_rejoins_is_no_longer_op(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertReplies(alice, ["PART #room"], [f"{source('alice')} PART #room"])
        self.assertEqual(bob.line(), f"{source('alice')} PART #room")
        self.assertEqual(lina.line(), "INFO alice left room")
        self.join(alice, "#room", "alice bob lina")  # the room had members: no @ for her now
        self.assertEqual(bob.line(), f"{source('alice')} JOIN #room")
        self.assertEqual(lina.line(), "INFO alice joined room")
        self.assertReplies(alice, ["MODE #room +m", "TOPIC #room :mine again?"],
                           [numeric(482, "alice", "#room :You're not channel operator")] * 2)
        # A room that empties is gone: its next creator is its operator.
        self.assertReplies(alice, ["PART #room"], [f"{source('alice')} PART #room"])
        self.assertEqual(bob.line(), f"{source('alice')} PART #room")
        self.assertReplies(bob, ["PART #room"], [f"{source('bob')} PART #room"])
        self.assertEqual(lina.line(), "INFO alice left room")
        self.assertEqual(lina.line(), "INFO bob left room")
        self.assertEqual(lina.ask("PART room"), "OK")
        self.join(bob, "#room", "@bob")
        self.assertAlive(alice)


class TopicTest(ChannelsTestCase):
    def test_topic_set_by_an_op_is_broadcast_and_shown_to_later_joiners(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertReplies(alice, ["TOPIC #room"], [numeric(331, "alice", "#room :No topic is set")])
        self.assertEqual(lina.ask("TOPIC room"), "TOPIC room")
        before_ms = int(time.time() * 1000)
        seen = f"{source('alice')} TOPIC #room :Today: \u00e9t\u00e9 plans"
        self.assertReplies(alice, ["TOPIC #room :Today: \x02\u00e9t\u00e9\x02 plans"], [seen])  # cleaned
        after_ms = int(time.time() * 1000) + 1
        self.assertEqual(bob.line(), seen)
        set_at = self.assertTime(lina.line(), "TOPIC room alice ", before_ms, after_ms, " Today: \u00e9t\u00e9 plans")
        # The line protocol's TOPIC <room> asks it: the same line (the room in any case).
        self.assertEqual(lina.ask("TOPIC ROOM"), f"TOPIC room alice {set_at} Today: \u00e9t\u00e9 plans")
        # TOPIC asked: 332 and 333 (seconds of the same time).
        self.assertReplies(bob, ["TOPIC #room"], [
            numeric(332, "bob", "#room :Today: \u00e9t\u00e9 plans"),
            numeric(333, "bob", f"#room alice {set_at // 1000}"),
        ])
        # A later joiner gets 332 and 333 after its JOIN echo and before the names.
        carol = self.irc(daemon, "carol")
        self.assertReplies(carol, ["JOIN #room"], [
            f"{source('carol')} JOIN #room",
            numeric(332, "carol", "#room :Today: \u00e9t\u00e9 plans"),
            numeric(333, "carol", f"#room alice {set_at // 1000}"),
            *names("carol", "#room", "@alice bob carol lina"),
        ])
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('carol')} JOIN #room")
        self.assertEqual(lina.line(), "INFO carol joined room")
        # Membership is not needed to read it.
        dave = self.irc(daemon, "dave")
        lena = self.line(daemon, "lena")
        self.assertReplies(dave, ["TOPIC #room"], [
            numeric(332, "dave", "#room :Today: \u00e9t\u00e9 plans"),
            numeric(333, "dave", f"#room alice {set_at // 1000}"),
        ])
        self.assertEqual(lena.ask("TOPIC room"), f"TOPIC room alice {set_at} Today: \u00e9t\u00e9 plans")
        self.assertEqual(lena.ask("TOPIC nosuch"), "ERR no-such-room")
        self.assertAlive(lina)

    def test_topic_lock_errors_and_clearing(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        dave = self.irc(daemon, "dave")  # in no room
        lena = self.line(daemon, "lena")
        # +t (the default): only the operator sets it.
        self.assertReplies(bob, ["TOPIC #room :bob's topic"], [numeric(482, "bob", "#room :You're not channel operator")])
        self.assertEqual(lina.ask("TOPIC room lina's topic"), "ERR not-operator")
        self.assertAlive(alice)
        self.assertReplies(alice, ["TOPIC #room"], [numeric(331, "alice", "#room :No topic is set")])

        # -t: anyone in the room may set it, from either protocol; nobody outside it
        # (442, ERR not-in-room), and no room that does not exist (403, ERR no-such-room).
        self.assertMode(alice, "MODE #room -t", "-t", [bob], [lina])
        self.assertReplies(dave, ["TOPIC #room :dave's topic", "TOPIC #nosuch :x"], [
            numeric(442, "dave", "#room :You're not on that channel"),
            numeric(403, "dave", "#nosuch :No such channel"),
        ])
        self.assertEqual(lena.ask("TOPIC room lena's topic"), "ERR not-in-room")
        self.assertEqual(lena.ask("TOPIC nosuch lena's topic"), "ERR no-such-room")
        self.assertAlive(alice)
        self.assertAlive(lina)
        seen = f"{source('bob')} TOPIC #room :bob's topic"
        self.assertReplies(bob, ["TOPIC #room :bob's topic"], [seen])
        self.assertEqual(alice.line(), seen)
        self.assertRegex(lina.line(), r"^TOPIC room bob \d+ bob's topic$")
        self.assertEqual(lina.ask("TOPIC room  lina's  topic "), "OK")  # trimmed, inner spaces kept
        self.assertRegex(lina.line(), r"^TOPIC room lina \d+ lina's  topic$")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} TOPIC #room :lina's  topic")
        # TOPIC #room : clears it; everyone is told, line users without a text.
        cleared = f"{source('bob')} TOPIC #room :"
        self.assertReplies(bob, ["TOPIC #room :"], [cleared])
        self.assertEqual(alice.line(), cleared)
        self.assertRegex(lina.line(), r"^TOPIC room bob \d+$")
        self.assertReplies(alice, ["TOPIC #room"], [numeric(331, "alice", "#room :No topic is set")])
        self.assertEqual(lina.ask("TOPIC room"), "TOPIC room")
        # The line protocol's "-" clears it too.
        self.assertEqual(lina.ask("TOPIC room again"), "OK")
        self.assertRegex(lina.line(), r"^TOPIC room lina \d+ again$")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} TOPIC #room :again")
        self.assertEqual(lina.ask("TOPIC room -"), "OK")
        self.assertRegex(lina.line(), r"^TOPIC room lina \d+$")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} TOPIC #room :")
        self.assertReplies(bob, ["TOPIC #room"], [numeric(331, "bob", "#room :No topic is set")])
        # +t again: bob is refused once more.
        self.assertMode(alice, "MODE #room +t", "+t", [bob], [lina])
        self.assertReplies(bob, ["TOPIC #room :x"], [numeric(482, "bob", "#room :You're not channel operator")])
        self.assertAlive(lina)

    def test_topic_in_rooms_and_list(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertEqual(lina.ask("JOIN other"), "OK")
        self.assertReplies(alice, ["TOPIC #room :all about rooms"],
                           [f"{source('alice')} TOPIC #room :all about rooms"])
        self.assertEqual(bob.line(), f"{source('alice')} TOPIC #room :all about rooms")
        self.assertRegex(lina.line(), r"^TOPIC room alice \d+ all about rooms$")
        lina.send("ROOMS")
        self.assertEqual(lina.lines_until_end(), ["ROOM other 1", "ROOM room 3 all about rooms"])
        self.assertReplies(bob, ["LIST"], [
            numeric(321, "bob", "Channel :Users  Name"),
            numeric(322, "bob", "#other 1 :"),
            numeric(322, "bob", "#room 3 :all about rooms"),
            numeric(323, "bob", ":End of /LIST"),
        ])

    def test_a_long_topic_is_cut_to_topiclen(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertReplies(alice, ["TOPIC #room :" + "x" * 400], [f"{source('alice')} TOPIC #room :" + "x" * TOPICLEN])
        self.assertEqual(bob.line(), f"{source('alice')} TOPIC #room :" + "x" * TOPICLEN)
        self.assertRegex(lina.line(), r"^TOPIC room alice \d+ x{%d}$" % TOPICLEN)
        # Cut between UTF-8 characters: 300 two-byte characters are 600 bytes, 195 fit.
        self.assertMode(alice, "MODE #room +o lina", "+o lina", [bob], [lina])
        self.assertEqual(lina.ask("TOPIC room " + "\u00e9" * 300), "OK")
        self.assertRegex(lina.line(), r"^TOPIC room lina \d+ \u00e9{195}$")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} TOPIC #room :" + "\u00e9" * 195)
        bob.send("TOPIC #room")
        self.assertEqual(bob.line(), numeric(332, "bob", "#room :" + "\u00e9" * 195))
        self.assertRegex(bob.line(), rf"^:{re.escape(SERVER)} 333 bob #room lina \d+$")
        self.assertAlive(bob)


class ModeratedTest(ChannelsTestCase):
    def test_moderated_room_needs_voice(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        self.assertMode(alice, "MODE #room +m", "+m", [bob], [lina])
        self.assertReplies(bob, ["PRIVMSG #room :can you hear me?", "NOTICE #room :or me?"],
                           [numeric(404, "bob", "#room :Cannot send to channel (+m)")])  # a NOTICE never answers
        self.assertEqual(lina.ask("SAY room can you?"), "ERR moderated")
        # The operator speaks.
        alice.send("PRIVMSG #room :ops may talk")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG #room :ops may talk")
        self.assertEqual(lina.line(), "SAY room alice ops may talk")
        # Voiced, they go through.
        self.assertMode(alice, "MODE #room +vv bob lina", "+vv bob lina", [bob], [lina])
        self.assertReplies(bob, ["PRIVMSG #room :now I can"], [])
        self.assertEqual(alice.line(), f"{source('bob')} PRIVMSG #room :now I can")
        self.assertEqual(lina.line(), "SAY room bob now I can")
        lina.send("SAY room me too")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lina')} PRIVMSG #room :me too")
        self.assertMode(alice, "MODE #room -v bob", "-v bob", [bob], [lina])
        self.assertReplies(bob, ["PRIVMSG #room :again?"], [numeric(404, "bob", "#room :Cannot send to channel (+m)")])
        self.assertMode(alice, "MODE #room -m", "-m", [bob], [lina])
        bob.send("PRIVMSG #room :free again")
        self.assertEqual(alice.line(), f"{source('bob')} PRIVMSG #room :free again")
        self.assertEqual(lina.line(), "SAY room bob free again")

    def test_no_external_messages_by_default_then_minus_n(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        dave = self.irc(daemon, "dave")
        lena = self.line(daemon, "lena")
        self.assertReplies(dave, ["PRIVMSG #room :from outside"], [numeric(404, "dave", "#room :Cannot send to channel")])
        self.assertEqual(lena.ask("SAY room from outside"), "ERR not-in-room")
        self.assertAlive(alice)
        self.assertAlive(lina)
        self.assertMode(alice, "MODE #room -n", "-n", [bob], [lina])
        self.assertReplies(dave, ["PRIVMSG #room :from outside"], [])  # and dave does not hear it
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('dave')} PRIVMSG #room :from outside")
        self.assertEqual(lina.line(), "SAY room dave from outside")
        lena.send("SAY room lena from outside")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lena')} PRIVMSG #room :lena from outside")
        self.assertEqual(lina.line(), "SAY room lena lena from outside")
        self.assertAlive(lena)
        self.assertAlive(dave)
        self.assertModes(alice, "#room", "+t")


class InviteTest(ChannelsTestCase):
    def test_invite_only_and_invite(self):
        daemon, alice, bob, lina, carol, lena = self.room_closed_by("+i")
        self.assertReplies(carol, ["JOIN #room"], [numeric(473, "carol", "#room :Cannot join channel (+i)")])
        self.assertEqual(lena.ask("JOIN room"), "ERR invite-only")
        # Under +i only an operator invites.
        self.assertReplies(bob, ["INVITE carol #room"], [numeric(482, "bob", "#room :You're not channel operator")])
        self.assertEqual(lina.ask("INVITE room lena"), "ERR not-operator")
        # The operator invites carol: 341 to her, INVITE to carol; she gets in once.
        self.invite_in(alice, bob, lina, carol)
        self.assertReplies(carol, ["PART #room", "JOIN #room"], [
            f"{source('carol')} PART #room",
            numeric(473, "carol", "#room :Cannot join channel (+i)"),  # the invitation was used
        ])
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('carol')} PART #room")
        self.assertEqual(lina.line(), "INFO carol left room")
        # A line user is invited as "INVITE <room> <by>".
        self.assertReplies(alice, ["INVITE lena #room"], [numeric(341, "alice", "lena #room")])
        self.assertEqual(lena.line(), "INVITE room alice")
        self.assertEqual(lena.ask("JOIN room"), "OK")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('lena')} JOIN #room")
        self.assertEqual(lina.line(), "INFO lena joined room")
        # INVITE's errors over IRC.
        self.assertReplies(alice, ["INVITE bob #room", "INVITE nobody #room", "INVITE carol #nosuch"], [
            numeric(443, "alice", "bob #room :is already on channel"),
            numeric(401, "alice", "nobody :No such nick/channel"),
            numeric(403, "alice", "#nosuch :No such channel"),
        ])
        # A line operator invites with INVITE <room> <user>: OK, and the IRC user is told.
        self.assertMode(alice, "MODE #room +o lina", "+o lina", [bob], [lina, lena])
        self.assertEqual(lina.ask("INVITE room carol"), "OK")
        self.assertEqual(carol.line(), f"{source('lina')} INVITE carol :#room")
        for command, reply in (("INVITE room bob", "ERR already-in-room"), ("INVITE room nobody", "ERR no-such-user"),
                               ("INVITE nosuch carol", "ERR no-such-room")):
            self.assertEqual(lina.ask(command), reply, command)
        self.join(carol, "#room", "@alice bob carol lena @lina")
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('carol')} JOIN #room")
        for client in (lina, lena):
            self.assertEqual(client.line(), "INFO carol joined room")
        self.assertAlive(lena)

    def test_without_plus_i_any_member_invites(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        carol = self.irc(daemon, "carol")
        dave = self.irc(daemon, "dave")
        self.assertReplies(bob, ["INVITE carol #room"], [numeric(341, "bob", "carol #room")])
        self.assertEqual(carol.line(), f"{source('bob')} INVITE carol :#room")
        self.assertEqual(lina.ask("INVITE room carol"), "OK")
        self.assertEqual(carol.line(), f"{source('lina')} INVITE carol :#room")
        # Who is not in the room invites nobody: 442, ERR not-in-room.
        self.assertReplies(carol, ["INVITE dave #room"], [numeric(442, "carol", "#room :You're not on that channel")])
        self.assertEqual(self.line(daemon, "lars").ask("INVITE room dave"), "ERR not-in-room")
        self.assertAlive(dave)
        self.assertAlive(alice)


class KeyAndLimitTest(ChannelsTestCase):
    def test_key(self):
        daemon, alice, bob, lina, carol, lena = self.room_closed_by("+k s3cret")
        self.assertReplies(carol, ["JOIN #room", "JOIN #room wrong"],
                           [numeric(475, "carol", "#room :Cannot join channel (+k)")] * 2)
        self.assertEqual(lena.ask("JOIN room"), "ERR bad-key")
        self.assertEqual(lena.ask("JOIN room wrong"), "ERR bad-key")
        # The key is shown to members only.
        self.assertModes(alice, "#room", "+knt s3cret")
        self.assertModes(bob, "#room", "+knt s3cret")  # a member, not an operator
        self.assertModes(carol, "#room", "+knt")
        self.assertEqual(lina.ask("MODE room"), "MODE room +knt s3cret")
        self.assertEqual(lena.ask("MODE room"), "MODE room +knt")
        # With the key, both get in.
        self.assertReplies(carol, ["JOIN #room s3cret"], [f"{source('carol')} JOIN #room",
                                                          *names("carol", "#room", "@alice bob carol lina")])
        for client in (alice, bob):
            self.assertEqual(client.line(), f"{source('carol')} JOIN #room")
        self.assertEqual(lina.line(), "INFO carol joined room")
        self.assertEqual(lena.ask("JOIN room s3cret"), "OK")
        for client in (alice, bob, carol):
            self.assertEqual(client.line(), f"{source('lena')} JOIN #room")
        self.assertEqual(lina.line(), "INFO lena joined room")
        # JOIN's keys go with its channels, in order.
        dave = self.irc(daemon, "dave")
        self.assertReplies(dave, ["JOIN #room,#new s3cret"], [
            f"{source('dave')} JOIN #room", *names("dave", "#room", "@alice bob carol dave lena lina"),
            f"{source('dave')} JOIN #new", *names("dave", "#new", "@dave"),
        ])
        for client in (alice, bob, carol):
            self.assertEqual(client.line(), f"{source('dave')} JOIN #room")
        for client in (lina, lena):
            self.assertEqual(client.line(), "INFO dave joined room")
        # An invitation lets in without the key.
        eve = self.irc(daemon, "eve")
        self.assertReplies(alice, ["INVITE eve #room"], [numeric(341, "alice", "eve #room")])
        self.assertEqual(eve.line(), f"{source('alice')} INVITE eve :#room")
        self.join(eve, "#room", "@alice bob carol dave eve lena lina")

    def test_limit(self):
        daemon, alice, bob, lina, carol, lena = self.room_closed_by("+l 3")
        self.assertReplies(carol, ["JOIN #room"], [numeric(471, "carol", "#room :Cannot join channel (+l)")])
        self.assertEqual(lena.ask("JOIN room"), "ERR room-full")
        self.assertModes(alice, "#room", "+lnt 3")
        self.assertEqual(lena.ask("MODE room"), "MODE room +lnt 3")  # the limit is no secret
        self.assertMode(alice, "MODE #room +k key", "+k key", [bob], [lina])
        self.assertEqual(lina.ask("MODE room"), "MODE room +klnt key 3")
        # An invitation lets in past the limit (and the key).
        self.invite_in(alice, bob, lina, carol)
        self.assertMode(alice, "MODE #room -l", "-l", [bob, carol], [lina])
        self.assertEqual(lena.ask("JOIN room key"), "OK")


class BanTest(ChannelsTestCase):
    def join_as_baduser(self, mallory, alice, bob, lina):
        """mallory (USER baduser) joins #room; alice, bob and lina see it."""
        joined = f"{source('mallory', 'baduser')} JOIN #room"
        self.assertReplies(mallory, ["JOIN #room"], [joined, *names("mallory", "#room", "@alice bob lina mallory")])
        for client in (alice, bob):
            self.assertEqual(client.line(), joined)
        self.assertEqual(lina.line(), "INFO mallory joined room")

    def test_a_mask_ban_kicks_keeps_out_lists_and_lifts(self):
        daemon = self.start()
        alice, bob, lina = self.room_of_three(daemon)
        mallory = self.irc(daemon)
        mallory.send("USER baduser 0 * :Mallory")
        mallory.register("mallory", user="baduser")
        self.join_as_baduser(mallory, alice, bob, lina)

        # The ban takes mallory by her USER name: MODE, then her KICK, to every member.
        ban = f"{source('alice')} MODE #room +b *!~baduser@*"
        kick = f"{source('alice')} KICK #room mallory :banned"
        self.assertReplies(alice, ["MODE #room +b *!~baduser@*"], [ban, kick])
        for client in (bob, mallory):
            self.assertEqual(client.lines(2), [ban, kick])
        self.assertEqual([lina.line(), lina.line()], ["MODE room alice +b *!~baduser@*", "KICK room mallory alice banned"])
        self.assertReplies(mallory, ["JOIN #room"], [numeric(474, "mallory", "#room :Cannot join channel (+b)")])
        # A line user whose name the mask takes (its user name is its name) is kept out too.
        baduser = self.line(daemon, "baduser")
        self.assertEqual(baduser.ask("JOIN room"), "ERR banned")

        # The ban list: 367 per ban, then 368; a nick alone is listed as nick!*@*.
        self.assertMode(alice, "MODE #room +b zed", "+b zed!*@*", [bob], [lina])
        self.assertReplies(bob, ["MODE #room b", "MODE #room +b"], [
            numeric(367, "bob", "#room *!~baduser@*"),
            numeric(367, "bob", "#room zed!*@*"),
            numeric(368, "bob", "#room :End of channel ban list"),
            numeric(367, "bob", "#room *!~baduser@*"),
            numeric(367, "bob", "#room zed!*@*"),
            numeric(368, "bob", "#room :End of channel ban list"),
        ])
        lina.send("MODE room b")
        self.assertEqual(lina.lines_until_end(), ["BAN room *!~baduser@*", "BAN room zed!*@*"])
        zed = self.irc(daemon, "Zed")
        self.assertReplies(zed, ["JOIN #room"], [numeric(474, "Zed", "#room :Cannot join channel (+b)")])

        # -b lifts it.
        self.assertMode(alice, "MODE #room -b *!~baduser@*", "-b *!~baduser@*", [bob], [lina])
        self.join_as_baduser(mallory, alice, bob, lina)
        self.assertReplies(alice, ["MODE #room b"], [numeric(367, "alice", "#room zed!*@*"),
                                                     numeric(368, "alice", "#room :End of channel ban list")])
        self.assertAlive(baduser)

    def test_ban_list_full_is_478(self):
        daemon = self.start("--max-bans", "1")
        alice, bob, lina = self.room_of_three(daemon)
        self.assertMode(alice, "MODE #room +b one!*@*", "+b one!*@*", [bob], [lina])
        self.assertReplies(alice, ["MODE #room +b two!*@*"], [numeric(478, "alice", "#room :Channel ban list is full")])
        self.assertMode(alice, "MODE #room +o lina", "+o lina", [bob], [lina])
        self.assertEqual(lina.ask("MODE room +b two!*@*"), "ERR too-many-bans")
        self.assertAlive(bob)


if __name__ == "__main__":
    e2e.main("test_irc_channels.py")

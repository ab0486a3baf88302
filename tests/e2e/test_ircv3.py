#!/usr/bin/python3
"""End-to-end tests of the IRCv3 capabilities (docs/IRC.md, IRCv3): message tags,
server-time, msgid, echo-message, and CHATHISTORY in batches, over raw IRC sockets and
line-protocol users in one daemon, every line asserted byte for byte; and Debian's
python3-irc negotiating the capabilities and paging CHATHISTORY.

Usage: /usr/bin/python3 test_ircv3.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_ircv3.py

Every wait is bounded: sockets have timeouts. Nothing sleeps to synchronise: "nothing
else arrived" is shown by a PING whose PONG is the very next line.
"""

import os
import re
import time

import daemon as e2e
from test_irc import CAPS_302, SERVER, IrcTestCase, Reactor, numeric, pong, source

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
MSGID = r"[0-9a-z]{1,16}-[1-9]\d*"


class Ircv3TestCase(IrcTestCase):
    """A daemon without a command rate; clients that ask for capabilities."""

    maxDiff = None

    def start(self, *args, **options):
        return super().start("--rate", "0", *args, **options)

    def capable(self, daemon, nick, caps):
        """An IRC client that asked for `caps` (space-separated) before registering."""
        client = self.irc(daemon)
        client.send("CAP LS 302", f"CAP REQ :{caps}")
        self.assertEqual(client.line(), f":{SERVER} CAP * LS :{CAPS_302}")
        self.assertEqual(client.line(), f":{SERVER} CAP * ACK :{caps}")
        client.send("CAP END")
        client.register(nick)
        return client

    def tagged(self, line, tags_pattern, rest):
        """`line` is "@<tags> <rest>" with tags matching the pattern: the tags, as a dict."""
        match = re.fullmatch(rf"@({tags_pattern}) {re.escape(rest)}", line)
        self.assertIsNotNone(match, f"{line!r} is not @{tags_pattern} {rest}")
        return dict(tag.split("=", 1) for tag in match.group(1).split(";"))


class TagsTest(Ircv3TestCase):
    def test_tags_only_to_those_who_asked_and_the_same_msgid_everywhere(self):
        daemon = self.start()
        both = self.capable(daemon, "both", "server-time message-tags")
        timed = self.capable(daemon, "timed", "server-time")
        plain = self.irc(daemon, "plain")
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("CAPS ids"), "CAPS ids")
        for client in (both, timed, plain):
            client.send("JOIN #room")
            client.until(numeric(366, client.nick, "#room :End of /NAMES list."))
        self.assertEqual(lina.ask("JOIN room"), "OK")
        for client in (both, timed):  # the joins of those after them
            client.until(f"{source('lina', 'lina')} JOIN #room")
        plain.until(f"{source('lina', 'lina')} JOIN #room")
        lina.send("SAY room hello there")
        said = f"{source('lina', 'lina')} PRIVMSG #room :hello there"
        tags = self.tagged(both.line(), rf"time={TIME};msgid={MSGID}", said)
        timed_tags = self.tagged(timed.line(), rf"time={TIME}", said)
        self.assertEqual(plain.line(), said)  # no tags for who did not ask
        self.assertEqual(timed_tags["time"], tags["time"])
        # The msgid is the line protocol's id, and the time its stamp.
        match = re.fullmatch(rf"HIST room ({MSGID}) (\d+) lina hello there", lina.ask("HISTORY room 1"))
        self.assertEqual(lina.line(), "END")
        self.assertEqual(tags["msgid"], match.group(1))
        # A DM to an IRC user with tags: its own encoder adds them.
        lina.send("DM both psst")
        dm = self.tagged(both.line(), rf"time={TIME};msgid={MSGID}",
                         f"{source('lina', 'lina')} PRIVMSG both :psst")
        self.assertNotEqual(dm["msgid"], tags["msgid"])
        for client in (both, timed, plain):
            self.assertAlive(client)

    def test_echo_message_tells_the_sender_its_own_with_the_same_tags(self):
        daemon = self.start()
        alice = self.capable(daemon, "alice", "echo-message message-tags server-time")
        bob = self.capable(daemon, "bob", "message-tags")
        plain = self.irc(daemon, "plain")
        for client in (alice, bob):
            client.send("JOIN #room")
            client.until(numeric(366, client.nick, "#room :End of /NAMES list."))
        alice.until(f"{source('bob')} JOIN #room")
        alice.send("PRIVMSG #room :hi all")
        said = f"{source('alice')} PRIVMSG #room :hi all"
        mine = self.tagged(alice.line(), rf"time={TIME};msgid={MSGID}", said)
        theirs = self.tagged(bob.line(), rf"msgid={MSGID}", said)
        self.assertEqual(mine["msgid"], theirs["msgid"])
        alice.send("PRIVMSG bob :just you")
        mine = self.tagged(alice.line(), rf"time={TIME};msgid={MSGID}", f"{source('alice')} PRIVMSG bob :just you")
        theirs = self.tagged(bob.line(), rf"msgid={MSGID}", f"{source('alice')} PRIVMSG bob :just you")
        self.assertEqual(mine["msgid"], theirs["msgid"])
        alice.send("PRIVMSG &public :everyone")
        self.tagged(alice.line(), rf"time={TIME};msgid={MSGID}", f"{source('alice')} PRIVMSG &public :everyone")
        self.tagged(bob.line(), rf"msgid={MSGID}", f"{source('alice')} PRIVMSG &public :everyone")
        self.assertEqual(plain.line(), f"{source('alice')} PRIVMSG &public :everyone")
        # A refused message is not echoed: only its error comes back.
        self.assertReplies(alice, ["PRIVMSG nobody :hello"], [numeric(401, "alice", "nobody :No such nick/channel")])
        # Without echo-message, nothing of its own.
        self.assertReplies(alice, ["CAP REQ :-echo-message"], [f":{SERVER} CAP alice ACK :-echo-message"])
        alice.send("PRIVMSG #room :quiet now")
        self.tagged(bob.line(), rf"msgid={MSGID}", f"{source('alice')} PRIVMSG #room :quiet now")
        self.assertAlive(alice)

    def test_client_tags_are_dropped_and_bounded(self):
        daemon = self.start()
        alice = self.capable(daemon, "alice", "message-tags")
        bob = self.irc(daemon, "bob")
        alice.send("@+draft/reply=abc;+example.com/x=y PRIVMSG bob :tagged")
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG bob :tagged")  # the tags are not passed on
        # 4094 bytes of tags are accepted with a full 510-byte line after them...
        tags = "@+a=" + "x" * (4094 - 3)
        body = "PRIVMSG bob :" + "y" * (510 - len("PRIVMSG bob :"))
        alice.send(f"{tags} {body}")
        self.assertAlive(alice)  # taken and delivered: bob's copy is queued before this PONG
        bob.send("PING got")
        texts = [line.split(" :", 1)[1] for line in bob.until(pong("got"))[:-1]]
        self.assertEqual("".join(texts), "y" * (510 - len("PRIVMSG bob :")))  # in two lines: the source is longer
        # ...one byte more of either is refused as too long, and the connection stays.
        self.assertReplies(alice, [f"{tags}x {body}"], [numeric(417, "alice", ":Input line was too long")])
        self.assertReplies(alice, [f"{tags} {body}y"], [numeric(417, "alice", ":Input line was too long")])
        self.assertAlive(bob)

    def test_away_notify_and_userhost_in_names(self):
        daemon = self.start()
        alice = self.capable(daemon, "alice", "away-notify userhost-in-names")
        bob = self.irc(daemon, "bob")
        lina = self.line(daemon, "lina")
        self.assertReplies(bob, ["AWAY :lunch"], [numeric(306, "bob", ":You have been marked as being away")])
        self.assertEqual(alice.line(), f"{source('bob')} AWAY :lunch")
        self.assertReplies(bob, ["AWAY"], [numeric(305, "bob", ":You are no longer marked as being away")])
        self.assertEqual(alice.line(), f"{source('bob')} AWAY")
        self.assertAlive(alice)
        self.assertEqual(lina.ask("PING x"), "PONG x")  # the line protocol hears nothing of it
        # NAMES with every member's nick!~user@host (alice's USER is alice, lina is a line user).
        self.assertEqual(lina.ask("JOIN room"), "OK")
        alice.send("JOIN #room")
        self.assertEqual(alice.until(numeric(366, "alice", "#room :End of /NAMES list.")), [
            f"{source('alice')} JOIN #room",
            numeric(353, "alice", f"= #room :{source('alice')[1:]} @{source('lina', 'lina')[1:]}"),
            numeric(366, "alice", "#room :End of /NAMES list."),
        ])

    def test_extended_join_tells_the_account_and_the_real_name(self):
        daemon = self.start("--data-dir", self.tmp)
        registrar = self.line(daemon)
        self.assertEqual(registrar.ask("REGISTER bob password1"), "OK")
        registrar.send("QUIT")
        alice = self.capable(daemon, "alice", "extended-join")
        plain = self.irc(daemon, "pat")
        self.assertReplies(plain, ["JOIN #room"], [
            f"{source('pat')} JOIN #room",
            numeric(353, "pat", "= #room :@pat"),
            numeric(366, "pat", "#room :End of /NAMES list."),
        ])
        # Its own JOIN, a guest's: account "*", and the real name USER gave.
        alice.send("JOIN #room")
        self.assertEqual(alice.until(numeric(366, "alice", "#room :End of /NAMES list.")), [
            f"{source('alice')} JOIN #room * :alice the tester",
            numeric(353, "alice", "= #room :alice @pat"),
            numeric(366, "alice", "#room :End of /NAMES list."),
        ])
        self.assertEqual(plain.line(), f"{source('alice')} JOIN #room")  # the old form
        # bob logs in to his account (IRC, PASS): alice hears his account; so does he.
        bob = self.irc(daemon)
        bob.send("CAP LS 302", "CAP REQ :extended-join", "CAP END", "PASS password1")
        self.assertEqual(bob.lines(2), [f":{SERVER} CAP * LS :{CAPS_302}", f":{SERVER} CAP * ACK :extended-join"])
        bob.register("bob")
        bob.send("JOIN #room")
        self.assertEqual(bob.line(), f"{source('bob')} JOIN #room bob :bob the tester")
        self.assertEqual(alice.line(), f"{source('bob')} JOIN #room bob :bob the tester")
        self.assertEqual(plain.line(), f"{source('bob')} JOIN #room")
        # A line user: its name is its real name; carol is a guest.
        carol = self.line(daemon, "carol")
        self.assertEqual(carol.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), f"{source('carol', 'carol')} JOIN #room * :carol")
        self.assertEqual(plain.line(), f"{source('carol', 'carol')} JOIN #room")
        self.assertAlive(alice)


class ChatHistoryTest(Ircv3TestCase):
    """CHATHISTORY over raw sockets, byte for byte (history in memory: the same ids)."""

    def history_client(self, daemon, nick):
        return self.capable(daemon, nick, "batch draft/chathistory")

    def batch_lines(self, client, command, kind):
        """What `command` answers, a batch of the kind `kind` (a regular expression):
        its reference and the lines between its start and its end."""
        client.send(command)
        start = client.line()
        match = re.fullmatch(rf":{re.escape(SERVER)} BATCH \+(\S+) {kind}", start)
        self.assertIsNotNone(match, start)
        reference = match.group(1)
        lines = []
        while (line := client.line()) != f":{SERVER} BATCH -{reference}":
            lines.append(line)
        return reference, lines

    def batch(self, client, command):
        """The batch CHATHISTORY answers: [(tags, line)], each line without its tags."""
        reference, lines = self.batch_lines(client, command, r"chathistory \S+")
        entries = []
        for line in lines:
            tags, rest = line.split(" ", 1)
            parsed = dict(tag.split("=", 1) for tag in tags[1:].split(";"))
            self.assertEqual(parsed.pop("batch"), reference)
            self.assertRegex(parsed["time"], TIME)
            self.assertRegex(parsed["msgid"], MSGID)
            entries.append((parsed, rest))
        return entries

    def texts(self, entries):
        return [line.split(" :", 1)[1] for _, line in entries]

    def test_chathistory_pages_a_room_by_msgid_and_by_time(self):
        daemon = self.start()
        alice = self.history_client(daemon, "alice")
        lina = self.line(daemon, "lina")
        alice.send("JOIN #room")
        alice.until(numeric(366, "alice", "#room :End of /NAMES list."))
        self.assertEqual(lina.ask("JOIN room"), "OK")
        alice.until(f"{source('lina', 'lina')} JOIN #room")
        for i in range(10):
            lina.send(f"SAY room m{i}")
        for i in range(10):
            alice.line()
        latest = self.batch(alice, "CHATHISTORY LATEST #room * 4")
        self.assertEqual(self.texts(latest), ["m6", "m7", "m8", "m9"])
        self.assertEqual(latest[0][1], f"{source('lina', 'lina')} PRIVMSG #room :m6")
        ids = [tags["msgid"] for tags, _ in latest]
        before = self.batch(alice, f"CHATHISTORY BEFORE #room msgid={ids[0]} 3")
        self.assertEqual(self.texts(before), ["m3", "m4", "m5"])
        first = before[0][0]["msgid"]
        after = self.batch(alice, f"CHATHISTORY AFTER #room msgid={first} 2")
        self.assertEqual(self.texts(after), ["m4", "m5"])
        around = self.batch(alice, f"CHATHISTORY AROUND #room msgid={ids[0]} 4")
        self.assertEqual(self.texts(around), ["m4", "m5", "m6", "m7"])
        between = self.batch(alice, f"CHATHISTORY BETWEEN #room msgid={first} msgid={ids[2]} 10")
        self.assertEqual(self.texts(between), ["m4", "m5", "m6", "m7"])
        backwards = self.batch(alice, f"CHATHISTORY BETWEEN #room msgid={ids[2]} msgid={first} 2")
        self.assertEqual(self.texts(backwards), ["m6", "m7"])  # the latest before the later one
        # LATEST after a reference: what is newer than it.
        self.assertEqual(self.texts(self.batch(alice, f"CHATHISTORY LATEST #room msgid={ids[1]} 10")), ["m8", "m9"])
        # By time: the stamps of the messages themselves (several may share a millisecond).
        every = self.batch(alice, "CHATHISTORY LATEST #room * 10")
        stamp = every[6][0]["time"]  # m6's
        self.assertEqual(self.texts(self.batch(alice, f"CHATHISTORY AFTER #room timestamp={stamp} 10")),
                         [text for (tags, _), text in zip(every, self.texts(every)) if tags["time"] > stamp])
        self.assertEqual(self.texts(self.batch(alice, f"CHATHISTORY BEFORE #room timestamp={stamp} 10")),
                         [text for (tags, _), text in zip(every, self.texts(every)) if tags["time"] < stamp])
        self.assertEqual(self.batch(alice, "CHATHISTORY LATEST &public * 5"), [])  # nothing said there
        self.assertAlive(alice)

    def test_chathistory_of_dms_and_the_refusals(self):
        daemon = self.start()
        alice = self.history_client(daemon, "alice")
        bob = self.irc(daemon, "bob")
        alice.send("PRIVMSG bob :hello bob")
        bob.line()
        bob.send("PRIVMSG alice :hello alice")
        alice.line()
        dms = self.batch(alice, "CHATHISTORY LATEST bob * 10")
        self.assertEqual([line for _, line in dms], [f"{source('alice')} PRIVMSG bob :hello bob",
                                                     f"{source('bob')} PRIVMSG alice :hello alice"])
        msgid = dms[0][0]["msgid"]
        epoch, n = msgid.split("-")
        fail = "FAIL CHATHISTORY"
        self.assertReplies(alice, [
            "CHATHISTORY LATEST #nowhere * 10",
            "CHATHISTORY LATEST bad!nick * 10",
            "CHATHISTORY SOMETIME bob * 10",
            "CHATHISTORY TARGETS timestamp=2026-01-01T00:00:00.000Z msgid=abc-1 10",
            "CHATHISTORY TARGETS timestamp=2026-01-01T00:00:00.000Z timestamp=2027-01-01T00:00:00.000Z 0",
            "CHATHISTORY TARGETS timestamp=2026-01-01T00:00:00.000Z 10",
            "CHATHISTORY BEFORE bob msgid=nonsense 10",
            "CHATHISTORY BEFORE bob timestamp=yesterday 10",
            "CHATHISTORY BEFORE bob * 10",
            "CHATHISTORY LATEST bob * 0",
            "CHATHISTORY LATEST bob * lots",
            "CHATHISTORY LATEST bob",
            f"CHATHISTORY AFTER bob msgid={epoch}-{int(n) + 1000} 10",
            f"CHATHISTORY AFTER bob msgid=zzzzzz-1 10",
        ], [
            f"{fail} INVALID_TARGET LATEST #nowhere :Messages could not be retrieved",
            f"{fail} INVALID_TARGET LATEST bad!nick :Messages could not be retrieved",
            f"{fail} INVALID_PARAMS SOMETIME :Unknown subcommand",
            f"{fail} INVALID_PARAMS TARGETS :Invalid message reference",
            f"{fail} INVALID_PARAMS TARGETS :Invalid limit",
            f"{fail} INVALID_PARAMS TARGETS :Not enough parameters",
            f"{fail} INVALID_PARAMS BEFORE :Invalid message reference",
            f"{fail} INVALID_PARAMS BEFORE :Invalid message reference",
            f"{fail} INVALID_PARAMS BEFORE :Invalid message reference",
            f"{fail} INVALID_PARAMS LATEST :Invalid limit",
            f"{fail} INVALID_PARAMS LATEST :Invalid limit",
            f"{fail} INVALID_PARAMS LATEST :Not enough parameters",
            f"{fail} INVALID_PARAMS AFTER bob :Unknown message reference",  # not given yet
            f"{fail} INVALID_PARAMS AFTER bob :Unknown message reference",  # of a history that is gone
        ])
        # Without the capabilities: an unknown command.
        self.assertReplies(bob, ["CHATHISTORY LATEST alice * 10"],
                           [numeric(421, "bob", "CHATHISTORY :Unknown command")])

    def targets(self, client, first, second, n):
        """CHATHISTORY TARGETS between two times: [(target, time)] of its batch."""
        reference, lines = self.batch_lines(
            client, f"CHATHISTORY TARGETS timestamp={first} timestamp={second} {n}",
            "draft/chathistory-targets")
        found = []
        for line in lines:
            match = re.fullmatch(rf"@batch={re.escape(reference)} :{re.escape(SERVER)} CHATHISTORY TARGETS "
                                 rf"(\S+) ({TIME})", line)
            self.assertIsNotNone(match, line)
            found.append((match.group(1), match.group(2)))
        return found

    def test_chathistory_targets_lists_the_conversations_it_may_read(self):
        for history in ("memory", "sqlite"):
            with self.subTest(history=history):
                data = os.path.join(self.tmp, history)
                self.check_targets(self.start("--data-dir", data, history=history))

    def check_targets(self, daemon):
        alice = self.history_client(daemon, "alice")
        bob, carol, dave = (self.line(daemon, name) for name in ("bob", "Carol", "dave"))
        alice.send("JOIN #room")
        alice.until(numeric(366, "alice", "#room :End of /NAMES list."))
        self.assertEqual(bob.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), f"{source('bob', 'bob')} JOIN #room")
        self.assertEqual(bob.ask("JOIN other"), "OK")  # a room alice is not in
        before = self.batch(alice, "CHATHISTORY LATEST &public * 1")  # nothing yet: only a sync
        self.assertEqual(before, [])
        bob.send("SAY other not for alice")
        bob.send("DM dave not for alice either")
        self.assertEqual(dave.line().split(" ", 1)[0], "DM")
        bob.send("SAY room r1")
        self.assertTrue(alice.line().endswith("PRIVMSG #room :r1"))
        bob.send("MSG p1")
        self.assertTrue(alice.line().endswith("PRIVMSG &public :p1"))
        carol.send("DM alice d1")
        self.assertTrue(alice.line().endswith("PRIVMSG alice :d1"))
        alice.send("PRIVMSG dave :d2")
        self.assertEqual([dave.line(), dave.line()], ["MSG bob p1", "DM alice d2"])
        # Each conversation with the time of its latest message, as CHATHISTORY LATEST has
        # it, ordered by that time: the public feed, its room, and its DMs (Carol as she
        # spells herself; dave, who never wrote to alice, by his name in lower case).
        latest = {target: self.batch(alice, f"CHATHISTORY LATEST {target} * 1")[0][0]["time"]
                  for target in ("&public", "#room", "carol", "dave")}
        expected = sorted(((name, latest[name.lower()]) for name in ("&public", "#room", "Carol", "dave")),
                          key=lambda entry: (entry[1], entry[0]))
        early, late = "2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"
        self.assertEqual(self.targets(alice, early, late, 10), expected)
        self.assertEqual(self.targets(alice, early, late, 2), expected[:2])  # the first two
        self.assertEqual(self.targets(alice, late, early, 2), expected[2:])  # the last two
        # Strictly between the two times: a window that ends at the first latest leaves it out.
        self.assertEqual(self.targets(alice, early, expected[0][1], 10), [])
        self.assertEqual(self.targets(alice, early, "2001-01-01T00:00:00.000Z", 10), [])
        # Someone in no room and in no DM: only the public feed.
        eve = self.history_client(daemon, "eve")
        self.assertEqual([name for name, _ in self.targets(eve, early, late, 10)], ["&public"])
        # A guest who takes a name again does not see the DMs of the name's earlier user.
        alice.send("QUIT")
        self.assertEqual(dave.line(), "INFO alice disconnected")
        again = self.history_client(daemon, "alice")
        self.assertEqual([name for name, _ in self.targets(again, early, late, 10)], ["&public"])
        self.assertAlive(again)


class LabeledResponseTest(Ircv3TestCase):
    """labeled-response: every labeled line is answered once, with its label on one line,
    on a labeled-response batch, or on an ACK; with history in memory (stored at once),
    in SQLite (stored, and echoed, on the writer's thread) and off."""

    CAPS = "labeled-response batch echo-message message-tags draft/chathistory"

    def answer(self, client, *lines):
        """What the server sends for the lines (one write): every line before the PONG of
        a PING sent after them."""
        client.send(*lines, "PING end")
        return client.until(pong("end"))[:-1]

    def echo(self, nick, target, text, stored):
        """A message's echo as (its tags, the rest), patterns: the msgid when it is stored."""
        return (rf"msgid={MSGID}" if stored else "",
                re.escape(f"{source(nick)} PRIVMSG {target} :{text}"))

    def labeled(self, label, entry):
        tags, rest = entry
        return rf"@label={label}{';' + tags if tags else ''} {rest}"

    def assertLines(self, lines, patterns):
        self.assertEqual(len(lines), len(patterns), lines)
        for line, pattern in zip(lines, patterns):
            self.assertRegex(line, f"^{pattern}$")

    def batch(self, label, entries):
        """The patterns of a labeled-response batch of the entries, (tags, rest) each."""
        patterns = [rf"@label={label} :{SERVER} BATCH \+lr\d+ labeled-response"]
        for tags, rest in entries:
            patterns.append(rf"@batch=lr\d+{';' + tags if tags else ''} {rest}")
        patterns.append(rf":{SERVER} BATCH -lr\d+")
        return patterns

    def plain(self, line):
        return "", re.escape(line)

    def test_labeled_answers_are_one_line_a_batch_or_an_ack(self):
        for history in ("memory", "sqlite", "off"):
            with self.subTest(history=history):
                data = os.path.join(self.tmp, f"labels-{history}")
                self.check_answers(self.start("--data-dir", data, history=history), history != "off")

    def check_answers(self, daemon, stored):
        alice = self.capable(daemon, "alice", self.CAPS)
        bob = self.irc(daemon, "bob")
        for client in (alice, bob):
            client.send("JOIN #room")
            client.until(numeric(366, client.nick, "#room :End of /NAMES list."))
        alice.until(f"{source('bob')} JOIN #room")
        # The echo is the whole answer: the label on it; the others' copy has none.
        self.assertLines(self.answer(alice, "@label=e1 PRIVMSG #room :hi"),
                         [self.labeled("e1", self.echo("alice", "#room", "hi", stored))])
        self.assertEqual(bob.line(), f"{source('alice')} PRIVMSG #room :hi")
        # One reply; none (ACK); an error.
        self.assertEqual(self.answer(alice, "@label=p1 PING :tok"), [f"@label=p1 {pong('tok')}"])
        self.assertEqual(self.answer(alice, "@label=a1 PONG :x"), [f"@label=a1 :{SERVER} ACK"])
        self.assertEqual(self.answer(alice, "@label=n1 PRIVMSG nobody :x"),
                         [f"@label=n1 {numeric(401, 'alice', 'nobody :No such nick/channel')}"])
        self.assertEqual(self.answer(alice, "@label=x1 NOTICE nobody :x"), [f"@label=x1 :{SERVER} ACK"])
        # Several lines: a batch of what the same command answers unlabeled.
        whois = self.answer(alice, "WHOIS bob")
        self.assertEqual(whois[-1], numeric(318, "alice", "bob :End of /WHOIS list."))
        self.assertLines(self.answer(alice, "@label=w1 WHOIS bob"), self.batch("w1", map(self.plain, whois)))
        self.assertLines(self.answer(alice, "@label=j1 JOIN #other"), self.batch("j1", [
            self.plain(f"{source('alice')} JOIN #other"),
            self.plain(numeric(353, "alice", "= #other :@alice")),
            self.plain(numeric(366, "alice", "#other :End of /NAMES list."))]))
        # Messages in flight together: each echo with its own label, in order.
        self.assertLines(self.answer(alice, *(f"@label=q{i} PRIVMSG #room :m{i}" for i in range(5))),
                         [self.labeled(f"q{i}", self.echo("alice", "#room", f"m{i}", stored)) for i in range(5)])
        self.assertEqual(bob.lines(5), [f"{source('alice')} PRIVMSG #room :m{i}" for i in range(5)])
        # Two targets, two echoes: a batch.
        answer = self.answer(alice, "@label=t1 PRIVMSG #room,bob :both")
        self.assertLines(answer, self.batch("t1", [self.echo("alice", "#room", "both", stored),
                                                   self.echo("alice", "bob", "both", stored)]))
        # A DM to someone away: 301, then the echo, in one batch.
        self.assertEqual(bob.until(f"{source('alice')} PRIVMSG bob :both")[-2:], [
            f"{source('alice')} PRIVMSG #room :both", f"{source('alice')} PRIVMSG bob :both"])
        self.assertReplies(bob, ["AWAY :lunch"], [numeric(306, "bob", ":You have been marked as being away")])
        self.assertLines(self.answer(alice, "@label=d1 PRIVMSG bob :there?"), self.batch("d1", [
            self.plain(numeric(301, "alice", "bob :lunch")), self.echo("alice", "bob", "there?", stored)]))
        if stored:
            # CHATHISTORY's batch is the whole answer: the label on its start.
            answer = self.answer(alice, "@label=h1 CHATHISTORY LATEST #room * 1")
            self.assertLines(answer, [
                rf"@label=h1 :{SERVER} BATCH \+(\d+) chathistory #room",
                rf"@batch=\d+;time={TIME};msgid={MSGID} {re.escape(source('alice'))} PRIVMSG #room :both",
                rf":{SERVER} BATCH -\d+"])
        # Without echo-message a message is answered by nothing: ACK.
        self.assertReplies(alice, ["CAP REQ :-echo-message"], [f":{SERVER} CAP alice ACK :-echo-message"])
        self.assertEqual(self.answer(alice, "@label=s1 PRIVMSG #room :quiet"), [f"@label=s1 :{SERVER} ACK"])
        self.assertEqual(bob.until(f"{source('alice')} PRIVMSG #room :quiet")[-1], f"{source('alice')} PRIVMSG #room :quiet")

    def test_a_labeled_line_over_the_rate_limit_is_answered_by_its_labeled_263(self):
        # A burst of 8 and one more every 10 s: registration and CAP spend some; of eight
        # labeled lines, the first get their answer and the rest 263, each labeled once.
        daemon = IrcTestCase.start(self, "--rate", "0.1", "--rate-burst", "8")
        alice = self.capable(daemon, "alice", "labeled-response batch")
        lines = [f"@label=t{i} TIME" if i % 2 else f"@label=t{i} PING :p{i}" for i in range(8)]
        alice.send(*lines)
        answers = alice.lines(8)
        kinds = []
        for i, line in enumerate(answers):
            command = "TIME" if i % 2 else "PING"
            answered = rf"@label=t{i} " + (rf":{SERVER} 391 alice {SERVER} :.+" if i % 2 else re.escape(pong(f"p{i}")))
            refused = rf"@label=t{i} " + re.escape(numeric(263, "alice", f"{command} :Please wait a while and try again."))
            self.assertRegex(line, f"^({answered}|{refused})$")
            kinds.append("263" if " 263 " in line else "ok")
        self.assertIn("ok", kinds)
        self.assertEqual(kinds[-1], "263")
        self.assertEqual(kinds, sorted(kinds, key=lambda kind: kind == "263"))  # answers, then refusals

    def test_labels_only_for_clients_that_asked_with_batch_and_only_short_ones(self):
        daemon = self.start()
        without = self.capable(daemon, "without", "message-tags")
        no_batch = self.capable(daemon, "nobatch", "labeled-response")
        labeled = self.capable(daemon, "labeled", "labeled-response batch")
        for client in (without, no_batch):
            self.assertEqual(self.answer(client, "@label=l1 PING :t"), [pong("t")])
            self.assertEqual(self.answer(client, "@label=l1 PONG :t"), [])
        self.assertEqual(self.answer(labeled, f"@label={'x' * 64} PING :t"), [f"@label={'x' * 64} {pong('t')}"])
        self.assertEqual(self.answer(labeled, f"@label={'x' * 65} PING :t"), [pong("t")])  # too long: ignored
        self.assertEqual(self.answer(labeled, "@label= PING :t"), [pong("t")])  # no value
        # Unlabeled lines between labeled ones are answered as ever.
        self.assertEqual(self.answer(labeled, "PING :a", "@label=b PING :b", "PING :c"),
                         [pong("a"), f"@label=b {pong('b')}", pong("c")])
        self.assertAlive(labeled)


class PythonIrcTest(IrcTestCase):
    """Debian's python3-irc negotiates the capabilities and pages CHATHISTORY. Its version
    in Debian 12 parses no message tags, so the batches are read from its raw lines."""

    def test_a_python_irc_client_negotiates_and_pages_chathistory(self):
        daemon = IrcTestCase.start(self, "--rate", "0")
        lina = self.line(daemon, "lina")
        self.assertEqual(lina.ask("JOIN news"), "OK")
        for i in range(7):
            lina.send(f"SAY news item {i}")
        self.assertAlive(lina)

        reactor = Reactor()
        connection = reactor.server()
        seen = {"caps": None, "batches": [], "current": None}

        def on_cap(conn, event):
            if event.arguments[0] == "LS":
                conn.cap("REQ", "batch", "draft/chathistory", "message-tags", "server-time")
            elif event.arguments[0] == "ACK":
                seen["caps"] = event.arguments[1].split()
                conn.cap("END")

        def on_welcome(conn, event):
            conn.join("#news")

        def on_join(conn, event):
            if event.source.nick == "pyirc":
                conn.send_raw("CHATHISTORY LATEST #news * 3")

        def on_raw(conn, event):
            line = event.arguments[0]
            if re.match(r"^:\S+ BATCH \+", line):
                seen["current"] = []
            elif re.match(r"^:\S+ BATCH -", line):
                seen["batches"].append(seen["current"])
                if len(seen["batches"]) == 1:  # the page before the first of that one
                    conn.send_raw(f"CHATHISTORY BEFORE #news msgid={seen['batches'][0][0]['msgid']} 3")
            elif line.startswith("@") and seen["current"] is not None:
                tags, rest = line[1:].split(" ", 1)
                tags = dict(tag.split("=", 1) for tag in tags.split(";"))
                seen["current"].append({**tags, "text": rest.split(" :", 1)[1]})

        connection.add_global_handler("cap", on_cap)
        connection.add_global_handler("welcome", on_welcome)
        connection.add_global_handler("join", on_join)
        connection.add_global_handler("all_raw_messages", on_raw)
        connection.connect("127.0.0.1", daemon.ports["irc"], "pyirc")
        connection.cap("LS", "302")
        deadline = time.monotonic() + e2e.TIMEOUT
        try:
            while len(seen["batches"]) < 2 and time.monotonic() < deadline:
                reactor.process_once(0.2)
        finally:
            connection.close()
        self.assertEqual(sorted(seen["caps"]), ["batch", "draft/chathistory", "message-tags", "server-time"])
        self.assertEqual(len(seen["batches"]), 2, seen)
        self.assertEqual([m["text"] for m in seen["batches"][0]], ["item 4", "item 5", "item 6"])
        self.assertEqual([m["text"] for m in seen["batches"][1]], ["item 1", "item 2", "item 3"])
        for message in seen["batches"][0] + seen["batches"][1]:
            self.assertRegex(message["msgid"], MSGID)
            self.assertRegex(message["time"], TIME)


if __name__ == "__main__":
    e2e.main(__file__)

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

import re

import daemon as e2e
from test_irc import CAPS_302, SERVER, IrcTestCase, numeric, pong, source

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
MSGID = r"[0-9a-z]{1,16}-[1-9]\d*"


class TagsTest(IrcTestCase):
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


if __name__ == "__main__":
    e2e.main(__file__)

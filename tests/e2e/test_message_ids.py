#!/usr/bin/python3
"""End-to-end tests of message ids and resuming (docs/PROTOCOL.md, "Message ids and
resuming after a reconnect"): the real socketchatd with SQLite and in-memory history,
line-protocol users over TCP, every line asserted byte for byte.

Usage: /usr/bin/python3 test_message_ids.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_message_ids.py

Standard library only. Every wait is bounded: sockets have timeouts. Nothing sleeps to
synchronise: "nothing else arrived" is shown by a PING whose PONG is the very next line.
"""

import re
import threading

import daemon as e2e

ID = r"([0-9a-z]{1,16})-([1-9][0-9]*)"
STAMP = r"[0-9]{13}"


class MessageIdsTest(e2e.DaemonTestCase):
    maxDiff = None

    def start(self, *args):
        return self.keep_daemon(e2e.Daemon("--rate", "0", "--data-dir", self.tmp, *args))

    def user(self, daemon, name, ids=True):
        client = self.keep(daemon.client())
        if ids:
            self.assertEqual(client.ask("CAPS ids"), "CAPS ids")
        client.login(name)
        return client

    def quiet(self, client):
        """Nothing else has arrived for `client`: its PING is answered next."""
        self.assertEqual(client.ask("PING quiet"), "PONG quiet")

    def parts(self, pattern, line):
        match = re.fullmatch(pattern, line)
        self.assertIsNotNone(match, f"{line!r} is not {pattern!r}")
        return match

    def bob_in_room(self, daemon):
        """bob, with ids, in room (`name` set, for say())."""
        bob = self.user(daemon, "bob")
        bob.name = "bob"
        self.assertEqual(bob.ask("JOIN room"), "OK")
        return bob

    def in_room(self, daemon):
        """alice, then bob, with ids, in room; alice has seen bob join."""
        alice = self.user(daemon, "alice")
        self.assertEqual(alice.ask("JOIN room"), "OK")
        bob = self.bob_in_room(daemon)
        self.assertEqual(alice.line(), "INFO bob joined room")
        return alice, bob

    def say(self, speaker, listener, room, text):
        """`speaker` says `text` in `room`; `listener` receives it with an id: its id."""
        speaker.send(f"SAY {room} {text}")
        line = listener.line()
        match = self.parts(rf"SAY {room} ({ID}) ({STAMP}) {speaker.name} {re.escape(text)}", line)
        return match.group(1)

    def test_caps_turns_ids_on_and_off_and_refuses_what_it_does_not_know(self):
        daemon = self.start("--history", "memory")
        client = self.keep(daemon.client())
        self.assertEqual(client.ask("CAPS"), "CAPS")
        self.assertEqual(client.ask("CAPS ids"), "CAPS ids")
        self.assertEqual(client.ask("CAPS"), "CAPS ids")
        self.assertEqual(client.ask("caps -ids"), "CAPS")
        self.assertEqual(client.ask("CAPS ids shout"), "ERR invalid-argument")
        self.assertEqual(client.ask("CAPS"), "CAPS")  # nothing changed
        self.assertEqual(client.ask("CAPS echo ids"), "CAPS ids echo")
        self.assertEqual(client.ask("CAPS -echo"), "CAPS ids")

    def test_echo_gives_the_sender_its_own_messages_with_their_ids(self):
        daemon = self.start("--history", "sqlite")
        alice = self.keep(daemon.client())
        self.assertEqual(alice.ask("CAPS ids echo"), "CAPS ids echo")
        alice.login("alice")
        bob = self.user(daemon, "bob")
        self.assertEqual(alice.ask("JOIN room"), "OK")
        self.assertEqual(bob.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined room")
        alice.send("SAY room hello")
        mine = self.parts(rf"SAY room ({ID}) ({STAMP}) alice hello", alice.line())
        self.assertEqual(bob.line(), f"SAY room {mine.group(1)} {mine.group(4)} alice hello")  # the same id
        alice.send("MSG to all")
        mine = self.parts(rf"MSG ({ID}) {STAMP} alice to all", alice.line())
        self.assertEqual(bob.line().split(" ")[1], mine.group(1))
        alice.send("DM bob psst")
        mine = self.parts(rf"DM ({ID}) {STAMP} alice bob psst", alice.line())
        self.assertEqual(bob.line().split(" ")[1], mine.group(1))
        alice.send("DM alice note to self")  # once, not twice
        self.parts(rf"DM {ID} {STAMP} alice alice note to self", alice.line())
        self.quiet(alice)
        # A room that takes anyone's messages (-n): a sender outside it hears its own.
        alice.send("MODE room -n")  # alice made the room: its operator
        self.assertEqual(sorted([alice.line(), alice.line()]), ["MODE room alice -n", "OK"])
        self.assertEqual(bob.line(), "MODE room alice -n")
        self.assertEqual(alice.ask("PART room"), "OK")
        self.assertEqual(bob.line(), "INFO alice left room")
        alice.send("SAY room from outside")
        mine = self.parts(rf"SAY room ({ID}) {STAMP} alice from outside", alice.line())
        self.assertEqual(bob.line().split(" ")[2], mine.group(1))
        self.quiet(alice)
        # Without echo, nothing of its own comes back.
        self.assertEqual(alice.ask("CAPS -echo"), "CAPS ids")
        alice.send("MSG quiet")
        self.assertEqual(bob.line().split(" ", 3)[3], "alice quiet")
        self.quiet(alice)

    def test_lines_with_ids_and_without_and_history_pages_by_id(self):
        daemon = self.start("--history", "sqlite")
        alice = self.user(daemon, "alice")
        alice.name = "alice"
        bob = self.user(daemon, "bob")
        bob.name = "bob"
        plain = self.user(daemon, "carol", ids=False)
        for client in (alice, bob, plain):
            self.assertEqual(client.ask("JOIN room"), "OK")
        # The joins' INFO lines, to whoever was there before.
        self.assertEqual(alice.line(), "INFO bob joined room")
        self.assertEqual(alice.line(), "INFO carol joined room")
        self.assertEqual(bob.line(), "INFO carol joined room")
        ids = []
        for i in range(5):
            bob.send(f"SAY room m{i}")
            line = alice.line()
            match = self.parts(rf"SAY room ({ID}) ({STAMP}) bob m{i}", line)
            ids.append((match.group(1), match.group(2), int(match.group(3)), match.group(4)))
            self.assertEqual(plain.line(), f"SAY room bob m{i}")  # the seed's line, byte for byte
        epochs = {epoch for _, epoch, _, _ in ids}
        self.assertEqual(len(epochs), 1)
        numbers = [n for _, _, n, _ in ids]
        self.assertEqual(numbers, sorted(numbers))
        self.assertEqual(len(set(numbers)), 5)
        # A MSG and a DM carry them too; a DM names its recipient.
        bob.send("MSG hello all")
        self.parts(rf"MSG {ID} {STAMP} bob hello all", alice.line())
        self.assertEqual(plain.line(), "MSG bob hello all")
        bob.send("DM alice psst")
        self.parts(rf"DM {ID} {STAMP} bob alice psst", alice.line())
        # HIST lines carry the same id and stamp as the live ones.
        hist = alice.ask("HISTORY room 2").splitlines() + alice.lines_until_end()
        self.assertEqual(hist, [f"HIST room {ids[3][0]} {ids[3][3]} bob m3", f"HIST room {ids[4][0]} {ids[4][3]} bob m4"])
        self.assertEqual(plain.ask("HISTORY room 1"), f"HIST room {ids[4][3]} bob m4")
        self.assertEqual(plain.line(), "END")
        # AFTER pages forward from an id, the first n; BEFORE backward, the latest n.
        alice.send(f"HISTORY room AFTER {ids[0][0]} 2")
        self.assertEqual(alice.lines_until_end(), [f"HIST room {ids[1][0]} {ids[1][3]} bob m1", f"HIST room {ids[2][0]} {ids[2][3]} bob m2"])
        alice.send(f"HISTORY room AFTER {ids[4][0]}")
        self.assertEqual(alice.lines_until_end(), [])  # nothing newer
        alice.send(f"HISTORY room BEFORE {ids[3][0]} 2")
        self.assertEqual(alice.lines_until_end(), [f"HIST room {ids[1][0]} {ids[1][3]} bob m1", f"HIST room {ids[2][0]} {ids[2][3]} bob m2"])
        # Ids that do not parse, or that were never given: ERR invalid-id.
        epoch, last = ids[4][1], ids[4][2]
        for bad in ("x", "-1", f"{epoch}-0", f"{epoch}-01", f"{epoch[:-1]}Z-1", "a" * 17 + "-1", f"{epoch}-{last + 1000}"):
            self.assertEqual(alice.ask(f"HISTORY room AFTER {bad}"), "ERR invalid-id", bad)
        self.assertEqual(alice.ask(f"JOIN other SINCE nonsense"), "ERR invalid-id")
        self.assertEqual(alice.ask("WHO other"), "ERR no-such-room")  # not joined
        # A room it is not in: its history is not the asker's, whatever the id.
        self.assertEqual(plain.ask("PART room"), "OK")
        self.assertEqual(plain.ask(f"HISTORY room AFTER {ids[0][0]}"), "ERR not-in-room")
        for client in (alice, bob):
            self.assertEqual(client.line(), "INFO carol left room")
            self.quiet(client)

    def test_a_resume_after_a_reconnect_and_a_restart_misses_nothing(self):
        daemon = self.start("--history", "sqlite")
        alice, bob = self.in_room(daemon)
        seen = self.say(bob, alice, "room", "before")
        alice.close()
        self.assertEqual(bob.line(), "INFO alice disconnected")
        # While alice is away, bob talks on, and the daemon restarts in the middle.
        bob.send("SAY room while away 1")
        self.assertEqual(bob.ask("PING sync"), "PONG sync")
        daemon.kill()
        daemon = self.start("--history", "sqlite")
        bob = self.bob_in_room(daemon)
        bob.send("SAY room while away 2")
        self.assertEqual(bob.ask("PING sync"), "PONG sync")
        # alice comes back: one command joins and replays what it missed, across the restart.
        alice = self.user(daemon, "alice")
        self.assertEqual(alice.ask(f"JOIN room SINCE {seen}"), "OK")
        replay = alice.lines_until_end()
        self.assertEqual(len(replay), 2, replay)
        first = self.parts(rf"HIST room ({ID}) {STAMP} bob while away 1", replay[0])
        second = self.parts(rf"HIST room ({ID}) {STAMP} bob while away 2", replay[1])
        self.assertEqual(first.group(2), seen.split("-")[0])  # the same epoch: the same history
        self.assertLess(int(first.group(3)), int(second.group(3)))
        self.assertLess(int(seen.split("-")[1]), int(first.group(3)))
        self.assertEqual(bob.line(), "INFO alice joined room")
        # Live again: the next message comes with the next id.
        after = self.say(bob, alice, "room", "back")
        self.assertLess(int(second.group(3)), int(after.split("-")[1]))
        # Resuming from the latest id replays nothing.
        self.assertEqual(alice.ask("PART room"), "OK")
        self.assertEqual(bob.line(), "INFO alice left room")
        self.assertEqual(alice.ask(f"JOIN room SINCE {after}"), "OK")
        self.assertEqual(alice.lines_until_end(), [])
        self.assertEqual(bob.line(), "INFO alice joined room")

    def test_a_history_that_is_gone_says_so(self):
        daemon = self.start("--history", "memory")
        alice, bob = self.in_room(daemon)
        seen = self.say(bob, alice, "room", "kept in memory")
        daemon.kill()
        daemon = self.start("--history", "memory")  # a new history: a new epoch
        bob = self.bob_in_room(daemon)
        bob.send("SAY room after the restart")
        self.assertEqual(bob.ask("PING sync"), "PONG sync")
        alice = self.user(daemon, "alice")
        self.assertEqual(alice.ask(f"JOIN room SINCE {seen}"), "OK")
        self.assertEqual(alice.line(), "GAP room reset")
        replay = alice.lines_until_end()
        self.assertEqual(len(replay), 1, replay)  # the new history's latest
        match = self.parts(rf"HIST room ({ID}) {STAMP} bob after the restart", replay[0])
        self.assertNotEqual(match.group(2), seen.split("-")[0])
        # BEFORE an id of another epoch: nothing, said so.
        alice.send(f"HISTORY room BEFORE {seen}")
        self.assertEqual(alice.line(), "GAP room reset")
        self.assertEqual(alice.line(), "END")

    def resume_after(self, history, missed):
        """alice leaves the room after one message, bob says `missed` more, alice comes
        back with JOIN SINCE: alice, the replay's first line, and the rest of the replay."""
        daemon = self.start("--history", history)
        alice, bob = self.in_room(daemon)
        seen = self.say(bob, alice, "room", "seen")
        self.assertEqual(alice.ask("PART room"), "OK")
        self.assertEqual(bob.line(), "INFO alice left room")
        for i in range(missed):
            bob.send(f"SAY room {i}")
        self.assertEqual(bob.ask("PING sync"), "PONG sync")
        self.assertEqual(alice.ask(f"JOIN room SINCE {seen}"), "OK")
        first = alice.line()
        return alice, first, alice.lines_until_end()

    def test_a_resume_past_what_one_replay_holds_says_more(self):
        alice, first, replay = self.resume_after("sqlite", 501)
        self.assertEqual(first, "GAP room more")
        self.assertEqual(len(replay), 500)
        self.assertTrue(replay[0].endswith(" bob 1"), replay[0])
        self.assertTrue(replay[-1].endswith(" bob 500"), replay[-1])
        first_id = replay[0].split(" ")[2]
        # The one left out is still there, before the first replayed.
        alice.send(f"HISTORY room BEFORE {first_id} 10")
        earlier = alice.lines_until_end()
        self.assertEqual([line.split(" ", 5)[5] for line in earlier], ["seen", "0"])

    def test_a_resume_past_what_history_in_memory_keeps_says_expired(self):
        _, first, replay = self.resume_after("memory", 501)  # 500 a room (MemoryHistoryStore)
        self.assertEqual(first, "GAP room expired")
        self.assertEqual(len(replay), 500)
        self.assertTrue(replay[0].endswith(" bob 1"), replay[0])
        self.assertTrue(replay[-1].endswith(" bob 500"), replay[-1])

    def test_live_messages_from_two_senders_arrive_in_the_order_of_their_ids(self):
        # Two I/O threads, so that the two senders' commands are read and stored at
        # once; a listener that got a later id before an earlier one would resume past
        # the earlier one and never have it.
        for history in ("sqlite", "memory"):
            with self.subTest(history=history):
                daemon = self.start("--history", history, "--threads", "2")
                bob = self.bob_in_room(daemon)
                senders = [self.user(daemon, name, ids=False) for name in ("alice", "carol")]
                for sender in senders:
                    self.assertEqual(sender.ask("JOIN room"), "OK")
                count = 2000
                batches = [
                    "".join(f"SAY room {sender_index} {i}\n" for i in range(count)).encode()
                    for sender_index in range(len(senders))
                ]
                writers = [
                    threading.Thread(target=sender.sock.sendall, args=(batch,))
                    for sender, batch in zip(senders, batches)
                ]
                for writer in writers:
                    writer.start()
                numbers, next_of = [], {"alice": 0, "carol": 0}
                while len(numbers) < 2 * count:
                    line = bob.line()
                    if line.startswith("INFO "):
                        continue  # alice and carol joining
                    match = self.parts(rf"SAY room {ID} {STAMP} (alice|carol) [01] ([0-9]+)", line)
                    numbers.append(int(match.group(2)))
                    # Each sender's own messages in the order it sent them.
                    self.assertEqual(int(match.group(4)), next_of[match.group(3)])
                    next_of[match.group(3)] += 1
                for writer in writers:
                    writer.join()
                out_of_order = [
                    (earlier, later) for earlier, later in zip(numbers, numbers[1:]) if later <= earlier
                ]
                self.assertEqual(out_of_order, [])
                self.quiet(bob)
                daemon.kill()

if __name__ == "__main__":
    e2e.main(__file__)

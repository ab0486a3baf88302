#!/usr/bin/python3
"""End-to-end tests of the cluster (docs/CLUSTER.md): several real socketchatd nodes joined
to one real redis-server with --cluster serve one world, driven over loopback the way users
drive them (the line protocol of docs/PROTOCOL.md over tcp://, IRC over irc://, the line
protocol over ws://).

Usage: /usr/bin/python3 test_cluster.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_cluster.py

Each test starts a redis-server of its own (cluster.RedisServer: Debian's redis-server with
packaging/redis.conf, a free port, a temporary directory) and its nodes. Standard library,
python3-irc and python3-websockets (through test_irc and test_websocket). Every wait is
bounded. Nothing sleeps where an event can be awaited: a reply or notice is awaited with a
deadline, and "nothing else arrived" is shown by a PING whose PONG is the very next line.
Two things have no event to await, and are polled with a deadline: what WHO and ROOMS list
on another node (logins are announced to nobody), and whether a node took a message again
after Redis came back. The one sleep is the Redis outage itself (RedisPauseTest).
"""

import os
import re
import signal
import socket
import subprocess
import time

import redis as redis_client

import daemon as e2e
from cluster import ClusterTestCase, RedisServer, Relay, start_node
from daemon import TIMEOUT
from test_irc import SERVER, Irc, numeric, pong, source
from test_websocket import WsClient

LEASE = 1.0  # --cluster-lease for the SIGKILL test: a dead node's users go within LEASE + 2 s
POLL = 0.1  # seconds between two questions while a list settles (10/s: under --rate 20)
RACE_ROUNDS = 40  # concurrent LOGINs of one fresh name on two nodes
ORDERED = 200  # messages from one sender whose order is checked
MISSED = 100  # room messages sent while a node is cut off from Redis


def line_within(client, seconds):
    """The client's next line, waiting at most `seconds` (None at end of stream)."""
    sock = client.sock
    sock.settimeout(max(seconds, 0.001))
    try:
        return client.line()
    except socket.timeout:
        raise AssertionError(f"no line within {seconds:.1f} s") from None
    finally:
        sock.settimeout(TIMEOUT)


def ask_list(client, command):
    """A list command's entries (the lines before END); an ERR reply as a list of itself."""
    client.send(command)
    first = client.line()
    if first is None or first.startswith("ERR "):
        return [first]
    lines = [] if first == "END" else [first]
    if first != "END":
        lines += client.lines_until_end()
    return lines


class ClusterTest(ClusterTestCase):
    def assertAlive(self, client, token="alive"):
        """PING answers PONG as the very next line: nothing else was queued for the client."""
        if isinstance(client, Irc):
            self.assertEqual(client.ask(f"PING {token}"), pong(token))
        else:
            self.assertEqual(client.ask(f"PING {token}"), f"PONG {token}")

    def assertListed(self, client, command, expected, timeout=TIMEOUT):
        """`command` (WHO, WHO <room>, ROOMS) asked on the client's node lists `expected`,
        now or once the node has heard of the others' changes (polled: no event says so)."""
        deadline = time.monotonic() + timeout
        while True:
            got = ask_list(client, command)
            if got == expected:
                return
            if time.monotonic() >= deadline:
                self.fail(f"{command} lists {got}, not {expected}, after {timeout} s")
            time.sleep(POLL)

    def everyone(self, users, names):
        """Waits until WHO on each user's node lists exactly `names` (as WHO shows them)."""
        for user in users:
            self.assertListed(user, "WHO", [f"USER {name}" for name in names])

    def four_users(self, *args):
        """Three nodes; alice and dave on node 1, bob on node 2, carol on node 3, each
        node's WHO listing all four. Returns (alice, bob, carol, dave)."""
        one, two, three = self.nodes(3, *args)
        alice, dave = self.user(one, "alice"), self.user(one, "dave")
        bob, carol = self.user(two, "bob"), self.user(three, "carol")
        self.everyone([alice, bob, carol], ["alice", "bob", "carol", "dave"])
        return alice, bob, carol, dave


class NamesTest(ClusterTest):
    def test_a_name_taken_on_one_node_is_taken_on_every_node_without_regard_to_case(self):
        one, two, three = self.nodes(3)
        alice = self.user(one, "alice")
        other = self.user(two)
        self.assertEqual(other.ask("LOGIN ALICE"), "ERR username-taken")
        self.assertEqual(self.user(three).ask("LOGIN Alice"), "ERR username-taken")
        self.assertEqual(self.user(one).ask("LOGIN aLiCe"), "ERR username-taken")  # and on its own
        self.assertEqual(other.ask("MSG hi"), "ERR not-logged-in")
        other.login("alicia")  # a refused LOGIN may be retried
        self.assertAlive(alice)

    def test_one_name_claimed_on_two_nodes_at_once_goes_to_exactly_one(self):
        one, two = self.nodes(2)
        for round in range(RACE_ROUNDS):
            here, there = self.user(one), self.user(two)
            for client in (here, there):  # both connections accepted and served before the race
                self.assertAlive(client)
            name = f"race{round}"
            # Every other round the second claim spells the name differently.
            claims = [(here, name), (there, name.upper() if round % 2 else name)]
            if round % 4 >= 2:
                claims.reverse()  # and which node hears first alternates
            for client, spelled in claims:
                client.send(f"LOGIN {spelled}")
            replies = sorted(client.line() for client, _ in claims)
            self.assertEqual(replies, ["ERR username-taken", "OK"], f"round {round}: {claims[0][1]}")


class DirectoryTest(ClusterTest):
    def test_who_on_any_node_lists_the_users_of_every_node(self):
        one, two, three = self.nodes(3)
        users = [self.user(one, "carol"), self.user(two, "alice"), self.user(three, "Bob"),
                 self.user(one, "dave")]
        self.everyone(users[:3], ["alice", "Bob", "carol", "dave"])  # sorted without regard to case

    def test_who_room_and_rooms_list_members_and_rooms_of_every_node(self):
        one, two, three = self.nodes(3)
        alice, dave = self.user(one, "alice"), self.user(one, "dave")
        bob, carol = self.user(two, "Bob"), self.user(three, "carol")
        self.assertEqual(alice.ask("JOIN lobby"), "OK")
        self.assertEqual(bob.ask("JOIN LOBBY"), "OK")  # the room alice made: names ignore case
        self.assertEqual(alice.line(), "INFO Bob joined lobby")
        self.assertEqual(carol.ask("JOIN Games"), "OK")
        for user in (dave, bob, carol):  # one on each node, none told of anything since
            self.assertListed(user, "ROOMS", ["ROOM Games 1", "ROOM lobby 2"])
            self.assertListed(user, "WHO lobby", ["USER alice", "USER Bob"])
            self.assertListed(user, "WHO games", ["USER carol"])
        self.assertAlive(alice)


class MessagesTest(ClusterTest):
    def test_msg_reaches_every_other_user_on_every_node(self):
        alice, bob, carol, dave = self.four_users()
        alice.send("MSG hello everywhere")
        for user in (bob, carol, dave):
            self.assertEqual(user.line(), "MSG alice hello everywhere")
        for user in (alice, bob, carol, dave):
            self.assertAlive(user)  # not the sender, and each of the others once

    def test_dm_reaches_its_user_on_another_node_and_nobody_else(self):
        alice, bob, carol, dave = self.four_users()
        bob.send("DM Carol psst")  # from node 2 to node 3; lookups ignore case
        self.assertEqual(carol.line(), "DM bob psst")
        carol.send("DM dave and you")  # from node 3 to node 1, where alice is too
        self.assertEqual(dave.line(), "DM carol and you")
        self.assertEqual(bob.ask("DM nobody hi"), "ERR no-such-user")
        for user in (alice, bob, carol, dave):
            self.assertAlive(user)

    def test_room_messages_and_notices_reach_members_on_every_node(self):
        alice, bob, carol, dave = self.four_users()
        self.assertEqual(alice.ask("JOIN room"), "OK")
        self.assertEqual(bob.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined room")
        self.assertEqual(carol.ask("JOIN room"), "OK")
        for user in (alice, bob):
            self.assertEqual(user.line(), "INFO carol joined room")

        carol.send("SAY room hi all")
        for user in (alice, bob):
            self.assertEqual(user.line(), "SAY room carol hi all")
        alice.send("SAY room hi from one")
        for user in (bob, carol):
            self.assertEqual(user.line(), "SAY room alice hi from one")

        self.assertEqual(bob.ask("PART room"), "OK")
        for user in (alice, carol):
            self.assertEqual(user.line(), "INFO bob left room")
        carol.send("SAY room bob is gone")
        self.assertEqual(alice.line(), "SAY room carol bob is gone")
        for user in (alice, bob, carol, dave):  # dave, on alice's node, never was a member
            self.assertAlive(user)

    def test_a_disconnect_is_announced_once_on_every_node(self):
        alice, bob, carol, dave = self.four_users()
        for user in (alice, bob):
            self.assertEqual(user.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined room")
        bob.send("QUIT")
        self.assertIsNone(bob.line())
        for user in (alice, carol, dave):
            self.assertEqual(user.line(), "INFO bob disconnected")
            self.assertAlive(user)  # once, and no "left room" besides

    def test_one_senders_messages_arrive_in_order_on_the_other_nodes(self):
        alice, bob, carol, dave = self.four_users("--rate", "0")
        alice.sock.sendall("".join(f"MSG in order {i}\n" for i in range(ORDERED)).encode())
        for user in (bob, carol, dave):
            got = [user.line() for _ in range(ORDERED)]
            self.assertEqual(got, [f"MSG alice in order {i}" for i in range(ORDERED)])
        for user in (alice, bob, carol, dave):
            self.assertAlive(user)


class ModerationTest(ClusterTest):
    def test_bans_and_mutes_made_on_one_node_hold_on_every_node(self):
        one, two = self.nodes(2)
        alice = self.user(one)
        self.assertEqual(alice.ask("REGISTER alice alice-password-1"), "OK")  # an account
        bob = self.user(two, "bob")
        self.assertEqual(alice.ask("JOIN lobby"), "OK")  # made by an account: its owner
        self.assertEqual(bob.ask("JOIN lobby"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined lobby")

        self.assertEqual(alice.ask("MUTE lobby bob"), "OK")
        deadline = time.monotonic() + TIMEOUT
        while True:  # until node 2 knows: each SAY refused, or delivered
            bob.send("SAY lobby can you hear me")
            reply = bob.ask("PING mute")
            if reply == "ERR muted":
                self.assertEqual(bob.line(), "PONG mute")
                break
            self.assertEqual(reply, "PONG mute")
            self.assertEqual(alice.line(), "SAY lobby bob can you hear me")
            self.assertLess(time.monotonic(), deadline, "the mute never reached bob's node")
            time.sleep(POLL)
        self.assertEqual(alice.ask("UNMUTE lobby bob"), "OK")

        self.assertEqual(alice.ask("BAN lobby bob"), "OK")
        self.assertEqual(bob.line(), "KICK lobby bob alice banned")  # kicked on its own node
        self.assertEqual(alice.line(), "INFO bob left lobby")
        self.assertEqual(bob.ask("JOIN lobby"), "ERR banned")
        self.assertEqual(alice.ask("UNBAN lobby bob"), "OK")
        deadline = time.monotonic() + TIMEOUT
        while (reply := bob.ask("JOIN lobby")) != "OK":  # once node 2 knows
            self.assertEqual(reply, "ERR banned")
            self.assertLess(time.monotonic(), deadline, "the unban never reached bob's node")
            time.sleep(POLL)
        self.assertEqual(alice.line(), "INFO bob joined lobby")

        # A KICK reaches a member on another node.
        self.assertEqual(alice.ask("KICK lobby bob not now"), "OK")
        self.assertEqual(bob.line(), "KICK lobby bob alice not now")
        self.assertEqual(alice.line(), "INFO bob left lobby")
        self.assertEqual(alice.ask("KICK lobby bob"), "ERR no-such-user")  # not in it now

        # A node that starts later knows the bans made before it.
        self.assertEqual(alice.ask("BAN lobby carol"), "OK")
        three = self.nodes(1)[0]
        carol = self.user(three, "carol")
        self.assertEqual(carol.ask("JOIN lobby"), "ERR banned")
        for user in (alice, bob, carol):
            self.assertAlive(user)


    def test_an_operator_made_in_the_clusters_redis_bans_a_user_of_another_node(self):
        one, two = self.nodes(2)
        made = subprocess.run([e2e.PATH, "accounts", "add", "opal", "--operator",
                               "--cluster", self.redis.url],
                              input="opal-password-1\n", capture_output=True, text=True,
                              timeout=TIMEOUT, env=e2e.clean_env())
        self.assertEqual(made.returncode, 0, made.stderr)
        listed = subprocess.run([e2e.PATH, "accounts", "list", "--cluster", self.redis.url],
                                capture_output=True, text=True, timeout=TIMEOUT,
                                env=e2e.clean_env())
        self.assertRegex(listed.stdout, r"^opal operator ")
        bob, watcher = self.user(one, "bob"), self.user(one, "watcher")
        opal = self.user(two)
        self.assertEqual(opal.ask("LOGIN opal opal-password-1"), "OK")  # from loopback
        self.assertEqual(opal.ask("BAN * bob"), "OK")
        self.assertEqual(bob.line(), "INFO banned")  # on its own node, then out
        self.assertIsNone(bob.line())
        self.assertEqual(watcher.line(), "INFO bob disconnected")
        self.assertEqual(self.user(one).ask("LOGIN bob"), "ERR banned")


class HistoryTest(ClusterTest):
    def assertHistory(self, lines, scope, expected, since, until):
        """HIST lines of `scope` are `expected` ((name, text) pairs), in order, each time
        stamped between `since` and `until` (unix ms) and none before the one before it."""
        pattern = re.compile(rf"^HIST {re.escape(scope)} (\d+) (\S+) (.*)$")
        matches = [pattern.match(line) for line in lines]
        self.assertTrue(all(matches), lines)
        self.assertEqual([m.group(2, 3) for m in matches], expected)
        stamps = [int(m.group(1)) for m in matches]
        self.assertEqual(stamps, sorted(stamps), lines)
        for stamp in stamps:
            self.assertTrue(since - 1000 <= stamp <= until + 1000, f"{stamp} not in [{since}, {until}]")

    def test_history_written_on_one_node_is_read_on_another(self):
        since = int(time.time() * 1000)
        one, two, three = self.nodes(3)
        alice, bob, carol = self.user(one, "alice"), self.user(two, "bob"), self.user(three, "carol")
        self.assertEqual(alice.ask("JOIN news"), "OK")
        alice.send("SAY news from node one")
        alice.send("MSG public from node one")
        self.assertAlive(alice)  # both accepted: stored before anyone was told
        self.assertEqual(bob.line(), "MSG alice public from node one")
        self.assertEqual(carol.line(), "MSG alice public from node one")
        self.assertEqual(bob.ask("JOIN news"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined news")
        bob.send("SAY news from node two")
        self.assertAlive(bob)
        self.assertEqual(alice.line(), "SAY news bob from node two")

        self.assertEqual(carol.ask("JOIN news"), "OK")
        until = int(time.time() * 1000)
        carol.send("HISTORY news")
        self.assertHistory(carol.lines_until_end(), "news",
                           [("alice", "from node one"), ("bob", "from node two")], since, until)
        carol.send("HISTORY *")
        self.assertHistory(carol.lines_until_end(), "*", [("alice", "public from node one")], since, until)
        carol.send("HISTORY news 1")
        self.assertHistory(carol.lines_until_end(), "news", [("bob", "from node two")], since, until)
        self.assertAlive(carol)

    def test_ids_come_from_the_shared_store_and_a_resume_on_another_node_misses_nothing(self):
        one, two = self.nodes(2)
        alice = self.keep(e2e.Client(one.ports["tcp"]))
        self.assertEqual(alice.ask("CAPS ids"), "CAPS ids")
        alice.login("alice")
        bob = self.keep(e2e.Client(two.ports["tcp"]))
        self.assertEqual(bob.ask("CAPS ids echo"), "CAPS ids echo")  # bob hears his own too
        bob.login("bob")
        self.assertEqual(alice.ask("JOIN news"), "OK")
        self.assertEqual(bob.ask("JOIN news"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined news")
        said = re.compile(r"^SAY news ([0-9a-z]+)-([1-9][0-9]*) (\d{13}) (\S+) (.*)$")
        ids = []
        for speaker, listener, text in ((alice, bob, "one"), (bob, alice, "two"), (alice, bob, "three")):
            speaker.send(f"SAY news {text}")
            line = listener.line()
            match = said.match(line)
            self.assertIsNotNone(match)
            self.assertEqual(match.group(5), text)
            ids.append((match.group(1), int(match.group(2))))
            if speaker is bob:  # through Redis and back, with the same id
                self.assertEqual(bob.line(), line)
        self.assertEqual(len({epoch for epoch, _ in ids}), 1)  # one history for the cluster
        self.assertEqual([n for _, n in ids], sorted(n for _, n in ids))
        # A DM across nodes, with its id and recipient.
        alice.send("DM bob psst")
        self.assertRegex(bob.line(), r"^DM [0-9a-z]+-[1-9][0-9]* \d{13} alice bob psst$")
        bob.send("DM alice back")
        echo = bob.line()
        self.assertRegex(echo, r"^DM [0-9a-z]+-[1-9][0-9]* \d{13} bob alice back$")
        self.assertEqual(alice.line(), echo)
        # alice drops, bob talks on, and alice resumes on the other node.
        alice.close()
        self.assertEqual(bob.line(), "INFO alice disconnected")
        bob.send("SAY news while away")
        self.assertRegex(bob.line(), r"^SAY news [0-9a-z]+-\d+ \d{13} bob while away$")  # echo
        self.assertAlive(bob)
        back = self.keep(e2e.Client(two.ports["tcp"]))
        self.assertEqual(back.ask("CAPS ids"), "CAPS ids")
        back.login("alice")
        epoch, n = ids[2]
        self.assertEqual(back.ask(f"JOIN news SINCE {epoch}-{n}"), "OK")
        replay = back.lines_until_end()
        self.assertEqual(len(replay), 1, replay)
        self.assertRegex(replay[0], rf"^HIST news {epoch}-\d+ \d{{13}} bob while away$")
        self.assertEqual(bob.line(), "INFO alice joined news")


class NodeDeathTest(ClusterTest):
    def test_a_killed_nodes_users_are_freed_and_announced_within_the_lease(self):
        one, two, three = self.nodes(3, lease=LEASE)
        self.user(one, "alice")
        self.user(one, "alex")
        bob, carol = self.user(two, "bob"), self.user(three, "carol")
        self.everyone([bob, carol], ["alex", "alice", "bob", "carol"])

        one.kill()  # SIGKILL, and waited for
        deadline = time.monotonic() + LEASE + 2
        for user in (bob, carol):
            got = {line_within(user, deadline - time.monotonic()) for _ in range(2)}
            self.assertEqual(got, {"INFO alice disconnected", "INFO alex disconnected"})
        for user in (bob, carol):
            self.assertAlive(user)  # each departure once

        self.user(two, "alice")  # the names are free again, whatever their spelling
        self.user(three, "ALEX")
        self.everyone([bob, carol], ["ALEX", "alice", "bob", "carol"])


class NodeStopTest(ClusterTest):
    def test_a_node_stopped_by_sigterm_gives_its_names_back_at_once_and_exits_zero(self):
        one, two = self.nodes(2, lease=30)  # a lease far longer than the test: not reaped
        alice, bob = self.user(one, "alice"), self.user(two, "bob")
        self.assertEqual(alice.ask("JOIN room"), "OK")
        self.assertEqual(bob.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined room")
        # Names are claimed across the cluster: not renamed (docs/CLUSTER.md).
        self.assertEqual(bob.ask("RENAME robert"), "ERR cannot-rename")
        two.proc.send_signal(signal.SIGTERM)
        self.assertEqual(bob.line(), "INFO server shutting down")
        self.assertIsNone(bob.line())
        self.assertEqual(alice.line(), "INFO bob disconnected")  # given back, not reaped
        self.assertEqual(two.proc.wait(timeout=TIMEOUT), 0)
        self.assertEqual(self.user(one).ask("LOGIN bob"), "OK")
        self.assertListed(alice, "WHO room", ["USER alice"])


class MixedProtocolsTest(ClusterTest):
    def test_a_labeled_message_is_acked_and_echoed_once_through_redis(self):
        # With Redis history, every node's users (the sender's copy too) get a message
        # once Redis publishes it: the echo comes that way, without the label, which comes
        # on an ACK once the message is stored (docs/IRC.md, labeled-response).
        one, two = self.nodes(2, listen=("tcp", "irc"))
        lina = self.user(two, "lina")
        alice = self.keep(Irc(one.ports["irc"]))
        alice.send("CAP REQ :labeled-response batch echo-message")
        self.assertEqual(alice.line(), f":{SERVER} CAP * ACK :labeled-response batch echo-message")
        alice.send("CAP END")
        alice.register("alice")
        self.assertListed(lina, "WHO", ["USER alice", "USER lina"])
        alice.send("@label=c1 PRIVMSG &public :across")
        self.assertEqual(lina.line(), "MSG alice across")
        self.assertCountEqual(alice.lines(2), [f"@label=c1 :{SERVER} ACK",
                                               f"{source('alice')} PRIVMSG &public :across"])
        self.assertAlive(alice)  # echoed once
        # A DM's echo comes from the sender's node: labeled, the whole answer.
        self.assertEqual(alice.ask("@label=c2 PRIVMSG lina :psst"), f"@label=c2 {source('alice')} PRIVMSG lina :psst")
        self.assertEqual(lina.line(), "DM alice psst")
        self.assertAlive(alice)

    def test_line_irc_and_websocket_users_on_three_nodes_share_a_room(self):
        one, two, three = self.nodes(3, listen=("tcp", "irc", "ws"))
        lina = self.user(one, "lina")
        self.assertEqual(lina.ask("JOIN general"), "OK")

        # The IRC user joins on node 2 once node 2 knows lina is in the room, so that the
        # names list it gets is the whole room.
        watcher = self.user(two, "watcher")  # in no room: told of nothing here
        self.assertListed(watcher, "WHO general", ["USER lina"])
        alice = self.keep(Irc(two.ports["irc"]))
        alice.register("alice")
        self.assertEqual(alice.ask("JOIN #general", 3), [
            f"{source('alice')} JOIN #general",
            numeric(353, "alice", "= #general :@alice lina"),
            numeric(366, "alice", "#general :End of /NAMES list."),
        ])
        self.assertEqual(lina.line(), "INFO alice joined general")

        webb = self.keep(WsClient(f"ws://127.0.0.1:{three.ports['ws']}/ws")).login("webb")
        self.assertEqual(webb.ask("JOIN general"), "OK")
        self.assertEqual(lina.line(), "INFO webb joined general")
        self.assertEqual(alice.line(), f"{source('webb')} JOIN #general")

        lina.send("SAY general hello from a line")
        self.assertEqual(alice.line(), f"{source('lina')} PRIVMSG #general :hello from a line")
        self.assertEqual(webb.line(), "SAY general lina hello from a line")
        alice.send("PRIVMSG #general :hello from irc")
        self.assertEqual(lina.line(), "SAY general alice hello from irc")
        self.assertEqual(webb.line(), "SAY general alice hello from irc")
        webb.send("SAY general hello from the web")
        self.assertEqual(lina.line(), "SAY general webb hello from the web")
        self.assertEqual(alice.line(), f"{source('webb')} PRIVMSG #general :hello from the web")
        for user in (lina, alice, webb, watcher):
            self.assertAlive(user)  # no echo to the senders, nothing to a non-member

        # IRC's lookups see the users and rooms of the other nodes.
        alice.send("WHOIS webb")
        self.assertEqual(alice.lines(3), [
            numeric(311, "alice", f"webb ~webb {SERVER} * :webb"),
            numeric(312, "alice", f"webb {SERVER} :socketchat"),
            numeric(318, "alice", "webb :End of /WHOIS list."),
        ])
        alice.send("LIST")
        self.assertEqual(alice.lines(3), [
            numeric(321, "alice", "Channel :Users  Name"),
            numeric(322, "alice", "#general 3 :"),
            numeric(323, "alice", ":End of /LIST"),
        ])


class RedisPauseTest(ClusterTest):
    PAUSE = 2.5  # seconds Redis is stopped (SIGSTOP), well inside the lease
    SENT = 10  # messages sent while it is

    def test_messages_while_redis_is_stopped_are_refused_or_delivered_never_lost(self):
        # A lease long enough that the pause, and a reconnection's backoff after it, cannot
        # end a node's lease: the test is about messages, not about nodes given up for dead.
        one, two = self.nodes(2, lease=10)
        alice, bob = self.user(one, "alice"), self.user(two, "bob")
        self.everyone([alice, bob], ["alice", "bob"])

        self.redis.pause()
        try:
            # Each MSG followed by a PING: the reply to message i (an ERR, or nothing) is
            # what alice receives between PONG i-1 and PONG i.
            alice.sock.sendall("".join(f"MSG during {i}\nPING {i}\n" for i in range(self.SENT)).encode())
            time.sleep(self.PAUSE)  # the outage: nothing to await, it is time passing
        finally:
            self.redis.resume()

        deadline = time.monotonic() + 20  # the node's reconnection backoff is at most 5 s
        accepted, refused, pending = [], [], None
        for i in range(self.SENT):
            while (line := line_within(alice, deadline - time.monotonic())) != f"PONG {i}":
                self.assertEqual(line, "ERR storage-failed", f"while message {i} was sent")
                self.assertIsNone(pending, f"two replies to message {i}")
                pending = line
            (refused if pending else accepted).append(f"during {i}")
            pending = None

        # Chat works again: a message is taken (the node may still be reconnecting: each
        # try is answered, ERR or not, before the next).
        for attempt in range(100):
            alice.send(f"MSG after {attempt}")
            reply = alice.ask(f"PING after {attempt}")
            if reply == f"PONG after {attempt}":
                accepted.append(f"after {attempt}")
                break
            self.assertEqual(reply, "ERR storage-failed")
            self.assertEqual(alice.line(), f"PONG after {attempt}")
            self.assertLess(time.monotonic(), deadline, "no message taken after Redis came back")
            time.sleep(POLL)  # no event says the node has reconnected
        else:
            self.fail("no message taken after Redis came back")

        # bob received every message alice was not refused, in order, and none she was.
        received = []
        while not received or received[-1] != accepted[-1]:
            line = line_within(bob, deadline - time.monotonic())
            self.assertIsNotNone(line, f"bob's connection closed after {received}")
            self.assertTrue(line.startswith("MSG alice "), line)
            received.append(line[len("MSG alice "):])
        self.assertEqual(received, accepted, f"refused: {refused}")
        self.assertAlive(bob)


class RedisRestartTest(ClusterTest):
    def test_a_redis_killed_and_restarted_loses_nothing_and_the_nodes_catch_up(self):
        # A lease longer than the outage: nobody is given up for dead, the nodes reconnect.
        one, two = self.nodes(2, lease=10)
        alice, bob, carol = self.user(one, "alice"), self.user(two, "bob"), self.user(two, "carol")
        for user in (alice, bob):
            self.assertEqual(user.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined room")
        alice.send("SAY room before the crash")
        self.assertEqual(alice.ask("PING stored"), "PONG stored")  # stored, so acknowledged
        self.assertEqual(bob.line(), "SAY room alice before the crash")

        self.redis.crash_and_restart()
        carol.send("QUIT")  # gone while her node may not know yet that Redis was lost
        self.assertIsNone(carol.line())
        self.assertEqual(bob.line(), "INFO carol disconnected")  # on her node: at once

        # Once the nodes are back, the others hear that carol left, whenever she did.
        deadline = time.monotonic() + 20  # a reconnection's backoff is at most 5 s
        self.assertEqual(line_within(alice, deadline - time.monotonic()), "INFO carol disconnected")
        # Chat works again across the nodes; each refusal is an answer, never a silence.
        for attempt in range(200):
            alice.send(f"SAY room after {attempt}")
            reply = alice.ask(f"PING after {attempt}")
            if reply == f"PONG after {attempt}":
                break
            self.assertEqual(reply, "ERR storage-failed")
            self.assertEqual(alice.line(), f"PONG after {attempt}")
            self.assertLess(time.monotonic(), deadline, "no message taken after Redis came back")
            time.sleep(POLL)  # no event says the node has reconnected
        self.assertEqual(line_within(bob, deadline - time.monotonic()),
                         f"SAY room alice after {attempt}")
        # Nothing acknowledged was lost, and the names are still one user's each.
        lines = ask_list(bob, "HISTORY room")
        texts = [line.split(" ", 4)[4] for line in lines if line.startswith("HIST ")]
        self.assertEqual(texts, ["before the crash", f"after {attempt}"])
        self.assertEqual(self.user(two).ask("LOGIN Alice"), "ERR username-taken")
        self.assertListed(bob, "WHO", ["USER alice", "USER bob"])
        self.assertListed(alice, "WHO room", ["USER alice", "USER bob"])


class CutOffTest(ClusterTest):
    """A node cut off from Redis (through a Relay) while the others go on."""

    def two_nodes(self, *args, lease=30):
        """(relay, one, two): node one reaches Redis through `relay`, which the test cuts;
        node two directly. Both with `args`."""
        relay = Relay(self.redis.port)
        self.addCleanup(relay.stop)
        one = self.keep_daemon(start_node(relay, os.path.join(self.tmp, "one"), *args,
                                          lease=lease))
        (two,) = self.nodes(1, *args, lease=lease)
        return relay, one, two

    def in_one_room(self, alice, bob):
        """alice (node one) and bob (node two) in `room`, a message from bob seen by alice."""
        for user in (alice, bob):
            self.assertEqual(user.ask("JOIN room"), "OK")
        self.assertEqual(alice.line(), "INFO bob joined room")
        bob.send("SAY room before")
        self.assertEqual(alice.line(), "SAY room bob before")

    def test_a_node_cut_off_from_redis_delivers_what_was_sent_meanwhile_once_back(self):
        relay, one, two = self.two_nodes("--rate", "0")
        alice, bob = self.user(one, "alice"), self.user(two, "bob")
        self.in_one_room(alice, bob)

        relay.cut()  # node one's connections to Redis end: it hears nothing from now on
        for i in range(MISSED):
            bob.send(f"SAY room missed {i}")
        bob.send("MSG to everyone meanwhile")
        bob.send("DM alice meanwhile")
        self.assertEqual(bob.ask("PING stored"), "PONG stored")  # all stored: acknowledged
        self.assertEqual(alice.ask("PING away"), "PONG away")  # nothing reached alice
        relay.mend()

        # Once back, node one delivers what it missed, in order, then what comes after.
        deadline = time.monotonic() + 20  # its reconnection's backoff is at most 5 s
        for i in range(MISSED):
            self.assertEqual(line_within(alice, deadline - time.monotonic()),
                             f"SAY room bob missed {i}")
        self.assertEqual(alice.line(), "MSG bob to everyone meanwhile")
        self.assertEqual(alice.line(), "DM bob meanwhile")
        bob.send("SAY room after")
        self.assertEqual(line_within(alice, deadline - time.monotonic()), "SAY room bob after")
        self.assertAlive(alice)  # each once: nothing delivered twice
        self.assertAlive(bob)


    def test_a_node_away_for_longer_than_the_backlog_holds_says_so_and_delivers_the_rest(self):
        # A backlog of 1 message (Redis trims it by whole blocks of 100, so it holds up
        # to about 100): more than that sent meanwhile, the oldest are only in HISTORY.
        relay, one, two = self.two_nodes("--rate", "0", "--cluster-backlog", "1")
        alice, bob = self.user(one, "alice"), self.user(two, "bob")
        self.in_one_room(alice, bob)

        one.forget_log()
        relay.cut()
        sent = 3 * MISSED
        bob.sock.sendall("".join(f"SAY room missed {i}\n" for i in range(sent)).encode())
        self.assertEqual(bob.ask("PING stored"), "PONG stored")
        relay.mend()
        one.wait_for_log("cluster-backlog-short", timeout=20)
        # What the backlog still held arrives, in order, up to the last one sent.
        got = []
        while not got or got[-1] != f"SAY room bob missed {sent - 1}":
            got.append(line_within(alice, TIMEOUT))
        numbers = [int(line.rsplit(" ", 1)[1]) for line in got]
        self.assertEqual(numbers, list(range(numbers[0], sent)))
        self.assertGreater(numbers[0], 0)  # the oldest were trimmed
        self.assertAlive(alice)

    def test_a_name_given_away_while_its_node_was_cut_off_is_taken_from_its_old_holder(self):
        relay, one, two = self.two_nodes(lease=LEASE)
        old_alice, carol, bob = self.user(one, "alice"), self.user(one, "carol"), self.user(two, "bob")
        self.everyone([bob, carol], ["alice", "bob", "carol"])

        relay.cut()  # node one's lease runs out: node two frees its names and says so
        departures = {line_within(bob, LEASE + 5) for _ in range(2)}
        self.assertEqual(departures, {"INFO alice disconnected", "INFO carol disconnected"})
        new_alice = self.user(two, "Alice")  # free in the cluster: someone else takes it
        relay.mend()

        # Back, node one finds alice given away: its own alice goes, carol stays.
        self.assertEqual(line_within(old_alice, 20), "INFO name-taken")
        self.assertIsNone(old_alice.line())
        self.assertEqual(line_within(carol, 20), "INFO alice disconnected")
        for user in (bob, carol):
            self.assertListed(user, "WHO", ["USER Alice", "USER bob", "USER carol"])
        carol.send("DM alice who are you")
        self.assertEqual(new_alice.line(), "DM carol who are you")
        for user in (new_alice, bob, carol):
            self.assertAlive(user)

    def test_with_history_off_a_node_cut_off_refuses_messages_and_takes_them_again_once_back(self):
        relay, one, two = self.two_nodes("--history", "off")
        alice, bob = self.user(one, "alice"), self.user(two, "bob")
        self.everyone([alice, bob], ["alice", "bob"])
        alice.send("MSG hello")
        self.assertEqual(bob.line(), "MSG alice hello")

        one.forget_log()
        relay.cut()
        one.wait_for_log("cluster-lost")
        # Nothing is stored: what node one cannot pass on is refused, not dropped.
        self.assertEqual(alice.ask("MSG while cut off"), "ERR storage-failed")
        self.assertEqual(alice.ask("DM bob psst"), "ERR storage-failed")
        self.assertEqual(alice.ask("JOIN room"), "ERR storage-failed")
        relay.mend()
        one.wait_for_log("cluster-restored", timeout=20)  # its backoff is at most 5 s

        alice.send("MSG back")
        self.assertEqual(bob.line(), "MSG alice back")  # the very next line: nothing refused came
        alice.send("DM bob psst")
        self.assertEqual(bob.line(), "DM alice psst")
        for user in (alice, bob):
            self.assertAlive(user)


class HarnessTest(ClusterTestCase):
    """The harness itself (cluster.py), which works whether or not the daemon has --cluster."""

    def test_redis_server_starts_answers_pauses_and_stops_by_pid(self):
        redis = RedisServer()
        try:
            proc, directory = redis.proc, redis.directory
            self.assertIs(redis.command("PING"), True)
            self.assertEqual(redis.command("CONFIG", "GET", "appendonly"), [b"appendonly", b"yes"])
            self.assertEqual(redis.command("CONFIG", "GET", "appendfsync"), [b"appendfsync", b"always"])
            self.assertEqual(redis.command("CONFIG", "GET", "dir"), [b"dir", directory.encode()])
            self.assertEqual(redis.command("DBSIZE"), 0)  # a world of its own
            redis.pause()
            with self.assertRaises(redis_client.exceptions.TimeoutError):
                redis.command("PING", timeout=0.3)
            redis.resume()
            self.assertIs(redis.command("PING"), True)
        finally:
            redis.stop()
        self.assertIsNotNone(proc.returncode)
        self.assertFalse(os.path.exists(directory))
        redis.stop()  # again: nothing to do

    def test_a_node_without_cluster_runs_through_the_harness(self):
        node = self.keep_daemon(start_node(None, os.path.join(self.tmp, "plain"), listen=("tcp", "irc")))
        self.assertIn("irc", node.ports)
        alice, bob = self.user(node, "alice"), self.user(node, "bob")
        alice.send("MSG hi")
        self.assertEqual(bob.line(), "MSG alice hi")
        bob.send("WHO")
        self.assertEqual(bob.lines_until_end(), ["USER alice", "USER bob"])

    def test_a_node_that_cannot_start_fails_with_its_own_words(self):
        with self.assertRaises(AssertionError) as caught:
            start_node(self.redis, os.path.join(self.tmp, "bad"), "--no-such-flag")
        self.assertIn("did not start", str(caught.exception))
        self.assertIn("--no-such-flag", str(caught.exception))


if __name__ == "__main__":
    e2e.main("test_cluster.py")

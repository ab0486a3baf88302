#!/usr/bin/python3
"""End-to-end test of the irc:// listener with WeeChat (Debian's weechat-headless), an
irssi user and an ncat user of the line protocol in the same room: registration, /me,
WeeChat as the room's operator (it created the room) with /topic, /mode +m, /voice and
/kick, /nick, /away, /part with a reason (an operator who leaves is one no more) and
/quit, each seen on every screen.

WeeChat runs headless in a directory of its own; it is typed at through its FIFO (the
fifo plugin) and read through its buffers' logs (the logger plugin, flushed at once), a
file per buffer: what its screen shows, line by line. irssi runs in tmux (test_irssi.py).

Usage: /usr/bin/python3 test_weechat.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_weechat.py

Every wait is bounded: the log is polled for the line awaited, with a deadline; nothing
sleeps. On a failure WeeChat's and irssi's screens, ncat's lines and the daemon's log
are printed to stderr.
"""

import contextlib
import glob
import os
import re
import shutil
import subprocess
import sys
import time

import daemon as e2e
from daemon import TIMEOUT, Daemon, DaemonTestCase
from test_irssi import IRSSI, NCAT, POLL, SCREEN_TIMEOUT, TMUX, Irssi, Ncat

WEECHAT = shutil.which("weechat-headless") or "/usr/bin/weechat-headless"
SERVER = "irc.socketchat.test"


class Weechat:
    """weechat-headless connected to 127.0.0.1:<port> as `nick` (user name `user`, real
    name `real_name`), with the server named "sc" in its configuration."""

    def __init__(self, directory, port, nick, user, real_name):
        self.home = os.path.join(directory, "weechat")
        os.mkdir(self.home)
        setup = ";".join([
            "/set logger.file.flush_delay 0",  # each line written at once
            "/set logger.file.time_format \"\"",  # no time: a line is "\t<prefix>\t<text>"
            "/set fifo.file.enabled on",
            f"/server add sc 127.0.0.1/{port} -notls",
            f"/set irc.server.sc.nicks {nick}",
            f"/set irc.server.sc.username {user}",
            f"/set irc.server.sc.realname \"{real_name}\"",
            "/set irc.server.sc.autoreconnect off",
            "/connect sc",
        ])
        self.output = open(os.path.join(directory, "weechat.out"), "wb")
        self.proc = subprocess.Popen([WEECHAT, "--dir", self.home, "--run", setup],
                                     stdin=subprocess.DEVNULL, stdout=self.output,
                                     stderr=subprocess.STDOUT)

    def log_of(self, buffer):
        """The lines the buffer shows (its log), "" if it has none yet."""
        path = os.path.join(self.home, "logs", f"{buffer.lower()}.weechatlog")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for(self, buffer, pattern, timeout=SCREEN_TIMEOUT):
        """The first match of the regular expression (multiline) in the buffer, looking
        every POLL seconds until the deadline."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.log_of(buffer))
            if found:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(f"WeeChat's {buffer} did not show {pattern!r} in {timeout} s")
            time.sleep(POLL)  # polling the log: the wait is bounded by the deadline

    def type(self, buffer, text):
        """Types the text (a command or a message) in the buffer, through the FIFO."""
        fifos = glob.glob(os.path.join(self.home, "weechat_fifo_*"))
        deadline = time.monotonic() + SCREEN_TIMEOUT
        while not fifos and time.monotonic() < deadline:
            time.sleep(POLL)  # the FIFO appears once WeeChat has started
            fifos = glob.glob(os.path.join(self.home, "weechat_fifo_*"))
        assert fifos, "WeeChat made no FIFO"
        with open(fifos[0], "w", encoding="utf-8") as fifo:
            fifo.write(f"{buffer} *{text}\n")

    def screens(self):
        """Every buffer's log, for a report."""
        shown = []
        for path in sorted(glob.glob(os.path.join(self.home, "logs", "*.weechatlog"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                shown += [f"-- {os.path.basename(path)}", f.read().rstrip("\n")]
        return "\n".join(shown)

    def exited(self, timeout=SCREEN_TIMEOUT):
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self.output.close()


class WeechatTest(DaemonTestCase):
    """wendy (WeeChat), alice (irssi) and bob (ncat) share #general."""

    def setUp(self):
        # Missing programs fail the test rather than skip it: ctest would count a skip
        # as a pass of the feature's acceptance test.
        for program in (WEECHAT, IRSSI, TMUX, NCAT):
            self.assertTrue(os.access(program, os.X_OK), f"{program} is not installed")
        super().setUp()
        self.daemon = self.keep_daemon(Daemon("--server-name", SERVER, "--rename-interval", "0",
                                              "--listen", "irc://127.0.0.1:0",
                                              "--listen", "tcp://127.0.0.1:0", "--history", "off"))
        self.weechat = self.irssi = self.bob = None

    def tearDown(self):
        try:  # before the base removes self.tmp, where all of them live
            for client in (self.weechat, self.irssi, self.bob):
                if client:
                    client.close()
        finally:
            super().tearDown()

    @contextlib.contextmanager
    def reported(self):
        """On any failure inside, prints what each client showed and the daemon's log."""
        try:
            yield
        except BaseException:
            report = ["", "==== WeeChat's buffers ===="]
            report += [self.weechat.screens() if self.weechat else "(WeeChat not started)"]
            report += ["==== irssi's screen ===="]
            report += [self.irssi.screen().rstrip("\n") if self.irssi else "(irssi not started)"]
            report += ["==== lines ncat (bob) received ===="]
            report += self.bob.received if self.bob else ["(ncat not started)"]
            report += ["==== socketchatd's log ===="] + self.daemon.log()
            print("\n".join(report), file=sys.stderr)
            raise

    def assertTopicLine(self, line, by, text, since_ms):
        """ncat's `TOPIC general <by> <unix-ms> <text>`, its time from since_ms to now."""
        found = re.fullmatch(rf"TOPIC general {by} (\d+) {re.escape(text)}", line or "")
        self.assertIsNotNone(found, f"not a TOPIC of {by}'s {text!r}: {line!r}")
        self.assertTrue(since_ms <= int(found.group(1)) <= time.time() * 1000 + 1, line)

    def test_weechat_irssi_and_ncat_in_one_room(self):
        with self.reported():
            # Registration: WeeChat's user name is what others see. WeeChat joins first:
            # it creates #general, and is its operator.
            self.weechat = wc = Weechat(self.tmp, self.daemon.ports["irc"], "wendy", "wen", "Wendy W")
            wc.wait_for("irc.server.sc", rf"Welcome to the socketchat IRC Network wendy!~wen@{re.escape(SERVER)}$")
            wc.type("irc.server.sc", "/join #general")
            # WeeChat asks for extended-join: a JOIN shows the real name too.
            wc.wait_for("irc.sc.#general", r"wendy \(Wendy W\) \(~wen@irc\.socketchat\.test\) has joined #general")
            wc.wait_for("irc.sc.#general", r"Channel #general: 1 nick \(1 op, 0 voices, 0 normals\)$")

            self.bob = bob = Ncat(self.daemon.ports["tcp"], os.path.join(self.tmp, "ncat.stderr"))
            bob.login("bob")
            self.assertEqual(bob.ask("JOIN general"), "OK")
            wc.wait_for("irc.sc.#general", r"bob \(bob\) \(~bob@irc\.socketchat\.test\) has joined #general")
            self.irssi = irssi = Irssi(self.tmp, self.daemon.ports["irc"], "alice")
            irssi.wait_for(r"Welcome to the socketchat IRC Network alice")
            irssi.type("/join #general")
            irssi.wait_for(r"\[Users #general\]")
            irssi.wait_for(r"\[@wendy\s*\]")  # the room's operator, in irssi's names
            irssi.wait_for(r"\[ bob\s*\]")
            self.assertEqual(bob.line(), "INFO alice joined general")
            wc.wait_for("irc.sc.#general", r"alice \(Alice\) \(~alice@irc\.socketchat\.test\) has joined #general")

            # Messages, and /me both ways: an action for IRC clients, "/me ..." for ncat.
            wc.type("irc.sc.#general", "hello all")
            irssi.wait_for(r"<@wendy> hello all\s*$")
            self.assertEqual(bob.line(), "SAY general wendy hello all")
            wc.type("irc.sc.#general", "/me waves")
            irssi.wait_for(r"\* wendy waves\s*$")
            self.assertEqual(bob.line(), "SAY general wendy /me waves")
            irssi.type("/me nods")
            wc.wait_for("irc.sc.#general", r"^\s*\*\s*alice nods$")
            self.assertEqual(bob.line(), "SAY general alice /me nods")
            bob.send("SAY general /me shrugs")
            wc.wait_for("irc.sc.#general", r"^\s*\*\s*bob shrugs$")
            irssi.wait_for(r"\* bob shrugs\s*$")

            # WeeChat, the room's operator, sets the topic: irssi shows it, ncat gets the
            # line protocol's TOPIC with the time in milliseconds.
            since_ms = int(time.time() * 1000)
            wc.type("irc.sc.#general", "/topic Channel ops are here")
            wc.wait_for("irc.sc.#general", r'wendy has changed topic for #general to "Channel ops are here"$')
            irssi.wait_for(r"wendy changed the topic of #general to: Channel ops are here\s*$")
            self.assertTopicLine(bob.line(), "wendy", "Channel ops are here", since_ms)

            # /mode +m: only the operator and voiced members speak.
            wc.type("irc.sc.#general", "/mode +m")
            wc.wait_for("irc.sc.#general", r"Mode #general \[\+m\] by wendy$")
            irssi.wait_for(r"mode/#general \[\+m\] by wendy\s*$")
            self.assertEqual(bob.line(), "MODE general wendy +m")
            irssi.type("can anyone hear me?")
            irssi.wait_for(r"Cannot send to channel \(\+m\)")
            self.assertEqual(bob.ask("SAY general nor me?"), "ERR moderated")

            # /voice alice: irssi's user speaks again, ncat's does not.
            wc.type("irc.sc.#general", "/voice alice")
            wc.wait_for("irc.sc.#general", r"Mode #general \[\+v alice\] by wendy$")
            irssi.wait_for(r"mode/#general \[\+v alice\] by wendy\s*$")
            self.assertEqual(bob.line(), "MODE general wendy +v alice")
            irssi.type("voiced and heard")
            wc.wait_for("irc.sc.#general", r"^\t\+alice\tvoiced and heard$")
            self.assertEqual(bob.line(), "SAY general alice voiced and heard")  # and not the refused one
            self.assertNotIn("can anyone hear me?", wc.log_of("irc.sc.#general"))
            self.assertEqual(bob.ask("SAY general still not me?"), "ERR moderated")
            wc.type("irc.sc.#general", "/mode -m")
            wc.wait_for("irc.sc.#general", r"Mode #general \[-m\] by wendy$")
            irssi.wait_for(r"mode/#general \[-m\] by wendy\s*$")
            self.assertEqual(bob.line(), "MODE general wendy -m")

            # /kick bob with a reason: everyone sees it, ncat first of all; bob is out
            # until he joins again.
            wc.type("irc.sc.#general", "/kick bob enough from ncat")
            wc.wait_for("irc.sc.#general", r"wendy has kicked bob \(enough from ncat\)$")
            irssi.wait_for(r"bob was kicked from #general by wendy \[enough from ncat\]\s*$")
            self.assertEqual(bob.line(), "KICK general bob wendy enough from ncat")
            self.assertEqual(bob.ask("SAY general still here?"), "ERR not-in-room")
            self.assertEqual(bob.ask("JOIN general"), "OK")
            wc.wait_for("irc.sc.#general", r"has kicked bob .*\n(?:.*\n)*.*bob \(bob\) \(~bob@irc\.socketchat\.test\) "
                                           r"has joined #general$")
            irssi.wait_for(r"bob was kicked from #general .*\n(?:.*\n)*.*bob \[~bob@irc\.socketchat\.test\] "
                           r"has joined #general")

            # /nick: everyone is told, and the new nick is the user's from then on.
            wc.type("irc.sc.#general", "/nick wendy2")
            wc.wait_for("irc.sc.#general", r"You are now known as wendy2$")
            irssi.wait_for(r"wendy is now known as wendy2")
            self.assertEqual(bob.line(), "INFO wendy renamed wendy2")
            bob.send("SAY general hi wendy2")
            wc.wait_for("irc.sc.#general", r"^\tbob\thi wendy2$")

            # /away: a message to the away user tells its sender.
            irssi.type("/away gone fishing")
            wc.type("irc.server.sc", "/msg alice are you there?")
            wc.wait_for("irc.server.sc", r"\[alice\] is away: gone fishing$")
            wc.type("irc.server.sc", "/away brb")
            wc.wait_for("irc.server.sc", r"You have been marked as being away")
            wc.type("irc.server.sc", "/away")
            wc.wait_for("irc.server.sc", r"You are no longer marked as being away")

            # /part with a reason: irssi shows it, ncat gets it after the room.
            wc.type("irc.sc.#general", "/part #general see you later")
            irssi.wait_for(r"wendy2 \[~wen@irc\.socketchat\.test\] has left #general \[see you later\]")
            self.assertEqual(bob.line(), "INFO wendy2 left general see you later")

            # /quit with a reason (back in #general first): irssi shows it; ncat sees the
            # line protocol's line.
            wc.type("irc.server.sc", "/join #general")
            irssi.wait_for(r"wendy2 \[~wen@irc\.socketchat\.test\] has joined #general")
            self.assertEqual(bob.line(), "INFO wendy2 joined general")
            # The room kept members while WeeChat was out: it came back as no operator.
            wc.wait_for("irc.sc.#general", r"Channel #general: 3 nicks \(0 ops, 1 voice, 2 normals\)$")
            self.assertEqual(bob.ask("MODE general"), "MODE general +nt")
            wc.type("irc.server.sc", "/quit bye now")
            irssi.wait_for(r"wendy2 \[~wen@irc\.socketchat\.test\] has quit \[Quit: bye now\]")
            self.assertEqual(bob.line(), "INFO wendy2 disconnected")
            self.assertTrue(wc.exited(), "WeeChat did not exit after /quit")


if __name__ == "__main__":
    e2e.main(__file__)

#!/usr/bin/python3
"""End-to-end test of the irc:// listener with a real IRC client: Debian's irssi runs in a
tmux server of its own, is typed at with `tmux send-keys` and read with `tmux capture-pane`,
and chats with an `ncat` user of the line protocol in the same room; then a DM each way,
and /quit. And irssi logs in to an account with SASL PLAIN, as its users configure it.

Usage: /usr/bin/python3 test_irssi.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_irssi.py

Standard library only, plus the irssi, tmux and ncat programs. Every wait is bounded: the
screen is polled for the text awaited, with a deadline, and ncat's output is read line by
line with a timeout; nothing sleeps. On a failure the irssi screen, the lines ncat received
and the daemon's log are printed to stderr.
"""

import contextlib
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

import daemon as e2e
from daemon import TIMEOUT, Conversation, Daemon, DaemonTestCase

IRSSI = "/usr/bin/irssi"
TMUX = shutil.which("tmux") or "/usr/bin/tmux"
NCAT = shutil.which("ncat") or "/usr/bin/ncat"
SCREEN_TIMEOUT = 15.0  # seconds for a text to appear on irssi's screen
POLL = 0.1  # seconds between two looks at the screen

# irssi's home: no server, network or channel of its own to connect to or join, its
# identity, no saving of the settings on exit, commands sent as soon as typed (the default
# queue holds everything past 5 commands 2.2 s apart, and joining sends several), and the
# activity list of the status bar naming the window items ("4:bob", not just "4"); no paste
# detection (lines typed in a burst would wait for a confirmation; the test types one line
# at a time, but a loaded machine should not make that look like a paste).
IRSSI_CONFIG = """\
servers = ( );
chatnets = { };
channels = ( );
settings = {
  core = {
    real_name = "Alice";
    user_name = "alice";
    nick = "alice";
    settings_autosave = "no";
  };
  "irc/core" = { cmds_max_at_once = "50"; };
  "fe-common/core" = { autolog = "no"; };
  "fe-text" = { actlist_names = "yes"; paste_detect_time = "0"; };
};
"""

# The tmux server's own settings (instead of the user's ~/.tmux.conf): the pane stays
# readable after irssi exits, and no tmux status line shares the screen with irssi's.
TMUX_CONFIG = """\
set -g remain-on-exit on
set -g status off
set -g default-terminal screen
"""


class Ncat(Conversation):
    """A line-protocol user typing into `ncat 127.0.0.1 <port>`, its output read by a
    thread; line() waits at most TIMEOUT and returns None once ncat's output has ended."""

    def __init__(self, port, stderr_path):
        self.stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen([NCAT, "127.0.0.1", str(port)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.received = []  # every line so far, for the failure report
        self._lines = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self._lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self._lines.put(None)

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def line(self):
        try:
            line = self._lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise TimeoutError(f"ncat received no line in {TIMEOUT} s") from None
        if line is not None:
            self.received.append(line)
        return line

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self._reader.join(TIMEOUT)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.stderr.close()


class Irssi:
    """irssi connected to 127.0.0.1:<port> as `nick`, alone in a tmux server whose socket
    is in `directory` (no other tmux is touched), in a 200x50 window. With `sasl`, a
    (username, password) pair, it connects to a network of its configuration that logs
    in with SASL PLAIN."""

    SESSION = "irssi"

    def __init__(self, directory, port, nick, sasl=None):
        self.socket = os.path.join(directory, "tmux.socket")
        home = os.path.join(directory, "irssi")
        os.mkdir(home)
        config_text = IRSSI_CONFIG
        if sasl:
            config_text = config_text.replace("servers = ( );", (
                f'servers = ( {{ address = "127.0.0.1"; chatnet = "socketchat"; port = "{port}"; '
                f'autoconnect = "yes"; }} );')).replace("chatnets = { };", (
                f'chatnets = {{ socketchat = {{ type = "IRC"; sasl_mechanism = "PLAIN"; '
                f'sasl_username = "{sasl[0]}"; sasl_password = "{sasl[1]}"; }}; }};'))
        with open(os.path.join(home, "config"), "w") as config:
            config.write(config_text)
        tmux_config = os.path.join(directory, "tmux.conf")
        with open(tmux_config, "w") as config:
            config.write(TMUX_CONFIG)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": directory,
                    "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        # irssi gets an environment of its own: a clean HOME, a terminal tmux emulates.
        command = ["env", "-i", "HOME=" + home, "TERM=screen", "LANG=C.UTF-8", "PATH=/usr/bin:/bin",
                   IRSSI, "--home=" + home, "-n", nick]
        if not sasl:
            command += ["-c", "127.0.0.1", "-p", str(port)]
        self.last_screen = ""
        self.tmux("-f", tmux_config, "new-session", "-d", "-s", self.SESSION, "-x", "200", "-y", "50",
                  *command)

    def tmux(self, *args, check=True):
        return subprocess.run([TMUX, "-S", self.socket, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, env=self.env, timeout=TIMEOUT,
                              check=check)

    def screen(self):
        """What the terminal shows now (the last screen seen, once tmux is gone)."""
        shown = self.tmux("capture-pane", "-p", "-t", self.SESSION, check=False)
        if shown.returncode == 0:
            self.last_screen = shown.stdout
        return self.last_screen

    def wait_for(self, pattern, timeout=SCREEN_TIMEOUT):
        """The first match of the regular expression (multiline) on the screen, looking
        every POLL seconds until the deadline."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.screen())
            if found:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(f"irssi's screen did not show {pattern!r} in {timeout} s")
            time.sleep(POLL)  # polling the screen: the wait is bounded by the deadline

    def type(self, text):
        """Types the text literally (no tmux key names) and presses Enter."""
        self.tmux("send-keys", "-t", self.SESSION, "-l", text)
        self.tmux("send-keys", "-t", self.SESSION, "Enter")

    def exited(self, timeout=SCREEN_TIMEOUT):
        """Whether irssi's process ended before the deadline (its pane stays, dead)."""
        deadline = time.monotonic() + timeout
        while True:
            dead = self.tmux("display-message", "-p", "-t", self.SESSION, "#{pane_dead}", check=False)
            if dead.returncode != 0 or dead.stdout.strip() == "1":
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)

    def close(self):
        self.screen()  # kept for a report that comes after the cleanup
        self.tmux("kill-server", check=False)


class IrssiTest(DaemonTestCase):
    """A person points irssi at socketchatd and talks to an ncat user in the same room."""

    def setUp(self):
        # Missing programs fail the test rather than skip it: ctest would count a skip
        # as a pass of the feature's acceptance test.
        for program in (IRSSI, TMUX, NCAT):
            self.assertTrue(os.access(program, os.X_OK), f"{program} is not installed")
        super().setUp()
        self.daemon = self.keep_daemon(Daemon("--server-name", "irc.socketchat.test", "--listen", "irc://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
                                              "--history", "off"))
        self.irssi = None
        self.bob = None

    def tearDown(self):
        # Before the base removes self.tmp, where the tmux server's socket is.
        try:
            if self.irssi:
                self.irssi.close()
            if self.bob:
                self.bob.close()
        finally:
            super().tearDown()

    @contextlib.contextmanager
    def reported(self):
        """On any failure inside, prints what irssi showed, what ncat received and the
        daemon's log to stderr, then lets the failure go on."""
        try:
            yield
        except BaseException:
            report = ["", "==== irssi's screen ===="]
            report += [self.irssi.screen().rstrip("\n") if self.irssi else "(irssi not started)"]
            report += ["==== lines ncat (bob) received ===="]
            report += self.bob.received if self.bob else ["(ncat not started)"]
            report += ["==== socketchatd's log ===="] + self.daemon.log()
            print("\n".join(report), file=sys.stderr)
            raise

    def bob_receives(self, expected):
        self.assertEqual(self.bob.line(), expected)

    def test_irssi_talks_to_an_ncat_user_in_a_room_and_by_dm(self):
        with self.reported():
            self.irssi = Irssi(self.tmp, self.daemon.ports["irc"], "alice")
            irssi = self.irssi
            # Registration (irssi asks CAP LS 302 first, and registers after CAP END).
            irssi.wait_for(r"Welcome to the socketchat IRC Network alice")

            self.bob = Ncat(self.daemon.ports["tcp"], os.path.join(self.tmp, "ncat.stderr"))
            bob = self.bob
            bob.login("bob")
            self.assertEqual(bob.ask("JOIN general"), "OK")

            # irssi joins the room: it says so, lists its names, and bob is told.
            irssi.type("/join #general")
            irssi.wait_for(r"alice \[~alice@irc\.socketchat\.test\] has joined #general")
            irssi.wait_for(r"\[Users #general\]")
            irssi.wait_for(r"\[\s*[@%+]?bob\s*\]")
            self.bob_receives("INFO alice joined general")

            # The room, both ways.
            bob.send("SAY general hello from ncat")
            irssi.wait_for(r"<\s*[@%+]?bob> hello from ncat\s*$")
            irssi.type("hello from irssi")
            irssi.wait_for(r"<\s*[@%+]?alice> hello from irssi\s*$")
            self.bob_receives("SAY general alice hello from irssi")

            # A DM opens a query in irssi (named in the status bar's activity list, as
            # it is not the active window); alice answers there with /msg.
            bob.send("DM alice psst")
            irssi.wait_for(r"Act: .*\b\d+:bob\b")
            irssi.type("/window goto bob")
            irssi.wait_for(r"<\s*bob> psst\s*$")
            irssi.type("/msg bob back at you")
            irssi.wait_for(r"<\s*alice> back at you\s*$")
            self.bob_receives("DM alice back at you")

            # /quit: irssi leaves and exits, bob is told.
            irssi.type("/quit")
            self.bob_receives("INFO alice disconnected")
            self.assertTrue(irssi.exited(), "irssi did not exit after /quit")

    def test_irssi_logs_in_to_an_account_with_sasl(self):
        # Accounts in a data directory of the test's own (the daemon above keeps none).
        daemon = self.keep_daemon(Daemon("--server-name", "irc.socketchat.test", "--listen", "irc://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
                                         "--history", "off", "--data-dir", os.path.join(self.tmp, "data")))
        self.daemon = daemon  # for the report
        with self.reported():
            self.bob = Ncat(daemon.ports["tcp"], os.path.join(self.tmp, "ncat.stderr"))
            self.bob.login("bob")
            registrar = self.keep(e2e.Client(daemon.ports["tcp"]))
            reply = registrar.ask("REGISTER Alice password1")
            if reply == "ERR unknown-command":  # accounts need SQLite
                self.skipTest("socketchatd built without SQLite: no accounts")
            self.assertEqual(reply, "OK")
            registrar.send("QUIT")
            self.bob_receives("INFO Alice disconnected")
            # irssi waits for 903 before it sends CAP END, which the welcome waits for.
            self.irssi = Irssi(self.tmp, daemon.ports["irc"], "alice", sasl=("alice", "password1"))
            self.irssi.wait_for(r"You are now logged in as Alice")
            self.irssi.wait_for(r"Welcome to the socketchat IRC Network alice")
            self.bob.send("WHO")
            self.assertEqual(self.bob.lines_until_end(), ["USER Alice", "USER bob"])
            self.bob.send("DM alice are you the real one?")
            self.irssi.wait_for(r"Act: .*\b\d+:bob\b")  # a query window opens
            self.irssi.type("/window goto bob")
            self.irssi.wait_for(r"<\s*bob> are you the real one\?\s*$")


if __name__ == "__main__":
    e2e.main("test_irssi.py")

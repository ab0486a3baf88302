#!/usr/bin/python3
"""End-to-end tests: the real socketchatd, driven over loopback the way users drive it.

Usage: /usr/bin/python3 test_socketchatd.py PATH/TO/socketchatd [unittest options]
   or: SOCKETCHATD=PATH/TO/socketchatd /usr/bin/python3 test_socketchatd.py

Standard library only (the daemon and its client are in daemon.py). Every wait is bounded:
sockets and subprocesses have timeouts, and the daemon's log is awaited line by line with a
deadline, never slept on.
"""

import json
import os
import re
import signal
import subprocess

from daemon import TIMEOUT, Daemon, DaemonTestCase, clean_env, main, run as run_daemon

# Every setting the daemon must offer, as a flag (and as SOCKETCHAT_<FLAG> in the environment).
SETTINGS = [
    "--port", "--host", "--listen", "--idle-timeout", "--login-timeout", "--shutdown-timeout",
    "--max-line-bytes", "--sendq-bytes", "--rate", "--rate-burst", "--max-connections",
    "--max-connections-per-ip", "--threads", "--log-format", "--send-buffer-bytes",
    "--history", "--data-dir", "--history-sync", "--history-journal-bytes", "--history-days", "--tls-cert", "--tls-key", "--ws-allowed-origin",
    "--handshake-timeout", "--log-messages", "--max-rooms", "--max-rooms-per-user",
    "--max-reply-bytes", "--history-memory-bytes", "--connection-limit-exempt", "--metrics-token",
    "--accounts", "--registration", "--allow-plaintext-passwords", "--password-hash-passes",
    "--password-hash-memory-kib", "--password-hash-threads", "--password-hash-queue",
    "--account-lookup-queue", "--login-failures-per-address", "--login-failures-per-account",
    "--login-failure-window", "--login-throttle-entries",
    "--session-token-lifetime", "--jwt-algorithm", "--jwt-secret-file", "--jwt-public-key-file",
    "--jwt-audience", "--jwt-issuer", "--max-bans", "--rename-interval", "--server-name", "--motd", "--cluster", "--cluster-password-file",
    "--cluster-lease", "--cluster-backlog",
]
FLAGS = SETTINGS + ["--config", "--check-config", "--help", "--version"]
SAMPLE_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "packaging", "socketchatd.conf")


def env_name(flag):
    return "SOCKETCHAT_" + flag[2:].upper().replace("-", "_")


class DaemonTest(DaemonTestCase):
    """Starts daemons through start(); the base ends them in tearDown."""

    def start(self, *args, env=None):
        if "--data-dir" not in args:  # history goes to the test's own directory
            args = ("--data-dir", os.path.join(self.tmp, "data"), *args)
        return self.keep_daemon(Daemon(*args, env=env))

    def connect(self, daemon):
        return self.keep(daemon.client())

    def assertAlive(self, client, token="alive"):
        """PING answers PONG as the very next line: nothing else was queued for the client."""
        self.assertEqual(client.ask(f"PING {token}"), f"PONG {token}")

    def assertRefused(self, daemon, reply):
        refused = self.connect(daemon)
        self.assertEqual(refused.line(), reply)
        self.assertIsNone(refused.line())


class ChatTest(DaemonTest):
    def test_users_chat(self):
        daemon = self.start()
        alice = self.connect(daemon).login("alice")
        bob = self.connect(daemon).login("Bob")
        carol = self.connect(daemon).login("carol")

        alice.send("MSG hello all")
        self.assertEqual(bob.line(), "MSG alice hello all")
        self.assertEqual(carol.line(), "MSG alice hello all")
        self.assertAlive(alice)  # the sender got nothing back

        alice.send("DM bob psst")  # lookups ignore case
        self.assertEqual(bob.line(), "DM alice psst")
        self.assertAlive(carol)  # nobody else saw the DM
        self.assertAlive(alice)
        self.assertEqual(alice.ask("DM nobody hi"), "ERR no-such-user")

        carol.send("WHO")
        self.assertEqual(carol.lines_until_end(), ["USER alice", "USER Bob", "USER carol"])

        self.assertEqual(bob.ask("PING"), "PONG")
        self.assertEqual(bob.ask("PING 42"), "PONG 42")

        bob.send("QUIT")
        self.assertIsNone(bob.line())
        self.assertEqual(alice.line(), "INFO Bob disconnected")
        self.assertEqual(carol.line(), "INFO Bob disconnected")

    def test_help_lists_the_core_commands(self):
        daemon = self.start()
        client = self.connect(daemon)
        client.send("HELP")
        lines = client.lines_until_end()
        self.assertTrue(lines)
        for line in lines:
            self.assertTrue(line.startswith("HELP "), line)
        verbs = {line.split()[1] for line in lines}
        self.assertLessEqual({"LOGIN", "MSG", "DM", "WHO", "PING", "QUIT", "HELP"}, verbs)

    def test_name_collision(self):
        daemon = self.start()
        self.connect(daemon).login("alice")
        other = self.connect(daemon)
        self.assertEqual(other.ask("LOGIN ALICE"), "ERR username-taken")  # names ignore case
        self.assertEqual(other.ask("MSG hi"), "ERR not-logged-in")
        other.login("alicia")  # a refused LOGIN may be retried

    def test_idle_timeout(self):
        daemon = self.start("--idle-timeout", "0.5")
        client = self.connect(daemon).login("sleepy")
        self.assertEqual(client.line(), "INFO disconnected due to inactivity")
        self.assertIsNone(client.line())
        daemon.wait_for_log(r"^\[DISCONNECT\] sleepy disconnected$")

    def test_login_timeout(self):
        daemon = self.start("--login-timeout", "0.5")
        client = self.connect(daemon)
        self.assertEqual(client.line(), "INFO disconnected due to inactivity")
        self.assertIsNone(client.line())

    def test_ncat_client(self):
        daemon = self.start()
        alice = self.connect(daemon).login("alice")
        ncat = subprocess.run(["ncat", "127.0.0.1", str(daemon.port)],
                              input="LOGIN carol\nWHO\nQUIT\n", capture_output=True, text=True,
                              timeout=TIMEOUT)
        self.assertEqual(ncat.stdout, "OK\nUSER alice\nUSER carol\nEND\n")
        self.assertEqual(alice.line(), "INFO carol disconnected")


class LogTest(DaemonTest):
    def test_text_log(self):
        daemon = self.start()
        alice = self.connect(daemon).login("alice")
        bob = self.connect(daemon).login("bob")
        alice.send("MSG hi everyone!")
        self.assertEqual(bob.line(), "MSG alice hi everyone!")
        bob.send("DM alice hey this is private!")
        self.assertEqual(alice.line(), "DM bob hey this is private!")
        bob.send("QUIT")
        self.assertIsNone(bob.line())

        daemon.wait_for_log(r"^\[CONNECT\] new connection from 127\.0\.0\.1:\d+$")
        daemon.wait_for_log(r"^\[LOGIN\] user=alice$")
        daemon.wait_for_log(r'^\[MSG\] from=alice text="hi everyone!"$')
        daemon.wait_for_log(r'^\[DM\] from=bob to=alice$')
        daemon.wait_for_log(r"^\[DISCONNECT\] bob disconnected$")
        self.assertFalse(any("private" in line for line in daemon.log()))  # a DM's text: never

    def test_log_lines_cannot_be_forged(self):
        daemon = self.start()
        mallory = self.connect(daemon).login("mallory")
        witness = self.connect(daemon).login("witness")
        mallory.send('MSG hi" text="forged')
        self.assertEqual(witness.line(), 'MSG mallory hi" text="forged')
        # A CR inside a line is a control character: removed, so it cannot start a log line.
        mallory.sock.sendall(b"MSG x\r[LOGIN] user=root\n")
        self.assertEqual(witness.line(), "MSG mallory x[LOGIN] user=root")

        daemon.wait_for_log(r'^\[MSG\] from=mallory text="hi\\" text=\\"forged"$')
        daemon.wait_for_log(r'^\[MSG\] from=mallory text="x\[LOGIN\] user=root"$')
        self.assertNotIn("[LOGIN] user=root", daemon.log())

    def test_json_log(self):
        daemon = self.start("--log-format", "json")
        alice = self.connect(daemon).login("alice")
        bob = self.connect(daemon).login("bob")
        alice.send('MSG say "hi"')
        self.assertEqual(bob.line(), 'MSG alice say "hi"')
        daemon.wait_for_log(r'"event":"msg"')

        events = []
        for line in daemon.log():
            if line.startswith(("socketchatd ", "[INFO]")):  # the daemon's own lines
                continue
            events.append(json.loads(line))  # anything else must be one JSON object
        self.assertIn({"event": "login", "user": "alice"},
                      [{"event": e["event"], "user": e.get("user")} for e in events])
        message = next(e for e in events if e["event"] == "msg")
        self.assertEqual((message["user"], message["text"]), ("alice", 'say "hi"'))


class SettingsTest(DaemonTest):
    def test_version(self):
        result = run_daemon("--version")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout.strip(), "socketchatd " + os.environ["EXPECTED_VERSION"])

    def test_help_mentions_every_flag_and_variable(self):
        result = run_daemon("--help")
        self.assertEqual(result.returncode, 0)
        for flag in FLAGS:
            self.assertRegex(result.stdout, re.escape(flag) + r"\b")
        for flag in SETTINGS:
            self.assertIn(env_name(flag), result.stdout)

    def test_bad_flag_or_value(self):
        for args in (["--no-such-flag"], ["--log-format", "xml"], ["--port", "70000"],
                     ["--max-connections", "-1"], ["--idle-timeout", "soon"]):
            result = run_daemon(*args)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertTrue(result.stderr.strip(), args)

    def test_irc_server_name_and_motd_are_checked(self):
        bad = run_daemon("--server-name", "irc example", "--check-config")
        self.assertEqual((bad.returncode, bad.stderr),
                         (2, "socketchatd: invalid setting: server_name must be 1 to 63 of A-Z a-z 0-9 . - "
                          "(a host name)\n"))
        self.assertEqual(run_daemon("--server-name", "irc.example.org", "--check-config").returncode, 0)
        missing = os.path.join(self.tmp, "no-such-motd.txt")
        result = run_daemon("--port", "0", "--motd", missing)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"motd_file: cannot read {missing}", result.stderr)

    def test_environment_variable(self):
        daemon = self.start(env=clean_env(SOCKETCHAT_MAX_CONNECTIONS="1"))
        first = self.connect(daemon)
        self.assertAlive(first)
        self.assertRefused(daemon, "ERR server-full")

    def test_config_file_then_flag_overrides_it(self):
        config = self.config_file("# a small server\nmax-connections = 1\n")
        daemon = self.start("--config", config)
        self.assertAlive(self.connect(daemon))
        self.assertRefused(daemon, "ERR server-full")

        daemon = self.start("--config", config, "--max-connections", "2")
        self.assertAlive(self.connect(daemon))
        self.assertAlive(self.connect(daemon))
        self.assertRefused(daemon, "ERR server-full")

    def test_environment_overrides_config_file_and_flag_overrides_environment(self):
        config = self.config_file("max-connections = 1\n")
        env = clean_env(SOCKETCHAT_MAX_CONNECTIONS="2")
        daemon = self.start("--config", config, env=env)
        self.assertAlive(self.connect(daemon))
        self.assertAlive(self.connect(daemon))
        self.assertRefused(daemon, "ERR server-full")

        daemon = self.start("--config", config, "--max-connections", "1", env=env)
        self.assertAlive(self.connect(daemon))
        self.assertRefused(daemon, "ERR server-full")

    def test_check_config(self):
        good = self.config_file("port = 4000\nidle-timeout = 0.5\nlog-format = json\n")
        result = run_daemon("--config", good, "--check-config")
        self.assertEqual((result.returncode, result.stdout), (0, "configuration OK\n"))

        cases = {
            "max-line-bytes = 8\n": "max_line_bytes",    # ServerOptions::validate()
            "listen = udp://127.0.0.1:1\n": "udp://",  # a listener URL the server refuses
            "no-such-key = 1\n": "no-such-key",        # a typo
            "port = many\n": "port",                   # a value of the wrong type
        }
        for text, named in cases.items():
            bad = self.config_file(text)
            result = run_daemon("--config", bad, "--check-config")
            self.assertEqual(result.returncode, 2, text)
            self.assertNotIn("configuration OK", result.stdout)
            self.assertIn(named, result.stderr, text)

    def test_sample_config_lists_every_setting_with_its_default(self):
        with open(SAMPLE_CONFIG) as f:
            sample = f.read()
        samples = dict(re.findall(r"^#([a-z-]+) = (.*)$", sample, re.M))
        self.assertEqual(sorted(samples), sorted(flag[2:] for flag in SETTINGS))
        helped = dict(re.findall(r"^\s+--([a-z-]+) \S+?=(\S+)(?: \.\.\.)? \(Env:",
                                 run_daemon("--help").stdout, re.M))
        for key, value in samples.items():
            if key not in ("listen", "tls-cert", "tls-key", "ws-allowed-origin",
                           "metrics-token", "jwt-secret-file", "jwt-public-key-file",
                           "jwt-audience", "jwt-issuer", "cluster",
                           "cluster-password-file", "server-name", "motd"):  # no default
                # A list is shown by --help as [a,b]: the same without quotes and spaces.
                self.assertEqual(re.sub(r'[" ]', "", value), helped[key], key)
        # As shipped (all commented out) and with every line uncommented, it is valid.
        for text in (sample, re.sub(r"^#([a-z-]+ = )", r"\1", sample, flags=re.M)):
            result = run_daemon("--config", self.config_file(text), "--check-config")
            self.assertEqual((result.returncode, result.stdout, result.stderr),
                             (0, "configuration OK\n", ""))

    def test_port_in_use(self):
        first = self.start()
        result = run_daemon("--host", "127.0.0.1", "--port", str(first.port))
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertRegex(lines[0], r"^socketchatd: .*" + str(first.port))


class ThreadsTest(DaemonTest):
    def threads_on(self, cpus):
        """How many threads a default socketchatd runs when it may use only `cpus`
        (inherited from this process, as taskset would set it)."""
        everything = os.sched_getaffinity(0)
        os.sched_setaffinity(0, cpus)
        try:
            daemon = self.start()
        finally:
            os.sched_setaffinity(0, everything)
        client = self.connect(daemon).login("alice")  # up and serving
        self.assertAlive(client)
        return len(os.listdir(f"/proc/{daemon.proc.pid}/task"))

    def test_default_io_threads_are_one_per_cpu_it_may_use(self):
        cpus = sorted(os.sched_getaffinity(0))
        # One I/O thread per CPU it may use: on one CPU, as many fewer threads as this
        # process has other CPUs (on all of them, one per CPU, as before).
        self.assertEqual(self.threads_on(set(cpus)) - self.threads_on({cpus[0]}), len(cpus) - 1)


class SignalTest(DaemonTest):
    def test_sigterm_and_sigint_drain_and_exit_zero(self):
        for stop in (signal.SIGTERM, signal.SIGINT):
            daemon = self.start()
            client = self.connect(daemon).login("alice")
            daemon.proc.send_signal(stop)
            self.assertEqual(client.line(), "INFO server shutting down")
            self.assertIsNone(client.line())
            self.assertEqual(daemon.proc.wait(timeout=TIMEOUT), 0)

    def test_sighup_applies_a_changed_config_to_the_running_server(self):
        config = self.config_file("max-connections = 5\nlog-format = text\n")
        daemon = self.start("--config", config)
        alice = self.connect(daemon).login("alice")
        bob = self.connect(daemon).login("bob")
        self.config_file("max-connections = 2\nlog-format = json\n")
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for_log(r"^\[INFO\] reload: configuration applied$")
        self.assertRefused(daemon, "ERR server-full")  # two are open, two are allowed now
        self.assertAlive(alice)
        alice.send("MSG after the reload")
        self.assertEqual(bob.line(), "MSG alice after the reload")
        logged = json.loads(daemon.wait_for_log(r'^\{.*"event":"msg"'))  # the new log format
        self.assertEqual(logged["text"], "after the reload")
        self.assertIsNone(daemon.proc.poll())

    def test_sighup_with_a_broken_config_keeps_the_old_one(self):
        config = self.config_file("max-connections = 2\n")
        daemon = self.start("--config", config)
        alice = self.connect(daemon).login("alice")
        for broken in ("max-line-bytes = 8\n", "no-such-key = 1\n", "max-connections = many\n"):
            self.config_file(broken)
            daemon.proc.send_signal(signal.SIGHUP)
            daemon.wait_for_log(r"^\[ERROR\] reload failed, keeping the current configuration")
            daemon.forget_log()  # the next SIGHUP must log its own failure
        self.assertAlive(alice)
        self.assertAlive(self.connect(daemon))  # still max-connections = 2
        self.assertRefused(daemon, "ERR server-full")
        self.assertIsNone(daemon.proc.poll())

if __name__ == "__main__":
    main("test_socketchatd.py")

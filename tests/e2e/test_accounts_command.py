#!/usr/bin/python3
"""`socketchatd accounts`, the operator's admin command, run as an operator would: the
password through standard input (and through a terminal, with the echo off), every
action, the exit statuses, the database file's mode, and no password ever printed.

Usage: /usr/bin/python3 test_accounts_command.py PATH/TO/socketchatd
Standard library only; every wait is bounded.
"""

import os
import pty
import re
import select
import sqlite3
import stat
import subprocess
import time

import daemon as e2e
from daemon import Daemon, DaemonTestCase

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "Tr0ub4dor&3-and-more"
# "ann user 2024-05-01T12:00:00Z"
LIST_LINE = re.compile(r"^(\S+) (operator|user) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$")


class AccountsCommandTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = os.path.join(self.tmp, "data")
        self.outputs = []  # every stdout and stderr, to check no password shows

    def tearDown(self):
        for output in self.outputs:
            for password in (PASSWORD, OTHER_PASSWORD):
                self.assertNotIn(password, output)
        super().tearDown()

    def accounts(self, *args, password=None, env=None):
        """Runs `socketchatd accounts ARGS --data-dir <data>`, `password` (plus a newline)
        on its standard input; returns (exit status, stdout, stderr)."""
        stdin = None if password is None else password + "\n"
        proc = subprocess.run([e2e.PATH, "accounts", *args, "--data-dir", self.data_dir],
                              input=stdin if stdin is not None else "", capture_output=True, text=True,
                              timeout=e2e.TIMEOUT, env=env if env is not None else e2e.clean_env())
        self.outputs += [proc.stdout, proc.stderr]
        return proc.returncode, proc.stdout, proc.stderr

    def ok(self, *args, password=None):
        status, out, err = self.accounts(*args, password=password)
        self.assertEqual(status, 0, err)
        return out

    def listed(self):
        """The list's lines as (name, role) pairs, checking each line's form."""
        entries = []
        for line in self.ok("list").splitlines():
            match = LIST_LINE.match(line)
            self.assertIsNotNone(match, line)
            entries.append(match.group(1, 2))
        return entries

    def row(self, name):
        """The account's row, read straight from the database."""
        with sqlite3.connect(os.path.join(self.data_dir, "accounts.db")) as db:
            return db.execute("SELECT name, password_hash, is_operator, token_generation "
                              "FROM accounts WHERE name_key = ?", (name.lower(),)).fetchone()

    def test_add_then_list(self):
        self.assertEqual(self.ok("add", "Ann", password=PASSWORD).strip(), "added Ann")
        out = self.ok("list")
        self.assertRegex(out, r"^Ann user \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$")
        created = time.strptime(LIST_LINE.match(out.strip()).group(3), "%Y-%m-%dT%H:%M:%SZ")
        self.assertLess(abs(time.mktime(created) - time.mktime(time.gmtime())), 120)
        name, password_hash, is_operator, generation = self.row("ann")
        self.assertEqual((name, is_operator, generation), ("Ann", 0, 0))
        self.assertTrue(password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), password_hash)
        self.assertNotIn(password_hash, out)  # the list never shows the hash

    def test_accounts_db_is_the_owners_alone(self):
        self.ok("add", "ann", password=PASSWORD)
        path = os.path.join(self.data_dir, "accounts.db")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_a_taken_name_is_refused_in_any_case(self):
        self.ok("add", "ann", password=PASSWORD)
        for name in ("ann", "ANN"):
            status, out, err = self.accounts("add", name, password=OTHER_PASSWORD)
            self.assertEqual(status, 1, err)
            self.assertIn(f"name taken: {name}", err)
            self.assertEqual(out, "")
        self.assertEqual(self.listed(), [("ann", "user")])

    def test_an_invalid_name_is_refused(self):
        for name in ("_under", "has space", "x" * 33, "semi;colon"):
            status, _, err = self.accounts("add", name, password=PASSWORD)
            self.assertEqual(status, 1, name)
            self.assertIn("invalid name", err)
        self.assertEqual(self.listed(), [])

    def test_weak_long_and_missing_passwords_are_refused(self):
        for password, why in (("short77", "weak password"), ("", "weak password"),
                              ("x" * 257, "password too long")):
            status, _, err = self.accounts("add", "ann", password=password)
            self.assertEqual(status, 1, err)
            self.assertIn(why, err)
        status, _, err = self.accounts("add", "ann")  # nothing on standard input
        self.assertEqual(status, 1)
        self.assertIn("no password", err)
        self.assertEqual(self.listed(), [])
        self.ok("add", "ann", password="x" * 256)  # the longest accepted
        self.ok("add", "bob", password="12345678")  # the shortest

    def test_passwd_changes_the_hash_and_revokes_tokens(self):
        self.ok("add", "ann", password=PASSWORD)
        _, old_hash, _, _ = self.row("ann")
        status, _, err = self.accounts("passwd", "ann", password="weak")
        self.assertEqual(status, 1)
        self.assertIn("weak password", err)
        self.assertEqual(self.row("ann")[1], old_hash)

        self.ok("passwd", "ANN", password=OTHER_PASSWORD)
        name, new_hash, _, generation = self.row("ann")
        self.assertEqual(name, "ann")
        self.assertNotEqual(new_hash, old_hash)
        self.assertEqual(generation, 1)

    def test_password_cost_options(self):
        self.ok("add", "ann", "--password-passes", "3", "--password-memory-kib", "1024",
                password=PASSWORD)
        self.assertTrue(self.row("ann")[1].startswith("$argon2id$v=19$m=1024,t=3,p=1$"))
        for bad in (("--password-passes", "0"), ("--password-memory-kib", "4")):
            status, _, _ = self.accounts("add", "bob", *bad, password=PASSWORD)
            self.assertEqual(status, 2, bad)

    def test_operators_are_granted_and_revoked(self):
        self.ok("add", "ann", password=PASSWORD)
        self.ok("add", "boss", "--operator", password=PASSWORD)
        self.assertEqual(self.listed(), [("ann", "user"), ("boss", "operator")])
        self.ok("grant-op", "ANN")
        self.ok("revoke-op", "boss")
        self.assertEqual(self.listed(), [("ann", "operator"), ("boss", "user")])

    def test_revoke_tokens_raises_the_generation(self):
        self.ok("add", "ann", password=PASSWORD)
        self.ok("revoke-tokens", "ann")
        self.ok("revoke-tokens", "Ann")
        self.assertEqual(self.row("ann")[3], 2)

    def test_remove(self):
        self.ok("add", "ann", password=PASSWORD)
        self.ok("add", "bob", password=PASSWORD)
        self.ok("remove", "Ann")
        self.assertEqual(self.listed(), [("bob", "user")])
        status, _, err = self.accounts("remove", "ann")
        self.assertEqual(status, 1)
        self.assertIn("no such account: ann", err)

    def test_unknown_accounts_are_refused(self):
        self.ok("add", "ann", password=PASSWORD)
        for action in ("passwd", "remove", "grant-op", "revoke-op", "revoke-tokens"):
            status, out, err = self.accounts(action, "nobody", password=PASSWORD)
            self.assertEqual(status, 1, action)
            self.assertIn("no such account: nobody", err)
            self.assertEqual(out, "")

    def test_usage_errors_exit_2(self):
        for args in ((), ("add",), ("frobnicate", "ann"), ("list", "--bogus"), ("remove",)):
            status, _, err = self.accounts(*args)
            self.assertEqual(status, 2, args)
            self.assertNotEqual(err, "", args)
        # Without --data-dir (nor SOCKETCHAT_DATA_DIR)
        proc = subprocess.run([e2e.PATH, "accounts", "list"], capture_output=True, text=True,
                              timeout=e2e.TIMEOUT, env=e2e.clean_env())
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--data-dir", proc.stderr)

    def test_help_and_the_environment(self):
        proc = subprocess.run([e2e.PATH, "accounts", "--help"], capture_output=True, text=True,
                              timeout=e2e.TIMEOUT, env=e2e.clean_env())
        self.assertEqual(proc.returncode, 0)
        for action in ("add", "passwd", "remove", "list", "grant-op", "revoke-op", "revoke-tokens"):
            self.assertIn(action, proc.stdout)
        self.assertIn("accounts", e2e.run("--help").stdout)
        # The server's SOCKETCHAT_DATA_DIR names the directory too.
        env = e2e.clean_env(SOCKETCHAT_DATA_DIR=self.data_dir)
        proc = subprocess.run([e2e.PATH, "accounts", "add", "ann"], input=PASSWORD + "\n",
                              capture_output=True, text=True, timeout=e2e.TIMEOUT, env=env)
        self.outputs += [proc.stdout, proc.stderr]
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.listed(), [("ann", "user")])

    def test_a_missing_data_dir_is_made_by_add_only(self):
        status, _, err = self.accounts("list")
        self.assertEqual(status, 1)
        self.assertIn("does not exist", err)
        self.assertFalse(os.path.exists(self.data_dir))
        self.ok("add", "ann", password=PASSWORD)
        self.assertTrue(os.path.isdir(self.data_dir))

    def test_while_the_server_runs_on_the_same_data_dir(self):
        self.keep_daemon(Daemon("--history", "sqlite", "--data-dir", self.data_dir))
        self.ok("add", "ann", password=PASSWORD)
        self.ok("grant-op", "ann")
        self.assertEqual(self.listed(), [("ann", "operator")])

    def at_terminal(self, *typed):
        """Runs `accounts add ann` on a terminal, typing each of `typed` after a prompt;
        returns (exit status, everything the terminal showed)."""
        pid, fd = pty.fork()
        if pid == 0:  # the child: stdin, stdout and stderr are the terminal
            os.execve(e2e.PATH, [e2e.PATH, "accounts", "add", "ann", "--data-dir", self.data_dir],
                      e2e.clean_env())
        shown = b""
        deadline = time.monotonic() + e2e.TIMEOUT
        prompts = 0

        def read_some():
            nonlocal shown
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return False
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child is gone
                return False
            shown += chunk
            return bool(chunk)

        for answer in typed:
            prompts += 1
            while shown.count(b"Password") < prompts:
                self.assertTrue(read_some(), f"no prompt {prompts}; shown: {shown!r}")
            os.write(fd, answer.encode() + b"\n")
        while read_some():
            pass
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        output = shown.decode(errors="replace")
        self.outputs.append(output)
        return os.waitstatus_to_exitcode(status), output

    def test_at_a_terminal_the_password_is_asked_twice_without_echo(self):
        status, shown = self.at_terminal(PASSWORD, PASSWORD)
        self.assertEqual(status, 0, shown)
        self.assertIn("Password: ", shown)
        self.assertIn("Password again: ", shown)
        self.assertIn("added ann", shown)
        self.assertEqual(self.listed(), [("ann", "user")])

    def test_at_a_terminal_two_different_passwords_are_refused(self):
        status, shown = self.at_terminal(PASSWORD, OTHER_PASSWORD)
        self.assertEqual(status, 1, shown)
        self.assertIn("the two passwords differ", shown)
        self.assertEqual(self.listed(), [])


if __name__ == "__main__":
    e2e.main(__file__)

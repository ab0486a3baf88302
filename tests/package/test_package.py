"""socketchat's Debian packages as an operator meets them.

Builds the packages (scripts/package.sh), runs lintian over them, installs them on this
machine with dpkg, and checks what an operator would: the version everywhere, the man
pages, the packaged config, the unit (systemd-analyze verify, systemctl enable), the
daemon started as the unit starts it (its ExecStart, an unprivileged user, working
directory /, the state directory as systemd makes it) serving a LOGIN/MSG round trip
and keeping its history in the state directory, a program built against
libsocketchat-dev with find_package and with pkg-config; then removes and purges the
packages and checks nothing of them is left. Whatever happens, the packages are purged
at the end.

Needs root, or sudo without a password: it installs packages. Refuses to run where any
of the packages, /etc/socketchat, /var/lib/socketchat or the unit's enable link are
there already.

    test_package.py SOURCE_DIR WORK_DIR VERSION CMAKE_GENERATOR

Standard library only; every wait is bounded.
"""

import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

SOURCE, WORK, VERSION, GENERATOR = sys.argv[1:5]
MAJOR, MINOR, _ = VERSION.split(".")
REVISION = "1"
DEB_VERSION = f"{VERSION}-{REVISION}"
LIBRARY = f"libsocketchat{MAJOR}.{MINOR}"
PACKAGES = ["socketchatd", "libsocketchat-dev", LIBRARY]  # in the order they are removed
CONFIG = "/etc/socketchat/socketchatd.conf"
UNIT = "/lib/systemd/system/socketchatd.service"
STATE_DIR = "/var/lib/socketchat"
ENABLED = "/etc/systemd/system/multi-user.target.wants/socketchatd.service"
TIMEOUT = 10.0  # seconds for the daemon to listen, a reply to come, the daemon to stop

# Root runs the commands that change the system; anyone else, sudo without a password.
SUDO = [] if os.geteuid() == 0 else ["sudo", "-n"]

checks = 0


class Failure(Exception):
    pass


def check(condition, what):
    """Counts a check; raises Failure saying what was expected when it does not hold."""
    global checks
    if not condition:
        raise Failure(what)
    checks += 1


def run(*command, ok=True, privileged=False, timeout=120, **kwargs):
    """Runs a command; with ok, a non-zero exit is a Failure showing its output."""
    argv = (SUDO if privileged else []) + [str(part) for part in command]
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    if ok and result.returncode != 0:
        raise Failure(f"{shlex.join(argv)} exited {result.returncode}\n{result.stdout}{result.stderr}")
    return result


def step(text):
    print(f"--- {text}", flush=True)


def installed(package):
    """dpkg's word on whether the package is installed (not just its config left)."""
    status = run("dpkg-query", "-W", "-f=${db:Status-Status}", package, ok=False)
    return status.returncode == 0 and status.stdout == "installed"


def known(package):
    """Whether dpkg knows the package at all (installed, or its config files left)."""
    return run("dpkg-query", "-W", package, ok=False).returncode == 0


def preflight():
    if SUDO and (not shutil.which("sudo") or run("sudo", "-n", "true", ok=False).returncode != 0):
        raise Failure("the package test installs packages: run it as root, or where sudo works "
                      "without a password")
    for package in PACKAGES:
        check(not known(package), f"{package} is on this machine already: the test would replace "
                                  f"and purge it; remove it first (dpkg -P {package})")
    for path in ("/etc/socketchat", STATE_DIR, ENABLED):
        check(not os.path.lexists(path), f"{path} exists: the test would purge it")


def build():
    step("build the packages (scripts/package.sh)")
    started = time.monotonic()
    out = os.path.join(WORK, "debs")
    for old in glob.glob(os.path.join(out, "*.deb")):
        os.remove(old)
    run(os.path.join(SOURCE, "scripts", "package.sh"), out, timeout=1800)
    print(f"packages built in {time.monotonic() - started:.0f} s")
    arch = run("dpkg", "--print-architecture").stdout.strip()
    debs = {p: os.path.join(out, f"{p}_{DEB_VERSION}_{arch}.deb") for p in PACKAGES}
    for package, deb in debs.items():
        check(os.path.isfile(deb), f"cpack made {deb}")
        fields = run("dpkg-deb", "-f", deb, "Package", "Version").stdout.split("\n")
        check(fields[:2] == [f"Package: {package}", f"Version: {DEB_VERSION}"],
              f"{deb} is {package} {DEB_VERSION}: {fields}")
    return debs


def lint(debs):
    step("lintian")
    result = run("lintian", "--tag-display-limit", "0", *debs.values(), ok=False, timeout=600)
    print(result.stdout + result.stderr, end="")
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    check(not errors and result.returncode == 0, "lintian reports no error")


def check_dependencies(debs):
    step("dependencies")
    depends = {p: run("dpkg-deb", "-f", deb, "Depends").stdout for p, deb in debs.items()}
    exact = f"{LIBRARY} (= {DEB_VERSION})"
    check(exact in depends["socketchatd"], f"socketchatd depends on {exact}: {depends['socketchatd']}")
    check(exact in depends["libsocketchat-dev"], f"libsocketchat-dev depends on {exact}")
    # dpkg-shlibdeps found the libraries it links, with versions.
    for library in ("libc6 (>=", "libstdc++6 (>=", "libsodium23 (>="):
        check(library in depends[LIBRARY], f"{LIBRARY} depends on {library}...: {depends[LIBRARY]}")
    control = run("dpkg-deb", "-I", debs["socketchatd"], "conffiles").stdout.split()
    check(control == [CONFIG], f"socketchatd's conffiles: {control}")


def check_versions():
    step("one version everywhere")
    check(run("socketchatd", "--version").stdout.strip() == f"socketchatd {VERSION}",
          f"socketchatd --version says {VERSION}")
    with open("/usr/include/socketchat/version.hpp") as header:
        check(f'version_string = "{VERSION}"' in header.read(), "version.hpp says " + VERSION)
    check(run("pkg-config", "--modversion", "socketchat").stdout.strip() == VERSION,
          "pkg-config --modversion socketchat says " + VERSION)
    libdir = run("pkg-config", "--variable=libdir", "socketchat").stdout.strip()
    library = os.path.join(libdir, f"libsocketchat.so.{VERSION}")
    check(os.path.isfile(library), f"pkg-config's libdir {libdir} holds libsocketchat.so.{VERSION}")
    dynamic = run("readelf", "-d", library).stdout
    check(f"[libsocketchat.so.{MAJOR}.{MINOR}]" in dynamic, f"SONAME libsocketchat.so.{MAJOR}.{MINOR}")
    for package in PACKAGES:
        check(run("dpkg-query", "-W", "-f=${Version}", package).stdout == DEB_VERSION,
              f"{package} is installed as {DEB_VERSION}")
        doc = f"/usr/share/doc/{package}"
        changelog = run("gzip", "-dc", f"{doc}/changelog.Debian.gz").stdout.split("\n", 1)[0]
        check(f"({DEB_VERSION})" in changelog, f"{doc}/changelog.Debian.gz begins with {DEB_VERSION}")
        with open(f"{doc}/copyright") as copyright:
            check("License: MIT" in copyright.read(), f"{doc}/copyright: MIT")


def check_man_pages():
    step("man pages")
    for section, page in (("8", "socketchatd"), ("7", "socketchat")):
        found = run("man", "-w", section, page).stdout.strip()
        check(found == f"/usr/share/man/man{section}/{page}.{section}.gz", f"man -w {section} {page}: {found}")
        rendered = run("man", "--warnings", "-l", found, env={**os.environ, "MANWIDTH": "80"})
        check(rendered.stderr == "", f"man --warnings -l {found}: {rendered.stderr}")
    check(run("man", "-w", "socketchatd").returncode == 0, "man -w socketchatd")


def unit_settings():
    """The [Service] settings of the installed unit, each key's values in order."""
    settings = {}
    with open(UNIT) as unit:
        for line in unit:
            key, equals, value = line.strip().partition("=")
            if equals and not key.startswith("#"):
                settings.setdefault(key, []).append(value)
    return settings


def check_config_and_unit():
    step("config and unit")
    with open(CONFIG) as config:
        lines = config.read().splitlines()
    check(f'data-dir = "{STATE_DIR}"' in lines, f"{CONFIG} sets data-dir to {STATE_DIR}")
    result = run("socketchatd", "--config", CONFIG, "--check-config", cwd="/")
    check(result.stdout.strip() == "configuration OK", f"--check-config of {CONFIG}: {result.stdout}")
    unit = unit_settings()
    check(unit.get("StateDirectory") == ["socketchat"], f"StateDirectory=socketchat: {unit.get('StateDirectory')}")
    check(unit.get("ExecStart") == [f"/usr/bin/socketchatd --config {CONFIG}"], f"ExecStart: {unit.get('ExecStart')}")
    check(unit.get("WorkingDirectory", ["/"]) == ["/"], "the unit runs in /, systemd's default")
    # No systemd is running here: systemd-analyze reads the unit file itself, and checks
    # its settings, the programs it names and its man pages.
    verify = run("systemd-analyze", "verify", UNIT, ok=False)
    check(verify.returncode == 0 and "socketchatd" not in verify.stdout + verify.stderr,
          f"systemd-analyze verify {UNIT}: {verify.stdout}{verify.stderr}")
    # The README's systemctl enable (offline here: it makes the link); a purge takes it.
    run("systemctl", "enable", "socketchatd", privileged=True)
    check(os.path.islink(ENABLED), f"systemctl enable socketchatd links {ENABLED}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connect(port, deadline, daemon):
    """A connection to the daemon, tried until it listens or the deadline passes."""
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError:
            if daemon.poll() is not None:
                raise Failure(f"socketchatd exited {daemon.returncode} before it listened")
            if time.monotonic() > deadline:
                raise Failure(f"socketchatd listens on 127.0.0.1:{port} within {TIMEOUT} s")
            time.sleep(0.05)  # the port has no event to wait for: poll, bounded by the deadline


class Client:
    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def line(self):
        while b"\n" not in self.buffer:
            data = self.sock.recv(4096)  # bounded by the socket's timeout
            check(data, "the connection stays open")
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()


def run_as_the_unit(user):
    """Starts socketchatd as the unit would, as `user`, on a free loopback port."""
    step(f"socketchatd as the unit starts it, as {user.pw_name}")
    # systemd's StateDirectory=socketchat: /var/lib/socketchat, the service's own, 0700.
    run("install", "-d", "-m", "0700", "-o", user.pw_uid, "-g", user.pw_gid, STATE_DIR, privileged=True)
    port = free_port()
    command = shlex.split(unit_settings()["ExecStart"][0])
    # Flags come before the config file: the test's port instead of 4000, loopback only.
    command += ["--host", "127.0.0.1", "--port", str(port)]
    setpriv = SUDO + ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    daemon = subprocess.Popen(setpriv + command, cwd="/", env={"PATH": "/usr/bin:/bin"},
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return daemon, port


def chat(daemon, port):
    deadline = time.monotonic() + TIMEOUT
    alice = Client(connect(port, deadline, daemon))
    bob = Client(connect(port, deadline, daemon))
    alice.send("LOGIN alice")
    check(alice.line() == "OK", "LOGIN alice: OK")
    bob.send("LOGIN bob")
    check(bob.line() == "OK", "LOGIN bob: OK")
    alice.send("MSG hello from the package")
    received = bob.line()
    check(received == "MSG alice hello from the package", f"bob receives alice's MSG: {received}")
    bob.send("HISTORY * 5")
    stored = bob.line()
    check(re.fullmatch(r"HIST \* \d+ alice hello from the package", stored), f"it is in history: {stored}")
    check(bob.line() == "END", "HISTORY ends")
    alice.sock.close()
    bob.sock.close()


def stop(daemon):
    # Its PID is setpriv's, which execs socketchatd (sudo's child under sudo: sudo relays it).
    daemon.send_signal(signal.SIGTERM)
    try:
        status = daemon.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
        raise Failure("socketchatd stops on SIGTERM")
    log = daemon.stdout.read().decode(errors="replace")
    print(log, end="")
    check(status == 0, f"socketchatd exits 0 on SIGTERM, not {status}")


def check_state(user):
    history = os.path.join(STATE_DIR, "history.db")
    found = run("stat", "-c", "%U %a", history, privileged=True, ok=False).stdout.strip()
    check(found.startswith(user.pw_name + " "), f"{history} exists and is {user.pw_name}'s: {found!r}")
    for elsewhere in ("/socketchat-data", "/history.db"):
        check(not os.path.lexists(elsewhere), f"nothing written to {elsewhere}")


def build_consumers():
    """tests/consumer's programs, each checking the installed version.hpp against the
    version its package says (CMake's version file, pkg-config); run() fails on a failure."""
    step("programs built against libsocketchat-dev")
    consumer = os.path.join(SOURCE, "tests", "consumer")
    run("cmake", f"-DSOURCE={consumer}/find_package", f"-DBINARY_DIR={WORK}/consumer_find_package",
        f"-DGENERATOR={GENERATOR}", "-DBUILD_TYPE=Release", f"-DCONFIGURE=-DSOCKETCHAT_EXPECTED_VERSION={VERSION}",
        "-DRUN=consumer", "-P", f"{consumer}/build_and_run.cmake", timeout=600)
    run(f"{consumer}/pkg_config/build_and_run.sh", "/usr", f"{consumer}/consumer_main.cpp",
        f"{WORK}/consumer_pkg_config", timeout=600)


def package_files(debs):
    """The files (not directories) the packages install."""
    files = []
    for deb in debs.values():
        for line in run("dpkg-deb", "-c", deb).stdout.splitlines():
            if not line.startswith("d"):
                files.append(line.split()[5].lstrip("."))
    return files


def remove_and_purge(debs):
    step("dpkg -r, then dpkg -P")
    files = package_files(debs)
    run("dpkg", "-r", *PACKAGES, privileged=True)
    for package in PACKAGES:
        check(not installed(package), f"dpkg -r: {package} is not installed")
    check(os.path.exists(CONFIG), "dpkg -r keeps the conffile, as Debian does")
    run("dpkg", "-P", *PACKAGES, privileged=True)
    for package in PACKAGES:
        check(not known(package), f"dpkg -P: dpkg knows nothing of {package}")
    left = [path for path in files if os.path.lexists(path)]
    check(not left, f"no file of the packages is left: {left}")
    for path in ("/etc/socketchat", STATE_DIR, ENABLED):
        check(not os.path.lexists(path), f"dpkg -P removes {path}")


def clean_up(daemon):
    """Whatever happened: the daemon stopped, the packages purged, the state dir gone."""
    if daemon is not None and daemon.poll() is None:
        daemon.kill()
        daemon.wait()
    present = [package for package in PACKAGES if known(package)]
    if present:
        run("dpkg", "-P", *present, privileged=True, ok=False)
    run("rm", "-rf", STATE_DIR, "/etc/socketchat", ENABLED, privileged=True, ok=False)


def main():
    os.makedirs(WORK, exist_ok=True)
    started = time.monotonic()
    preflight()
    debs = build()
    lint(debs)
    check_dependencies(debs)
    user = pwd.getpwnam("nobody")  # an unprivileged user, as systemd's DynamicUser is
    daemon = None
    try:
        step("dpkg -i")
        run("dpkg", "-i", *debs.values(), privileged=True)
        for package in PACKAGES:
            check(installed(package), f"{package} is installed")
        check_versions()
        check_man_pages()
        check_config_and_unit()
        daemon, port = run_as_the_unit(user)
        chat(daemon, port)
        stop(daemon)
        check_state(user)
        build_consumers()
        remove_and_purge(debs)
    finally:
        clean_up(daemon)
    print(f"package test: {checks} checks passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAILED after {checks} checks: {failure}", file=sys.stderr)
        sys.exit(1)

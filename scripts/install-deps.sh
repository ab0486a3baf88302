#!/usr/bin/env bash
# Installs the Debian 12 packages socketchat needs to build, test and run, if any
# is missing. Uses sudo when not run as root.
#   scripts/install-deps.sh           all of them
#   scripts/install-deps.sh --build   only what building the packages needs (package.sh)
set -euo pipefail

build=(
  build-essential cmake pkg-config
  libasio-dev libfmt-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libsodium-dev libjwt-dev libhiredis-dev
  dpkg-dev file  # cpack: dpkg-shlibdeps, and file to find the ELF files
)
tests=(
  clang-format doctest-dev redis-server
  python3 python3-websockets python3-irc python3-redis irssi weechat-headless tmux openssl ncat git strace
  weechat-plugins  # the WeeChat test types through its fifo plugin (only recommended by weechat-headless)
  # the package test: lintian, man -w, groff's checks, systemd-analyze verify, setpriv
  lintian man-db groff-base systemd util-linux
)
packages=("${build[@]}")
[ "${1:-}" = --build ] || packages+=("${tests[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to a running server on port 4000:
# installs what is missing, builds (Release), and starts socketchatd in the
# foreground. Extra arguments go to socketchatd, e.g. scripts/serve.sh --threads 2
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSOCKETCHAT_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target socketchatd
exec build/release/apps/socketchatd/socketchatd --port 4000 "$@"

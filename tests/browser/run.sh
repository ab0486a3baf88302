#!/usr/bin/env bash
# Runs the browser end-to-end test against a socketchatd binary:
#   tests/browser/run.sh path/to/socketchatd
# Installs what is missing first: Debian's chromium (and node/npm), then the npm
# packages locked in package-lock.json. The screenshot goes to ${OUT_DIR:-build}.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 path/to/socketchatd" >&2
  exit 2
fi
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
apt_install() {
  echo "installing: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# npm ci when playwright-core is absent or not the locked version.
locked=$(node -p "require('$here/package-lock.json').packages['node_modules/playwright-core'].version")
installed=$(node -p "try { require('$here/node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$locked" != "$installed" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

SOCKETCHATD="$daemon" exec node --test "$here/chat.spec.mjs"

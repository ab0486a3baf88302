#!/usr/bin/env bash
# The man pages as groff and man-db read them: no warning from either.
#   check_man_pages.sh PAGE...
set -euo pipefail
status=0
for page in "$@"; do
  warnings=$( { groff -man -ww -z "$page" && MANWIDTH=80 man --warnings -l "$page" >/dev/null; } 2>&1)
  if [ -n "$warnings" ]; then
    printf '%s:\n%s\n' "$page" "$warnings"
    status=1
  fi
done
exit $status

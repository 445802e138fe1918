#!/usr/bin/env bash
# Make sure the browser tests have a Chromium (run by `make browser`, hence by `make test`).
#
# The tests drive Debian's chromium package through Playwright; they never download a browser
# (such downloads cannot work on the course's machines). If no Chromium is found:
#   * as root, or with passwordless sudo, on a Debian-like system: install Debian's `chromium`
#     with apt-get, saying so;
#   * otherwise: stop at once with the one command to run.
# COURSE_CHROMIUM=/path/to/chromium points the tests at another Chromium-based browser.
set -euo pipefail

for cand in "${COURSE_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then
    exit 0
  fi
done

command_to_run="sudo apt-get update && sudo apt-get install -y chromium"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the browser tests need Chromium, and this is not a Debian-like system (no" \
       "apt-get). Install Chromium with your package manager and rerun with" \
       "COURSE_CHROMIUM=/path/to/chromium." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "error: the browser tests need Debian's chromium, which is not installed, and installing" \
       "it needs root. Run this once, then make test again:" >&2
  echo "    $command_to_run" >&2
  exit 1
fi
echo "Chromium is missing: installing Debian's chromium package for the browser tests" \
     "(${as_root[*]:-as root} apt-get update && apt-get install -y chromium; about a minute)"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium
[ -x /usr/bin/chromium ] || {
  echo "error: apt-get installed chromium but /usr/bin/chromium is missing; run: $command_to_run" >&2
  exit 1; }
echo "Installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"

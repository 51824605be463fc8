#!/usr/bin/env bash
# Makes sure the dashboard's browser test has a headless Chromium (run by `make test-java` before the Maven suite).
# The test drives Debian's `chromium` package with playwright-core from npm: a test tool's own browser download
# cannot work without internet, a distribution package can come from the local mirror.
#   1. CHROMIUM set to an executable   -> the test uses it; nothing to do here.
#   2. /usr/bin/chromium exists        -> nothing to do here.
#   3. root with apt-get               -> apt-get install chromium.
# Prints one line saying what it did; exits 1 with what to do when none of these works.
set -euo pipefail

say() { echo "ensure-chromium: $*"; }
die() { echo "ensure-chromium: $*" >&2; exit 1; }

if [ -n "${CHROMIUM:-}" ]; then
  [ -x "$CHROMIUM" ] || die "CHROMIUM=$CHROMIUM is not an executable file"
  say "using CHROMIUM=$CHROMIUM"
  exit 0
fi
if [ -x /usr/bin/chromium ]; then
  say "found $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing chromium with apt-get (a few minutes)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x /usr/bin/chromium ] || die "apt-get install chromium did not leave /usr/bin/chromium"
  say "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  exit 0
fi
die "no /usr/bin/chromium and not root with apt-get; install Debian's chromium package ('apt-get install chromium') or set CHROMIUM=/path/to/chromium"

#!/usr/bin/env bash
# Makes sure `promtool` (Prometheus's rule checker) is on PATH for `make test-dist`: as root with apt-get, installs
# Debian's `prometheus` package (which ships it) without starting anything; otherwise says what to do.
set -euo pipefail
if command -v promtool >/dev/null; then echo "ensure-promtool: $(promtool --version 2>&1 | head -1)"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-promtool: installing Debian's prometheus package for promtool (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101: the package's service is not started here
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
  command -v promtool >/dev/null && { echo "ensure-promtool: $(promtool --version 2>&1 | head -1)"; exit 0; }
fi
echo "ensure-promtool: promtool not found; install Prometheus (Debian: apt-get install prometheus) or put promtool" \
     "on PATH" >&2
exit 1

#!/usr/bin/env bash
# Starts a local Hardhat node (npm hardhat 2, tools/hardhat/hardhat.config.cjs) in the background, bound to
# 127.0.0.1, waits until it answers eth_chainId and prints its PID on stdout. Stop it with `kill <PID>`.
#
#   tools/hardhat-node.sh PORT [LOG_FILE]     start; prints the PID
#   tools/hardhat-node.sh stop PID            SIGTERM, wait up to 10 s, then SIGKILL
#
# Environment:
#   HARDHAT_INTERVAL_MS  0 or unset: automine (a block per transaction); N > 0: a block every N ms (the demo: 1000)
#   HARDHAT_NODE_TIMEOUT seconds to wait for the node to answer (default 60)
#   HARDHAT_GC_INTERVAL_MS  a forced garbage collection every N ms (default 1000, 0 = none): read by the config,
#                        see tools/hardhat/hardhat.config.cjs
# The node's output goes to LOG_FILE (default target/hardhat/node-PORT.log). Chain id 31337, the 20 dev accounts of
# the default mnemonic (the same keys as Anvil's), 30M block gas limit, EIP-170 contract size limit enforced.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARDHAT="$ROOT/node_modules/.bin/hardhat"
CONFIG="$ROOT/tools/hardhat/hardhat.config.cjs"

usage() { echo "usage: $0 PORT [LOG_FILE] | $0 stop PID   (env HARDHAT_INTERVAL_MS=ms for interval mining)" >&2; exit 2; }

if [ "${1:-}" = stop ]; then
  [ $# -eq 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage
  kill "$2" 2>/dev/null || exit 0
  for _ in $(seq 50); do kill -0 "$2" 2>/dev/null || exit 0; sleep 0.2; done
  kill -9 "$2" 2>/dev/null || true
  exit 0
fi
[ $# -ge 1 ] && [ $# -le 2 ] || usage
PORT="$1"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || { echo "$0: PORT must be 1-65535, got '$PORT'" >&2; exit 2; }
INTERVAL="${HARDHAT_INTERVAL_MS:-0}"
[[ "$INTERVAL" =~ ^[0-9]+$ ]] || { echo "$0: HARDHAT_INTERVAL_MS must be a whole number of ms, got '$INTERVAL'" >&2; exit 2; }
TIMEOUT="${HARDHAT_NODE_TIMEOUT:-60}"
LOG="${2:-$ROOT/target/hardhat/node-$PORT.log}"
[ -x "$HARDHAT" ] || { echo "$0: hardhat not found at $HARDHAT: run 'make tools'" >&2; exit 1; }
mkdir -p "$(dirname "$LOG")"
RPC="http://127.0.0.1:$PORT"

answers() {
  curl -sf -m 2 -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$RPC" 2>/dev/null | grep -q '"result"'
}
if answers; then
  echo "$0: something already answers JSON-RPC on $RPC; pick another port" >&2
  exit 1
fi

# No telemetry prompt, no banner: the node never reaches the network (stdout is a file, not a TTY, too).
# setsid: the node gets its own session, so it outlives this script and `kill PID` stops exactly it.
HARDHAT_DISABLE_TELEMETRY_PROMPT=true HARDHAT_INTERVAL_MS="$INTERVAL" \
  setsid "$HARDHAT" --config "$CONFIG" node --hostname 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 </dev/null &
PID=$!

deadline=$((SECONDS + TIMEOUT))
until answers; do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "$0: hardhat node exited before answering on $RPC; its log ($LOG):" >&2
    tail -20 "$LOG" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "$0: hardhat node did not answer eth_chainId on $RPC within ${TIMEOUT}s; stopping it. Log: $LOG" >&2
    kill "$PID" 2>/dev/null || true
    exit 1
  fi
  sleep 0.2
done
echo "$PID"

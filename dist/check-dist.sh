#!/usr/bin/env bash
# `make test-dist`: checks a release tarball as an operator would use it. Unpacks it into a temporary folder, then:
#   1. both launchers find a JDK 21+ and print `--version` with the version and the commit;
#   2. the systemd units pass `systemd-analyze verify` (pointed at the unpacked folder instead of /opt/isomargin);
#   3. the alert rules pass `promtool check rules`, and the Grafana dashboard is valid JSON;
#   4. the demo runs with the release's launchers (a liquidation, /health, verify: `demo: PASSED`), and every metric
#      the rules and the dashboard query is one the running services exported.
# Usage: dist/check-dist.sh target/dist/isomargin-<version>.tar.gz [demo args...]
set -euo pipefail
tarball=$(readlink -f "$1"); shift
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/isomargin-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
say() { echo "test-dist: $*"; }
fail() { echo "test-dist: FAILED: $*" >&2; exit 1; }

tar -C "$work" -xzf "$tarball"
home=$(ls -d "$work"/isomargin-*/)
home=${home%/}
version=$(basename "$home"); version=${version#isomargin-}
say "unpacked $(basename "$tarball") into $home"
for f in bin/isomargin-indexer bin/isomargin-keeper bin/isomargin-java lib/isomargin-indexer.jar \
         lib/isomargin-keeper.jar config/indexer.example.yaml config/keeper.example.yaml LICENSE README.md \
         systemd/isomargin-indexer.service systemd/isomargin-keeper.service monitoring/isomargin-rules.yml \
         monitoring/isomargin-dashboard.json; do
  [ -e "$home/$f" ] || fail "$f is missing from the release"
done

# 1. --version from the launchers, from another working directory
for s in indexer keeper; do
  line=$(cd "$work" && "$home/bin/isomargin-$s" --version)
  [[ $line =~ ^$s\ ${version//./\\.}\ \(commit\ ([0-9a-f]{7,40}(-dirty)?|unknown)\)$ ]] \
    || fail "isomargin-$s --version printed '$line', not '$s $version (commit <id>)'"
  say "isomargin-$s --version: $line"
done

# 2. systemd units, with the install paths pointed at the unpacked release
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$work/units"
  for u in "$home"/systemd/*.service; do
    sed -e "s|/opt/isomargin|$home|g" -e '/^User=/d' -e '/^Group=/d' "$u" > "$work/units/$(basename "$u")"
  done
  out=$(systemd-analyze verify "$work"/units/*.service 2>&1 | grep -v 'Failed to open\|No such file' || true)
  if grep -qi 'error\|invalid\|unknown\|failed' <<<"$out"; then fail "systemd-analyze verify: $out"; fi
  say "systemd units: systemd-analyze verify clean"
else
  fail "systemd-analyze not found (Debian: apt-get install systemd)"
fi

# 3. alert rules and dashboard
bash "$root/tools/ensure-promtool.sh" >/dev/null
promtool check rules "$home/monitoring/isomargin-rules.yml" >/dev/null || fail "promtool check rules"
say "alert rules: promtool check rules clean"
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$home/monitoring/isomargin-dashboard.json" \
  || fail "the Grafana dashboard is not valid JSON"

# 4. the demo on the release's launchers, then the metrics the monitoring files query
out="$root/target/demo-dist"
rm -rf "$out"
( cd "$root" && "$JAVA_BIN" ${UNSAFE_FLAG:-} -cp "demo/target/classes:$(cat demo/target/classpath.txt)" \
    io.isomargin.demo.DemoMain --dist "$home" --out "$out" "$@" ) | tee "$work/demo.out" | grep '^demo:' || true
grep -q '^demo: PASSED' "$work/demo.out" || fail "the demo on the release did not pass (logs in $out)"
queried=$(grep -oh 'isomargin_[a-z_]*' "$home/monitoring/isomargin-rules.yml" "$home/monitoring/isomargin-dashboard.json" \
  | sed -E 's/_(bucket|count|sum)$//' | sort -u)
missing=()
for m in $queried; do
  grep -qE "^${m}(_bucket|_count|_sum)?(\{| )" "$out/keeper.metrics" "$out/indexer.metrics" || missing+=("$m")
done
[ ${#missing[@]} -eq 0 ] || fail "the monitoring files query metrics no service exported: ${missing[*]}"
say "monitoring: all $(wc -w <<<"$queried") metrics the rules and dashboard query are exported"
say "PASSED"

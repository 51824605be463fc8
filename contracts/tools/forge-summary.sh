#!/usr/bin/env bash
# Runs a forge command, keeps its output, and ends with one plain "forge: N passed, N failed, N skipped" line
# (summed over suites) so CI and people see the counts at a glance. Exits with forge's status.
set -uo pipefail
log=$(mktemp)
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/^Suite result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?/) p += $i; if ($(i+1) ~ /^failed;?/) f += $i; if ($(i+1) ~ /^skipped;?/) s += $i } }
     END { printf "forge: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"

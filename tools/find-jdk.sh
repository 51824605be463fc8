#!/usr/bin/env bash
# Prints a JAVA_HOME with Java 21 or newer: $JAVA_HOME if it qualifies, else the newest JDK under
# /usr/lib/jvm (Debian's JVM directory), else the java on PATH. Exits 1 with a message naming what
# is needed when there is none.
set -euo pipefail
major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
ok() { [ -x "$1/bin/javac" ] && [ "$(major "$1")" -ge 21 ] 2>/dev/null; }
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
best=""; best_major=0
for d in /usr/lib/jvm/*/; do
  d=${d%/}
  [ -L "$d" ] && continue
  if ok "$d"; then m=$(major "$d"); if [ "$m" -gt "$best_major" ]; then best=$d; best_major=$m; fi; fi
done
if [ -n "$best" ]; then echo "$best"; exit 0; fi
if command -v javac >/dev/null; then
  home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  if ok "$home"; then echo "$home"; exit 0; fi
fi
echo "find-jdk: a JDK 21 or newer is needed (found none in JAVA_HOME, /usr/lib/jvm or PATH);" \
     "install one, e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+, or set JAVA_HOME" >&2
exit 1

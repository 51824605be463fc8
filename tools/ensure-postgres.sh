#!/usr/bin/env bash
# Makes sure the Java tests have a PostgreSQL server (run by `make test` before the Maven suite):
#   1. DATABASE_URL or PGHOST set   -> the tests use that server; nothing to do here.
#   2. something on 127.0.0.1:5432  -> the tests use it; nothing to do here.
#   3. pg_ctlcluster exists         -> start the first Debian/Ubuntu cluster (if none is online).
#   4. root with apt-get            -> apt-get install postgresql, then as 3.
# Prints one line saying what it did; exits 1 with what to do when none of these works.
#
# How the tests log in (abi/src/test/java/io/isomargin/abi/testing/PostgresServerLocator.java): over TCP to
# 127.0.0.1 as role `postgres`, trying no password, then $PGPASSWORD, then the local test password "postgres".
# Debian's clusters accept `postgres` over the Unix socket by peer authentication only and ask for a SCRAM password
# over TCP, and the role has none out of the box. So for a cluster this script starts, it gives the role the
# password "postgres" through peer authentication (su postgres -c psql), but only while the role has no password
# at all: a password someone set is never overwritten. Debian clusters listen on localhost only; this is meant for
# a local test cluster. The Java side does the same when it finds a cluster itself.
set -euo pipefail

LOCAL_TEST_PASSWORD=postgres   # keep in step with PostgresServerLocator.LOCAL_TEST_PASSWORD
say() { echo "ensure-postgres: $*"; }
die() { echo "ensure-postgres: $*" >&2; exit 1; }
listening() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
how_to="set DATABASE_URL=postgres://user:password@host:5432/postgres (a role allowed to CREATE DATABASE), or install PostgreSQL (e.g. 'apt-get install postgresql') and re-run this as root"

if [ -n "${DATABASE_URL:-}" ] || [ -n "${PGHOST:-}" ]; then
  say "using the configured server (DATABASE_URL or PGHOST); nothing to start"
  exit 0
fi
if listening 5432; then
  say "a server already listens on 127.0.0.1:5432; using it"
  exit 0
fi

installed=""
if ! command -v pg_ctlcluster >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-postgres: installing postgresql with apt-get (a few minutes)" >&2
    apt-get update -qq
    # policy-rc.d-less containers may start the cluster during install; either way it is started below
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    installed="installed postgresql and "
  else
    die "no PostgreSQL server: nothing on 127.0.0.1:5432, no pg_ctlcluster, and not root with apt-get; $how_to"
  fi
fi

# Ver Cluster Port Status Owner Data-directory Log-file; an online cluster wins, else the first one.
clusters=$(pg_lsclusters --no-header 2>/dev/null || true)
[ -n "$clusters" ] || die "pg_lsclusters lists no cluster; create one (e.g. 'pg_createcluster 15 main') or $how_to"
line=$(awk '$4 ~ /^online/ {print; exit}' <<<"$clusters")
[ -n "$line" ] || line=$(head -n 1 <<<"$clusters")
read -r ver name port status _ <<<"$line"

action="${installed}found cluster $ver/$name online on port $port"
if [[ $status != online* ]]; then
  out=$(pg_ctlcluster "$ver" "$name" start 2>&1) || true   # fails harmlessly if another process just started it
  for _ in $(seq 1 60); do listening "$port" && break; sleep 0.5; done
  listening "$port" || die "pg_ctlcluster $ver $name start did not bring up port $port: $out (log: /var/log/postgresql/postgresql-$ver-$name.log)"
  action="${installed}started cluster $ver/$name on port $port"
fi

# Give role postgres the local test password if it has none (peer authentication as the postgres OS user).
set_password_sql="DO \$\$ BEGIN IF (SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'postgres') THEN ALTER ROLE postgres PASSWORD '$LOCAL_TEST_PASSWORD'; END IF; END \$\$;"
psql_cmd="psql -X -q -v ON_ERROR_STOP=1 -p $port"
if [ "$(id -u)" -eq 0 ]; then
  (cd /tmp && su postgres -c "$psql_cmd" <<<"$set_password_sql") \
    || die "$action, but could not set the postgres role's password via 'su postgres -c psql'"
  auth="role postgres logs in over TCP with its password (\"$LOCAL_TEST_PASSWORD\" unless one was set before)"
elif [ "$(id -un)" = postgres ]; then
  (cd /tmp && $psql_cmd <<<"$set_password_sql") || die "$action, but could not set the postgres role's password"
  auth="role postgres logs in over TCP with its password (\"$LOCAL_TEST_PASSWORD\" unless one was set before)"
else
  auth="not root: set PGPASSWORD to the postgres role's password if it is not \"$LOCAL_TEST_PASSWORD\""
fi
if [ "$port" != 5432 ]; then
  auth="$auth; the tests look on 5432 first, then ask pg_lsclusters"
fi
say "$action; $auth"

#!/usr/bin/env bash
# Make a throwaway PostgreSQL server available on 127.0.0.1 for the test suite.
#
#   source scripts/ci/start-postgres.sh          # exports PARLEY_TEST_PG_URL
#   bash scripts/ci/start-postgres.sh            # prints the URL on stdout
#   export PARLEY_TEST_PG_URL="$(bash scripts/ci/start-postgres.sh)"
#
# The server is a private cluster (not Debian's 15/main), so it does not care whether
# that cluster exists or runs. It is reused when already running (idempotent).
# Role `parley` (password `parley`, LOGIN CREATEDB) and database `parley` are created if
# missing; connections over 127.0.0.1 use scram-sha-256, the unix socket uses trust.
#
# Knobs: PARLEY_CI_PG_DIR (default /var/tmp/parley-ci-pg), PARLEY_CI_PG_PORT (default 55432;
# the next free port is taken if it is busy). Stop it with:
#   runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D /var/tmp/parley-ci-pg/data stop
# Human-readable messages go to stderr; stdout carries only the URL.

# --- Sourced: run the real work in a child bash (so errexit works and the caller's shell
# options are left alone), then export the URL it prints.
if (return 0 2>/dev/null); then
  _parley_pg_url="$(bash "${BASH_SOURCE[0]}")" || {
    echo "start-postgres.sh: failed to start PostgreSQL" >&2
    unset _parley_pg_url
    return 1
  }
  export PARLEY_TEST_PG_URL="$_parley_pg_url"
  unset _parley_pg_url
  return 0
fi

set -euo pipefail
exec 3>&1 1>&2 # keep stdout for the URL only

BASE="${PARLEY_CI_PG_DIR:-/var/tmp/parley-ci-pg}"
DATA="$BASE/data"
SOCK="$BASE/run"
LOG="$BASE/postgres.log"
PORT="${PARLEY_CI_PG_PORT:-55432}"

export LC_ALL=C
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGOPTIONS
cd /

die() {
  echo "start-postgres.sh: $*" >&2
  exit 1
}

# Run a command as the postgres system user when we are root (postgres refuses root).
as_pg() {
  if [[ $EUID -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u postgres -- "$@"
  else
    su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
  fi
}

if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' system user (is the postgresql package installed?)"
fi

# Pick the server version: the one the existing data dir was made with, else the newest.
newest_version() {
  local d v best=""
  for d in /usr/lib/postgresql/*/bin/initdb; do
    [[ -x $d ]] || continue
    v="${d#/usr/lib/postgresql/}"
    best="$(printf '%s\n%s\n' "$best" "${v%%/*}" | sort -V | tail -n1)"
  done
  [[ -n $best ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
  echo "$best"
}

mkdir -p "$BASE"
[[ $EUID -eq 0 ]] && chown postgres:postgres "$BASE"

# Serialise concurrent invocations.
exec 9>"$BASE/.lock"
flock -w 120 9 || die "timed out waiting for $BASE/.lock"

VERSION=""
if [[ -f $DATA/PG_VERSION ]]; then
  VERSION="$(cat "$DATA/PG_VERSION")"
  [[ -x /usr/lib/postgresql/$VERSION/bin/postgres ]] || VERSION=""
fi
[[ -n $VERSION ]] || VERSION="$(newest_version)"
BIN="/usr/lib/postgresql/$VERSION/bin"

is_ready() { as_pg "$BIN/pg_isready" -q -h "$SOCK" -p "$1" -d postgres -U postgres; }

running=0
if [[ -f $DATA/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  # Port is line 4 of postmaster.pid.
  PORT="$(sed -n 4p "$DATA/postmaster.pid")"
  for _ in $(seq 1 60); do
    if is_ready "$PORT"; then
      running=1
      break
    fi
    sleep 0.5
  done
  if [[ $running -eq 0 ]]; then
    pid="$(head -n1 "$DATA/postmaster.pid")"
    if [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == postgres ]]; then
      die "server in $DATA (pid $pid) is running but not accepting connections; see $LOG"
    fi
    echo "start-postgres.sh: removing stale $DATA/postmaster.pid (pid $pid is not postgres)"
    rm -f "$DATA/postmaster.pid"
  fi
fi

if [[ $running -eq 0 ]]; then
  # (Re)create the cluster if missing, half-initialised, or from an unavailable version.
  if [[ ! -f $DATA/PG_VERSION || "$(cat "$DATA/PG_VERSION")" != "$VERSION" ||
    ! -f $DATA/postgresql.conf ]]; then
    rm -rf "$DATA"
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$BASE"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --no-locale --encoding=UTF8 --no-sync >"$BASE/initdb.log" 2>&1 ||
      { cat "$BASE/initdb.log"; die "initdb failed"; }
  fi
  mkdir -p "$SOCK"
  [[ $EUID -eq 0 ]] && chown -R postgres:postgres "$BASE"

  # Some other server owns the wanted port: take the next free one.
  port_busy() { (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for _ in $(seq 1 50); do
    port_busy "$PORT" || break
    PORT=$((PORT + 1))
  done
  port_busy "$PORT" && die "no free TCP port found near ${PARLEY_CI_PG_PORT:-55432}"

  # Throwaway data: durability off. No parallel query (small /dev/shm in containers).
  opts="-p $PORT -k '$SOCK' -c listen_addresses=127.0.0.1 -c fsync=off"
  opts+=" -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
  opts+=" -c max_parallel_workers_per_gather=0"
  # Close fd 3 (URL pipe) and 9 (lock) so the long-lived postmaster does not inherit them.
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "$opts" start >/dev/null 3>&- 9>&-; then
    tail -n 30 "$LOG" >&2 || true
    die "pg_ctl start failed (log: $LOG)"
  fi
  is_ready "$PORT" || die "server started but is not ready (log: $LOG)"
fi

# Role and database (idempotent).
as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE parley' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parley') \gexec
ALTER ROLE parley WITH LOGIN CREATEDB PASSWORD 'parley';
SELECT 'CREATE DATABASE parley OWNER parley'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'parley') \gexec
SQL

URL="postgres://parley:parley@127.0.0.1:$PORT/parley"
if [[ $running -eq 1 ]]; then state="already running"; else state="started"; fi
echo "PostgreSQL $VERSION $state: listening on 127.0.0.1:$PORT (socket $SOCK, data $DATA, log $LOG)"
echo "PARLEY_TEST_PG_URL=$URL"
echo "$URL" >&3

#!/usr/bin/env bash
# Make a throwaway Redis server available on 127.0.0.1 for the test suite and local clusters.
#
#   source scripts/ci/start-redis.sh          # exports PARLEY_TEST_REDIS_URL
#   bash scripts/ci/start-redis.sh            # prints the URL as the last line of stdout
#   export PARLEY_TEST_REDIS_URL="$(bash scripts/ci/start-redis.sh)"
#
# The server keeps nothing on disk (no RDB snapshots, no AOF), listens on 127.0.0.1 only, runs
# daemonized with a pidfile and a log in its own directory: a new temp dir per call unless
# PARLEY_CI_REDIS_DIR names one, in which case a server already running there is reused
# (idempotent, like start-postgres.sh).
#
# Knobs: PARLEY_CI_REDIS_DIR (default: a new mktemp dir), PARLEY_CI_REDIS_PORT (first port tried,
# default 56379; the next free one is taken if it is busy). Stop it with:
#   kill "$(cat <dir>/redis.pid)"          (or: redis-cli -p <port> shutdown nosave)
# Human-readable messages go to stderr; stdout carries only the URL.

# --- Sourced: run the real work in a child bash (so errexit works and the caller's shell
# options are left alone), then export the URL it prints.
if (return 0 2>/dev/null); then
  _parley_redis_url="$(bash "${BASH_SOURCE[0]}")" || {
    echo "start-redis.sh: failed to start Redis" >&2
    unset _parley_redis_url
    return 1
  }
  export PARLEY_TEST_REDIS_URL="$_parley_redis_url"
  unset _parley_redis_url
  return 0
fi

set -euo pipefail
exec 3>&1 1>&2 # keep stdout for the URL only

die() {
  echo "start-redis.sh: $*" >&2
  exit 1
}

command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"

if [[ -n ${PARLEY_CI_REDIS_DIR:-} ]]; then
  BASE="$PARLEY_CI_REDIS_DIR"
  mkdir -p "$BASE"
else
  BASE="$(mktemp -d "${TMPDIR:-/tmp}/parley-redis.XXXXXX")"
fi
BASE="$(cd "$BASE" && pwd)"
PIDFILE="$BASE/redis.pid"
LOG="$BASE/redis.log"
PORTFILE="$BASE/redis.port"
cd /

ping_port() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null || true)" == PONG ]]; }
alive() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# Serialise concurrent invocations on the same directory.
exec 9>"$BASE/.lock"
flock -w 60 9 || die "timed out waiting for $BASE/.lock"

if alive && [[ -f $PORTFILE ]] && ping_port "$(cat "$PORTFILE")"; then
  PORT="$(cat "$PORTFILE")"
  echo "Redis already running: 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), dir $BASE)"
else
  rm -f "$PIDFILE"
  port_busy() { (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  PORT="${PARLEY_CI_REDIS_PORT:-56379}"
  started=0
  for _ in $(seq 1 20); do
    while port_busy "$PORT"; do PORT=$((PORT + 1)); done
    : >"$LOG"
    # Daemonized; fd 3 (the URL pipe) and 9 (the lock) are closed so the long-lived server does
    # not hold them open (a sourcing shell's $(...) would wait for it forever).
    redis-server --bind 127.0.0.1 --port "$PORT" --protected-mode yes \
      --daemonize yes --pidfile "$PIDFILE" --logfile "$LOG" --dir "$BASE" \
      --save "" --appendonly no --databases 16 --loglevel notice 3>&- 9>&- ||
      die "redis-server failed to start (log: $LOG)"
    for _ in $(seq 1 100); do
      if ping_port "$PORT" && alive; then
        started=1
        break
      fi
      # The daemon binds after forking: a lost race for the port shows up in its log.
      grep -q "Address already in use" "$LOG" 2>/dev/null && break
      sleep 0.1
    done
    [[ $started -eq 1 ]] && break
    if grep -q "Address already in use" "$LOG" 2>/dev/null; then
      PORT=$((PORT + 1))
      continue
    fi
    tail -n 20 "$LOG" >&2 || true
    die "redis-server did not answer PING on 127.0.0.1:$PORT (log: $LOG)"
  done
  [[ $started -eq 1 ]] || die "no free port found near ${PARLEY_CI_REDIS_PORT:-56379}"
  echo "$PORT" >"$PORTFILE"
  echo "Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') started: listening on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), dir $BASE, log $LOG)"
fi

URL="redis://127.0.0.1:$PORT"
echo "PARLEY_TEST_REDIS_URL=$URL"
echo "stop it with: kill $(cat "$PIDFILE")"
echo "$URL" >&3

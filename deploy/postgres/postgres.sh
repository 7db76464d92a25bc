#!/usr/bin/env bash
# Local PostgreSQL for the distributed mode and the tests, without Docker: Debian's binaries,
# a private cluster under the state dir, loopback only, trust auth.
# Usage: postgres.sh {install|start|stop|status|reset|url SERVICE}
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=$(realpath -m "${YUNYING_STATE_DIR:-$REPO/.yunying}/postgres")
PORT=${YUNYING_PG_PORT:-15432}
DATA=$STATE/data LOGFILE=$STATE/postgres.log

# One database per installed service (from the service definitions, when the environment is
# installed), plus one for the tests.
databases() {
  local services=""
  if [[ -x $REPO/.venv/bin/python ]]; then
    services=$("$REPO/.venv/bin/python" -c '
from yunying_shared.kit import installed
print(" ".join(d.package for d in installed().values()))')
  fi
  echo "$services test"
}

log() { echo "postgres: $*" >&2; }
die() { log "$*"; exit 1; }

# PostgreSQL refuses to run as root: as root, act as the postgres OS user; otherwise as ourselves.
as_pg() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The binaries of the major version the data dir was created with, else the newest installed.
find_bin() {
  local v; v=$(cat "$DATA/PG_VERSION" 2>/dev/null || true)
  PGBIN=/usr/lib/postgresql/$v/bin
  [[ -n $v && -x $PGBIN/pg_ctl ]] || PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -x $PGBIN/initdb && -x $PGBIN/pg_ctl ]]
}

install() {
  if ! find_bin; then
    log "installing Debian's postgresql"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    find_bin || die "no initdb/pg_ctl under /usr/lib/postgresql/*/bin after install"
  fi
  if ((EUID == 0)); then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    mkdir -p "$STATE" && chown postgres: "$STATE"
    as_pg test -w "$STATE" ||
      die "user postgres cannot reach $STATE (a parent dir is not traversable); set YUNYING_STATE_DIR"
  else
    mkdir -p "$STATE"
  fi
  [[ -f $DATA/PG_VERSION ]] && return 0
  log "initdb $DATA"
  # --no-locale: the C locale exists everywhere, so initdb cannot fail on a missing locale.
  as_pg "$PGBIN/initdb" -D "$DATA" --auth=trust --username=postgres --encoding=UTF8 --no-locale >/dev/null
  echo "include 'yunying.conf'" >>"$DATA/postgresql.conf"
}

write_config() {
  # Rewritten on every start so YUNYING_PG_PORT always takes effect. Durability settings
  # (fsync, synchronous_commit, full_page_writes) stay at their defaults: crash tests rely on them.
  as_pg tee "$DATA/yunying.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$STATE'
max_connections = 300
# Sized for the memory the host has, not initdb's 128 MB: with a million profiles the
# memberships and their indexes (GBs) did not fit, and the 5% re-score took 28.9 s instead of
# 20.1 s (docs/BENCHMARKS.md, "Session 8").
shared_buffers = '$(shared_buffers)'
effective_cache_size = '$(effective_cache_size)'
# Bulk imports and re-scores write GBs of WAL: past max_wal_size a checkpoint starts, and
# each page changed after it is logged whole once more. At 2 GB a million-profile re-score
# checkpointed every 11-30 s and its 5% re-score wrote 1.6 GB of WAL, mostly whole pages;
# with these three, 0.22 GB (docs/BENCHMARKS.md, #11 "Session 9"). A crash replays more WAL.
max_wal_size = '${YUNYING_PG_MAX_WAL_SIZE:-16GB}'
checkpoint_timeout = '15min'
wal_compression = lz4
EOF
}

mem_mb() { awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo; }

# A quarter of the host's memory, between 128 MB and 4 GB; YUNYING_PG_SHARED_BUFFERS overrides.
shared_buffers() {
  local mb; mb=$(($(mem_mb) / 4)); mb=$((mb < 128 ? 128 : mb > 4096 ? 4096 : mb))
  echo "${YUNYING_PG_SHARED_BUFFERS:-${mb}MB}"
}
effective_cache_size() { echo "$(($(mem_mb) / 2))MB"; }

# "(comm) state" of a process, e.g. "(postgres) S"; empty when there is no such process.
proc_stat() { cut -d' ' -f2,3 "/proc/$1/stat" 2>/dev/null || true; }
postmaster_pid() { head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true; }

# Unlike `pg_ctl status`, a zombie (a killed postmaster not yet reaped) or a pid recycled by
# another program does not count as running.
running() {
  local pid s; pid=$(postmaster_pid); [[ -n $pid ]] || return 1
  s=$(proc_stat "$pid"); [[ $s == "(postgres) "* && $s != *" Z" ]]
}

# After a crash, postgres clears a postmaster.pid (and socket lock) whose pid is gone, but
# refuses to start while that pid still exists: a zombie not yet reaped, or a reused pid.
clear_stale() {
  local pid; pid=$(postmaster_pid); [[ -n $pid ]] || return 0
  for _ in $(seq 50); do [[ $(proc_stat "$pid") == *" Z" ]] || break; sleep 0.1; done
  [[ -z $(proc_stat "$pid") ]] || rm -f "$DATA/postmaster.pid" "$STATE/.s.PGSQL.$PORT.lock"
}

provision() {
  # ALTER on every start keeps the role's attributes right even if someone changed them.
  local sql="
    SELECT 'CREATE ROLE yunying' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yunying')\\gexec
    ALTER ROLE yunying LOGIN CREATEDB PASSWORD 'yunying';"
  for db in $(databases); do
    # Owned by yunying: since PostgreSQL 15 only the database owner may create in schema public.
    sql+="
    SELECT 'CREATE DATABASE yunying_$db OWNER yunying'
      WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'yunying_$db')\\gexec"
  done
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres <<<"$sql"
}

start() {
  install
  if running; then
    log "already running on 127.0.0.1:$PORT"
  else
    clear_stale
    write_config
    # 9>&-: the server must not inherit (and hold forever) the lock taken below.
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >/dev/null 9>&- ||
      { tail -n 20 "$LOGFILE" >&2; die "could not start (log: $LOGFILE)"; }
    log "started on 127.0.0.1:$PORT"
  fi
  provision
}

stop() {
  find_bin || { log "not installed"; return 0; }
  if running; then
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    log "stopped"
  else
    log "not running"
  fi
}

status() {
  if running; then
    log "running on 127.0.0.1:$PORT, data in $DATA"
  else
    log "not running"; return 3
  fi
}

reset() { stop; rm -rf "$DATA" "$LOGFILE"; log "data wiped ($DATA)"; }

url() {
  [[ -n ${1:-} ]] || die "usage: $0 url SERVICE"
  echo "postgresql+asyncpg://yunying:yunying@127.0.0.1:$PORT/yunying_${1//-/_}"
}

case "${1:-}" in
  install | start | stop | reset)
    # Serialise concurrent invocations (parallel test runs, several shells).
    mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9; "$1" ;;
  status) status ;;
  url) url "${2:-}" ;;
  *) echo "usage: $0 {install|start|stop|status|reset|url SERVICE}" >&2; exit 2 ;;
esac

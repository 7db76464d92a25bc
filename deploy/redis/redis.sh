#!/usr/bin/env bash
# Local Redis for the gateway's shared rate limits (distributed mode) and the tests, without
# Docker: Debian's redis-server, a private instance under the state dir, loopback only, no
# persistence (the counters are worth nothing after a restart).
# Usage: redis.sh {install|start|stop|status|reset|url}
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=$(realpath -m "${YUNYING_STATE_DIR:-$REPO/.yunying}/redis")
PORT=${YUNYING_REDIS_PORT:-16379}
CONFIG=$STATE/redis.conf PIDFILE=$STATE/redis.pid LOGFILE=$STATE/redis.log

log() { echo "redis: $*" >&2; }
die() { log "$*"; exit 1; }

install() {
  if ! command -v redis-server >/dev/null; then
    log "installing Debian's redis-server"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server
    command -v redis-server >/dev/null || die "no redis-server after install"
  fi
  mkdir -p "$STATE"
}

write_config() {
  # Rewritten on every start so YUNYING_REDIS_PORT always takes effect.
  cat >"$CONFIG" <<CONF
bind 127.0.0.1
port $PORT
daemonize yes
pidfile $PIDFILE
logfile $LOGFILE
dir $STATE
save ""
appendonly no
maxmemory 256mb
maxmemory-policy volatile-ttl
CONF
}

# Prints the pid of our server if it is alive; the cmdline check guards against pid reuse.
live_pid() {
  local pid; pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ -n $pid ]] && grep -qa "redis-server" "/proc/$pid/cmdline" 2>/dev/null || return 1
  [[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  echo "$pid"
}

answers() { [[ $(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]; }

start() {
  install
  if live_pid >/dev/null && answers; then
    log "already running on 127.0.0.1:$PORT"; return 0
  fi
  write_config
  # 9>&-: the server must not inherit (and hold forever) the lock taken below.
  redis-server "$CONFIG" 9>&- || die "could not start (log: $LOGFILE)"
  for _ in $(seq 100); do answers && { log "started on 127.0.0.1:$PORT"; return 0; }; sleep 0.1; done
  tail -n 20 "$LOGFILE" >&2; die "did not answer PING within 10 s (log: $LOGFILE)"
}

stop() {
  local pid
  if pid=$(live_pid); then
    kill "$pid"
    for _ in $(seq 100); do live_pid >/dev/null || break; sleep 0.1; done
    log "stopped"
  else
    log "not running"
  fi
}

status() {
  if live_pid >/dev/null && answers; then log "running on 127.0.0.1:$PORT"; else log "not running"; return 3; fi
}

reset() { stop; rm -f "$LOGFILE"; log "reset (nothing is persisted)"; }

url() { echo "redis://127.0.0.1:$PORT/0"; }

case "${1:-}" in
  install | start | stop | reset)
    mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9; "$1" ;;
  status) status ;;
  url) url ;;
  *) echo "usage: $0 {install|start|stop|status|reset|url}" >&2; exit 2 ;;
esac

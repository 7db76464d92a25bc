#!/usr/bin/env bash
# `make down`: stops the distributed mode started by up.sh. Services first, gracefully
# (SIGTERM lets each drain its consumer, commit offsets, leave its group and stop its relay;
# SIGKILL only after YUNYING_LOCAL_STOP_TIMEOUT seconds), then Kafka and PostgreSQL.
# Usage: down.sh [--keep-infra]   (--keep-infra: stop only the services)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

STOP_TIMEOUT=${YUNYING_LOCAL_STOP_TIMEOUT:-30}
keep_infra=0
for arg in "$@"; do
  case $arg in
    --keep-infra) keep_infra=1 ;;
    *) echo "usage: $0 [--keep-infra]" >&2; exit 2 ;;
  esac
done

stop_services() {
  local file name pid running=()
  # The gateway first, so no new request starts while the others drain.
  for file in "$PIDS/gateway.pid" "$PIDS"/*.pid; do
    [[ -f $file ]] || continue
    name=$(basename "$file" .pid)
    [[ " ${running[*]} " == *" $name "* ]] && continue
    if pid=$(live_pid "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      running+=("$name")
    else
      rm -f "$file"
    fi
  done
  ((${#running[@]})) || { log "no service running"; return 0; }
  log "stopping ${running[*]}"

  local deadline=$((SECONDS + STOP_TIMEOUT)) left
  while :; do
    left=()
    for name in "${running[@]}"; do live_pid "$name" >/dev/null && left+=("$name"); done
    ((${#left[@]} == 0 || SECONDS >= deadline)) && break
    sleep 0.2
  done
  for name in "${left[@]}"; do
    pid=$(live_pid "$name") || continue
    log "$name did not stop within ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  for name in "${running[@]}"; do rm -f "$(pidfile "$name")"; done
  log "services stopped"
}

stop_services
if ((keep_infra == 0)); then
  bash deploy/redis/redis.sh stop
  bash deploy/kafka/kafka.sh stop
  bash deploy/postgres/postgres.sh stop
fi

#!/usr/bin/env bash
# `make up`: the distributed mode as local processes. PostgreSQL, Kafka and Redis from deploy/, then
# every service as its own uvicorn process on loopback, on the Kafka bus, each with its own
# database. Running services are left alone, so this is safe to run again. `down.sh` stops it.
#
# Knobs (environment; the defaults suit a developer's machine, the scenario test sets others):
#   PORT                      the gateway's port (8000)
#   YUNYING_LOCAL_PORT_OFFSET added to each service's `local_port` from its definition (0)
#   YUNYING_LOCAL_DIR         secrets, logs and pid files (${YUNYING_STATE_DIR:-.yunying}/local)
#   YUNYING_LOCAL_READY_TIMEOUT  seconds each service gets to answer /readyz (120)
#   YUNYING_SKIP_BOOTSTRAP=1  do not run scripts/bootstrap.sh (the caller already installed)
#   YUNYING_<SERVICE>_DATABASE_URL  overrides the service's database on the local PostgreSQL
#   YUNYING_STATE_DIR, YUNYING_PG_PORT, YUNYING_KAFKA_PORT, YUNYING_REDIS_PORT  passed on to the
#                             deploy scripts
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

GATEWAY_PORT=${PORT:-8000}
PORT_OFFSET=${YUNYING_LOCAL_PORT_OFFSET:-0}
READY_TIMEOUT=${YUNYING_LOCAL_READY_TIMEOUT:-120}
KAFKA_BOOTSTRAP=${YUNYING_KAFKA_BOOTSTRAP:-127.0.0.1:${YUNYING_KAFKA_PORT:-19092}}

# A secret generated on first use and kept (mode 600) so restarts and replicas agree on it.
secret() {
  local file=$LOCAL/$1
  [[ -s $file ]] || (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$file")
  cat "$file"
}

# "name factory port" per installed service, from its definition (`yunying.services`).
registered() {
  .venv/bin/python -c '
from yunying_shared.kit import installed
for name, definition in installed().items():
    print(name, definition.package + ".main:create_app", definition.local_port)'
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

database_url() {
  local var; var="YUNYING_$(env_name "$1")_DATABASE_URL"
  if [[ -n ${!var:-} ]]; then echo "${!var}"; else bash deploy/postgres/postgres.sh url "$1"; fi
}

# Starts one service unless it already runs. Arguments: name factory port [VAR=value…]
launch() {
  local name=$1 factory=$2 port=$3; shift 3
  local pid
  if pid=$(live_pid "$name"); then
    log "$name already running (pid $pid)"; return 0
  fi
  port_busy "$port" && die "port $port (for $name) is taken by a process that is not ours"
  local db_var; db_var="YUNYING_$(env_name "$name")_DATABASE_URL"
  # setsid: the service outlives this shell and its process group (Ctrl-C on `make up`).
  # nohup and env exec in place, so $! is uvicorn's own pid.
  setsid nohup env \
    YUNYING_BUS=kafka \
    YUNYING_KAFKA_BOOTSTRAP="$KAFKA_BOOTSTRAP" \
    YUNYING_INTERNAL_TOKEN_SECRET="$INTERNAL_SECRET" \
    YUNYING_STATE_DIR="$LOCAL/state" \
    "$db_var=$(database_url "$name")" \
    "$@" \
    "$REPO/.venv/bin/uvicorn" --factory "$factory" --host 127.0.0.1 --port "$port" \
    --timeout-graceful-shutdown 10 --no-access-log \
    >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
  log "$name starting on 127.0.0.1:$port (pid $!, log $LOGS/$name.log)"
}

# Polls /readyz until it answers 200; fails early if the process died.
wait_ready() {
  local name=$1 port=$2 deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! live_pid "$name" >/dev/null; then
      log "$name exited during startup; last lines of $LOGS/$name.log:"
      tail -n 30 "$LOGS/$name.log" >&2 || true
      return 1
    fi
    if python3 - "$port" <<'EOF'; then return 0; fi
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
    sleep 0.5
  done
  log "$name not ready after ${READY_TIMEOUT}s; last lines of $LOGS/$name.log:"
  tail -n 30 "$LOGS/$name.log" >&2 || true
  return 1
}

main() {
  [[ ${YUNYING_SKIP_BOOTSTRAP:-} == 1 ]] || bash scripts/bootstrap.sh
  bash deploy/postgres/postgres.sh start
  bash deploy/kafka/kafka.sh start
  bash deploy/redis/redis.sh start
  mkdir -p "$LOGS" "$PIDS" "$LOCAL/state"

  INTERNAL_SECRET=$(secret internal-token-secret)
  local jwt_secret admin_password
  jwt_secret=$(secret jwt-secret)
  admin_password=${YUNYING_ADMIN_PASSWORD:-$(secret admin-password)}
  local admin_email=${YUNYING_ADMIN_EMAIL:-admin@yunying.local}

  declare -A factories=() ports=()
  local name factory port services=()
  while read -r name factory port; do
    factories[$name]=$factory
    [[ $name == gateway ]] && continue
    ports[$name]=$((port + PORT_OFFSET)); services+=("$name")
  done < <(registered)
  [[ -n ${factories[gateway]:-} ]] || die "the gateway is not installed (no entry point)"

  local upstreams="{" sep=""
  for name in "${services[@]}"; do
    upstreams+="$sep\"$name\": \"http://127.0.0.1:${ports[$name]}\""; sep=", "
  done
  upstreams+="}"

  for name in "${services[@]}"; do launch "$name" "${factories[$name]}" "${ports[$name]}"; done
  # The gateway last: its first start publishes workspace.created for the demo workspace.
  launch gateway "${factories[gateway]}" "$GATEWAY_PORT" \
    YUNYING_GATEWAY_UPSTREAMS="$upstreams" \
    YUNYING_GATEWAY_PUBLIC_URL="http://127.0.0.1:$GATEWAY_PORT" \
    YUNYING_GATEWAY_JWT_SECRET="$jwt_secret" \
    YUNYING_GATEWAY_RATE_LIMIT_REDIS_URL="${YUNYING_GATEWAY_RATE_LIMIT_REDIS_URL:-$(bash deploy/redis/redis.sh url)}" \
    YUNYING_ADMIN_EMAIL="$admin_email" \
    YUNYING_ADMIN_PASSWORD="$admin_password"
  ports[gateway]=$GATEWAY_PORT

  local failed=0
  for name in "${services[@]}" gateway; do wait_ready "$name" "${ports[$name]}" || failed=1; done
  ((failed == 0)) || die "some services did not become ready; \`make down\` stops the rest"

  local url="http://127.0.0.1:$GATEWAY_PORT"
  cat <<EOF

Yunying (distributed mode) is up: Kafka $KAFKA_BOOTSTRAP, PostgreSQL, one process per service.
  Gateway:   $url   (API docs $url/docs)
EOF
  for name in "${services[@]}"; do
    printf '  %-16s http://127.0.0.1:%s   (internal: called by the gateway)\n' "$name:" "${ports[$name]}"
  done
  cat <<EOF
  Logs:      $LOGS/<service>.log
  Log in:    curl -s $url/v1/auth/login -H 'Content-Type: application/json' \\
               -d '{"email": "$admin_email", "password": "$admin_password"}'
             then send \`Authorization: Bearer <access_token>\` with every request.
  (The password is kept in $LOCAL/admin-password unless YUNYING_ADMIN_PASSWORD is set;
   it applies when the gateway creates its first admin.)
  Stop:      make down   (services only: bash deploy/local/down.sh --keep-infra)
EOF
}

main "$@"

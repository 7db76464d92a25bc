#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) on loopback, without Docker:
# the broker jars come from Maven Central (see pom.xml). Usage: kafka.sh {install|start|stop|status|reset}
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=$(realpath -m "${YUNYING_STATE_DIR:-$REPO/.yunying}/kafka")
PORT=${YUNYING_KAFKA_PORT:-19092}
CONTROLLER_PORT=${YUNYING_KAFKA_CONTROLLER_PORT:-19093}
PARTITIONS=${YUNYING_KAFKA_PARTITIONS:-4}
LIBS=$STATE/libs DATA=$STATE/data LOGS=$STATE/logs
CONFIG=$STATE/server.properties PIDFILE=$STATE/kafka.pid CLUSTER_ID_FILE=$STATE/cluster.id
READY_TIMEOUT=90

log() { echo "kafka: $*" >&2; }
die() { log "$*"; exit 1; }

install() {
  # The marker holds the pom's checksum: a version bump in pom.xml re-fetches the jars.
  local want; want=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  [[ -f $LIBS/.complete && $(cat "$LIBS/.complete") == "$want" ]] && return 0
  command -v mvn >/dev/null || { apt-get update && apt-get install -y maven; }
  log "fetching broker jars from Maven Central into $LIBS"
  rm -rf "$LIBS" "$LIBS.tmp"
  mkdir -p "$LOGS"  # maven's output goes to a log: -q still prints colour codes
  mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$LOGS/install.log" 2>&1 ||
    { tail -n 30 "$LOGS/install.log" >&2; die "maven could not fetch the jars (see $LOGS/install.log)"; }
  echo "$want" >"$LIBS.tmp/.complete"
  mv "$LIBS.tmp" "$LIBS"  # atomic: an interrupted download never looks complete
}

# Prints the pid of our broker if it is alive; the cmdline check guards against pid reuse.
live_pid() {
  local pid; pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ -n $pid ]] && grep -qa kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ready() {
  python3 "$HERE/wait_ready.py" --port "$PORT" --timeout "$READY_TIMEOUT" ${1:+--pid "$1"}
}

write_config() {
  # Rewritten on every start so the YUNYING_KAFKA_* variables always take effect.
  cat >"$CONFIG" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=$PARTITIONS
auto.create.topics.enable=true
# One broker: internal topics must not ask for more replicas than exist.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Otherwise every new consumer group waits 3 s before its first assignment.
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
# After a kill -9 the restarted broker cannot re-register until its previous session
# expires (default 9 s); crash tests restart the broker, so keep that wait short.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
EOF
}

# Formats data/ once. A data dir formatted for another cluster id (e.g. cluster.id was
# deleted) or that fails to format is wiped; other stale state is caught by start().
format() {
  [[ -s $CLUSTER_ID_FILE ]] ||
    java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE"
  local id; id=$(cat "$CLUSTER_ID_FILE")
  if [[ -f $DATA/meta.properties ]]; then
    grep -qx "cluster.id=$id" "$DATA/meta.properties" && return 0  # formatted: skip a JVM start
    log "data dir belongs to another cluster id: wiping $DATA"; rm -rf "$DATA"
  fi
  storage_format "$id" && return
  log "format failed: wiping $DATA and retrying"; rm -rf "$DATA"
  storage_format "$id" || { tail -n 20 "$LOGS/format.log" >&2; die "cannot format $DATA"; }
}
storage_format() {
  java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$1" -c "$CONFIG" -g >"$LOGS/format.log" 2>&1
}

launch() {
  # setsid: the broker outlives the shell (and its process group) that started it.
  # 9>&-: it must not inherit (and hold forever) the lock taken below.
  setsid nohup java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$LIBS/*" kafka.Kafka "$CONFIG" >>"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDFILE"
}

start() {
  install
  local pid
  if pid=$(live_pid); then
    wait_ready "$pid" || die "pid $pid is alive but not ready; see $LOGS/server.log"
    log "already running (pid $pid) on 127.0.0.1:$PORT"; return 0
  fi
  for p in "$PORT" "$CONTROLLER_PORT"; do
    port_busy "$p" && die "port $p is taken by another process (not ours: no live $PIDFILE)"
  done
  mkdir -p "$LOGS"
  write_config
  format
  local started=$SECONDS status=0
  launch; wait_ready "$(cat "$PIDFILE")" || status=$?
  if ((status == 2)); then  # the JVM exited: most likely stale state, so start from scratch once
    log "broker exited during startup; wiping $DATA and retrying"; tail -n 20 "$LOGS/server.log" >&2 || true
    rm -rf "$DATA"; format
    status=0; launch; wait_ready "$(cat "$PIDFILE")" || status=$?
  fi
  if ((status != 0)); then
    log "broker not ready; last lines of $LOGS/server.log:"; tail -n 40 "$LOGS/server.log" >&2 || true
    stop; exit 1
  fi
  log "ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), $((SECONDS - started)) s)"
}

stop() {
  local pid
  if ! pid=$(live_pid); then rm -f "$PIDFILE"; log "not running"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true  # controlled shutdown: the next start skips log recovery
  for _ in $(seq 150); do live_pid >/dev/null || break; sleep 0.2; done
  if live_pid >/dev/null; then log "no clean shutdown after 30 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PIDFILE"; log "stopped"
}

status() {
  local pid
  pid=$(live_pid) || { log "not running"; return 3; }
  READY_TIMEOUT=5 wait_ready || { log "pid $pid alive but not answering metadata"; return 1; }
  log "running (pid $pid) on 127.0.0.1:$PORT, state in $STATE"
}

reset() { stop; rm -rf "$DATA"; log "data wiped ($DATA)"; }

case "${1:-}" in
  install | start | stop | reset)
    # Serialise concurrent invocations (parallel test runs, several shells).
    mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9; "$1" ;;
  status) status ;;
  *) echo "usage: $0 {install|start|stop|status|reset}" >&2; exit 2 ;;
esac

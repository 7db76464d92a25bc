# Sourced by up.sh and down.sh: where the local distributed mode keeps its state, and how a
# service's process is recognised.
# shellcheck shell=bash

LOCAL=$(realpath -m "${YUNYING_LOCAL_DIR:-${YUNYING_STATE_DIR:-$REPO/.yunying}/local}")
# shellcheck disable=SC2034  # LOGS is used by up.sh
LOGS=$LOCAL/logs PIDS=$LOCAL/pids

log() { echo "local: $*" >&2; }
die() { log "$*"; exit 1; }

# content-review -> CONTENT_REVIEW, the service's settings prefix (ServiceSettings.for_service).
env_name() { local n=${1//-/_}; echo "${n^^}"; }

pidfile() { echo "$PIDS/$1.pid"; }

# Prints the pid of the service if it is alive: a uvicorn of this checkout serving a factory,
# not a zombie. A pid recycled by some other program never counts as ours.
live_pid() {
  local pid cmd
  pid=$(cat "$(pidfile "$1")" 2>/dev/null) || return 1
  [[ -n $pid ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$REPO/.venv/bin/uvicorn --factory "* ]] || return 1
  [[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  echo "$pid"
}

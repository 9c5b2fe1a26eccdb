#!/usr/bin/env bash
#
# Antre's own services as background processes on 127.0.0.1 (what `make up` runs after the
# infrastructure): ticketing 8001, display 8002, notifier 8003, survey 8004. Logs and pid files under var/.
#
#   deploy/local/services.sh up [service...]     start (idempotent), wait for /readyz
#   deploy/local/services.sh down [service...]   stop (SIGTERM, then SIGKILL)
#   deploy/local/services.sh status              one line each
#
# Environment for the services comes from deploy/local/services.env (development values);
# with KAFKA_NODES=3 they are given the three-node Kafka cluster's addresses.

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN_DIR="$REPO/var/run"
LOG_DIR="$REPO/var/log"
PY="$REPO/.venv/bin/python"
ALL=(ticketing display notifier survey)
declare -A PORT=([ticketing]=8001 [display]=8002 [notifier]=8003 [survey]=8004)

mkdir -p "$RUN_DIR" "$LOG_DIR"

# The three-node cluster's addresses (KAFKA_NODES=3), asked of infra.sh before any service is
# forked: a subshell still running a command has its parent's command line, and pid_of would
# take the service for exited.
CLUSTER=""
if [[ ${KAFKA_NODES:-1} == 3 ]]; then
  CLUSTER=$(bash "$HERE/infra.sh" env | sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p')
fi

present() { [ -f "$REPO/services/$1/src/$1/__main__.py" ]; }

pid_of() {
  local f="$RUN_DIR/$1.pid"
  [ -f "$f" ] || return 1
  local pid; pid="$(cat "$f")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-m $1" && echo "$pid"
}

ready() { curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:${PORT[$1]}/readyz"; }

up_one() {
  local s="$1"
  present "$s" || { echo "$s: not built yet (no services/$s/src/$s/__main__.py), skipped"; return 0; }
  if pid="$(pid_of "$s")"; then
    echo "$s: already running (pid $pid)"
  else
    (
      set -a
      # shellcheck disable=SC1091
      . "$HERE/services.env"
      set +a
      if [[ -n $CLUSTER ]]; then
        export TICKETING_KAFKA_BOOTSTRAP=$CLUSTER DISPLAY_KAFKA_BOOTSTRAP=$CLUSTER \
          NOTIFIER_KAFKA_BOOTSTRAP=$CLUSTER SURVEY_KAFKA_BOOTSTRAP=$CLUSTER
      fi
      cd "$REPO"
      exec setsid "$PY" -m "$s" >>"$LOG_DIR/$s.log" 2>&1 < /dev/null
    ) &
    echo $! > "$RUN_DIR/$s.pid"
  fi
  for _ in $(seq 1 300); do
    ready "$s" && { echo "$s: ready  http://127.0.0.1:${PORT[$s]}"; return 0; }
    pid_of "$s" > /dev/null || { echo "$s: exited; see $LOG_DIR/$s.log" >&2; tail -20 "$LOG_DIR/$s.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$s: not ready after 30 s; see $LOG_DIR/$s.log" >&2
  return 1
}

down_one() {
  local s="$1" pid
  if pid="$(pid_of "$s")"; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "$s: stopped"
  else
    echo "$s: not running"
  fi
  rm -f "$RUN_DIR/$s.pid"
}

status_one() {
  local s="$1" pid
  if pid="$(pid_of "$s")"; then
    if ready "$s"; then echo "$s: running (pid $pid), ready"; else echo "$s: running (pid $pid), NOT ready"; fi
  else
    echo "$s: stopped"
  fi
}

cmd="${1:-status}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
case "$cmd" in
  up|start) for s in "${targets[@]}"; do up_one "$s"; done ;;
  down|stop) for s in "${targets[@]}"; do down_one "$s"; done ;;
  status) for s in "${targets[@]}"; do status_one "$s"; done ;;
  *) echo "usage: $0 up|down|status [service...]" >&2; exit 2 ;;
esac

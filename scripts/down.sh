#!/usr/bin/env bash
# Stops the processes `npm run up` started: SIGTERM (each app drains and exits on its own),
# then waits. Processes not started by up.sh are never touched. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/stack-lib.sh

# Graceful shutdowns have a 30 s deadline inside the apps; allow a little more here.
DEADLINE_SECONDS=${DOWN_DEADLINE_SECONDS:-35}

stop_app() {
  local name=$1 pid
  pid=$(running_pid "$name")
  if [ -z "$pid" ]; then
    rm -f "$RUN_DIR/$name.pid"
    echo "  $name: not running"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 $((DEADLINE_SECONDS * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "  $name: pid $pid still running after ${DEADLINE_SECONDS}s (see $LOG_DIR/$name.log)" >&2
    return 1
  fi
  rm -f "$RUN_DIR/$name.pid"
  echo "  $name: stopped (pid $pid)"
}

echo "stopping the stack"
status=0
# Reverse start order: the SIP app drains before the edge it talks through goes away.
for ((i = ${#STACK_APPS[@]} - 1; i >= 0; i--)); do
  stop_app "${STACK_APPS[$i]}" || status=1
done
exit $status

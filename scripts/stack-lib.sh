# Shared by scripts/up.sh and scripts/down.sh (sourced, not run).
# The stack's processes, in start order: name and entry point.
STACK_APPS=(sip-edge api worker sip)
declare -A STACK_ENTRY=(
  [sip-edge]=dist/apps/sip-edge/src/main.js
  [api]=dist/apps/api/src/main.js
  [worker]=dist/apps/worker/src/main.js
  [sip]=dist/apps/sip/src/main.js
)
# Extra node flags per process. The SIP edge gets --expose-gc so that it can run one major GC when a
# load burst is over (apps/sip-edge/src/transaction/burst-end-gc.ts): otherwise the memory of hundreds of
# thousands of expired transactions stays mapped until traffic comes back. bench/sip-edge/run.sh starts
# the edge with the same flags.
declare -A STACK_NODE_FLAGS=(
  [sip-edge]="--expose-gc"
)
# Where a stack reads its environment and keeps its state. The defaults are the developer's stack; a
# second, isolated stack (test/stack/up.e2e-spec.ts) sets PBX_ENV_FILE and PBX_VAR_DIR.
ENV_FILE=${PBX_ENV_FILE:-.env}
VAR_DIR=${PBX_VAR_DIR:-var}
RUN_DIR=$VAR_DIR/run
LOG_DIR=$VAR_DIR/log
TLS_DIR=$VAR_DIR/tls

# Reads KEY=VALUE lines without executing them (a .env is data, not a script); surrounding
# quotes are stripped and variables already set in the environment win, as with dotenv.
load_env_file() {
  local file=$1 line key val
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || continue
    key=${line%%=*}
    val=${line#*=}
    if [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]]; then val=${BASH_REMATCH[1]}; fi
    [ -n "${!key+x}" ] || export "$key=$val"
  done <"$file"
}

# Prints the pid of a running stack process, or nothing. Checks the command line too, so a
# stale pid file whose pid now belongs to another process is never acted upon.
running_pid() {
  local name=$1 file="$RUN_DIR/$1.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "${STACK_ENTRY[$name]}"; then
    echo "$pid"
  fi
}

# Prints the absolute path of the development CA when it issued the edge's certificate (the file a
# softphone is told to trust), or nothing.
dev_ca_file() {
  local ca=$TLS_DIR/ca.crt cert=${EDGE_TLS_CERT:-$TLS_DIR/edge.crt}
  if [ -f "$ca" ] && [ -f "$cert" ] && openssl verify -CAfile "$ca" "$cert" >/dev/null 2>&1; then
    realpath "$ca"
  fi
}

# Prepares a process's log file: owner read-write, group read, nothing for others (logs name
# users, IPs and numbers). Existing files from older runs are tightened too.
prepare_log_file() {
  local file=$1
  mkdir -p "$(dirname "$file")"
  chmod 750 "$(dirname "$file")"
  (umask 027 && touch "$file")
  chmod 640 "$file"
}

#!/usr/bin/env bash
# `npm run up`: from a fresh machine of this kind to a running stack. Idempotent: each step
# checks before it acts, so running it again only starts what is not already running.
#   services (Postgres, Redis, rtpengine) -> npm install -> .env with generated secrets -> database -> dev CA and
#   TLS certificate -> build -> migrate -> JWT key -> seed (platform admin, demo tenant) -> sip-edge, api,
#   worker, sip (logs in var/log, pids in var/run) -> what a softphone needs to register.
# PBX_ENV_FILE and PBX_VAR_DIR (default .env and var) let a second stack run beside the first.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/stack-lib.sh
. scripts/dev-tls.sh
. scripts/rtpengine.sh

HEALTH_DEADLINE_SECONDS=${UP_HEALTH_DEADLINE_SECONDS:-60}
step() { printf '\n== %s\n' "$*"; }
die() {
  echo "up: $*" >&2
  exit 1
}

step "services"
bash scripts/ensure-services.sh

step "dependencies"
# npm itself records the installed tree in node_modules/.package-lock.json; a newer lock means it changed.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: this npm leaves other platforms' optional binaries out of the lock, then refuses it.
  npm install --no-audit --no-fund
else
  echo "node_modules matches package-lock.json"
fi

step "environment ($ENV_FILE)"
umask 077
if [ ! -f "$ENV_FILE" ]; then
  if [ "$VAR_DIR" = var ]; then
    cp .env.example "$ENV_FILE"
  else
    # The example's state paths (./var/...) follow PBX_VAR_DIR.
    [[ $VAR_DIR != *'|'* ]] || die "PBX_VAR_DIR must not contain '|'"
    sed "s|=\./var/|=${VAR_DIR}/|" .env.example >"$ENV_FILE"
  fi
  echo "created $ENV_FILE from .env.example"
fi
chmod 600 "$ENV_FILE"
# Sets KEY in the env file when it is missing or empty; never overwrites a value someone chose.
fill_secret() {
  local key=$1 value=$2
  if grep -qE "^${key}=..*" "$ENV_FILE"; then return 1; fi
  if grep -qE "^${key}=" "$ENV_FILE"; then
    sed -i "s|^${key}=.*|${key}=${value}|" "$ENV_FILE"
  else
    printf '%s=%s\n' "$key" "$value" >>"$ENV_FILE"
  fi
  echo "generated $key"
}
random_token() { openssl rand -base64 "$1" | tr '+/' '-_' | tr -d '=\n'; }
fill_secret AUDIT_HMAC_KEY "$(openssl rand -hex 32)" || true
fill_secret SECRETS_KEKS "1:$(openssl rand -base64 32)" || true
NEW_ADMIN_PASSWORD=""
candidate=$(random_token 24)
if fill_secret SEED_ADMIN_PASSWORD "$candidate"; then NEW_ADMIN_PASSWORD=$candidate; fi
# The SIP app and the edge authenticate each other with one shared secret.
edge_secret=$(grep -E '^(EDGE_SECRET|DRACHTIO_SECRET)=..*' "$ENV_FILE" | head -n1 | cut -d= -f2- || true)
edge_secret=${edge_secret:-$(openssl rand -hex 24)}
fill_secret EDGE_SECRET "$edge_secret" || true
fill_secret DRACHTIO_SECRET "$edge_secret" || true
load_env_file "$ENV_FILE"

step "media relay (rtpengine)"
# Already started by ensure-services with the defaults, unless $ENV_FILE moves its control port.
ensure_rtpengine

step "database"
db_name=$(node -e 'const u = new URL(process.argv[1]); process.stdout.write(decodeURIComponent(u.pathname.slice(1)))' "$DATABASE_URL")
[[ $db_name =~ ^[A-Za-z0-9_]+$ ]] || die "unexpected database name in DATABASE_URL: $db_name"
if psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
  echo "database $db_name exists"
else
  createdb -h 127.0.0.1 -U postgres "$db_name"
  echo "created database $db_name"
fi

step "development CA and TLS certificate ($TLS_DIR)"
ensure_dev_tls
umask 022

step "build"
# tsc is incremental already, but even a no-op costs 5-15 s on this machine: skip it when no input
# changed since the last build that succeeded here (the stamp is taken before that build started).
build_stamp=dist/.up-build-ok
if [ -f "$build_stamp" ] && [ -z "$(find apps libs migrations bench tsconfig.json tsconfig.build.json package-lock.json \
  -newer "$build_stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit)" ]; then
  echo "no source changed since the last build: skipped"
else
  mkdir -p dist
  touch "$build_stamp.next"
  npm run -s build
  mv "$build_stamp.next" "$build_stamp"
fi

step "migrations"
npm run -s migration:run

step "JWT signing key"
npm run -s keys:generate

step "seed"
npm run -s seed
# Passwords of new demo devices exist only in this variable and on the terminal, never in a file or a
# log; if a later step fails, the EXIT trap still shows them, since they can't be shown again.
DEMO_SETTINGS=$(npm run -s seed:demo -- --ca "$(dev_ca_file)")
show_demo_settings() {
  if [ -n "$DEMO_SETTINGS" ]; then printf '\n%s\n' "$DEMO_SETTINGS"; fi
  DEMO_SETTINGS=""
}
trap show_demo_settings EXIT

step "start"
mkdir -p "$RUN_DIR" "$LOG_DIR"
loopback() { [ "$1" = "0.0.0.0" ] || [ "$1" = "::" ] && echo 127.0.0.1 || echo "$1"; }
declare -A HEALTH_URL=(
  [sip-edge]="http://$(loopback "${EDGE_OPS_ADDRESS:-127.0.0.1}"):${EDGE_OPS_PORT:-9023}/health/ready"
  [api]="http://$(loopback "${API_HOST:-127.0.0.1}"):${API_PORT:-3000}/health/ready"
  [worker]="http://$(loopback "${WORKER_OPS_HOST:-127.0.0.1}"):${WORKER_OPS_PORT:-9102}/health/ready"
  [sip]="http://$(loopback "${SIP_OPS_HOST:-127.0.0.1}"):${SIP_OPS_PORT:-9101}/health/ready"
)

http_ok() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }

wait_healthy() {
  local name=$1 url=$2 pid=$3
  for _ in $(seq 1 $((HEALTH_DEADLINE_SECONDS * 2))); do
    if http_ok "$url"; then
      echo "  $name: healthy (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "  $name exited during start-up; last lines of $LOG_DIR/$name.log:" >&2
      tail -n 20 "$LOG_DIR/$name.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "  $name: not healthy after ${HEALTH_DEADLINE_SECONDS}s at $url (see $LOG_DIR/$name.log)" >&2
  return 1
}

start_app() {
  local name=$1 entry=${STACK_ENTRY[$1]} pid
  pid=$(running_pid "$name")
  if [ -n "$pid" ]; then
    echo "  $name: already running (pid $pid); \`npm run down && npm run up\` restarts it on the new build"
    return 0
  fi
  prepare_log_file "$LOG_DIR/$name.log"
  # setsid: the process outlives this shell and a Ctrl-C in it; its pid is the node process.
  # shellcheck disable=SC2086 # the flags are words
  setsid node ${STACK_NODE_FLAGS[$name]:-} "$entry" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$RUN_DIR/$name.pid"
  wait_healthy "$name" "${HEALTH_URL[$name]}" "$pid"
}

EDGE_PRESENT=0
if [ -f "${STACK_ENTRY[sip-edge]}" ]; then EDGE_PRESENT=1; fi
for name in "${STACK_APPS[@]}"; do
  if [ "$name" = sip-edge ] && [ "$EDGE_PRESENT" = 0 ]; then
    echo "  sip-edge: ${STACK_ENTRY[sip-edge]} not built yet; not started (the SIP app will keep retrying)"
    continue
  fi
  if [ "$name" = sip ] && [ "$EDGE_PRESENT" = 0 ]; then
    # Without an edge the SIP app is alive but never ready: wait for liveness only.
    HEALTH_URL[sip]=${HEALTH_URL[sip]%/ready}/live
  fi
  start_app "$name" || die "$name failed to start"
done

api_url="http://$(loopback "${API_HOST:-127.0.0.1}"):${API_PORT:-3000}"
cat <<EOF

The PBX is up.
  API            $api_url   (OpenAPI UI: $api_url/api/docs, JWKS: $api_url/.well-known/jwks.json)
  API health     ${HEALTH_URL[api]}
  SIP edge       ${EDGE_CONTACTS:-} $([ "$EDGE_PRESENT" = 1 ] && echo "(health: ${HEALTH_URL[sip-edge]})" || echo "(not built yet)")
  SIP app        ${HEALTH_URL[sip]}
  worker         ${HEALTH_URL[worker]}
  logs           $LOG_DIR/*.log      stop: npm run down
EOF
if [ -n "$NEW_ADMIN_PASSWORD" ]; then
  cat <<EOF

Platform admin (shown once; also stored in $ENV_FILE, mode 0600 - change it after the first login):
  email     ${SEED_ADMIN_EMAIL:-admin@pbx.local}
  password  $NEW_ADMIN_PASSWORD
EOF
else
  echo "  admin          ${SEED_ADMIN_EMAIL:-admin@pbx.local} (password: SEED_ADMIN_PASSWORD in $ENV_FILE)"
fi
show_demo_settings

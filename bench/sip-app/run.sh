#!/usr/bin/env bash
# SIP app load tests (not run in CI). `run.sh`: registrations; `run.sh calls`: call setups (calls.ts): builds, then drives the bare registrar of bench/sip-edge and the
# full SIP app (Postgres + Redis) with sipp on loopback only, in one run, and prints them side by side.
# Knobs (env): RATES=1000,1500,2000,3000,4000 STEP_SECONDS=10 P99_RATE=2000 DEVICES=5000 BASE_APPS=1 SETTLE_S=45
#              DIGEST_ALGORITHMS=MD5 APP_LOG_LEVEL=info APP_NODE_FLAGS PHASES=base,app (more in README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n 65535 2>/dev/null || true
# Other apps' type errors must not block a bench run: tsc still emits, tsc-alias rewrites the paths.
npx tsc -p tsconfig.build.json >/dev/null || echo "(tsc reported type errors elsewhere; continuing with emitted JS)"
npx tsc-alias -p tsconfig.build.json
# The edge and the app run with the node flags the stack's start scripts give them (scripts/stack-lib.sh).
. scripts/stack-lib.sh
EDGE_NODE_FLAGS="${STACK_NODE_FLAGS[sip-edge]:-} ${EDGE_NODE_FLAGS:-}" \
  APP_NODE_FLAGS="${STACK_NODE_FLAGS[sip]:-} ${APP_NODE_FLAGS:-}" \
  node "dist/bench/sip-app/$([ "${1:-}" = calls ] && echo calls || echo bench).js"

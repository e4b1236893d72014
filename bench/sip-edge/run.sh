#!/usr/bin/env bash
# SIP edge load test (not run in CI): builds, then drives the edge with sipp on loopback only.
# Knobs (env): REG_RATE=4500 REG_SECONDS=15 TLS_RATE=$REG_RATE APPS=2 CALL_RATE=1200 CALL_SECONDS=10
#              CALL_HOLD_MS=10000 SETTLE_S=45 (more in README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n 65535 2>/dev/null || true
# Other apps' type errors must not block a bench run: tsc still emits, tsc-alias rewrites the paths.
npx tsc -p tsconfig.build.json >/dev/null || echo "(tsc reported type errors elsewhere; continuing with emitted JS)"
npx tsc-alias -p tsconfig.build.json
# The edge runs with the node flags the stack's start scripts give it (scripts/stack-lib.sh).
. scripts/stack-lib.sh
EDGE_NODE_FLAGS="${STACK_NODE_FLAGS[sip-edge]} ${EDGE_NODE_FLAGS:-}" node dist/bench/sip-edge/bench.js

#!/usr/bin/env bash
# bench/fraud (not run in CI): builds, then for each seed in SEEDS feeds the labelled stream through the
# call-events queue and the real worker process (paced, and with PREFILL=1 the throughput run).
# Knobs (env): SEEDS=101,202,303 RATE=3000 DEVICES=400 CONCURRENCY=200 WORKERS=1 PREFILL=0|1; needs DATABASE_URL and
# REDIS_URL (migrated database; the bench adds and removes its own tenants and keys).
set -uo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p tsconfig.build.json >/dev/null || echo "(tsc reported type errors elsewhere; continuing with emitted JS)"
npx tsc-alias -p tsconfig.build.json
status=0
SEEDS="${SEEDS:-101,202,303}"
for seed in ${SEEDS//,/ }; do
  flags=(--seed "$seed" --rate "${RATE:-3000}" --devices "${DEVICES:-400}" --concurrency "${CONCURRENCY:-200}" --workers "${WORKERS:-1}")
  [ "${PREFILL:-0}" = 1 ] && flags+=(--prefill)
  node dist/bench/fraud/bench.js "${flags[@]}" || status=1
done
exit $status

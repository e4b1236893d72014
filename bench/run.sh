#!/usr/bin/env bash
# `npm run bench`: builds, then runs every benchmark that exists. Exits non-zero if any misses its target.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
npm run -s build || exit 1
status=0
echo "== api";      node dist/bench/api/api.bench.js || status=1
if [ -f dist/bench/policy/policy.bench.js ]; then
  echo "== policy"; node dist/bench/policy/policy.bench.js || status=1
fi
if [ -f bench/sip-edge/run.sh ]; then
  echo "== sip-edge"; bash bench/sip-edge/run.sh || status=1
fi
echo "== sip-app"; bash bench/sip-app/run.sh || status=1
exit $status

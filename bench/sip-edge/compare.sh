#!/usr/bin/env bash
# The edge and drachtio-server side by side under the same load (not run in CI).
# DRACHTIO_BIN must point at a drachtio-server binary you built yourself from its public source
# (github.com/drachtio/drachtio-server); nothing in this repository builds it. Other knobs as for run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DRACHTIO_BIN:?set DRACHTIO_BIN to a locally built drachtio-server binary}"
out=$(mktemp -d)
echo "== run 1: the edge"
DRACHTIO_BIN= BENCH_SUMMARY_FILE="$out/edge.json" bash bench/sip-edge/run.sh
echo "== run 2: drachtio-server ($DRACHTIO_BIN)"
BENCH_SUMMARY_FILE="$out/drachtio.json" bash bench/sip-edge/run.sh
node dist/bench/sip-edge/compare.js "$out/edge.json" "$out/drachtio.json"

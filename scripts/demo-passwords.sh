#!/usr/bin/env bash
# `npm run demo:passwords`: new passwords for the demo softphones of `npm run up` (1001 and 1002),
# printed once to this terminal and written nowhere; the old ones stop working at once.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/stack-lib.sh
if [ ! -f "$ENV_FILE" ]; then
  echo "demo:passwords: $ENV_FILE not found; run \`npm run up\` first" >&2
  exit 1
fi
load_env_file "$ENV_FILE"
node dist/apps/api/src/cli/seed-demo.js rotate --ca "$(dev_ca_file)"

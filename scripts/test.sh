#!/usr/bin/env bash
# The one test command: what a developer runs is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_OPTIONS="${NODE_OPTIONS:-} --no-deprecation"
echo "== lint";      npx eslint --max-warnings 0 .
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== build";     npm run -s build
echo "== unit";      npx jest --selectProjects unit --ci
echo "== e2e";       npx jest --selectProjects e2e --ci --runInBand

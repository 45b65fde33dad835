#!/usr/bin/env bash
# Runs every test: build, the import-rule lint, then unit, integration and
# compat tests with node's test runner. Integration and compat tests need root
# and the packages scripts/setup.sh installs; they skip (and say why) otherwise.
#   npm test -- dist/test/integration/run.test.js ...   only these compiled test files
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --deps-only
npm run --silent build
npm run --silent lint
if (($#)); then files=("$@"); else mapfile -t files < <(find dist/src dist/test -name '*.test.js' | sort); fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"

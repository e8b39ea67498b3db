#!/usr/bin/env bash
# One command from a fresh clone to a working RunForge: system packages (Python trainer, Chromium),
# npm dependencies, build, `runforge` on PATH (scripts/link-cli.sh), then the main job: `runforge demo`,
# a real sweep trained by a daemon.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
npm run --silent build
bash scripts/link-cli.sh
node dist/cli/bin.cjs demo "$@"

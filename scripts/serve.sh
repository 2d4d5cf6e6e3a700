#!/usr/bin/env bash
# The quick start: installs what is missing (Debian packages, and Node 24 with
# the pinned OpenClaw for local cells), builds the release preset and runs
# `winston serve` on its embedded defaults (SQLite in ./data, admin API on
# 127.0.0.1:8080, proxy on 127.0.0.1:8081, local cells under ./data/cells).
# Extra arguments go to `winston serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target winston
# Local cells run the pinned OpenClaw on the pinned Node 24, installed once
# into .cache/node-deps (about 950 MB, two minutes the first time).
if [[ -z "${WINSTON_OPENCLAW_DIR:-}" ]]; then
  WINSTON_OPENCLAW_DIR=$(scripts/node-deps.sh)
  export WINSTON_OPENCLAW_DIR
fi
exec build/release/src/winston serve "$@"

#!/usr/bin/env bash
# The quick start: installs what is missing, builds the release preset and
# runs `winston serve` on its embedded defaults (SQLite in ./data, admin API
# on 127.0.0.1:8080). Extra arguments go to `winston serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target winston
exec build/release/src/winston serve "$@"

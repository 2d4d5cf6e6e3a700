#!/usr/bin/env bash
# Regenerates docs/configuration.md and winston.toml.example from the key
# table (src/app/config_keys.cpp). ConfigDocs.* tests fail until this is run
# after a change to the table. Usage: scripts/config-docs.sh [path/to/winston]
set -euo pipefail
cd "$(dirname "$0")/.."
WINSTON=${1:-build/debug/src/winston}
[[ -x $WINSTON ]] || { echo "no $WINSTON: build first (cmake --build --preset debug --target winston)" >&2; exit 1; }
"$WINSTON" config docs > docs/configuration.md
"$WINSTON" config example > winston.toml.example
echo "wrote docs/configuration.md and winston.toml.example"

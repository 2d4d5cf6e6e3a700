#!/usr/bin/env bash
# The test command: installs what is missing, builds the debug preset
# (AddressSanitizer + UndefinedBehaviorSanitizer) and the release preset (what
# scripts/serve.sh runs), starts a private PostgreSQL 15 on loopback, runs every
# test against SQLite and PostgreSQL, stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake --preset debug >/dev/null
cmake --build --preset debug -j"$(nproc)"
# The release preset too, with -Werror, exactly as scripts/serve.sh builds it:
# the suite starts this binary (`winston serve`, then `winston smoke` against
# it), so the README's first command cannot break unseen.
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
# Formatting and clang-tidy on the C++ files changed since .lint-base.
scripts/lint.sh
export WINSTON_RELEASE_BINARY=$PWD/build/release/src/winston
export WINSTON_TEST_REQUIRE_RELEASE=1  # the release-binary tests may not skip themselves here

# The official SDKs and the pinned OpenClaw (with Node 24) for the proxy's
# client and end-to-end tests, installed once into .cache/node-deps.
WINSTON_NODE_DEPS=$(scripts/node-deps.sh)
export WINSTON_NODE_DEPS
export WINSTON_TEST_REQUIRE_NODE=1  # a Node-side test may not skip itself here

read -r PG_URL PG_DIR < <(scripts/pg.sh start)
trap 'scripts/pg.sh stop "$PG_DIR"' EXIT
echo "test: PostgreSQL at $PG_URL"

export WINSTON_TEST_PG_URL="$PG_URL"
export WINSTON_TEST_REQUIRE_PG=1   # a PostgreSQL test may not skip itself here
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset debug -j"$(nproc)" --timeout 600 "$@"

#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds the release preset,
# starts a private PostgreSQL 15 on loopback (scripts/pg.sh, fsync=off), runs
# the tenant admin API benchmark on SQLite and PostgreSQL, stops the server.
# Extra arguments go to winston_bench (Google Benchmark flags, e.g.
# --benchmark_filter=sqlite). Figures and how to read them: docs/benchmarks.md.
#
#   WINSTON_WERROR=OFF scripts/bench.sh   # build without -Werror (default ON)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake --preset release -DWINSTON_WERROR="${WINSTON_WERROR:-ON}" >/dev/null
cmake --build --preset release -j"$(nproc)" --target winston_bench

read -r PG_URL PG_DIR < <(scripts/pg.sh start) || true
if [[ -z ${PG_URL:-} || -z ${PG_DIR:-} ]]; then
  echo "bench: could not start PostgreSQL (scripts/pg.sh start)" >&2
  exit 1
fi
trap 'scripts/pg.sh stop "$PG_DIR"' EXIT
echo "bench: PostgreSQL at $PG_URL"
echo "bench: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

export WINSTON_BENCH_PG_URL="$PG_URL"
export WINSTON_BENCH_REQUIRE_PG=1  # here the PostgreSQL benchmarks may not skip themselves
timeout "${WINSTON_BENCH_TIMEOUT:-3600}" build/release/bench/winston_bench "$@"

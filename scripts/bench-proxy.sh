#!/usr/bin/env bash
# The proxy benchmark: the same OpenAI chat-completion request measured
#   direct        against a canned nginx upstream (fixed JSON answer),
#   nginx proxy   through nginx as a plain keep-alive reverse proxy,
#   winston       through Winston's proxy (key auth, routing, credit
#                 reservation + settlement), on SQLite and on PostgreSQL;
# requests/s at 32 connections and p50/p99 latency at 1 connection for each,
# then checks that every request Winston answered left exactly one
# credit_usage row, and holds 1,000 concurrent slow streams to read Winston's
# peak RSS. Installs what is missing, builds the release preset, runs
# everything on loopback ports in a temporary directory and stops it all.
# Figures and how to read them: docs/benchmarks-proxy.md.
#
#   scripts/bench-proxy.sh
#
# Knobs (environment): BENCH_RUNS (3; the table shows medians),
# BENCH_DURATION (10 s per measurement), BENCH_WARMUP (3 s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2, wrk threads at 32 connections),
# BENCH_COUNT_REQUESTS (5000, the exact usage-row check), BENCH_STREAMS (1000),
# BENCH_STREAM_SECONDS (10), BENCH_TARGETS ("direct nginx sqlite postgres"),
# BENCH_QUIET_PCT (25) and BENCH_QUIET_WAIT (900 s in all): wait for other
# processes to use less CPU than that before each measurement,
# BENCH_PROFILE=perf (also perf-record Winston under load; report in the temp dir),
# BENCH_KEEP=1 (keep the temp dir), BENCH_SKIP_BUILD=1, BENCH_WINSTON=PATH (measure
# another winston binary, e.g. an experimental build; implies no build).
#
# Exit status: 0 when every correctness check passed (the performance targets
# are reported, not enforced); 1 when a usage-row or streaming check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
COUNT_N=${BENCH_COUNT_REQUESTS:-5000}
STREAMS=${BENCH_STREAMS:-1000}
STREAM_SECONDS=${BENCH_STREAM_SECONDS:-10}
TARGETS=${BENCH_TARGETS:-"direct nginx sqlite postgres"}
PROFILE=${BENCH_PROFILE:-}
QUIET_PCT=${BENCH_QUIET_PCT:-25}
QUIET_WAIT=${BENCH_QUIET_WAIT:-900}
RSS_TARGET_KB=$((150 * 1024))

log() { echo "bench-proxy: $*" >&2; }
die() { log "$*"; exit 2; }
has() { [[ " $TARGETS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- install --
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
scripts/setup.sh
extra=()
if ! installed nginx && ! installed nginx-light && ! installed nginx-core && ! installed nginx-full; then
  extra+=(nginx-light)
fi
for p in wrk nodejs sqlite3; do installed "$p" || extra+=("$p"); done
if ((${#extra[@]})); then
  log "installing ${extra[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${extra[@]}"
  # Where the package's own service was started by the install, stop it: it is not ours to run.
  if [[ " ${extra[*]} " == *" nginx-light "* && -s /run/nginx.pid ]]; then $SUDO nginx -s quit 2>/dev/null || true; fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PSQL=$PGBIN/psql
[[ -x $PSQL ]] || PSQL=psql

# ------------------------------------------------------------------ build --
if [[ -z ${BENCH_SKIP_BUILD:-} && -z ${BENCH_WINSTON:-} ]]; then
  export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
  cmake --preset release >/dev/null
  cmake --build --preset release -j2 --target winston
fi
WINSTON=${BENCH_WINSTON:-$ROOT/build/release/src/winston}
[[ -x $WINSTON ]] || die "no $WINSTON; build the release preset first"

# ------------------------------------------------------------- lifecycle --
TMP=$(mktemp -d /tmp/winston-bench-proxy.XXXXXX)
chmod 755 "$TMP"  # nginx workers run as nobody
mkdir -p "$TMP/nginx-tmp" "$TMP/results"
PIDS=()
PG_DIR=""
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [[ -n $PG_DIR ]] && scripts/pg.sh stop "$PG_DIR"
  if [[ -n ${BENCH_KEEP:-} || -n $PROFILE ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Many connections at once (1,000 client streams + 1,000 upstream ones in Winston).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port"
}

wait_http() {  # URL [seconds] — any HTTP answer counts
  local url=$1 deadline=$((SECONDS + ${2:-30}))
  until curl -s -o /dev/null -m 2 "$url"; do
    ((SECONDS < deadline)) || die "nothing answers at $url"
    sleep 0.1
  done
}

fill() {  # TEMPLATE OUT key=value...
  local tpl=$1 out=$2; shift 2
  local args=()
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$tpl" >"$out"
}

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"; }

# ------------------------------------------------------------- upstreams --
CANNED_PORT=$(free_port)
fill bench/proxy/canned.nginx.conf "$TMP/canned.conf" "DIR=$TMP" "PORT=$CANNED_PORT"
"$NGINX" -e "$TMP/canned.error.log" -p "$TMP/" -c "$TMP/canned.conf" -g 'daemon off;' &
PIDS+=($!)
wait_http "http://127.0.0.1:$CANNED_PORT/"

REVERSE_PORT=$(free_port)
fill bench/proxy/reverse.nginx.conf "$TMP/reverse.conf" "DIR=$TMP" "PORT=$REVERSE_PORT" "UPSTREAM_PORT=$CANNED_PORT"
"$NGINX" -e "$TMP/reverse.error.log" -p "$TMP/" -c "$TMP/reverse.conf" -g 'daemon off;' &
PIDS+=($!)
wait_http "http://127.0.0.1:$REVERSE_PORT/"

ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BENCH_UPSTREAM_KEY=bench-upstream-key  # the canned upstream ignores it; a provider needs one

# start_winston NAME DATABASE_URL CONFIG -> sets W_PID W_API W_PROXY
# (fresh ports on each attempt: another program may take a port we picked)
start_winston() {
  local name=$1 url=$2 cfg=$3 attempt
  mkdir -p "$TMP/$name"
  for attempt in 1 2 3; do
    W_API=$(free_port)
    W_PROXY=$(free_port)
    WINSTON_DATA_DIR="$TMP/$name" WINSTON_ADMIN_TOKEN="$ADMIN_TOKEN" WINSTON_API_PORT=$W_API \
      WINSTON_PROXY_PORT=$W_PROXY WINSTON_LOG_LEVEL=warn WINSTON_DATABASE_URL="$url" \
      WINSTON_INSTANCE_ID="bench-$name" \
      "$WINSTON" --config "$cfg" serve >>"$TMP/$name.log" 2>&1 &
    W_PID=$!
    PIDS+=("$W_PID")
    local deadline=$((SECONDS + 60))
    while kill -0 "$W_PID" 2>/dev/null && ((SECONDS < deadline)); do
      if curl -s -o /dev/null -m 2 "http://127.0.0.1:$W_API/healthz" &&
        curl -s -o /dev/null -m 2 "http://127.0.0.1:$W_PROXY/healthz"; then
        return 0
      fi
      sleep 0.1
    done
    kill "$W_PID" 2>/dev/null || true
    log "Winston ($name) did not come up on ports $W_API/$W_PROXY (attempt $attempt): $(tail -2 "$TMP/$name.log")"
  done
  die "Winston ($name) would not start; see $TMP/$name.log"
}

# new_key NAME API_PORT -> prints "TENANT_ID KEY" (an enterprise tenant: 5,000,000 credits)
new_key() {
  local name=$1 api=http://127.0.0.1:$2 tenant key
  tenant=$(curl -sf -X POST "$api/v1/tenants" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -d "{\"name\":\"Bench $name\",\"email\":\"bench-$name@example.com\",\"website_url\":\"https://bench.example.com\",\"tier\":\"enterprise\"}" |
    json_field id)
  key=$(curl -sf -X POST "$api/v1/tenants/$tenant/keys" -H "Authorization: Bearer $ADMIN_TOKEN" -d '{"name":"bench"}' |
    json_field key)
  echo "$tenant $key"
}

declare -A URL KEY TENANT WPID WAPI HWM
URL[direct]=http://127.0.0.1:$CANNED_PORT/v1/chat/completions
URL[nginx]=http://127.0.0.1:$REVERSE_PORT/v1/chat/completions
KEY[direct]=""
KEY[nginx]=""

fill bench/proxy/winston.toml.in "$TMP/winston.toml" "CANNED_PORT=$CANNED_PORT"
if has sqlite; then
  start_winston sqlite "sqlite:$TMP/sqlite/winston.db" "$TMP/winston.toml"
  WPID[sqlite]=$W_PID; WAPI[sqlite]=$W_API; URL[sqlite]=http://127.0.0.1:$W_PROXY/v1/chat/completions
  read -r TENANT[sqlite] KEY[sqlite] < <(new_key sqlite "$W_API")
  [[ -n ${KEY[sqlite]} ]] || die "could not create a tenant and key on Winston (sqlite); see $TMP/sqlite.log"
fi
if has postgres; then
  read -r PG_URL PG_DIR < <(scripts/pg.sh start) || true
  [[ -n ${PG_URL:-} && -n ${PG_DIR:-} ]] || die "could not start PostgreSQL (scripts/pg.sh start)"
  start_winston postgres "$PG_URL" "$TMP/winston.toml"
  WPID[postgres]=$W_PID; WAPI[postgres]=$W_API; URL[postgres]=http://127.0.0.1:$W_PROXY/v1/chat/completions
  read -r TENANT[postgres] KEY[postgres] < <(new_key postgres "$W_API")
  [[ -n ${KEY[postgres]} ]] || die "could not create a tenant and key on Winston (postgres); see $TMP/postgres.log"
fi

sql() {  # TARGET QUERY -> rows, columns separated by |
  if [[ $1 == sqlite ]]; then sqlite3 "$TMP/sqlite/winston.db" "$2"; else "$PSQL" -X -q -At "$PG_URL" -c "$2"; fi
}

# ------------------------------------------------------------ measuring --
field() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
declare -A WRK_REQUESTS WRK_SLACK
for t in $TARGETS; do WRK_REQUESTS[$t]=0; WRK_SLACK[$t]=0; done

# wrk_run TARGET THREADS CONNS SECONDS -> sets LINE to wrk's BENCH line (not in a subshell: it counts)
wrk_run() {
  local t=$1 th=$2 c=$3 d=$4 out
  out=$(BENCH_KEY=${KEY[$t]} wrk -t"$th" -c"$c" -d"${d}s" --timeout 5s -s bench/proxy/chat.lua "${URL[$t]}" 2>&1) ||
    { echo "$out" >&2; die "wrk failed against $t"; }
  echo "$out" >>"$TMP/results/$t.wrk.log"
  local line
  line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "no BENCH line from wrk ($t)"; }
  WRK_REQUESTS[$t]=$((WRK_REQUESTS[$t] + $(field requests "$line")))
  WRK_SLACK[$t]=$((WRK_SLACK[$t] + c))  # requests in flight when wrk stops are answered but not counted
  local bad=$(($(field non2xx "$line") + $(field connect_err "$line") + $(field read_err "$line") + $(field write_err "$line") + $(field timeouts "$line")))
  if ((bad > 0)); then log "WARNING: $t: $bad errors or non-2xx answers ($line)"; echo "$t $bad" >>"$TMP/results/errors"; fi
  LINE=$line
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# Winston's own winston_proxy_overhead_seconds (time it adds: total minus upstream) as "sum count".
overhead_metric() {
  curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "${URL[$1]%/v1/chat/completions}/metrics" |
    awk '/^winston_proxy_overhead_seconds_sum/ {s=$NF} /^winston_proxy_overhead_seconds_count/ {n=$NF} END {print s + 0, n + 0}'
}
# CPU busy % of the whole machine over 1 s while our servers sit idle: what others are using.
background_cpu() {
  local a b
  read -r -a a < <(head -1 /proc/stat)
  sleep 1
  read -r -a b < <(head -1 /proc/stat)
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
MODEL=$(lscpu | sed -n 's/^Model name: *//p')
LOAD_BEFORE=$(loadavg)
log "$(nproc) cores, $MODEL, load average $LOAD_BEFORE"
log "targets: $TARGETS; $RUNS runs of ${DURATION}s (+${WARMUP}s warm-up) each, interleaved"

# A shared 2-core machine: before each target's measurement wait (within a
# total budget) until other processes use less than QUIET_PCT % CPU; a run is
# "quiet" when that held just before and just after it. Medians are taken
# over the quiet runs (all runs when none was quiet).
QUIET_SPENT=0
wait_quiet() {  # sets BG (others' CPU %) from the last 1 s probe
  local said=""
  while :; do
    BG=$(background_cpu)
    ((BG < QUIET_PCT)) && return 0
    if ((QUIET_SPENT >= QUIET_WAIT)); then
      [[ -z $said ]] && log "others use ${BG}% CPU and the wait budget (${QUIET_WAIT}s) is spent: measuring anyway"
      return 0
    fi
    [[ -z $said ]] && log "others use ${BG}% CPU: waiting for a quiet machine (budget left $((QUIET_WAIT - QUIET_SPENT))s)"
    said=1
    sleep 4
    QUIET_SPENT=$((QUIET_SPENT + 5))
  done
}

for run in $(seq 1 "$RUNS"); do
  for t in $TARGETS; do
    wait_quiet
    pre=$BG
    wrk_run "$t" "$THREADS" "$CONNS" "$WARMUP"
    wrk_run "$t" "$THREADS" "$CONNS" "$DURATION"
    rps=$(field rps "$LINE")
    overhead=-
    [[ $t == sqlite || $t == postgres ]] && read -r o_sum o_count < <(overhead_metric "$t")
    wrk_run "$t" 1 1 "$DURATION"
    if [[ $t == sqlite || $t == postgres ]]; then
      read -r o_sum2 o_count2 < <(overhead_metric "$t")
      overhead=$(awk -v s="$o_sum" -v n="$o_count" -v s2="$o_sum2" -v n2="$o_count2" \
        'BEGIN {if (n2 > n) printf "%.0f", (s2 - s) / (n2 - n) * 1e6; else printf "-"}')
    fi
    p50=$(field p50_us "$LINE")
    p99=$(field p99_us "$LINE")
    post=$(background_cpu)
    quiet=$((pre < QUIET_PCT && post < QUIET_PCT))
    # rps p50 p99 overhead others-before others-after quiet
    echo "$rps $p50 $p99 $overhead $pre $post $quiet" >>"$TMP/results/$t.runs"
    log "run $run/$RUNS $t: $rps req/s at $CONNS, p50 $p50 us, p99 $p99 us at 1 (others used ${pre}% CPU before, ${post}% after$( ((quiet)) || echo '; NOT quiet'))"
  done
done
LOAD_AFTER=$(loadavg)

# ------------------------------------------------------- optional profile --
if [[ $PROFILE == perf ]] && ! command -v perf >/dev/null; then
  log "BENCH_PROFILE=perf: no perf here (Debian package linux-perf); skipping the profile"
elif [[ $PROFILE == perf ]]; then
  for t in sqlite postgres; do
    has "$t" || continue
    log "perf record on Winston ($t) for ${DURATION}s at $CONNS connections"
    BENCH_KEY=${KEY[$t]} wrk -t"$THREADS" -c"$CONNS" -d"$((DURATION + 2))s" -s bench/proxy/chat.lua "${URL[$t]}" \
      >"$TMP/results/$t.profile.wrk.log" 2>&1 &
    wrk_pid=$!
    sleep 1
    perf record -F 999 -g -o "$TMP/perf.$t.data" -p "${WPID[$t]}" -- sleep "$DURATION" 2>"$TMP/perf.$t.log" || true
    wait "$wrk_pid" || true
    WRK_REQUESTS[$t]=$((WRK_REQUESTS[$t] + $(field requests "$(grep '^BENCH ' "$TMP/results/$t.profile.wrk.log")")))
    WRK_SLACK[$t]=$((WRK_SLACK[$t] + CONNS))
    perf report -i "$TMP/perf.$t.data" --no-children --percent-limit 0.5 --stdio >"$TMP/perf.$t.self.txt" 2>/dev/null || true
    perf report -i "$TMP/perf.$t.data" --children --percent-limit 2 --stdio -g none >"$TMP/perf.$t.children.txt" 2>/dev/null || true
    log "perf report: $TMP/perf.$t.self.txt, $TMP/perf.$t.children.txt"
  done
fi

# ------------------------------------------------------- usage-row check --
FAIL=0
check() {  # DESCRIPTION CONDITION...
  local what=$1; shift
  if "$@"; then CHECKS+=("ok    $what"); else CHECKS+=("FAIL  $what"); FAIL=1; fi
}
CHECKS=()
quiesce() {  # waits until no reservation is open (every request settled)
  local t=$1
  for _ in $(seq 1 100); do
    [[ $(sql "$t" "SELECT COUNT(*) FROM credit_reservations") == 0 ]] && return 0
    sleep 0.1
  done
}
metric_requests() {  # sum of winston_proxy_requests_total
  curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "${URL[$1]%/v1/chat/completions}/metrics" |
    awk '/^winston_proxy_requests_total/ {s += $NF} END {print s + 0}'
}
between() { (($2 <= $1 && $1 <= $3)); }
eq() { [[ $1 == "$2" ]]; }

declare -A ROWS
for t in sqlite postgres; do
  has "$t" || continue
  quiesce "$t"
  rows=$(sql "$t" "SELECT COUNT(*) FROM credit_usage")
  answered=$(metric_requests "$t")
  check "$t: wrk phases: $rows usage rows for ${WRK_REQUESTS[$t]} requests wrk counted (+ at most ${WRK_SLACK[$t]} in flight when wrk stopped)" \
    between "$rows" "${WRK_REQUESTS[$t]}" "$((WRK_REQUESTS[$t] + WRK_SLACK[$t]))"
  check "$t: $rows usage rows = $answered requests Winston answered (winston_proxy_requests_total)" eq "$rows" "$answered"
  # The exact check: a client that waits for every answer.
  counted=$(node bench/proxy/count_requests.mjs --url "${URL[$t]}" --key "${KEY[$t]}" --n "$COUNT_N" --concurrency "$CONNS")
  ok=$(json_field ok <<<"$counted")
  quiesce "$t"
  rows2=$(sql "$t" "SELECT COUNT(*) FROM credit_usage")
  check "$t: exact: $COUNT_N requests, $ok answered 200, $((rows2 - rows)) new usage rows ($counted)" \
    eval "[[ $ok == $COUNT_N && $((rows2 - rows)) == $COUNT_N ]]"
  ROWS[$t]=$rows2
  open=$(sql "$t" "SELECT COUNT(*) FROM credit_reservations")
  check "$t: no reservation left open ($open)" eq "$open" 0
  ledger=$(sql "$t" "SELECT t.balance_mc - COALESCE((SELECT SUM(amount_mc) FROM credit_ledger l WHERE l.tenant_id = t.id), 0), t.reserved_mc FROM tenants t WHERE t.id = '${TENANT[$t]}'" | tr '|' ' ')
  check "$t: balance = sum of ledger, reserved = 0 (difference, reserved: $ledger)" eq "$ledger" "0 0"
  read -r l_rows u_rows < <(sql "$t" "SELECT (SELECT COUNT(*) FROM credit_ledger WHERE kind = 'usage'), (SELECT COUNT(*) FROM credit_usage WHERE credits_mc > 0)" | tr '|' ' ')
  check "$t: one usage ledger row per charged usage row ($l_rows ledger, $u_rows usage)" eq "$l_rows" "$u_rows"
  HWM[$t]=$(awk '/^VmHWM/ {print $2}' "/proc/${WPID[$t]}/status")
done

# ------------------------------------------------------------- streaming --
STREAM_JSON=""
if has sqlite && ((STREAMS > 0)); then
  # Own Winston for this test, so its peak RSS is the streams' and not the load test's.
  node bench/proxy/slow_sse.mjs --interval-ms 500 --chunks "$((STREAM_SECONDS * 2))" >"$TMP/slow_sse.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q LISTENING "$TMP/slow_sse.out" 2>/dev/null && break; sleep 0.1; done
  SSE_PORT=$(sed -n 's/^LISTENING //p' "$TMP/slow_sse.out")
  [[ -n $SSE_PORT ]] || die "slow_sse.mjs did not start: $(cat "$TMP/slow_sse.out")"
  fill bench/proxy/winston-stream.toml.in "$TMP/winston-stream.toml" "CANNED_PORT=$CANNED_PORT" "SSE_PORT=$SSE_PORT"
  start_winston streams "sqlite:$TMP/streams/winston.db" "$TMP/winston-stream.toml"
  read -r s_tenant s_key < <(new_key streams "$W_API")
  [[ -n $s_key ]] || die "could not create a tenant and key on Winston (streams); see $TMP/streams.log"
  log "holding $STREAMS concurrent streams (~${STREAM_SECONDS}s each) through Winston pid $W_PID"
  STREAM_JSON=$(node bench/proxy/streams.mjs --url "http://127.0.0.1:$W_PROXY/v1/chat/completions" --key "$s_key" \
    --n "$STREAMS" --pid "$W_PID" --metrics "http://127.0.0.1:$W_PROXY/metrics" --admin-token "$ADMIN_TOKEN")
  completed=$(json_field completed <<<"$STREAM_JSON")
  STREAM_HWM=$(json_field vmhwm_kb <<<"$STREAM_JSON")
  for _ in $(seq 1 100); do
    [[ $(sqlite3 "$TMP/streams/winston.db" "SELECT COUNT(*) FROM credit_reservations") == 0 ]] && break; sleep 0.1
  done
  s_rows=$(sqlite3 "$TMP/streams/winston.db" "SELECT COUNT(*) FROM credit_usage WHERE status = 'ok'")
  check "streams: $completed of $STREAMS completed with [DONE]" eq "$completed" "$STREAMS"
  check "streams: $s_rows ok usage rows for $completed completed streams" eq "$s_rows" "$completed"
fi

# ----------------------------------------------------------------- report --
declare -A RPS P50 P99 OVH QUIET_N
for t in $TARGETS; do
  f=$TMP/results/$t.runs
  QUIET_N[$t]=$(awk '$7 == 1' "$f" | wc -l)
  sel() { if ((QUIET_N[$t] > 0)); then awk -v c="$1" '$7 == 1 && $c != "-" {print $c}' "$f"; else awk -v c="$1" '$c != "-" {print $c}' "$f"; fi; }
  RPS[$t]=$(sel 1 | median)
  P50[$t]=$(sel 2 | median)
  P99[$t]=$(sel 3 | median)
  OVH[$t]=$(sel 4 | median)
done
label() {
  case $1 in
    direct) echo "direct (canned nginx)" ;;
    nginx) echo "nginx reverse proxy" ;;
    sqlite) echo "Winston, SQLite" ;;
    postgres) echo "Winston, PostgreSQL (fsync=off)" ;;
  esac
}
verdict() { if (($1)); then echo "met"; else echo "MISSED"; fi; }

echo
echo "## Proxy benchmark — $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores, $MODEL; load average before $LOAD_BEFORE, after $LOAD_AFTER (ours included)."
echo "Other processes' CPU in the 1 s before / after each run (%): $(cat "$TMP"/results/*.runs | awk '{printf "%s/%s ", $5, $6}')"
echo "Medians over quiet runs (others < ${QUIET_PCT}% CPU before and after); * = not quiet; waited ${QUIET_SPENT}s for quiet."
KNOBS=$(env | grep '^BENCH_' | grep -v '^BENCH_UPSTREAM_KEY=' | sort | tr '\n' ' ' || true)
echo "Command: ${KNOBS}scripts/bench-proxy.sh (runs=$RUNS, ${DURATION}s each, wrk -t$THREADS -c$CONNS for req/s, wrk -t1 -c1 --latency for p50/p99; medians)."
echo
echo "| target | req/s @$CONNS | p50 @1 (µs) | p99 @1 (µs) | quiet runs | every run: req/s, p50 |"
echo "|---|---:|---:|---:|---:|---|"
for t in $TARGETS; do
  printf '| %s | %.0f | %.0f | %.0f | %s of %s | %s |\n' "$(label "$t")" "${RPS[$t]}" "${P50[$t]}" "${P99[$t]}" "${QUIET_N[$t]}" \
    "$(wc -l <"$TMP/results/$t.runs")" "$(awk '{printf "%s%.0f, %s; ", ($7 == 1 ? "" : "*"), $1, $2}' "$TMP/results/$t.runs" | sed 's/; $//')"
done
echo
for t in sqlite postgres; do
  has "$t" || continue
  if has direct; then
    added=$(awk -v a="${P50[$t]}" -v b="${P50[direct]}" 'BEGIN {printf "%.0f", a - b}')
    echo "- Winston ($t) added p50 over direct: ${added} µs (target ≤ 60 µs: $(verdict "$((added <= 60))")); Winston's own overhead metric at 1 connection (mean, total minus upstream): ${OVH[$t]} µs"
  fi
  if has nginx; then
    ratio=$(awk -v a="${RPS[$t]}" -v b="${RPS[nginx]}" 'BEGIN {printf "%.0f", 100 * a / b}')
    echo "- Winston ($t) throughput vs nginx reverse proxy: ${ratio} % (target ≥ 50 %: $(verdict "$((ratio >= 50))")); peak RSS under this load $((HWM[$t] / 1024)) MB"
  fi
done
if [[ -n $STREAM_JSON ]]; then
  echo "- Streaming: $STREAMS concurrent streams, $(json_field completed <<<"$STREAM_JSON") completed; Winston RSS $(( $(json_field rss_before_kb <<<"$STREAM_JSON") / 1024 )) MB idle, peak (VmHWM) $((STREAM_HWM / 1024)) MB, $(( $(json_field rss_after_kb <<<"$STREAM_JSON") / 1024 )) MB after (target peak < 150 MB: $(verdict "$((STREAM_HWM < RSS_TARGET_KB))"))"
  echo "  $STREAM_JSON"
fi
echo
echo "Checks:"
for c in "${CHECKS[@]}"; do echo "  $c"; done
if [[ -s $TMP/results/errors ]]; then echo "  (wrk saw errors or non-2xx answers: $(paste -sd, "$TMP/results/errors"))"; fi
if ((FAIL)); then
  log "a correctness check FAILED"
  exit 1
fi
log "all checks passed"

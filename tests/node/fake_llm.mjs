#!/usr/bin/env node
// A tiny fake LLM provider for debugging the Node-side test scripts and the
// OpenClaw recipe: Anthropic Messages and OpenAI Chat Completions, streaming
// and not, plus each API's error shape. No dependencies; Node >= 18.
//
//   node fake_llm.mjs [--port N] [--log FILE] [--dump-dir DIR] [--reply TEXT]
//
// On start prints ONE line on stdout: {"listening":true,"port":N,"url":"http://127.0.0.1:N"}
// (port 0 = pick a free one). Every request is appended as one JSON line to
// --log (method, path, all headers, body size, a summary of the JSON body) and
// summarised on stderr; --dump-dir also writes each request body to
// DIR/<n>.json. SIGTERM/SIGINT exit cleanly.
//
// Routes (with or without the /v1 prefix):
//   POST /v1/messages            Anthropic; "stream": true gives SSE events
//   POST /v1/chat/completions    OpenAI; "stream": true gives SSE chunks, with a
//                                final usage chunk only if stream_options.include_usage
//   GET  /v1/models              a one-model list
//   GET  /healthz                {"ok":true}
// The API key (x-api-key, or Authorization: Bearer) selects failures: a key
// "fail-<status>" (e.g. fail-401, fail-402, fail-429, fail-500) answers that
// status in the API's own error shape; so does a request header
// "x-fake-status: <status>". Any other key succeeds with the reply text
// (--reply, env FAKE_LLM_REPLY, default "pong from fake-llm").
// POST /_fake/fail {"status":402,"message":"..."} makes every model call fail
// that way until POST /_fake/fail {"status":0} (for clients whose key is fixed).
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";

const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const PORT = Number(opt("--port", process.env.FAKE_LLM_PORT ?? 0));
const LOG = opt("--log", process.env.FAKE_LLM_LOG);
const DUMP = opt("--dump-dir", process.env.FAKE_LLM_DUMP_DIR);
const REPLY = opt("--reply", process.env.FAKE_LLM_REPLY ?? "pong from fake-llm");
if (DUMP) mkdirSync(DUMP, { recursive: true });

let seq = 0;
let forced = { status: 0, message: null }; // set by POST /_fake/fail
const words = (s) => s.split(/(?<= )/); // keeps the spaces: "a b" -> ["a ", "b"]
const approxTokens = (s) => Math.max(1, Math.ceil(s.length / 4));

const ANTHROPIC_ERR = {
  400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
  403: "permission_error", 404: "not_found_error", 413: "request_too_large",
  429: "rate_limit_error", 500: "api_error", 503: "api_error", 529: "overloaded_error",
};
const OPENAI_ERR = {
  400: ["invalid_request_error", null], 401: ["invalid_request_error", "invalid_api_key"],
  402: ["insufficient_quota", "insufficient_quota"], 403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"], 429: ["requests", "rate_limit_exceeded"],
  500: ["server_error", null], 503: ["server_error", null],
};

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sse(res, headers) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", ...headers });
}

function keyOf(req) {
  const x = req.headers["x-api-key"];
  if (x) return String(x);
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  return m ? m[1] : "";
}

function failureStatus(req) {
  if (forced.status) return forced.status;
  const h = Number(req.headers["x-fake-status"]);
  if (h >= 400) return h;
  const m = /^fail-(\d{3})$/.exec(keyOf(req));
  return m ? Number(m[1]) : 0;
}

function promptText(body) {
  const parts = [];
  const walk = (v) => {
    if (typeof v === "string") parts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") { if (typeof v.text === "string") parts.push(v.text); else if (v.content) walk(v.content); }
  };
  walk(body.system);
  walk(body.messages);
  return parts.join("\n");
}

function anthropic(req, res, body, rid) {
  const status = failureStatus(req);
  const hdr = { "request-id": rid };
  if (status) {
    const type = ANTHROPIC_ERR[status] ?? "api_error";
    return send(res, status, { type: "error", error: { type, message: forced.message ?? `fake-llm: ${type} (status ${status})` }, request_id: rid }, hdr);
  }
  const id = `msg_fake_${seq}`;
  const model = body.model ?? "fake";
  const input_tokens = approxTokens(promptText(body));
  const output_tokens = approxTokens(REPLY);
  if (!body.stream) {
    return send(res, 200, {
      id, type: "message", role: "assistant", model,
      content: [{ type: "text", text: REPLY }],
      stop_reason: "end_turn", stop_sequence: null,
      usage: { input_tokens, output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    }, hdr);
  }
  sse(res, hdr);
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev("message_start", { message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } });
  ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
  ev("ping", {});
  for (const w of words(REPLY)) ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: w } });
  ev("content_block_stop", { index: 0 });
  ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens } });
  ev("message_stop", {});
  res.end();
}

function openai(req, res, body, rid) {
  const status = failureStatus(req);
  const hdr = { "x-request-id": rid };
  if (status) {
    const [type, code] = OPENAI_ERR[status] ?? ["server_error", null];
    return send(res, status, { error: { message: forced.message ?? `fake-llm: ${code ?? type} (status ${status})`, type, code, param: null } }, hdr);
  }
  const id = `chatcmpl-fake${seq}`;
  const model = body.model ?? "fake";
  const created = Math.floor(Date.now() / 1000);
  const prompt_tokens = approxTokens(promptText(body));
  const completion_tokens = approxTokens(REPLY);
  const usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
  if (!body.stream) {
    return send(res, 200, {
      id, object: "chat.completion", created, model,
      choices: [{ index: 0, message: { role: "assistant", content: REPLY, refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage,
    }, hdr);
  }
  sse(res, hdr);
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices, extra = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`);
  chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
  for (const w of words(REPLY)) chunk([{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }]);
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
  if (includeUsage) chunk([], { usage });
  res.write("data: [DONE]\n\n");
  res.end();
}

function record(req, raw, body) {
  const entry = {
    seq, t: Date.now(), method: req.method, path: req.url, headers: req.headers, body_bytes: raw.length,
    summary: body && {
      model: body.model, stream: body.stream, stream_options: body.stream_options,
      max_tokens: body.max_tokens, max_completion_tokens: body.max_completion_tokens,
      messages: body.messages?.length, tools: body.tools?.length, system_chars: typeof body.system === "string" ? body.system.length : undefined,
      keys: Object.keys(body),
    },
  };
  if (LOG) appendFileSync(LOG, JSON.stringify(entry) + "\n");
  if (DUMP && raw.length) writeFileSync(path.join(DUMP, `${seq}.json`), raw);
  process.stderr.write(`fake-llm #${seq} ${req.method} ${req.url} ${raw.length}B key=${keyOf(req) ? "set" : "none"} stream=${body?.stream ?? "-"}\n`);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    seq++;
    const raw = Buffer.concat(chunks);
    let body = null;
    if (raw.length) {
      try { body = JSON.parse(raw.toString("utf8")); } catch { body = null; }
    }
    record(req, raw, body);
    const rid = `req_fake_${seq}`;
    const p = (req.url ?? "/").split("?")[0].replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "");
    if (req.method === "GET" && p === "/healthz") return send(res, 200, { ok: true });
    if (req.method === "POST" && p === "/_fake/fail") {
      forced = { status: Number(body?.status) || 0, message: body?.message ?? null };
      return send(res, 200, forced);
    }
    if (req.method === "GET" && p === "/models") return send(res, 200, { object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }] });
    if (req.method === "POST" && (p === "/messages" || p === "/chat/completions")) {
      if (!body) return send(res, 400, { error: { message: "fake-llm: body is not JSON", type: "invalid_request_error" } });
      return p === "/messages" ? anthropic(req, res, body, rid) : openai(req, res, body, rid);
    }
    send(res, 404, { error: { message: `fake-llm: no route ${req.method} ${req.url}`, type: "not_found" } });
  });
});

server.listen(PORT, "127.0.0.1", () => {
  const port = server.address().port;
  process.stdout.write(JSON.stringify({ listening: true, port, url: `http://127.0.0.1:${port}` }) + "\n");
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => { server.close(); process.exit(0); });

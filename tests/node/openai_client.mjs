#!/usr/bin/env node
// One Chat Completions call through the official `openai` SDK, for the proxy's
// tests. Usage:  node openai_client.mjs create|stream|stream_usage|error|stream_error|models
//
// Environment: WINSTON_PROXY_URL (e.g. http://127.0.0.1:PORT; "/v1" is
// appended, the SDK then posts to /v1/chat/completions), WINSTON_API_KEY (sent
// as Authorization: Bearer), WINSTON_MODEL, optional WINSTON_PROMPT (default
// "Say hello."), WINSTON_MAX_TOKENS (64), WINSTON_NODE_DEPS (see deps.mjs).
//
// Prints ONE line of JSON on stdout:
//   create        {"ok":true,"id","model","text","finish_reason","usage":{...}}
//   stream        stream:true without stream_options: the same plus "events"
//                 (chunks received); "usage" is whatever chunks carried (null
//                 when none did, which is what OpenAI does without include_usage)
//   stream_usage  stream:true, stream_options:{include_usage:true}; same shape
//   error         {"ok":false,"status","class","code","type","param","message","request_id"}
//   stream_error  the same, for a streaming request
//   models        {"ok":true,"ids":[...]}: client.models.list(), every page
// Exit 0 when the call behaved as the mode expects, 1 when it did not (the
// JSON then has "unexpected": true), 2 on a harness problem.
import { HarnessError, importDep, requireEnv, run } from "./deps.mjs";

const MODES = ["create", "stream", "stream_usage", "error", "stream_error", "models"];

function errorJson(err) {
  return {
    ok: false,
    status: err?.status ?? null,
    class: err?.constructor?.name ?? typeof err,
    // The SDK keeps body.error in err.error and copies code/type/param from it.
    code: err?.code ?? null,
    type: err?.type ?? null,
    param: err?.param ?? null,
    message: String(err?.message ?? err),
    request_id: err?.requestID ?? null,
  };
}

async function create(client, params) {
  const r = await client.chat.completions.create(params);
  return {
    ok: true,
    id: r.id,
    model: r.model,
    text: r.choices?.[0]?.message?.content ?? "",
    finish_reason: r.choices?.[0]?.finish_reason ?? null,
    usage: r.usage ?? null,
  };
}

async function stream(client, params) {
  const s = await client.chat.completions.create({ ...params, stream: true });
  let events = 0;
  let text = "";
  let id = null;
  let model = null;
  let finish = null;
  let usage = null;
  for await (const chunk of s) {
    events++;
    id ??= chunk.id ?? null;
    model ??= chunk.model ?? null;
    for (const c of chunk.choices ?? []) {
      if (typeof c.delta?.content === "string") text += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { ok: true, id, model, text, finish_reason: finish, usage, events };
}

async function models(client) {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  return { ok: true, ids };
}

await run(async () => {
  const mode = process.argv[2];
  if (!MODES.includes(mode)) throw new HarnessError(`usage: openai_client.mjs ${MODES.join("|")}`);
  const baseURL = requireEnv("WINSTON_PROXY_URL").replace(/\/+$/, "") + "/v1";
  const apiKey = requireEnv("WINSTON_API_KEY");
  const model = mode === "models" ? "" : requireEnv("WINSTON_MODEL");
  const { default: OpenAI } = await importDep("openai");
  // organization/project: null so OPENAI_ORG_ID / OPENAI_PROJECT_ID in the
  // environment cannot add headers.
  const client = new OpenAI({ baseURL, apiKey, organization: null, project: null, maxRetries: 0, timeout: 60_000 });
  const params = {
    model,
    max_tokens: Number(process.env.WINSTON_MAX_TOKENS ?? 64),
    messages: [{ role: "user", content: process.env.WINSTON_PROMPT ?? "Say hello." }],
  };
  if (mode === "stream_usage") params.stream_options = { include_usage: true };
  const wantError = mode === "error" || mode === "stream_error";
  let result;
  try {
    if (mode === "models") result = await models(client);
    else result = mode.startsWith("stream") ? await stream(client, params) : await create(client, params);
  } catch (err) {
    const j = errorJson(err);
    return wantError ? [j, 0] : [{ ...j, unexpected: true }, 1];
  }
  return wantError ? [{ ...result, unexpected: true }, 1] : [result, 0];
});

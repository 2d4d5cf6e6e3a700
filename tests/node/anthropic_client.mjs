#!/usr/bin/env node
// One Messages API call through the official @anthropic-ai/sdk, for the proxy's
// tests. Usage:  node anthropic_client.mjs create|stream|error|stream_error|models
//
// Environment: WINSTON_PROXY_URL (e.g. http://127.0.0.1:PORT; the SDK appends
// /v1/messages), WINSTON_API_KEY (SDK 1.x sends it as "Authorization: Bearer",
// not x-api-key, with anthropic-version: 2026-10-21), WINSTON_MODEL,
// optional WINSTON_PROMPT (default "Say hello."), WINSTON_MAX_TOKENS (64),
// WINSTON_NODE_DEPS (see deps.mjs).
//
// Prints ONE line of JSON on stdout:
//   create        {"ok":true,"id","model","text","stop_reason","usage":{...}}
//   stream        the same plus "events": number of stream events received
//   error         {"ok":false,"status","class","type","api_message","message","request_id"}
//   stream_error  the same, for a streaming request
//   models        {"ok":true,"ids":[...]}: client.models.list(), every page
// Exit 0 when the call behaved as the mode expects (success for create/stream,
// a thrown error for error/stream_error), 1 when it did not (the JSON then
// describes what happened instead, with "unexpected": true), 2 on a harness
// problem (bad mode, missing environment, dependencies not installed).
import { HarnessError, importDep, requireEnv, run } from "./deps.mjs";

const MODES = ["create", "stream", "error", "stream_error", "models"];

function errorJson(err) {
  return {
    ok: false,
    status: err?.status ?? null,
    class: err?.constructor?.name ?? typeof err,
    // The SDK keeps the whole body in err.error: {"type":"error","error":{"type","message"}}.
    type: err?.error?.error?.type ?? null,
    // The server's own error.message (err.message is "<status> <JSON body>").
    api_message: err?.error?.error?.message ?? null,
    message: String(err?.message ?? err),
    request_id: err?.requestID ?? null,
  };
}

async function create(client, params) {
  const msg = await client.messages.create(params);
  return {
    ok: true,
    id: msg.id,
    model: msg.model,
    text: msg.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
    stop_reason: msg.stop_reason ?? null,
    usage: msg.usage,
  };
}

async function stream(client, params) {
  const s = client.messages.stream(params);
  let events = 0;
  let text = "";
  for await (const ev of s) {
    events++;
    if (ev.type === "content_block_delta" && ev.delta?.type === "text_delta") text += ev.delta.text;
  }
  const msg = await s.finalMessage();
  return {
    ok: true,
    id: msg.id,
    model: msg.model,
    text,
    stop_reason: msg.stop_reason ?? null,
    usage: msg.usage,
    events,
  };
}

async function models(client) {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  return { ok: true, ids };
}

await run(async () => {
  const mode = process.argv[2];
  if (!MODES.includes(mode)) throw new HarnessError(`usage: anthropic_client.mjs ${MODES.join("|")}`);
  const baseURL = requireEnv("WINSTON_PROXY_URL");
  const apiKey = requireEnv("WINSTON_API_KEY");
  const model = mode === "models" ? "" : requireEnv("WINSTON_MODEL");
  const { default: Anthropic } = await importDep("@anthropic-ai/sdk");
  // authToken: null so an ANTHROPIC_AUTH_TOKEN in the environment cannot add
  // an Authorization header next to x-api-key.
  const client = new Anthropic({ baseURL, apiKey, authToken: null, maxRetries: 0, timeout: 60_000 });
  const params = {
    model,
    max_tokens: Number(process.env.WINSTON_MAX_TOKENS ?? 64),
    messages: [{ role: "user", content: process.env.WINSTON_PROMPT ?? "Say hello." }],
  };
  const wantError = mode === "error" || mode === "stream_error";
  let result;
  try {
    if (mode === "models") result = await models(client);
    else result = mode === "stream" || mode === "stream_error" ? await stream(client, params) : await create(client, params);
  } catch (err) {
    const j = errorJson(err);
    return wantError ? [j, 0] : [{ ...j, unexpected: true }, 1];
  }
  return wantError ? [{ ...result, unexpected: true }, 1] : [result, 0];
});

// A slow OpenAI-compatible streaming upstream for the proxy's memory test.
// POST /v1/chat/completions answers with Server-Sent Events: one content
// chunk every --interval-ms for --chunks chunks, a finish chunk, a usage-only
// chunk (as OpenAI sends with stream_options.include_usage), then [DONE].
// Prints "LISTENING <port>" once it accepts connections.
//
//   node bench/proxy/slow_sse.mjs [--port 0] [--interval-ms 500] [--chunks 20]
import http from 'node:http';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const port = arg('port', 0);
const intervalMs = arg('interval-ms', 500);
const chunks = arg('chunks', 20);

let open = 0;
let served = 0;

const chunk = (delta, finish) => JSON.stringify({
  id: 'chatcmpl-slow', object: 'chat.completion.chunk', created: 1700000000, model: 'slow-sse',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  req.resume();
  req.on('end', () => {
    open++;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`data: ${chunk({ role: 'assistant', content: '' }, null)}\n\n`);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < chunks) {
        res.write(`data: ${chunk({ content: `token${sent} ` }, null)}\n\n`);
        sent++;
        return;
      }
      clearInterval(timer);
      res.write(`data: ${chunk({}, 'stop')}\n\n`);
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-slow', object: 'chat.completion.chunk', created: 1700000000,
        model: 'slow-sse', choices: [], usage: { prompt_tokens: 12, completion_tokens: chunks, total_tokens: 12 + chunks } })}\n\n`);
      res.end('data: [DONE]\n\n');
      open--;
      served++;
    }, intervalMs);
    res.on('close', () => {
      if (!res.writableEnded) { clearInterval(timer); open--; }
    });
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', 4096, () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(`slow_sse: served ${served}, open ${open}\n`);
  process.exit(0);
});

// Sends exactly --n non-streaming chat completions over --concurrency
// keep-alive connections, waits for every answer, and prints one JSON line
// with the count per HTTP status. scripts/bench-proxy.sh compares the 200s
// with the credit_usage rows the proxy wrote for them.
//
//   node bench/proxy/count_requests.mjs --url http://127.0.0.1:PORT/v1/chat/completions --key wsk_... --n 5000 --concurrency 32
import http from 'node:http';

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const url = new URL(opt('url'));
const key = opt('key', '');
const n = Number(opt('n', 5000));
const concurrency = Number(opt('concurrency', 32));
const body = '{"model":"kimi-k2.5","max_completion_tokens":16,"messages":[{"role":"user","content":"hi"}]}';
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

const statuses = {};
let errors = 0;
let next = 0;

function once() {
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        ...(key ? { authorization: `Bearer ${key}` } : {}) },
    }, (res) => {
      res.resume();
      res.on('end', () => { statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; resolve(); });
      res.on('error', () => { errors++; resolve(); });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end(body);
  });
}

async function worker() {
  while (next < n) {
    next++;
    await once();
  }
}

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
agent.destroy();
console.log(JSON.stringify({ sent: n, statuses, errors, ok: statuses[200] || 0, seconds: +seconds.toFixed(3) }));

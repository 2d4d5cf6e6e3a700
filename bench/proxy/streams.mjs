// Opens --n streaming chat completions through the proxy at once and holds
// them until the (slow) upstream finishes, while sampling the proxy process's
// memory from /proc/<pid>/status (VmRSS every 100 ms, VmHWM = kernel's peak).
// Prints one JSON line: streams opened / completed, the peak number open at
// once (client side and winston_proxy_open_streams), RSS before, peak, after.
//
//   node bench/proxy/streams.mjs --url http://127.0.0.1:PORT/v1/chat/completions --key wsk_... \
//        --n 1000 --pid WINSTON_PID --metrics http://127.0.0.1:PORT/metrics --admin-token T
import http from 'node:http';
import fs from 'node:fs';

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const url = new URL(opt('url'));
const key = opt('key', '');
const n = Number(opt('n', 1000));
const pid = opt('pid');
const metricsUrl = opt('metrics', '');
const adminToken = opt('admin-token', '');
const model = opt('model', 'bench-slow-sse');
const timeoutMs = Number(opt('timeout-ms', 120000));
const body = JSON.stringify({ model, stream: true, max_completion_tokens: 64,
  messages: [{ role: 'user', content: 'stream to me, slowly' }] });

function mem() {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), threads: Number((s.match(/^Threads:\s+(\d+)/m) || [0, 0])[1]) };
}

function openStreamsMetric() {
  if (!metricsUrl) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = http.get(metricsUrl, { headers: { authorization: `Bearer ${adminToken}` }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const m = text.match(/^winston_proxy_open_streams (\d+)/m);
        resolve(m ? Number(m[1]) : null);
      });
    });
    req.on('error', () => resolve(null));
    req.setTimeout(5000, () => { req.destroy(); resolve(null); });
  });
}

const before = mem();
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let headers = 0;
let open = 0;
let maxOpen = 0;
let completed = 0;
let failed = 0;
let peakRss = before.rss;
let rssAllOpen = null;
let metricAllOpen = null;
let metricPeak = 0;
const failures = {};

const sampler = setInterval(() => {
  const m = mem();
  peakRss = Math.max(peakRss, m.rss);
}, 100);
const metricSampler = setInterval(async () => {
  const v = await openStreamsMetric();
  if (v !== null) metricPeak = Math.max(metricPeak, v);
}, 1000);

function one() {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      if (ok) completed++; else { failed++; failures[why] = (failures[why] || 0) + 1; }
      resolve();
    };
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    }, async (res) => {
      headers++;
      if (res.statusCode !== 200) { res.resume(); finish(false, `status ${res.statusCode}`); return; }
      open++;
      maxOpen = Math.max(maxOpen, open);
      if (open === n && rssAllOpen === null) {
        rssAllOpen = mem().rss;
        metricAllOpen = await openStreamsMetric();
      }
      let tail = '';
      let sawError = false;
      res.setEncoding('utf8');
      res.on('data', (d) => {
        tail = (tail + d).slice(-256);
        if (d.includes('"error"')) sawError = true;
      });
      res.on('end', () => {
        open--;
        finish(!sawError && tail.includes('data: [DONE]'), sawError ? 'error event' : 'no [DONE]');
      });
      res.on('error', () => { open--; finish(false, 'response error'); });
    });
    req.on('error', (e) => finish(false, e.code || e.message));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

const started = Date.now();
await Promise.all(Array.from({ length: n }, one));
const seconds = (Date.now() - started) / 1000;
clearInterval(sampler);
clearInterval(metricSampler);
await new Promise((r) => setTimeout(r, 1000));
const after = mem();
agent.destroy();
console.log(JSON.stringify({
  streams: n, completed, failed, failures, max_open_client: maxOpen,
  open_streams_metric_all_open: metricAllOpen, open_streams_metric_peak: metricPeak,
  rss_before_kb: before.rss, rss_all_open_kb: rssAllOpen, rss_peak_sampled_kb: peakRss,
  vmhwm_kb: after.hwm, rss_after_kb: after.rss, threads: after.threads, seconds,
}));

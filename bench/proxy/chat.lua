-- wrk script: the one request every target gets, byte for byte the same.
-- BENCH_KEY (a Winston tenant key) is sent as Authorization: Bearer; nginx
-- ignores it. No request()/response() functions, so wrk builds the request
-- once and does no per-response Lua work. done() prints one machine-readable
-- line that scripts/bench-proxy.sh parses (latencies in microseconds).
wrk.method = "POST"
wrk.body = '{"model":"kimi-k2.5","max_completion_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BENCH_KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end

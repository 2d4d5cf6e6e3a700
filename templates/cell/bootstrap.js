
"use strict";
const fs = require("fs"), path = require("path"), { spawn } = require("child_process");
const env = process.env;
const log = (m) => console.error(`winston-bootstrap: ${m}`);
const need = (n) => { if (!env[n]) { log(`${n} is not set`); process.exit(2); } return env[n]; };
const proxy = need("WINSTON_PROXY_URL").replace(/\/+$/, "");
const version = need("WINSTON_SNAPSHOT_VERSION");
const key = need("WINSTON_API_KEY");
const stateDir = need("OPENCLAW_STATE_DIR");
const workspace = need("OPENCLAW_WORKSPACE_DIR");
const entry = env.OPENCLAW_ENTRY || "/app/openclaw.mjs";
const port = env.OPENCLAW_GATEWAY_PORT || "8080";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fetchSnapshot() {
  const url = `${proxy}/v1/cell/config/${encodeURIComponent(version)}`;
  for (let attempt = 1; ; attempt++) {
    let problem;
    try {
      const r = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30000) });
      if (r.ok) return await r.json();
      problem = `HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`;
      if (r.status < 500 && r.status !== 429) throw Object.assign(new Error(problem), { fatal: true });
    } catch (e) {
      if (e.fatal) throw e;
      problem = problem || String(e.message || e);
    }
    if (attempt >= 8) throw new Error(`cannot fetch snapshot ${version}: ${problem}`);
    log(`fetching snapshot ${version} failed (${problem}); retry ${attempt}`);
    await sleep(Math.min(30000, 500 * 2 ** attempt));
  }
}

function target(rel) {
  if (typeof rel !== "string" || rel.startsWith("/") || rel.includes("\\") || rel.split("/").some((p) => p === ".." || p === "" || p === ".")) {
    throw new Error(`refusing snapshot path ${JSON.stringify(rel)}`);
  }
  if (rel === "openclaw.json") return path.join(stateDir, "openclaw.json");
  if (rel.startsWith("workspace/")) return path.join(workspace, rel.slice("workspace/".length));
  throw new Error(`unexpected snapshot path ${JSON.stringify(rel)}`);
}

function writeAtomic(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.winston-tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

(async () => {
  const snap = await fetchSnapshot();
  if (String(snap.version) !== String(version) || !snap.files || typeof snap.files !== "object") {
    throw new Error("the snapshot answer does not match the requested version");
  }
  const written = Object.keys(snap.files).map(target);
  Object.entries(snap.files).forEach(([rel, content]) => writeAtomic(target(rel), String(content)));
  // Files the previous snapshot wrote and this one does not (a disabled skill)
  // are removed, and so are the workspace directories that leaves empty.
  const manifest = path.join(stateDir, "winston-files.json");
  const prune = (dir) => {
    for (; dir.startsWith(workspace + path.sep); dir = path.dirname(dir)) {
      try { fs.rmdirSync(dir); } catch (_) { return; }  // not empty (or gone): stop
    }
  };
  try {
    for (const old of JSON.parse(fs.readFileSync(manifest, "utf8"))) {
      if (!written.includes(old)) { fs.rmSync(old, { force: true }); prune(path.dirname(old)); }
    }
  } catch (_) { /* first start */ }
  writeAtomic(manifest, JSON.stringify(written));
  log(`snapshot ${version} written (${written.length} files); starting the gateway`);
  const child = spawn(process.execPath, [entry, "gateway", "run", "--port", port, "--bind", "lan"], {
    stdio: "inherit",
    env: { ...env, OPENCLAW_CONFIG_PATH: path.join(stateDir, "openclaw.json"), WINSTON_CELL_BOOTSTRAP: "" },
  });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGTERM" ? 0 : 1)));
})().catch((e) => { log(e.message); process.exit(1); });

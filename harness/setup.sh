#!/usr/bin/env bash
# Installs the Pairline real-VS-Code harness: Debian chromium + ripgrep + libkrb5-dev,
# then code-server 4.100.3 and playwright-core via `npm ci` in this folder.
#
# Idempotent: a stamp in node_modules/ keyed on the lockfile hash (and Node version) makes a
# second run finish in seconds. Force a reinstall with `rm -rf harness/node_modules`.
# Needs root (apt-get), Node 20, access to the npm registry and Debian apt. No other network.
set -euo pipefail

HARNESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HARNESS_DIR"

log() { printf '[harness-setup] %s\n' "$*"; }
t0=$SECONDS

# ---------------------------------------------------------------------------------------------
# 1. Debian packages (apt-get update only when something is missing).
# ---------------------------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages (${missing[*]}) and not root: install them first"; exit 1
  fi
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt: chromium, ripgrep, libkrb5-dev present"
fi
[[ -x /usr/bin/chromium ]] || { log "expected /usr/bin/chromium after install"; exit 1; }
RG_BIN="$(command -v rg)"

# ---------------------------------------------------------------------------------------------
# 2. Node check + fast path.
# ---------------------------------------------------------------------------------------------
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != "20" ]]; then
  log "WARNING: code-server 4.100.3 needs Node 20, found $(node -v)"
fi
[[ -f package-lock.json ]] || { log "package-lock.json missing (it is committed; run 'npm install' here once to regenerate)"; exit 1; }

STAMP="node_modules/.pairline-harness-stamp"
want="$(cat package-lock.json package.json | sha256sum | cut -d' ' -f1) node-$(node -v)"
entry="node_modules/code-server/out/node/entry.js"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -f "$entry" && -f node_modules/playwright-core/package.json ]]; then
  log "npm: up to date (stamp matches lockfile) - done in $((SECONDS - t0))s"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# 3. Pre-seed the @vscode/ripgrep download cache with Debian's rg (its postinstall would
#    otherwise download from GitHub). download.js looks for
#    ${os.tmpdir()}/vscode-ripgrep-cache-<pkgVersion>/ripgrep-<rgVersion>-<target>.tar.gz
#    and untars it expecting `rg` at the archive root.
# ---------------------------------------------------------------------------------------------
case "$(uname -m)" in
  x86_64) rg_target="x86_64-unknown-linux-musl" ;;
  aarch64) rg_target="aarch64-unknown-linux-musl" ;;
  *) log "unsupported arch $(uname -m)"; exit 1 ;;
esac
tmp_root="${TMPDIR:-/tmp}"
# Versions of @vscode/ripgrep: 1.15.11 (pinned by code-server 4.100.3's own install) plus any
# version listed in our lockfile.
rg_pkg_versions="$(node -e '
  const l = require("./package-lock.json"); const v = new Set(["1.15.11"]);
  for (const [k, p] of Object.entries(l.packages || {})) if (k.endsWith("node_modules/@vscode/ripgrep") && p.version) v.add(p.version);
  console.log([...v].join(" "));')"
stage="$(mktemp -d)"
cp "$RG_BIN" "$stage/rg"
for pv in $rg_pkg_versions; do
  cache_dir="$tmp_root/vscode-ripgrep-cache-$pv"
  asset="$cache_dir/ripgrep-v13.0.0-10-$rg_target.tar.gz"
  if [[ ! -s "$asset" ]]; then
    mkdir -p "$cache_dir"
    tar -czf "$asset" -C "$stage" rg
    log "ripgrep: seeded $asset"
  fi
done
rm -rf "$stage"

# ---------------------------------------------------------------------------------------------
# 4. npm ci (root-safe: unsafe_perm for install scripts, yes for node-pty's `npx node-gyp`).
# ---------------------------------------------------------------------------------------------
export npm_config_unsafe_perm=true npm_config_yes=true
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
log "npm ci (code-server + playwright-core; ~1.5 min cold)..."
npm_log="$(mktemp)"
if ! npm ci --no-audit --no-fund >"$npm_log" 2>&1; then
  tail -n 60 "$npm_log"; log "npm ci failed (full log: $npm_log)"; exit 1
fi
rm -f "$npm_log"

# Sanity checks: the files the harness actually needs.
[[ -f "$entry" ]] || { log "code-server entry.js missing after npm ci"; exit 1; }
if ! find node_modules/code-server -path '*@vscode/ripgrep/bin/rg' -type f | grep -q .; then
  log "WARNING: no @vscode/ripgrep/bin/rg found under code-server (search in workbench may fail)"
fi
node "$entry" --version >/dev/null || { log "code-server --version failed"; exit 1; }

echo "$want" > "$STAMP"
log "done in $((SECONDS - t0))s"

#!/usr/bin/env bash
# End-to-end test of the packaged extension in a real VS Code (code-server 4.100.3 = VS Code
# 1.100.3, the newest line that runs on Node 20), driven through its UI by playwright-core and
# Debian's chromium. scripts/test runs it after packaging the .vsix:
#   VSIX=editors/vscode/ambient-lsp.vsix SERVER=target/release/ambient-lsp editors/vscode/test/e2e/run.sh
# Needs (apt, scripts/test installs them): chromium, ripgrep, libkrb5-dev, a C++ toolchain and
# Node 20 with its headers in /usr/include/node. UPDATE_SCREENSHOTS=1 writes the screenshots
# to docs/screenshots instead of target/e2e/screenshots.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
export VSIX="${VSIX:-$repo/editors/vscode/ambient-lsp.vsix}"
export SERVER="${SERVER:-$repo/target/release/ambient-lsp}"
export CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
[ -f "$VSIX" ] || { echo "no .vsix at $VSIX (cd editors/vscode && npm run package)" >&2; exit 2; }
[ -x "$SERVER" ] || { echo "ambient-lsp not found at $SERVER (set SERVER)" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "chromium not found (apt-get install chromium)" >&2; exit 2; }
cd "$here"

installed="$(node -p 'try { require("./node_modules/code-server/package.json").version } catch { "" }')"
if [ "$installed" != "4.100.3" ] || [ ! -x node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg ]; then
  command -v rg >/dev/null || { echo "ripgrep not found (apt-get install ripgrep)" >&2; exit 2; }
  # code-server's VS Code pins @vscode/ripgrep 1.15.11 (lib/vscode/npm-shrinkwrap.json), whose
  # postinstall downloads rg from GitHub: give it Debian's rg in the cache it looks in first.
  cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$cache"
  tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  # native modules (node-pty, kerberos, argon2) build against the local Node headers;
  # node-pty's postinstall runs `npx node-gyp`; code-server's postinstall wants unsafe-perm as root
  t0=$(date +%s)
  npm_config_nodedir=/usr npm_config_yes=true npm_config_unsafe_perm=true \
    npm ci --no-audit --no-fund --loglevel=error
  echo "code-server $(node -p 'require("./node_modules/code-server/package.json").version') and playwright-core installed in $(( $(date +%s) - t0 )) s"
fi
export CODE_SERVER="$here/node_modules/.bin/code-server"
"$CHROMIUM" --version 2>/dev/null || true

# code-server runs in its own process group (its file watcher and extension host outlive a
# plain kill); the test ends it, and so does this trap if the test itself is killed
export E2E_PIDFILE="$(mktemp)"
trap 'if [ -s "$E2E_PIDFILE" ]; then kill -KILL -- "-$(cat "$E2E_PIDFILE")" 2>/dev/null || true; fi; rm -f "$E2E_PIDFILE"' EXIT
timeout 900 node --test --test-reporter=spec e2e.test.mjs

#!/usr/bin/env bash
# Headless end-to-end test of the Neovim plugin with a real Neovim and the real server.
#   NVIM=path/to/nvim SERVER=path/to/ambient-lsp editors/neovim/test/run.sh
# Defaults: nvim and ambient-lsp on PATH (else target/debug/ambient-lsp).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
NVIM="${NVIM:-$(command -v nvim || true)}"
SERVER="${SERVER:-$(command -v ambient-lsp || echo "$repo/target/debug/ambient-lsp")}"
[ -x "$NVIM" ] || { echo "nvim not found (set NVIM)" >&2; exit 2; }
[ -x "$SERVER" ] || { echo "ambient-lsp not found at $SERVER (set SERVER)" >&2; exit 2; }
ws="$(mktemp -d)"
xdg="$(mktemp -d)"   # Neovim's log and state: not the user's
trap 'rm -rf "$ws" "$xdg"' EXIT
export XDG_STATE_HOME="$xdg/state" XDG_CACHE_HOME="$xdg/cache" XDG_DATA_HOME="$xdg/data"
"$NVIM" --version | head -1
cp -r "$repo/examples/mesh/." "$ws/"
git -C "$ws" init -q   # the project root the plugin looks for

export SERVER WS="$ws" PLUGIN="$repo/editors/neovim"
# --clean: default runtime (filetype detection) without user config
timeout 120 "$NVIM" --headless --clean -l "$here/e2e.lua"

# servers that fail: one that exits at once, one that crashes as a server
bad="$xdg/bad"
mkdir -p "$bad"
printf '#!/bin/sh\ncase "$1" in --version|detect) exec "%s" "$@";; esac\nkill -SEGV $$\n' "$SERVER" >"$bad/crash.sh"
chmod +x "$bad/crash.sh"
BAD="$bad" timeout 60 "$NVIM" --headless --clean -l "$here/failures.lua"

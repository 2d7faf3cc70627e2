#!/usr/bin/env bash
# Headless end-to-end test of ambient-lsp in Emacs + eglot (batch mode), with the real server.
#   SERVER=path/to/ambient-lsp editors/emacs/test/run.sh
# Needs Debian's emacs-nox and elpa-eglot (scripts/test installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
SERVER="${SERVER:-$repo/target/release/ambient-lsp}"
EMACS="${EMACS:-emacs}"
[ -x "$SERVER" ] || { echo "ambient-lsp not found at $SERVER (set SERVER)" >&2; exit 2; }
command -v "$EMACS" >/dev/null || { echo "emacs not found (apt-get install emacs-nox elpa-eglot)" >&2; exit 2; }
"$EMACS" --version | head -1

ws="$(mktemp -d)"
trap 'rm -rf "$ws"' EXIT
cp -r "$repo/examples/mesh/." "$ws/"
# the switch to ambient (R001) that the test applies is offered only once nothing blocks its
# phase in the namespace: without the fail-closed policies of authorization.yaml (R009), as for
# a user who moved them to the waypoint); the test opens it again before step 5
authz="$(mktemp)"
mv "$ws/bookinfo/authorization.yaml" "$authz"
export AUTHZ="$authz"
git -C "$ws" init -q   # the project eglot finds (project.el: the VC root)

# a project without Istio / Gateway API manifests: the server must not start there
plain="$(mktemp -d)"
mkdir -p "$plain/.github/workflows"
printf 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n' \
  >"$plain/.github/workflows/ci.yaml"
git -C "$plain" init -q

bin="$(mktemp -d)"
home="$(mktemp -d)"   # Emacs writes ~/.emacs.d (native-compiled trampolines): not the user's
trap 'rm -rf "$ws" "$plain" "$bin" "$home" "$authz"' EXIT
ln -s "$SERVER" "$bin/ambient-lsp"   # the snippet runs `ambient-lsp` from PATH

HOME="$home" WS="$ws" PLAIN="$plain" PLUGIN="$repo/editors/emacs" PATH="$bin:$PATH" \
  timeout 120 "$EMACS" --batch -l "$here/e2e.el"

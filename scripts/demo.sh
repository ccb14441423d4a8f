#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing, builds, and runs
# the gateway on config/demo.yaml (in-process mock provider, embedded
# SQLite, no API keys). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "building (the first build takes a few minutes)..."
# Everything: the binary and the first-party plugins (.so) next to it.
swift build -c release 2>&1 | grep -E "error:|Compiling|Build complete" | tail -n 3
BIN="$(swift build -c release --show-bin-path)/tollgate"
PORT="${PORT:-4000}"
cat <<INFO

  Tollgate demo
  URL:       http://127.0.0.1:${PORT}
  demo keys: tg-demo-key-0001 (production, every model)
             tg-demo-key-0002 (experimentation, demo-small only)

  try:
    curl -s http://127.0.0.1:${PORT}/v1/chat/completions \\
      -H 'Authorization: Bearer tg-demo-key-0001' -H 'content-type: application/json' \\
      -d '{"model":"demo-small","messages":[{"role":"user","content":"hello"}]}'

INFO
export TOLLGATE_MASTER_KEY="${TOLLGATE_MASTER_KEY:-tg-demo-master}"
exec "$BIN" serve --config config/demo.yaml --port "$PORT"

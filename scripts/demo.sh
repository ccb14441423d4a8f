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
  keys:      tg-demo-key-0001 (platform, production, every model)
             tg-demo-key-0002 (platform, experimentation, demo-small only)
             tg-demo-key-0003 (search, production)
             tg-demo-key-0004 (recs, production)   tg-demo-key-0005 (recs, experimentation)
  credentials (Authorization: Bearer ..., or TOLLGATE_CREDENTIAL for the CLI):
             tg-demo-master          master key (everything)
             tg-demo-recs-admin      team admin of demo/recs (sub-grants, keys, exception requests, burst draws)
             tg-demo-chair           approver for org demo (decides exceptions)
             tg-demo-finance-viewer  viewer of org demo (reads the allocation table)
  CLI:       $BIN  (allocation, grant, key, exception, burst: see docs/cli.md)

  try:
    curl -s http://127.0.0.1:${PORT}/v1/chat/completions \\
      -H 'Authorization: Bearer tg-demo-key-0001' -H 'content-type: application/json' \\
      -d '{"model":"demo-small","messages":[{"role":"user","content":"hello"}]}'

INFO
export TOLLGATE_MASTER_KEY="${TOLLGATE_MASTER_KEY:-tg-demo-master}"
exec "$BIN" serve --config config/demo.yaml --port "$PORT"

#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing, builds, and runs
# the gateway on config/demo.yaml (in-process mock provider, embedded
# SQLite, no API keys). Once it answers /readyz, `tollgate demo traffic`
# plays a few minutes of the org's traffic in the background (its output in
# tollgate-data/demo-traffic.log). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "building (the first build takes a few minutes)..."
# Everything: the binary and the first-party plugins (.so) next to it.
swift build -c release 2>&1 | grep -E "error:|Compiling|Build complete" | tail -n 3
BIN="$(swift build -c release --show-bin-path)/tollgate"
PORT="${PORT:-4000}"
TRAFFIC_LOG=tollgate-data/demo-traffic.log   # tollgate-data: config/demo.yaml's storage.dir
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
  traffic:   once the gateway is ready, 5 minutes of demo traffic (every team, a search burst at 0:40,
             the recs carousel drifting to its cap, a pending exception): tail -f ${TRAFFIC_LOG}

  try:
    curl -s http://127.0.0.1:${PORT}/v1/chat/completions \\
      -H 'Authorization: Bearer tg-demo-key-0001' -H 'content-type: application/json' \\
      -d '{"model":"demo-small","messages":[{"role":"user","content":"hello"}]}'

INFO
export TOLLGATE_MASTER_KEY="${TOLLGATE_MASTER_KEY:-tg-demo-master}"
mkdir -p "$(dirname "$TRAFFIC_LOG")"

# The gateway in the background so the script can start the traffic next to
# it; Ctrl-C (or TERM) stops the traffic and then the gateway, gracefully.
"$BIN" serve --config config/demo.yaml --port "$PORT" &
GATEWAY=$!
TRAFFIC=""
stop() {
  trap - INT TERM
  if [ -n "$TRAFFIC" ]; then kill -TERM "$TRAFFIC" 2>/dev/null || true; fi
  kill -TERM "$GATEWAY" 2>/dev/null || true
}
trap stop INT TERM

# /readyz answers 200 once the gateway accepts (bash's /dev/tcp: no curl needed).
ready() {
  { exec 3<>"/dev/tcp/127.0.0.1/${PORT}"; } 2>/dev/null || return 1
  printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  local status=""
  IFS= read -r -t 5 status <&3 || true
  exec 3<&- 3>&-
  [[ "$status" == *" 200"* ]]
}
for _ in $(seq 1 300); do
  ready && break
  kill -0 "$GATEWAY" 2>/dev/null || break   # it did not start: its error is above
  sleep 0.2
done
if ready; then
  "$BIN" demo traffic --url "http://127.0.0.1:${PORT}" >"$TRAFFIC_LOG" 2>&1 &
  TRAFFIC=$!
  echo "  demo traffic started (pid $TRAFFIC): tail -f $TRAFFIC_LOG"
fi

# Until the gateway stops (a trapped signal interrupts `wait`: wait again).
status=0
while kill -0 "$GATEWAY" 2>/dev/null; do
  wait "$GATEWAY" && status=0 || status=$?
done
if [ -n "$TRAFFIC" ]; then
  kill -TERM "$TRAFFIC" 2>/dev/null || true
  wait "$TRAFFIC" 2>/dev/null || true
fi
exit "$status"

#!/usr/bin/env bash
# Rate-limit benchmark, one run (release build): gateway RPS through the mock
# provider with the ratelimit plugin off and on, same machine, same run.
# "on" puts five minute counters on every request's path — key rpm + tpm,
# team rpm + tpm, team x model tpm through a wildcard; "on+rpd" adds a team
# requests-per-day cap, which is persisted (a SQLite group-commit write per
# request, and the host holds each response's last bytes until it
# commits). Limits are far above the load, so nothing is refused and the
# cost measured is resolve + reserve + headers + settle.
# Usage: bench/ratelimit.sh [seconds-per-run=10] [connections=10,64]
# Prints a markdown table; paste it into bench/RESULTS.md (## Rate limits).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${1:-10}"
CONNECTIONS="${2:-10,64}"
SCRATCH="$ROOT/.build-release"
KEY="tg-bench-key"

command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
echo "building release..." >&2
swift build -c release --scratch-path "$SCRATCH" --product tollgate >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product tollgate_ratelimit >/dev/null
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"

WORK="$(mktemp -d /tmp/tollgate-ratelimit-bench.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# start NAME BANNER ARGS... : runs a server, waits for "BANNER ...:PORT", sets PORT.
start() {
  local name="$1" banner="$2"; shift 2
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 600); do
    if grep -q "^$banner" "$WORK/$name.out" 2>/dev/null; then
      PORT="$(grep "^$banner" "$WORK/$name.out" | head -1 | sed 's/.*://')"
      return
    fi
    sleep 0.1
  done
  echo "$name did not start: $(cat "$WORK/$name.err")" >&2; exit 1
}

start mock "mock-provider listening on" "$BIN/tollgate" mock-provider --host 127.0.0.1 --port 0
MOCK_PORT="$PORT"
SHA="$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)"
ratelimit_plugin() {  # ratelimit_plugin EXTRA_TEAM_LIMITS
  printf '%s\n' 'plugins:' '  - name: ratelimit' '    fail: closed' '    config:' '      limits:' \
    '        - {scope: key/bench-key, rpm: 1000000000, tpm: 1000000000000}' \
    "        - {scope: team/bench/bench, rpm: 1000000000, tpm: 1000000000000$1}" \
    '        - {scope: team/*, model: "*", tpm: 1000000000000}'
}

config() {  # config NAME PLUGINS
  cat >"$WORK/$1.yaml" <<YAML
server:
  listen: 127.0.0.1:0
storage:
  dir: $WORK/data-$1
models:
  - name: bench
    provider: openai
    base_url: http://127.0.0.1:$MOCK_PORT/v1
    upstream_model: bench-upstream
    price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}
    max_output_tokens: 4096
orgs:
  - name: bench
    teams:
      - name: bench
        owner: bench@example.com
        keys:
          - {id: bench-key, sha256: "$SHA", class: production}
$2
YAML
}
config off ""
config on "$(ratelimit_plugin "")"
config on+rpd "$(ratelimit_plugin ", rpd: 1000000000000")"
printf '%s' '{"model":"bench","max_tokens":64,"messages":[{"role":"user","content":"Summarise the quarterly report in three bullet points."}]}' >"$WORK/body.json"

echo "| ratelimit plugin | conns | RPS | p50 µs | p99 µs | bad |"
echo "|---|---|---|---|---|---|"
for case in off on on+rpd; do
  start "gw-$case" "tollgate listening on" env TOLLGATE_PLUGIN_DIR="$BIN" "$BIN/tollgate" serve --config "$WORK/$case.yaml" \
    --host 127.0.0.1 --port 0 --log-level error
  if [ "$case" != off ] && ! curl -s -D - -o /dev/null -H "authorization: Bearer $KEY" -H 'content-type: application/json' \
      --data-binary @"$WORK/body.json" "http://127.0.0.1:$PORT/v1/chat/completions" | grep -qi '^x-ratelimit-limit-tokens'; then
    echo "the ratelimit plugin did not answer with its headers" >&2; exit 1
  fi
  for c in ${CONNECTIONS//,/ }; do
    BENCH_BODY="$WORK/body.json" BENCH_KEY="$KEY" wrk -t 2 -c "$c" -d 1s -s "$ROOT/bench/wrk-post.lua" "http://127.0.0.1:$PORT/v1/chat/completions" >/dev/null
    line="$(BENCH_BODY="$WORK/body.json" BENCH_KEY="$KEY" wrk -t 2 -c "$c" -d "${DURATION}s" --latency -s "$ROOT/bench/wrk-post.lua" \
      "http://127.0.0.1:$PORT/v1/chat/completions" | grep '^BENCH')"
    rps="$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line")"
    p50="$(sed -E 's/.*p50=([0-9.]+).*/\1/' <<<"$line")"
    p99="$(sed -E 's/.*p99=([0-9.]+).*/\1/' <<<"$line")"
    bad="$(sed -E 's/.*non2xx=([0-9]+) errors=([0-9]+).*/\1+\2/' <<<"$line")"
    printf '| %s | %s | %.0f | %.0f | %.0f | %s |\n' "$case" "$c" "$rps" "$p50" "$p99" "$bad"
  done
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
done

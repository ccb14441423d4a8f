#!/usr/bin/env bash
# Budget benchmarks, one run (release build):
#   1. the counter store alone: reserve+settle over 3 counters, 2 threads
#      (memory only, and with the SQLite journal);
#   2. gateway RPS through the mock provider with the budget plugin off and
#      on (org + team + key budgets on every request's path, large enough
#      that nothing is refused), same machine, same run.
# Usage: bench/budget.sh [seconds-per-run=10] [connections=10,64]
# Prints a markdown table; paste it into bench/RESULTS.md (## Budget).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${1:-10}"
CONNECTIONS="${2:-10,64}"
SCRATCH="$ROOT/.build-release"
KEY="tg-bench-key"

command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
echo "building release..." >&2
swift build -c release --scratch-path "$SCRATCH" --product tollgate >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product tollgate_budget >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product tollgate-bench >/dev/null
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"

echo "## counter store" >&2
"$BIN/tollgate-bench" counters 500000 2

WORK="$(mktemp -d /tmp/tollgate-budget-bench.XXXXXX)"
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
BUDGET_PLUGIN='plugins:
  - name: budget
    fail: closed
    config:
      budgets:
        - {scope: org/bench, period: monthly, amount: "100000000"}
        - {scope: team/bench/bench, period: daily, amount: "100000000"}
        - {scope: key/bench-key, period: total, amount: "100000000"}'

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
config on "$BUDGET_PLUGIN"
printf '%s' '{"model":"bench","max_tokens":64,"messages":[{"role":"user","content":"Summarise the quarterly report in three bullet points."}]}' >"$WORK/body.json"

echo "| budget plugin | conns | RPS | p50 µs | p99 µs | bad |"
echo "|---|---|---|---|---|---|"
for case in off on; do
  start "gw-$case" "tollgate listening on" env TOLLGATE_PLUGIN_DIR="$BIN" "$BIN/tollgate" serve --config "$WORK/$case.yaml" \
    --host 127.0.0.1 --port 0 --log-level error
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
  if [ -n "${BENCH_PERF:-}" ] && [ "$case" = on ]; then  # profile the gateway under load (diagnostics only)
    perf record -F 999 -g -p "${PIDS[-1]}" -o /tmp/budget.perf -- sleep 6 >/dev/null 2>&1 & PERF=$!
    BENCH_BODY="$WORK/body.json" BENCH_KEY="$KEY" wrk -t 2 -c 64 -d 6s -s "$ROOT/bench/wrk-post.lua" "http://127.0.0.1:$PORT/v1/chat/completions" >/dev/null
    wait "$PERF" || true
  fi
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
done

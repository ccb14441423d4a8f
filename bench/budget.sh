#!/usr/bin/env bash
# Budget benchmarks, one run (release build):
#   1. the counter store alone: reserve+settle over 3 counters, 2 threads
#      (memory only, and with the SQLite journal);
#   2. gateway RPS through the mock provider with the budget plugin off and
#      on (org + team + key budgets on every request's path, large enough
#      that nothing is refused): bench/run's `bare` and `budget` cases.
# Usage: bench/budget.sh [seconds-per-run=10] [connections=10,64]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${1:-10}"
CONNECTIONS="${2:-10,64}"
SCRATCH="$ROOT/.build-release"
cd "$ROOT"
swift build -c release --scratch-path "$SCRATCH" >/dev/null
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"
echo "## counter store alone"
"$BIN/tollgate-bench" counters 500000 2
echo
echo "## gateway, budget plugin off (bare) and on (budget)"
exec "$ROOT/bench/run" --no-build --cases bare,budget --modes nonstream --duration "$DURATION" --connections "$CONNECTIONS"

#!/usr/bin/env bash
# Rate-limit benchmark, one run (release build): gateway RPS through the mock
# provider with the ratelimit plugin off (bare) and on. "ratelimit" puts five
# minute counters on every request's path — key rpm + tpm, team rpm + tpm,
# team x model tpm through a wildcard; "ratelimit-rpd" adds a team
# requests-per-day cap, which is persisted (a SQLite group-commit write per
# request, and the host holds each response's last bytes until it commits).
# Limits are far above the load, so nothing is refused and the cost measured
# is resolve + reserve + headers + settle. The cases live in bench/run.
# Usage: bench/ratelimit.sh [seconds-per-run=10] [connections=10,64]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
exec "$ROOT/bench/run" --cases bare,ratelimit,ratelimit-rpd --modes nonstream \
  --duration "${1:-10}" --connections "${2:-10,64}"

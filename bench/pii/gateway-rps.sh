#!/usr/bin/env bash
# Gateway requests/s with a 100 KB prompt, PII guard off vs on, under wrk,
# against the mock provider (non-stream answers).
# Usage: bench/pii/gateway-rps.sh [duration=10s] [connections=8]
# Uses .build/release/tollgate when built (swift build -c release --product
# tollgate --product tollgate_pii_guard), else .build/debug; TOLLGATE_BIN
# overrides. Needs wrk and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
duration="${1:-10s}"
connections="${2:-8}"
bin="${TOLLGATE_BIN:-}"
if [ -z "$bin" ]; then
  if [ -x "$root/.build/release/tollgate" ] && [ -f "$root/.build/release/libtollgate_pii_guard.so" ]; then
    bin="$root/.build/release/tollgate"
  else
    bin="$root/.build/debug/tollgate"
  fi
fi
plugin_dir="$(dirname "$bin")"
work="$(mktemp -d)"
# start() runs in $(...), a subshell: pids go through a file.
touch "$work/pids"
stop() { kill "$1" 2>/dev/null || true; }
cleanup() { while read -r p; do stop "$p"; done <"$work/pids"; rm -rf "$work"; }
trap cleanup EXIT

# Starts a process, waits for its "... listening on HOST:PORT" line, echoes
# the port; the pid goes to $log.pid and the cleanup list.
start() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  echo $! >>"$work/pids"
  echo $! >"$log.pid"
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$log"; then grep -m1 "listening on" "$log" | sed 's/.*://'; return; fi
    sleep 0.05
  done
  echo "did not start: $*" >&2; cat "$log" >&2; exit 1
}

mock_port="$(start "$work/mock.log" "$bin" mock-provider --host 127.0.0.1 --port 0)"
key="tg-bench-key"
hash="$("$bin" hash-key "$key")"

config() {  # $1 = plugins block
  cat <<YAML
server:
  listen: 127.0.0.1:0
storage:
  dir: $work/data
models:
  - name: small
    provider: openai
    base_url: http://127.0.0.1:$mock_port/v1
    upstream_model: mock-small-v1
    price: {input_per_mtok: "0.40", output_per_mtok: "1.60"}
    max_output_tokens: 4096
orgs:
  - name: bench
    teams:
      - name: load
        owner: bench@example.com
        keys:
          - {id: bench, sha256: "$hash", class: production}
$1
YAML
}

config "" >"$work/off.yaml"
config "plugins:
  - name: pii-guard
    config:
      restore: true
      rules:
        - {detect: '*', action: redact}
        - {detect: ip, action: log}" >"$work/on.yaml"

# A 100 KB prompt of prose, numbers and ids with a few findings per 2 KB.
python3 - "$work/post.lua" <<'PY'
import json, sys
parts = [
  "The quarterly review covered revenue of $1,299,450.00 across 14 regions, up 12.5% on 2023. ",
  "Build 2024-01-15 10:30:00 shipped v2.10.3 with fixes for tickets JIRA-4821 and PR #1234. ",
  "Please contact the account owner at maria.gonzalez@example.com before Friday. ",
  "Order 1234567890 (trace 550e8400-e29b-41d4-a716-446655440000) is waiting for approval. ",
  "Our support line is +1 415 555 2671 and the office is at 1600 Amphitheatre Parkway. ",
  "Servers 10.0.4.17 and 2001:db8::8a2e:370:7334 logged timeouts at 12:30:45 UTC. ",
  "Meanwhile the team discussed the roadmap, hiring, the offsite agenda and the budget for next year. ",
  "It was the best of times, it was the worst of times, it was the age of wisdom and of foolishness. ",
  "Questions go to the shared channel; escalations follow the usual on-call rotation schedule.\n\n",
]
text, k = "", 0
while len(text.encode()) < 100 * 1024:
    text += parts[k % len(parts)]; k += 1
body = json.dumps({"model": "small", "max_tokens": 16, "messages": [{"role": "user", "content": text}]})
with open(sys.argv[1], "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write('wrk.headers["Content-Type"] = "application/json"\n')
    f.write('wrk.headers["Authorization"] = "Bearer tg-bench-key"\n')
    f.write("wrk.body = " + json.dumps(body) + "\n")
PY

echo "binary: $bin"
echo "prompt: 100 KB, wrk -t2 -c$connections -d$duration"
for mode in off on; do
  port="$(start "$work/gw-$mode.log" env TOLLGATE_PLUGIN_DIR="$plugin_dir" "$bin" serve --config "$work/$mode.yaml" \
          --host 127.0.0.1 --port 0 --log-level warning)"
  # One request first: the plugin must be loaded and answering 200.
  status="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            -H "Authorization: Bearer $key" --data-binary @<(python3 -c "
import re,sys; s=open('$work/post.lua').read(); import json
print(json.loads(re.search(r'wrk.body = (.*)', s).group(1)))") "http://127.0.0.1:$port/v1/chat/completions")"
  [ "$status" = 200 ] || { echo "warm-up request got $status" >&2; cat "$work/gw-$mode.log" >&2; exit 1; }
  rps="$(wrk -t2 -c"$connections" -d"$duration" -s "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions" \
         | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx: " $0 > "/dev/stderr"}')"
  echo "pii-guard $mode: $rps requests/s"
  if [ "$mode" = on ]; then
    curl -s "http://127.0.0.1:$port/metrics" | grep '^tollgate_pii_findings_total' | head -5
  fi
  stop "$(cat "$work/gw-$mode.log.pid")"
done

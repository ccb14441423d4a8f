#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing, then runs every
# test: the Swift suites (unit and end-to-end against the real binary) and
# the official OpenAI / Anthropic Python SDKs against the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# Python SDKs for the SDK tests, in an ignored virtualenv.
VENV=.build/python-venv
if [ ! -x "$VENV/bin/pytest" ] || ! "$VENV/bin/python" -c "import openai, anthropic" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check openai anthropic pytest
fi

swift build --build-tests
# The benchmark harness, for a second, so it cannot rot (numbers from a
# debug build mean nothing; see bench/run for real runs).
bench/run --quick --debug --cases direct,bare --modes nonstream >/dev/null
swift test --skip-build --disable-swift-testing
TOLLGATE_BIN="$(swift build --show-bin-path)/tollgate" "$VENV/bin/pytest" -q Tests/sdk

#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing, then runs every
# test: the Swift suites (unit and end-to-end against the real binary), the
# official OpenAI / Anthropic Python SDKs against the gateway, and the
# dashboard in a headless browser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests

# Python SDKs for the SDK tests, and selenium for the dashboard's browser
# test (it drives the system's chromium and chromedriver; it downloads no
# browser), in an ignored virtualenv.
VENV=.build/python-venv
if [ ! -x "$VENV/bin/pytest" ] || ! "$VENV/bin/python" -c "import openai, anthropic, selenium" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check openai anthropic pytest selenium
fi

swift build --build-tests
# The benchmark harness, for a second, so it cannot rot (numbers from a
# debug build mean nothing; see bench/run for real runs).
bench/run --quick --debug --cases direct,bare --modes nonstream >/dev/null
swift test --skip-build --disable-swift-testing
TOLLGATE_BIN="$(swift build --show-bin-path)/tollgate" "$VENV/bin/pytest" -q Tests/sdk
# The dashboard in headless Chromium (skipped, saying so, without chromium
# or chromedriver); it prints where its screenshots are.
TOLLGATE_BIN="$(swift build --show-bin-path)/tollgate" "$VENV/bin/pytest" -q -rs Tests/browser

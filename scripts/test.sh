#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing, then runs every
# test: the Swift suites (unit and end-to-end against the real binary, the
# PostgreSQL ones against a throwaway cluster it starts and removes), the
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
# The PostgreSQL tests (the shared stores, two gateways on one database)
# need a server: a throwaway cluster on a free loopback port, as the
# postgres user in a temp dir, stopped and removed on exit. Under this
# script they must run (TOLLGATE_REQUIRE_POSTGRES=1: a missing server fails
# them instead of skipping them). A TOLLGATE_TEST_DATABASE_URL already set
# (a server of your own, whose user may CREATE DATABASE: each test makes and
# drops its own) is used as it is.
if [ -z "${TOLLGATE_TEST_DATABASE_URL:-}" ]; then
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-pg.XXXXXX")
  trap 'scripts/postgres-cluster.sh stop "$PG_DIR"' EXIT
  TOLLGATE_TEST_DATABASE_URL=$(scripts/postgres-cluster.sh start "$PG_DIR")
  export TOLLGATE_TEST_DATABASE_URL
fi
export TOLLGATE_REQUIRE_POSTGRES=1
# The libcurl transport's tests start tinyproxy and nghttpd (installed
# above): here a missing one fails them instead of skipping them.
export TOLLGATE_REQUIRE_EGRESS=1
swift test --skip-build --disable-swift-testing
TOLLGATE_BIN="$(swift build --show-bin-path)/tollgate" "$VENV/bin/pytest" -q Tests/sdk
# The dashboard in headless Chromium (skipped, saying so, without chromium
# or chromedriver); it prints where its screenshots are.
TOLLGATE_BIN="$(swift build --show-bin-path)/tollgate" "$VENV/bin/pytest" -q -rs Tests/browser

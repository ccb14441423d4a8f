#!/usr/bin/env bash
# Precision and recall of the PII guard on the corpus in
# Tests/FirstPartyPluginTests/Fixtures/pii, measured through the built
# plugin by the test harness. Usage: bench/pii/corpus.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift test --filter 'PIIGuardCorpusTests/testPrecisionAndRecallOnTheCorpus' 2>&1 | grep -E '^PII corpus:|error:|failed' || true

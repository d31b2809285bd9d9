#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Corpus tests read
# ../shared/corpus and skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)"

#!/usr/bin/env bash
# Installs dependencies, configures and builds tfprod into ./build.
# Extra arguments are build targets (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc)" ${1:+--target "$@"}

#!/usr/bin/env bash
# The main job on the bundled example: write an Estimator-style training
# directory (graph.pbtxt + V2 checkpoint), then freeze it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh tfprod freeze_graph
out=out/example
rm -rf "$out"
./build/src/cli/tfprod example "$out"
./build/src/cli/tfprod freeze "$out" --output softmax_tensor -o "$out/frozen_graph.pb"
echo "frozen model: $out/frozen_graph.pb ($(stat -c %s "$out/frozen_graph.pb") bytes)"

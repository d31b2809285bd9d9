#!/usr/bin/env bash
# The main job on the bundled example: write an Estimator-style training
# directory (graph.pbtxt + V2 checkpoint + an image), export it to a verified
# OpenCV model in one command, then classify the image with that model in
# OpenCV DNN.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh tfprod
out=out/example
rm -rf "$out"
./build/src/cli/tfprod example "$out"
./build/src/cli/tfprod export "$out" -o "$out/model.pb" --report "$out/report.json"
./build/src/cli/tfprod classify "$out/model.pb" "$out/digit.pgm" --gray --top 3
echo "exported model: $out/model.pb ($(stat -c %s "$out/model.pb") bytes); report: $out/report.json"

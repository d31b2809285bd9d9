#!/usr/bin/env bash
# Start-up cost of tfprod's tools: shared libraries loaded and CPU time
# (user+sys, median of 5 runs) of `tfprod --help`, and of the seed's freeze
# through `tfprod freeze` and through the `freeze_graph` drop-in.
#   bench/startup_bench.sh [BIN_DIR] [CORPUS]    (defaults: build/src/cli, ../shared/corpus/anpr_estimator)
set -euo pipefail
bin=${1:-build/src/cli}
corpus=${2:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus/anpr_estimator}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Median CPU milliseconds of 5 runs of the command: perf stat's task-clock
# where perf works, else /usr/bin/time's user+sys (10 ms resolution).
cpu_ms() {
  local runs=()
  for _ in 1 2 3 4 5; do
    if perf stat -x, -e task-clock -o "$out/t" "$@" >/dev/null 2>&1; then
      runs+=("$(awk -F, '/task-clock/ {printf "%.1f", $1}' "$out/t")")
    else
      /usr/bin/time -f '%U %S' -o "$out/t" "$@" >/dev/null 2>&1
      runs+=("$(awk '{printf "%.1f", ($1 + $2) * 1000}' "$out/t")")
    fi
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p
}

echo "libraries loaded (ldd | wc -l): tfprod $(ldd "$bin/tfprod" | wc -l), freeze_graph $(ldd "$bin/freeze_graph" | wc -l)"
echo "tfprod --help: $(cpu_ms "$bin/tfprod" --help) ms CPU"
tf=$(cpu_ms "$bin/tfprod" freeze "$corpus/graph.pbtxt" --checkpoint "$corpus/model.ckpt-20000" --output softmax_tensor -o "$out/a.pb")
fg=$(cpu_ms "$bin/freeze_graph" --input_graph="$corpus/graph.pbtxt" --input_checkpoint="$corpus/model.ckpt-20000" \
  --output_graph "$out/b.pb" --output_node_names=softmax_tensor)
echo "seed's freeze: tfprod freeze $tf ms CPU, freeze_graph $fg ms CPU, ratio $(awk -v a="$tf" -v b="$fg" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')"

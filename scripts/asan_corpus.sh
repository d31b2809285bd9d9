#!/usr/bin/env bash
# Runs every tfprod command (inspect, view, summarize, freeze, run, transform,
# verify, preflight, export, and the drop-ins freeze_graph,
# transform_graph, summarize_graph, optimize_for_inference) on every case of
# the shared corpus with the tools built under AddressSanitizer +
# UndefinedBehaviorSanitizer (build-fuzz/, the fuzz build: clang-14,
# -DTFPROD_FUZZ=ON). A command may fail (many inputs are not meant for every
# command); the script fails when any run prints a sanitizer report, dies from
# a signal or times out. Reports are kept in build-fuzz/asan-corpus/.
#
#   bash scripts/asan_corpus.sh [CORPUS_DIR]     # default ../shared/corpus
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
corpus=$(cd "${1:-../shared/corpus}" && pwd)
bash scripts/install-deps.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTFPROD_FUZZ=ON -DTFPROD_BUILD_TESTS=OFF -DTFPROD_BUILD_BENCHMARKS=OFF >/dev/null
nice -n 19 cmake --build build-fuzz --parallel "$(nproc)" \
  --target tfprod freeze_graph transform_graph summarize_graph optimize_for_inference

bin=$root/build-fuzz/src/cli
work=$root/build-fuzz/asan-corpus
rm -rf "$work"
mkdir -p "$work/out"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
runs=0
bad=0
has_export=0
"$bin/tfprod" export --help >/dev/null 2>&1 && has_export=1

# check NAME CMD...: runs CMD with a time limit; a sanitizer report, a signal
# or a timeout is a failure. Its exit status otherwise does not matter.
check() {
  local name=$1
  shift
  local log="$work/$(printf '%04d' "$runs")-$name.log"
  runs=$((runs + 1))
  rm -rf "$work/out" && mkdir -p "$work/out"
  local rc=0
  timeout 600 "$@" >"$log" 2>&1 || rc=$?
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$log" ||
     [ "$rc" -ge 124 ]; then
    echo "FAIL (exit $rc): $*" >&2
    echo "  log: $log" >&2
    bad=$((bad + 1))
  else
    rm -f "$log"
  fi
}

outputs_of() {  # the possible outputs summarize_graph lists, comma-separated
  "$bin/summarize_graph" --in_graph="$1" 2>/dev/null |
    sed -n '/possible outputs/s/.*: //p' | grep -o 'name=[^,)]*' | sed 's/name=//' | paste -sd, - || true
}
inputs_of() {
  "$bin/summarize_graph" --in_graph="$1" 2>/dev/null |
    sed -n '/possible inputs/s/.*: //p' | grep -o 'name=[^,)]*' | sed 's/name=//' | paste -sd, - || true
}

transforms='strip_unused_nodes fold_constants(ignore_errors=true) fold_batch_norms fold_old_batch_norms
  remove_dropout resolve_switches batch_norm_inference remove_training_nodes sort_by_execution_order'

# Every path tfprod accepts: case folders, model folders, graph files, checkpoint prefixes.
mapfile -t paths < <(
  find "$corpus" -mindepth 1 -maxdepth 1 -type d
  find "$corpus" -mindepth 2 -type d \( -name variables -prune -o -print \) | while read -r d; do
    if [ -e "$d/saved_model.pb" ] || [ -e "$d/checkpoint" ]; then echo "$d"; fi
  done
  find "$corpus" -type f \( -name '*.pb' -o -name '*.pbtxt' -o -name '*.meta' \)
  find "$corpus" -type f -name '*.index' | sed 's/\.index$//'
  find "$corpus" -type f -name 'model.ckpt'
)
echo "asan_corpus: ${#paths[@]} inputs from $corpus"
for p in "${paths[@]}"; do
  check inspect "$bin/tfprod" inspect "$p"
  check inspect_json "$bin/tfprod" inspect "$p" --json
  check view "$bin/tfprod" view "$p" -o "$work/out/graph.dot"
  check freeze "$bin/tfprod" freeze "$p" -o "$work/out/frozen.pb"
  check freeze_text "$bin/tfprod" freeze "$p" --text -o "$work/out/frozen.pbtxt"
  [ "$has_export" = 1 ] && check export "$bin/tfprod" export "$p" -o "$work/out/model.pb"
  [ -f "$p" ] || continue
  case "$p" in *.index) continue ;; esac
  outs=$(outputs_of "$p")
  ins=$(inputs_of "$p")
  check summarize "$bin/tfprod" summarize "$p"
  check summarize_graph "$bin/summarize_graph" --in_graph="$p" --print_structure=true
  check preflight "$bin/tfprod" preflight "$p"
  check freeze_graph "$bin/freeze_graph" --input_graph="$p" --output_graph="$work/out/fg.pb" \
    --output_node_names="${outs:-output}"
  check transform "$bin/tfprod" transform "$p" -o "$work/out/t.pb" --inputs "$ins" --outputs "$outs" \
    --transforms "$transforms"
  check transform_graph "$bin/transform_graph" --in_graph="$p" --out_graph="$work/out/tg.pb" \
    --inputs="$ins" --outputs="$outs" --transforms="$transforms"
  [ -n "$ins" ] && [ -n "$outs" ] && check optimize_for_inference "$bin/optimize_for_inference" \
    --input "$p" --output "$work/out/o.pb" --input_names "$ins" --output_names "$outs"
  feed=()
  case "$p" in *_net.pb | *_net.pbtxt)
    npy="${p%_net.*}_in.npy"
    [ -f "$npy" ] && [ -n "$ins" ] && [ "${ins#*,}" = "$ins" ] && feed=(--feed "$ins=$npy") ;;
  esac
  [ -n "$outs" ] && check run "$bin/tfprod" run "$p" "${feed[@]}" --output "$outs" --out-dir "$work/out"
  check verify "$bin/tfprod" verify "$p" --random
done
echo "asan_corpus: $runs runs, $bad with a sanitizer report, signal or timeout"
[ "$bad" -eq 0 ]

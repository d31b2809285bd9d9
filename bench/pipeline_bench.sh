#!/usr/bin/env bash
# Pass-manager benchmark, the issue's figures in one run:
#   1. cleanup: the export preset's steps (after a strip_unused_nodes cut) on
#      generated graphs of 10k, 20k and 40k nodes, time per node per step and
#      its growth (1.0x = linear) -- bench/cleanup_bench.cc;
#   2. memory: `tfprod export` of a training directory with ~1 GiB of weights
#      (bench/make_big_checkpoint.cc), peak RSS vs the output size (aim <= 1.3x),
#      with and without verification;
#   3. CPU: user+sys time (wait4's rusage), median of PIPE_BENCH_REPS runs (default 9), of
#      `tfprod export anpr_estimator` (aim < 100 ms) and of `tfprod freeze` vs
#      the `freeze_graph` drop-in on the seed's freeze (aim <= 1.5x).
#
#   bash bench/pipeline_bench.sh [BUILD_DIR]      (default ./build)
#
# Builds nothing: needs BUILD_DIR/bench/{cleanup_bench,make_big_checkpoint}
# and BUILD_DIR/src/cli/{tfprod,freeze_graph}. The corpus is read from
# PIPE_BENCH_CORPUS (default ../shared/corpus, beside the repository).
# PIPE_BENCH_MIB (default 1024) sets the generated weights; PIPE_BENCH_NODES
# (default "10000 20000 40000") the cleanup sizes; PIPE_BENCH_SKIP a
# space-separated subset of "cleanup callgrind memory cpu" to leave out
# (callgrind: the cleanup's instructions per node, when valgrind is installed). Exits 0 whether
# or not the aims are met (it is a measurement); non-zero when a command fails.
set -euo pipefail

BUILD=${1:-./build}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=${PIPE_BENCH_CORPUS:-$HERE/../../shared/corpus}
MIB=${PIPE_BENCH_MIB:-1024}
NODES=${PIPE_BENCH_NODES:-10000 20000 40000}
REPS=${PIPE_BENCH_REPS:-9}
SKIP=" ${PIPE_BENCH_SKIP:-} "

die() { echo "pipeline_bench: $*" >&2; exit 1; }
skipped() { [[ $SKIP == *" $1 "* ]]; }

CLEANUP=$BUILD/bench/cleanup_bench
GEN=$BUILD/bench/make_big_checkpoint
TFPROD=$BUILD/src/cli/tfprod
FREEZE_GRAPH=$BUILD/src/cli/freeze_graph
NEED=("$TFPROD" "$FREEZE_GRAPH" "$GEN")
skipped cleanup || NEED+=("$CLEANUP")
OPENCV_PEAK=$BUILD/bench/opencv_load_peak
[[ -x $OPENCV_PEAK ]] && NEED+=("$OPENCV_PEAK") || OPENCV_PEAK=
for exe in "${NEED[@]}"; do
  [[ -x $exe ]] || die "$exe not found; build it first: cmake --build $BUILD --target cleanup_bench make_big_checkpoint tfprod freeze_graph"
done
command -v python3 >/dev/null || die "python3 is required (os.wait4 gives CPU time and peak RSS)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipeline_bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Run copies of the binaries, so a rebuild during the run cannot pull them away.
mkdir "$TMP/bin"
cp "${NEED[@]}" "$TMP/bin/"
CLEANUP=$TMP/bin/cleanup_bench GEN=$TMP/bin/make_big_checkpoint
TFPROD=$TMP/bin/tfprod FREEZE_GRAPH=$TMP/bin/freeze_graph
[[ -z $OPENCV_PEAK ]] || OPENCV_PEAK=$TMP/bin/opencv_load_peak

# timed NAME CMD...: runs CMD; appends "wall_s peak_rss_kib cpu_s" to $TMP/NAME.runs.
# wait4's rusage: CPU to the microsecond (GNU time rounds to 10 ms), peak RSS
# of the command or its largest waited-for child.
cat >"$TMP/rusage.py" <<'PY'
import os, subprocess, sys, time
out, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(log, "wb") as f:
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=f, stderr=f)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(1)
with open(out, "a") as f:
    f.write("%.4f %d %.4f\n" % (wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime))
PY
timed() {
  local name=$1
  shift
  if ! python3 "$TMP/rusage.py" "$TMP/$name.runs" "$TMP/$name.log" "$@"; then
    cat "$TMP/$name.log" >&2
    die "$name failed: $*"
  fi
}
# median NAME FIELD: median of column FIELD of $TMP/NAME.runs.
median() {
  awk -v f="$2" '{ print $f }' "$TMP/$1.runs" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM;" \
  "$(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"

if ! skipped cleanup; then
  echo
  echo "== 1. cleanup passes on generated graphs: $CLEANUP $NODES"
  # shellcheck disable=SC2086
  "$CLEANUP" $NODES
  # Time per node also grows with cache misses and allocator work; the work
  # itself is the instruction count (callgrind, inside run_pipeline only).
  if command -v valgrind >/dev/null && ! skipped callgrind; then
    echo "cleanup instructions per node (valgrind --tool=callgrind, inside tfprod::run_pipeline):"
    first="" last=""
    for n in $NODES; do
      [[ -n $first ]] || first=$n
      last=$n
    done
    for n in $first $last; do
      valgrind --tool=callgrind --toggle-collect='tfprod::run_pipeline*' --callgrind-out-file="$TMP/cg.$n" \
        "$CLEANUP" "$n" >"$TMP/cg.$n.log" 2>&1 || die "callgrind run of cleanup_bench $n failed"
      nodes=$(sed -n 's/^cleanup_bench: \([0-9]*\) nodes ->.*/\1/p' "$TMP/cg.$n.log")
      ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$TMP/cg.$n")
      echo "$nodes $ir" >>"$TMP/cg.rows"
    done
    awk '{ n[NR] = $1; ir[NR] = $2; printf "  %8d nodes: %14.0f instructions, %8.0f per node\n", $1, $2, $2 / $1 }
      END { printf "  growth of instructions per node: %.2fx (1.0x = linear)\n", (ir[NR] / n[NR]) / (ir[1] / n[1]) }' "$TMP/cg.rows"
  fi
fi

if ! skipped memory; then
  echo
  echo "== 2. tfprod export of a training directory with $MIB MiB of weights"
  "$GEN" "$TMP/big" --mib "$MIB" >/dev/null
  W=0
  for f in "$TMP"/big/model.ckpt.data-*; do W=$((W + $(stat -c %s "$f"))); done
  export_big() { timed "$1" "$TFPROD" export "$TMP/big" -o "$TMP/big.pb" --input input:float:1,8192 -q "${@:2}"; }
  export_big export_noverify --no-verify
  NOVERIFY_BYTES=$(stat -c %s "$TMP/big.pb")
  rm -f "$TMP/big.pb"
  export_big export_verify
  OUT_BYTES=$(stat -c %s "$TMP/big.pb")
  rows=("export_noverify $NOVERIFY_BYTES --no-verify" "export_verify $OUT_BYTES (verified)")
  if [[ -n $OPENCV_PEAK ]]; then
    timed opencv_alone "$OPENCV_PEAK" --tfprod-allocator "$TMP/big.pb" 1,8192
    rows+=("opencv_alone $OUT_BYTES OpenCV-alone")
  fi
  printf '%-30s %10s %10s %10s %8s %8s  %s\n' command out_MiB rss_MiB rss/out wall_s cpu_s "rss<=1.3x"
  for row in "${rows[@]}"; do
    set -- $row
    label="tfprod export $3"
    [[ $1 != opencv_alone ]] || label="OpenCV 4.6 alone (the floor)"
    awk -v n="$label" -v out="$2" -v rss="$(median "$1" 2)" -v w="$(median "$1" 1)" -v c="$(median "$1" 3)" 'BEGIN {
      o = out / 1048576; r = rss / 1024
      printf "%-30s %10.1f %10.1f %9.2fx %8.2f %8.2f  %s\n", n, o, r, r / o, w, c, (r / o <= 1.3 ? "met" : "MISSED") }'
  done
  echo "weights in the checkpoint: $W bytes; command: $TFPROD export DIR -o OUT.pb --input input:float:1,8192 -q [--no-verify]"
  [[ -z $OPENCV_PEAK ]] || echo "OpenCV-alone: opencv_load_peak --tfprod-allocator OUT.pb 1,8192 (readNetFromTensorflow + one forward, tfprod's allocator tuning): the floor of verification in OpenCV 4.6"
  rm -rf "$TMP/big" "$TMP/big.pb"
fi

if ! skipped cpu; then
  echo
  echo "== 3. CPU time (user+sys), median of $REPS runs after one warm-up"
  [[ -d $CORPUS/anpr_estimator ]] || die "corpus not found at $CORPUS (set PIPE_BENCH_CORPUS)"
  A=$CORPUS/anpr_estimator
  run_export() { timed export_anpr "$TFPROD" export "$A" -o "$TMP/anpr.pb" -q; }
  run_freeze() { timed freeze "$TFPROD" freeze "$A" --output softmax_tensor -o "$TMP/frozen.pb"; }
  run_dropin() {
    timed freeze_graph "$FREEZE_GRAPH" --input_graph="$A/graph.pbtxt" --input_checkpoint="$A/model.ckpt-20000" \
      --output_graph "$TMP/frozen_dropin.pb" --output_node_names=softmax_tensor
  }
  # The floor of a verified export: OpenCV 4.6 alone reading the exported
  # model and running one forward (what verification asks of OpenCV).
  run_opencv() { [[ -z $OPENCV_PEAK ]] || timed opencv_anpr "$OPENCV_PEAK" --tfprod-allocator "$TMP/anpr.pb" 1,1,20,20; }
  run_export && run_freeze && run_dropin && run_opencv
  rm -f "$TMP"/export_anpr.runs "$TMP"/freeze.runs "$TMP"/freeze_graph.runs "$TMP"/opencv_anpr.runs
  for ((r = 1; r <= REPS; r++)); do run_export; run_freeze; run_dropin; run_opencv; done
  cmp -s "$TMP/frozen.pb" "$TMP/frozen_dropin.pb" || echo "pipeline_bench: note: tfprod freeze and freeze_graph outputs differ" >&2
  printf '%-48s %8s %8s %8s  %s\n' command cpu_ms wall_ms rss_MiB runs_cpu_ms
  names=(export_anpr freeze freeze_graph)
  [[ -z $OPENCV_PEAK ]] || names+=(opencv_anpr)
  for n in "${names[@]}"; do
    awk -v n="$n" -v c="$(median "$n" 3)" -v w="$(median "$n" 1)" -v m="$(median "$n" 2)" \
      -v runs="$(awk '{ printf "%d ", $3 * 1000 }' "$TMP/$n.runs")" 'BEGIN {
        label["export_anpr"] = "tfprod export anpr_estimator -o X.pb"
        label["freeze"] = "tfprod freeze anpr_estimator --output softmax_tensor"
        label["freeze_graph"] = "freeze_graph (the seed'"'"'s flags, README)"
        label["opencv_anpr"] = "OpenCV 4.6 alone: read X.pb + forward (tuned)"
        printf "%-48s %8.0f %8.0f %8.1f  %s\n", label[n], c * 1000, w * 1000, m / 1024, runs }'
  done
  awk -v e="$(median export_anpr 3)" -v f="$(median freeze 3)" -v g="$(median freeze_graph 3)" 'BEGIN {
    printf "export anpr: %.0f ms CPU (aim < 100 ms: %s); tfprod freeze / freeze_graph: %.2fx (aim <= 1.5x: %s)\n",
      e * 1000, (e < 0.1 ? "met" : "MISSED"), (g > 0 ? f / g : 0), (g > 0 && f / g <= 1.5 ? "met" : "MISSED") }'
fi
exit 0

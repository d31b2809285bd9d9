#!/usr/bin/env bash
# ONNX export benchmark, the two figures of the ONNX issue's "Benchmark":
#   1. forward: OpenCV 4.6's forward time on the ONNX export vs the TF export
#      of the corpus models that have both (anpr_estimator, the lenets,
#      mnist_estimator_tf15), aim ONNX <= 1.1x TF: each case is exported both
#      ways with `tfprod export`, then bench/onnx_forward.cc loads both files in
#      one process and times forward() on one thread (median of
#      ONNX_BENCH_RUNS passes, default 200, alternating, thread CPU time);
#   2. export: CPU time (user+sys, wait4's rusage) of `tfprod export
#      anpr_estimator -o X.onnx` vs `-o X.pb`, median of ONNX_BENCH_REPS runs
#      (default 9, alternating: system time varies by tens of ms from run to
#      run on a VM), with verification (as users run it; aim
#      ONNX <= 1.2x) and with --no-verify.
#
#   bash bench/onnx_bench.sh [BUILD_DIR]      (default ./build)
#
# Builds nothing: needs BUILD_DIR/src/cli/tfprod (and its OpenCV plugin) and
# BUILD_DIR/bench/onnx_forward (built when CMake finds OpenCV). The corpus is
# read from ONNX_BENCH_CORPUS (default ../shared/corpus, beside the
# repository). ONNX_BENCH_LAYERS=1 adds OpenCV's per-layer timings of each
# net; ONNX_BENCH_SKIP, a space-separated subset of "forward export", leaves
# parts out. Exits 0 whether or not the aims are met (it is a measurement);
# non-zero when a command fails.
set -euo pipefail

BUILD=${1:-./build}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=${ONNX_BENCH_CORPUS:-$HERE/../../shared/corpus}
REPS=${ONNX_BENCH_REPS:-9}
RUNS=${ONNX_BENCH_RUNS:-200}
CASES=(anpr_estimator keras_tf1_lenet_saver_and_frozen lenet_saver_tf20_compat mnist_estimator_tf15)

SKIP=" ${ONNX_BENCH_SKIP:-} "

die() { echo "onnx_bench: $*" >&2; exit 1; }
skipped() { [[ $SKIP == *" $1 "* ]]; }

TFPROD=$BUILD/src/cli/tfprod
FORWARD=$BUILD/bench/onnx_forward
PLUGIN=$(ls "$BUILD"/src/opencv/libtfprod_opencv_plugin*.so 2>/dev/null | head -n 1 || true)
for exe in "$TFPROD" "$FORWARD"; do
  [[ -x $exe ]] || die "$exe not found; build it first: cmake --build $BUILD --target tfprod onnx_forward (needs libopencv-dev)"
done
[[ -n $PLUGIN ]] || die "$BUILD/src/opencv/libtfprod_opencv_plugin*.so not found; build tfprod first"
[[ -d $CORPUS ]] || die "corpus not found at $CORPUS (set ONNX_BENCH_CORPUS)"
command -v python3 >/dev/null || die "python3 is required (os.wait4 gives CPU time)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/onnx_bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Run copies of the binaries (the plugin beside tfprod, where it looks first),
# so that a rebuild during the run cannot pull them away.
mkdir "$TMP/bin"
cp "$TFPROD" "$FORWARD" "$PLUGIN" "$TMP/bin/"
TFPROD=$TMP/bin/tfprod FORWARD=$TMP/bin/onnx_forward

# timed NAME CMD...: runs CMD; appends its CPU seconds (user+sys) to $TMP/NAME.runs.
cat >"$TMP/rusage.py" <<'PY'
import os, subprocess, sys
out, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(log, "wb") as f:
    p = subprocess.Popen(cmd, stdout=f, stderr=f)
    _, status, ru = os.wait4(p.pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(1)
with open(out, "a") as f:
    f.write("%.4f\n" % (ru.ru_utime + ru.ru_stime))
PY
timed() {
  local name=$1
  shift
  if ! python3 "$TMP/rusage.py" "$TMP/$name.runs" "$TMP/$name.log" "$@"; then
    cat "$TMP/$name.log" >&2
    die "$name failed: $*"
  fi
}
median_ms() { sort -g "$TMP/$1.runs" | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m * 1000}'; }

forward_bench() {
  echo "== forward: OpenCV on the TF export vs the ONNX export (aim ONNX <= 1.1x TF)"
  ARGS=()
  for c in "${CASES[@]}"; do
    [[ -e $CORPUS/$c ]] || die "$CORPUS/$c not found"
    for ext in pb onnx; do
      "$TFPROD" export "$CORPUS/$c" -o "$TMP/$c.$ext" -q >"$TMP/export.log" 2>&1 || { cat "$TMP/export.log" >&2; die "export of $c to .$ext failed"; }
    done
    ARGS+=("$c" "$TMP/$c.pb" "$TMP/$c.onnx")
  done
  LAYERS=()
  [[ ${ONNX_BENCH_LAYERS:-0} == 1 ]] && LAYERS=(--layers)
  "$FORWARD" --runs "$RUNS" "${LAYERS[@]}" "${ARGS[@]}" || die "onnx_forward failed"
  echo
}

export_bench() {
  echo "== export: tfprod export $(basename "$CORPUS")/anpr_estimator, CPU ms (user+sys), median of $REPS (aim ONNX <= 1.2x TF)"
  for ((i = 0; i < REPS; i++)); do
    for v in verify no-verify; do
      flags=(-q)
      [[ $v == no-verify ]] && flags+=(--no-verify)
      for ext in pb onnx; do
        timed "$v.$ext" "$TFPROD" export "$CORPUS/anpr_estimator" -o "$TMP/x_$v.$ext" "${flags[@]}"
      done
    done
  done
  printf "%-34s %10s %10s %7s  %s\n" "export" "-o X.pb" "-o X.onnx" "ratio" "aim <=1.2x"
  for v in verify no-verify; do
    pb=$(median_ms "$v.pb") onnx=$(median_ms "$v.onnx")
    verdict=$(awk -v a="$pb" -v b="$onnx" 'BEGIN {r = b / a; printf "%.3fx  %s", r, (r <= 1.2 ? "met" : "MISSED")}')
    [[ $v == no-verify ]] && verdict=${verdict%  *}"  (no aim)"
    label="anpr_estimator"
    [[ $v == no-verify ]] && label="anpr_estimator --no-verify"
    printf "%-34s %10s %10s %s\n" "$label" "$pb" "$onnx" "$verdict"
  done
}

skipped forward || forward_bench
skipped export || export_bench

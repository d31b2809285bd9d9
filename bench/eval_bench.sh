#!/usr/bin/env bash
# Evaluator benchmark: forward time of tfprod's reference Evaluator (what
# `tfprod run` executes) against OpenCV DNN's forward on the same frozen conv
# net (~64 MFLOPs, built in memory with deterministic random weights), both on
# one thread, as a ratio. Aim: tfprod within 2x of OpenCV.
#
#   bash bench/eval_bench.sh [BUILD_DIR]      (default ./build)
#
# Builds nothing: needs BUILD_DIR/bench/eval_vs_opencv, which CMake adds only
# when OpenCV (core, dnn) is found -- a benchmark-only dependency:
#   apt-get install -y libopencv-dev && cmake -S . -B build && ninja -C build eval_vs_opencv
# EVAL_BENCH_RUNS timed runs (default 20; median reported) after
# EVAL_BENCH_WARMUP warm-up runs (default 3), each side in its own block.
# EVAL_BENCH_PROFILE=1 adds the per-node breakdown (tfprod nodes timed alone,
# with page faults per run; OpenCV per-layer times).
#
# Exits 0 whether or not the aim is met (it is a measurement); non-zero only
# when the binary is missing, fails, or the two outputs disagree (> 1e-4).
set -euo pipefail

BUILD=${1:-./build}
RUNS=${EVAL_BENCH_RUNS:-20}
WARMUP=${EVAL_BENCH_WARMUP:-3}
PROFILE=()
[[ ${EVAL_BENCH_PROFILE:-0} == 1 ]] && PROFILE=(--profile)
BIN=$BUILD/bench/eval_vs_opencv

if [[ ! -x $BIN ]]; then
  echo "eval_bench: $BIN not found; it is built only when CMake finds OpenCV:" >&2
  echo "  apt-get install -y libopencv-dev && cmake -S . -B $BUILD && ninja -C $BUILD eval_vs_opencv" >&2
  exit 1
fi

echo "eval_bench: $(nproc) CPUs visible, $(uname -m); tfprod $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')"
"$BIN" --runs "$RUNS" --warmup "$WARMUP" "${PROFILE[@]}"

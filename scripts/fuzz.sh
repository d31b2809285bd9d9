#!/usr/bin/env bash
# Builds tfprod's libFuzzer targets (fuzz/, clang-14, ASan + UBSan, any report
# aborts) into build-fuzz/, generates their seeds into build-fuzz/seeds/ and
# runs each target for SECONDS, one after the other, single process, nice 19.
#
#   bash scripts/fuzz.sh SECONDS [TARGET...]      # default: every target
#
# The corpus each run grows is kept in build-fuzz/corpus/TARGET/ (later runs
# start from it, and from the committed fuzz/corpus/TARGET/ of the long runs); a crash, leak or sanitizer report is written to
# build-fuzz/crashes/TARGET/ and makes the script exit 1 after all targets ran.
# Reproduce one:  build-fuzz/fuzz/TARGET build-fuzz/crashes/TARGET/crash-...
# Per-target executions and seconds (libFuzzer's final stats) are printed and
# written to build-fuzz/fuzz-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
bash scripts/install-deps.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTFPROD_FUZZ=ON -DTFPROD_BUILD_TESTS=OFF -DTFPROD_BUILD_BENCHMARKS=OFF >/dev/null
nice -n 19 cmake --build build-fuzz --parallel "$(nproc)" --target tfprod_fuzzers

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz/fuzz_*.cc; do
    t=$(basename "$f" .cc)
    [ "$t" = fuzz_util ] || targets+=("$t")
  done
fi

rm -rf build-fuzz/seeds
build-fuzz/fuzz/fuzz_make_seeds build-fuzz/seeds
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=build-fuzz/fuzz-summary.txt
printf '%-24s %12s %8s  %s\n' target executions seconds result | tee "$summary"
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t" build-fuzz/logs
  log=build-fuzz/logs/$t.log
  result=ok
  # The long runs' corpus (scripts/fuzz-long.sh), read-only here: a short run starts where they got to.
  committed=()
  [ -d "fuzz/corpus/$t" ] && committed=("fuzz/corpus/$t")
  # -rss_limit_mb / -malloc_limit_mb: a single allocation over 2 GiB, as from
  # a declared shape nobody checked against the file, is a finding too.
  if ! nice -n 19 "build-fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
      -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t/" \
      "build-fuzz/corpus/$t" "${committed[@]}" "build-fuzz/seeds/$t" >"$log" 2>&1; then
    result="FAILED (see $log)"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  secs=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
  printf '%-24s %12s %8s  %s\n' "$t" "${execs:-?}" "${secs:-?}" "$result" | tee -a "$summary"
done
exit $status

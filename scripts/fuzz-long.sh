#!/usr/bin/env bash
# Long fuzzing that accumulates across runs and sessions, toward each target's
# bar: 1 CPU-hour or 10 million executions, whichever comes first.
#
#   bash scripts/fuzz-long.sh CHUNK_SECONDS [ROUNDS] [TARGET...]
#
# Each round runs every target still under its bar for CHUNK_SECONDS of wall
# time, at nice 19 (so it takes only what other work leaves), one process,
# ASan + UBSan (build-fuzz/, as scripts/fuzz.sh builds it). A target starts
# from its committed corpus fuzz/corpus/TARGET plus the generated seeds; what
# it finds is merged back into fuzz/corpus/TARGET with -merge=1 (only inputs
# that add coverage), so the corpus stays small and the work is kept.
#
# Every chunk appends one line to the ledger fuzz/runs.tsv (UTC date, target,
# executions, CPU seconds, result), and fuzz/STATUS.md is rewritten from the
# ledger. A finding is kept in build-fuzz/crashes-long/TARGET/ and its log in
# build-fuzz/logs-long/; the result column says "FINDING" until it is fixed
# (then fix it, add a regression test, and note it in STATUS.md's findings).
# libFuzzer's -timeout is wall-clock time: do not pause (SIGSTOP) a chunk, or
# the input it was on is reported as a timeout. A chunk found so to be an
# artefact is marked "void" in the ledger by hand (its executions and CPU
# time still count; it is no finding) with a line in STATUS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
chunk=${1:?usage: scripts/fuzz-long.sh CHUNK_SECONDS [ROUNDS] [TARGET...]}
rounds=${2:-1}
shift $(($# >= 2 ? 2 : 1))

if [ ! -x build-fuzz/fuzz/fuzz_make_seeds ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTFPROD_FUZZ=ON -DTFPROD_BUILD_TESTS=OFF -DTFPROD_BUILD_BENCHMARKS=OFF >/dev/null
fi
nice -n 19 cmake --build build-fuzz --parallel "$(nproc)" --target tfprod_fuzzers >/dev/null

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz/fuzz_*.cc; do
    t=$(basename "$f" .cc)
    [ "$t" = fuzz_util ] || targets+=("$t")
  done
fi

ledger=fuzz/runs.tsv
[ -f "$ledger" ] || printf 'date\ttarget\texecutions\tcpu_seconds\tresult\n' >"$ledger"
rm -rf build-fuzz/seeds
build-fuzz/fuzz/fuzz_make_seeds build-fuzz/seeds >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# reached TARGET: true when the ledger shows the target at its bar.
reached() {
  awk -F'\t' -v t="$1" '$2 == t { e += $3; s += $4 } END { exit !(e >= 10000000 || s >= 3600) }' "$ledger"
}

for ((r = 0; r < rounds; ++r)); do
  for t in "${targets[@]}"; do
    reached "$t" && continue
    work=build-fuzz/corpus-long/$t
    mkdir -p "$work" "fuzz/corpus/$t" "build-fuzz/crashes-long/$t" build-fuzz/logs-long
    log=build-fuzz/logs-long/$t.$(date -u +%Y%m%dT%H%M%S).log
    result=ok
    # -rss_limit_mb / -malloc_limit_mb as in scripts/fuzz.sh: one allocation
    # over 2 GiB is a finding too.
    if ! /usr/bin/time -f '%U %S' -o "$log.cpu" nice -n 19 "build-fuzz/fuzz/$t" -max_total_time="$chunk" \
        -timeout=30 -rss_limit_mb=2560 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/crashes-long/$t/" "$work" "fuzz/corpus/$t" "build-fuzz/seeds/$t" >"$log" 2>&1; then
      result=FINDING
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # GNU time's last line holds "USER SYS" (a line before it says how a failing command exited).
    cpu=$(tail -n 1 "$log.cpu" 2>/dev/null | awk '{ printf "%.0f", $(NF-1) + $NF }' || echo 0)
    nice -n 19 "build-fuzz/fuzz/$t" -merge=1 -timeout=30 -rss_limit_mb=2560 -malloc_limit_mb=2048 \
      "fuzz/corpus/$t" "$work" >>"$log" 2>&1 || true
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "${execs:-0}" "${cpu:-0}" "$result" >>"$ledger"
    bash scripts/fuzz-status.sh >fuzz/STATUS.md
    echo "fuzz-long: $t: ${execs:-0} executions, ${cpu:-0} CPU s, $result"
  done
done

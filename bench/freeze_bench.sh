#!/usr/bin/env bash
# Freeze benchmark: wall time of freezing a large checkpoint as a ratio to
# `cp` of the same bytes, and peak RSS as a ratio to the output size.
# Aims (from the issue): time <= 1.5x cp, peak RSS <= 1.3x output.
#
#   bash bench/freeze_bench.sh [BUILD_DIR]      (default ./build)
#
# Builds nothing: needs BUILD_DIR/bench/make_big_checkpoint and
# BUILD_DIR/src/cli/{tfprod,freeze_graph}. Generates a checkpoint of
# FREEZE_BENCH_MIB MiB (default 576; at least 512 for the issue's figures)
# with FREEZE_BENCH_SHARDS data shards (default 1) in a temporary directory,
# removed on exit. Measurements are taken with a warm page cache (one untimed
# warm-up run of each command; nothing is dropped system-wide); before each
# timed run the previous output is removed and `sync` flushes dirty pages, so
# every run starts from the same state. Each figure is the median of
# FREEZE_BENCH_REPS runs (default 3). Wall time is measured with
# nanosecond clocks around the command; peak RSS is GNU time's %M.
#
# Exits 0 whether or not the aims are met (it is a measurement); non-zero only
# when a command fails.
set -euo pipefail

BUILD=${1:-./build}
MIB=${FREEZE_BENCH_MIB:-576}
SHARDS=${FREEZE_BENCH_SHARDS:-1}
REPS=${FREEZE_BENCH_REPS:-3}
TIME_AIM=1.5
RSS_AIM=1.3

die() { echo "freeze_bench: $*" >&2; exit 1; }

GEN=$BUILD/bench/make_big_checkpoint
TFPROD=$BUILD/src/cli/tfprod
FREEZE_GRAPH=$BUILD/src/cli/freeze_graph
for exe in "$GEN" "$TFPROD" "$FREEZE_GRAPH"; do
  [[ -x $exe ]] || die "$exe not found or not executable; build it first: ninja -C $BUILD make_big_checkpoint tfprod freeze_graph"
done

if [[ ! -x /usr/bin/time ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "freeze_bench: /usr/bin/time missing; installing GNU time" >&2
    apt-get install -y time >/dev/null || die "apt-get install -y time failed"
  fi
  [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is required for peak RSS; install the 'time' package"
fi
/usr/bin/time -f '%e %M' true 2>/dev/null || die "/usr/bin/time is not GNU time (needs -f '%e %M')"

if awk -v m="$MIB" 'BEGIN { exit !(m < 512) }'; then
  echo "freeze_bench: note: FREEZE_BENCH_MIB=$MIB is below the issue's 512 MiB" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/freeze_bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CKPT=$TMP/ckpt

# Run copies of the binaries, so a rebuild during the run cannot pull them away.
mkdir "$TMP/bin"
cp "$GEN" "$TFPROD" "$FREEZE_GRAPH" "$TMP/bin/"
GEN=$TMP/bin/make_big_checkpoint
TFPROD=$TMP/bin/tfprod
FREEZE_GRAPH=$TMP/bin/freeze_graph

echo "== generating a $MIB MiB checkpoint ($SHARDS shard(s)) in $CKPT"
"$GEN" "$CKPT" --mib "$MIB" --shards "$SHARDS"
shopt -s nullglob
DATA=("$CKPT"/model.ckpt.data-*)
shopt -u nullglob
((${#DATA[@]} > 0)) || die "no data shard was written"
BYTES=0
for f in "${DATA[@]}"; do BYTES=$((BYTES + $(stat -c %s "$f"))); done

# measure NAME OUTPUT CMD...: one timed run; appends "seconds rss_kib" to
# $TMP/NAME.runs. OUTPUT (a file or a glob prefix) is removed first.
measure() {
  local name=$1 out=$2
  shift 2
  rm -f "$out" "$out".*
  sync
  local t0 t1
  t0=$(date +%s%N)
  if ! /usr/bin/time -o "$TMP/$name.time" -f '%e %M' "$@" >"$TMP/$name.log" 2>&1; then
    cat "$TMP/$name.log" >&2
    die "$name failed: $*"
  fi
  t1=$(date +%s%N)
  local rss
  rss=$(awk '{ v = $2 } END { print v }' "$TMP/$name.time")
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $rss" >>"$TMP/$name.runs"
}

# median NAME FIELD: median of column FIELD of $TMP/NAME.runs.
median() {
  awk -v f="$2" '{ print $f }' "$TMP/$1.runs" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

copy_data() {  # cp every data shard to OUT.N
  local out=$1 i=0
  for f in "${DATA[@]}"; do cp "$f" "$out.$i"; i=$((i + 1)); done
}

CP_OUT=$TMP/copy.data
FROZEN=$TMP/frozen.pb
DROPIN=$TMP/frozen_dropin.pb
run_cp() { measure cp "$CP_OUT" bash -c "$(declare -f copy_data); DATA=($(printf '%q ' "${DATA[@]}")); copy_data $(printf '%q' "$CP_OUT")"; }
run_freeze() { measure freeze "$FROZEN" "$TFPROD" freeze "$CKPT" --output output -o "$FROZEN"; }
run_dropin() {
  measure freeze_graph "$DROPIN" "$FREEZE_GRAPH" --input_graph="$CKPT/graph.pb" \
    --input_checkpoint="$CKPT/model.ckpt" --output_graph "$DROPIN" --output_node_names=output
}
if ((${#DATA[@]} == 1)); then
  # The common case: plain `cp FILE OUT`, no wrapper shell.
  run_cp() { measure cp "$CP_OUT" cp "${DATA[0]}" "$CP_OUT"; }
fi

echo "== warm-up (untimed): page cache holds the checkpoint"
run_cp && run_freeze && run_dropin
rm -f "$TMP"/*.runs

echo "== $REPS timed runs each (interleaved)"
for ((r = 1; r <= REPS; r++)); do
  run_cp
  run_freeze
  run_dropin
done
OUT_BYTES=$(stat -c %s "$FROZEN")
DROPIN_BYTES=$(stat -c %s "$DROPIN")
cmp -s "$FROZEN" "$DROPIN" || echo "freeze_bench: note: tfprod freeze and freeze_graph outputs differ" >&2

CP_S=$(median cp 1)
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM;" \
  "$(uname -sr); temp dir on $(df -P "$TMP" | awk 'NR == 2 { print $1 }')" \
  "($(findmnt -no FSTYPE -T "$TMP" 2>/dev/null || echo '?'))"
echo "checkpoint: $BYTES bytes in ${#DATA[@]} data shard(s); median of $REPS runs, warm page cache"
echo "raw runs (seconds, peak RSS KiB):"
for n in cp freeze freeze_graph; do printf '  %-13s %s\n' "$n" "$(tr '\n' ';' <"$TMP/$n.runs" | sed 's/;$//; s/;/ | /g')"; done
echo
printf '%-13s %12s %8s %9s %7s %9s %9s %7s  %-10s %-10s\n' \
  command bytes cp_s time_s ratio rss_MiB out_MiB rss/out "time<=$TIME_AIM" "rss<=$RSS_AIM"
row() {  # NAME OUTPUT_BYTES
  local name=$1 out=$2 s rss
  s=$(median "$name" 1)
  rss=$(median "$name" 2)
  awk -v n="$name" -v b="$BYTES" -v cp="$CP_S" -v s="$s" -v rss="$rss" -v out="$out" \
    -v ta="$TIME_AIM" -v ra="$RSS_AIM" 'BEGIN {
      ratio = s / cp; rmib = rss / 1024; omib = out / 1048576; rr = rmib / omib
      printf "%-13s %12d %8.3f %9.3f %6.2fx %9.1f %9.1f %6.2fx  %-10s %-10s\n",
        n, b, cp, s, ratio, rmib, omib, rr, (ratio <= ta ? "met" : "MISSED"), (rr <= ra ? "met" : "MISSED") }'
}
row freeze "$OUT_BYTES"
row freeze_graph "$DROPIN_BYTES"
printf '%-13s %12d %8.3f %9s %7s %9.1f\n' cp "$BYTES" "$CP_S" - - "$(awk -v k="$(median cp 2)" 'BEGIN { print k / 1024 }')"

exit 0

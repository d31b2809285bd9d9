#!/usr/bin/env bash
# Large-model ONNX export: a generated training directory with
# ONNX_BENCH_MIB MiB of float32 weights (default 2560, past protobuf's 2 GiB
# limit) is exported with `tfprod export -o big.onnx`, which must put the
# weights into external data (big.onnx + big.onnx.data) on its own. Then ONNX
# Runtime (tests/js, npm onnxruntime-node) runs big.onnx on a random input and
# its output is compared with tfprod's evaluator (`tfprod run`) on the frozen
# graph. Prints the export's wall time and peak RSS (GNU time), the file
# sizes, ONNX Runtime's load+run time, and the max relative difference.
#
#   bash bench/onnx_large_bench.sh [BUILD_DIR]      (default ./build)
#
# Needs BUILD_DIR/bench/make_big_checkpoint, BUILD_DIR/src/cli/tfprod, node
# and tests/js/node_modules. Works in a temporary directory (removed on exit;
# about 3x ONNX_BENCH_MIB of disk). Verification in OpenCV is off
# (--no-verify): ONNX Runtime is the check here. Exits non-zero when a step
# fails or the outputs differ by more than 1e-4.
set -euo pipefail

BUILD=${1:-./build}
MIB=${ONNX_BENCH_MIB:-2560}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "onnx_large_bench: $*" >&2; exit 1; }

GEN=$BUILD/bench/make_big_checkpoint
TFPROD=$BUILD/src/cli/tfprod
for exe in "$GEN" "$TFPROD"; do
  [[ -x $exe ]] || die "$exe not found; build it first: ninja -C $BUILD make_big_checkpoint tfprod"
done
[[ -d $ROOT/tests/js/node_modules/onnxruntime-node ]] || die "tests/js/node_modules missing: (cd tests/js && npm ci --ignore-scripts)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is required for peak RSS; install the 'time' package"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/onnx_large_bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "generating $MIB MiB of weights ..."
"$GEN" "$TMP/train" --mib "$MIB" >/dev/null
du -sh "$TMP/train" | sed 's/^/checkpoint: /'

# The logits too (the last BiasAdd): the softmax of 8192-wide random layers saturates to one-hot.
LOGITS=$(grep -ao 'dense[_0-9]*/BiasAdd' "$TMP/train/graph.pb" | sort -V | tail -n 1)
[[ -n $LOGITS ]] || die "no dense*/BiasAdd in the generated graph"
mkdir -p "$TMP/out"
/usr/bin/time -f '%e %M' -o "$TMP/time" "$TFPROD" export "$TMP/train" -o "$TMP/out/big.onnx" --no-verify \
  --input input:float:1,8192 --output output --output "$LOGITS" -q || die "export failed"
[[ -f $TMP/out/big.onnx && -f $TMP/out/big.onnx.data ]] || die "export did not write big.onnx + big.onnx.data"
read -r secs kib <"$TMP/time"
model=$(stat -c %s "$TMP/out/big.onnx")
data=$(stat -c %s "$TMP/out/big.onnx.data")
echo "export: ${secs} s, peak RSS $((kib / 1024)) MiB; big.onnx $model bytes, big.onnx.data $data bytes" \
  "(peak RSS / weights: $(awk -v k="$kib" -v d="$data" 'BEGIN { printf "%.2f", k * 1024 / d }')x)"

# The reference: tfprod's evaluator on the frozen graph, for a random input.
NODE_PATH=$ROOT/tests/js/node_modules node -e '
const fs = require("fs");
const n = 8192, x = new Float32Array(n);
let s = 12345;
for (let i = 0; i < n; ++i) { s = (s * 1103515245 + 12345) % 2147483648; x[i] = s / 2147483648 - 0.5; }
let header = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (1, 8192), }";
header += " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
const h = Buffer.alloc(10); h.write("\x93NUMPY", 0, "latin1"); h[6] = 1; h[7] = 0; h.writeUInt16LE(header.length, 8);
fs.writeFileSync(process.argv[1], Buffer.concat([h, Buffer.from(header, "latin1"), Buffer.from(x.buffer)]));
' "$TMP/x.npy"
"$TFPROD" run "$TMP/train" --feed "input=$TMP/x.npy" --output output --output "$LOGITS" --out-dir "$TMP/ref" >/dev/null

NODE_PATH=$ROOT/tests/js/node_modules node -e '
const fs = require("fs"), ort = require("onnxruntime-node");
function npy(p) {
  const b = fs.readFileSync(p), len = b.readUInt16LE(8), off = 10 + len;
  return new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
}
(async () => {
  const t0 = Date.now();
  const session = await ort.InferenceSession.create(process.argv[1], { intraOpNumThreads: 2 });
  const t1 = Date.now();
  const r = await session.run({ input: new ort.Tensor("float32", npy(process.argv[2]), [1, 8192]) });
  const t2 = Date.now();
  let worst = 0;
  for (const [name, file] of [["output", process.argv[3]], [process.argv[4], process.argv[5]]]) {
    const got = r[name].data, want = npy(file);
    if (got.length !== want.length) { console.log(`${name}: size ${got.length} vs ${want.length}`); process.exit(1); }
    let mag = 1, diff = 0;
    for (let i = 0; i < want.length; ++i) { mag = Math.max(mag, Math.abs(want[i])); diff = Math.max(diff, Math.abs(got[i] - want[i])); }
    const rel = diff / mag;
    worst = Math.max(worst, rel);
    console.log(`${name}: max |value| ${mag.toExponential(2)}, max relative difference to the evaluator ${rel.toExponential(2)}`);
  }
  console.log(`ONNX Runtime: load ${(t1 - t0) / 1000} s, run ${(t2 - t1) / 1000} s`);
  process.exit(worst <= 1e-4 ? 0 : 1);
})().catch(e => { console.log(`ONNX Runtime failed: ${e.message}`); process.exit(1); });
' "$TMP/out/big.onnx" "$TMP/x.npy" "$TMP/ref/output.npy" "$LOGITS" "$(find "$TMP/ref" -name 'BiasAdd*.npy' -o -name '*BiasAdd.npy' | head -n 1)"

// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, CPU), a runtime
// independent of tfprod: reads {"model": PATH, "inputs": {NAME: {"dims": [...],
// "data": [...]}}} as JSON on stdin, prints {"outputs": {NAME: {"dims", "data"}}}
// (every model output, float32 inputs) or {"error": MESSAGE} as JSON on stdout.
'use strict';
const ort = require('onnxruntime-node');

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  try {
    const session = await ort.InferenceSession.create(request.model, { intraOpNumThreads: 1 });
    const feeds = {};
    for (const [name, t] of Object.entries(request.inputs)) {
      feeds[name] = new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
    }
    const results = await session.run(feeds);
    const outputs = {};
    for (const name of session.outputNames) {
      const r = results[name];
      outputs[name] = { dims: Array.from(r.dims), data: Array.from(r.data, Number) };
    }
    process.stdout.write(JSON.stringify({ outputs }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + '\n');
  }
}
main();

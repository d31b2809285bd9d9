// Runs a model in OpenCV 5.0.0 compiled to WASM (npm @opencvjs/web
// 5.0.0-release.2), a runtime independent of tfprod and of the system's
// OpenCV 4.6: reads {"model": PATH, "format": "onnx" | "tf", "inputs": {NAME:
// {"dims": [...], "data": [...]}}, "outputs": [NAME, ...]} as JSON on stdin,
// loads the file with readNetFromONNX / readNetFromTensorflow, and prints
// {"outputs": {NAME: {"dims", "data"}}} or {"error": MESSAGE} on stdout.
//
// opencv.js binds no N-D Mat constructor: 2-D inputs are matFromArray, 4-D
// ones [1, C, H, W] (NCHW, as both importers take them) come from an H x W
// image of C float channels through blobFromImage (CV_32FC(c) is
// 5 + ((c - 1) << 5): CV_CN_SHIFT is 5 in OpenCV 5; blobFromImage aborts for
// C other than 1, 3, 4, measured with 20); other inputs are refused with a message. OpenCV errors abort the module rather than
// throw, so any failure is reported as the error.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadOpenCV } from '@opencvjs/web';

function inputMat(cv, name, t) {
  const d = t.dims;
  if (d.length === 2) return cv.matFromArray(d[0], d[1], cv.CV_32F, t.data);
  if (d.length === 4 && d[0] === 1 && [1, 3, 4].includes(d[1])) {  // blobFromImage aborts on other channel counts
    const [, c, h, w] = d;
    const hwc = new Float32Array(c * h * w);
    for (let k = 0; k < c; ++k)
      for (let i = 0; i < h * w; ++i) hwc[i * c + k] = t.data[k * h * w + i];
    const image = new cv.Mat(h, w, 5 + ((c - 1) << 5));  // matFromArray refuses many-channel types
    image.data32F.set(hwc);
    const blob = cv.blobFromImage(image, 1.0, new cv.Size(w, h), new cv.Scalar(0, 0, 0, 0), false, false);
    image.delete();
    return blob;
  }
  throw new Error(`input ${name}: dims [${d}] (opencv.js makes only 2-D and [1, C, H, W] blobs, C 1, 3 or 4)`);
}

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  try {
    const cv = await loadOpenCV();
    const file = '/' + basename(request.model);
    cv.FS_createDataFile('/', file.slice(1), new Uint8Array(readFileSync(request.model)), true, false, false);
    const net = request.format === 'tf' ? cv.readNetFromTensorflow(file) : cv.readNetFromONNX(file);
    for (const [name, t] of Object.entries(request.inputs)) net.setInput(inputMat(cv, name, t), name);
    const outputs = {};
    for (const name of request.outputs) {
      const m = net.forward(name);
      const dims = m.matSize ? Array.from(m.matSize) : [m.rows, m.cols];
      outputs[name] = { dims, data: Array.from(m.data32F) };
      m.delete();
    }
    process.stdout.write(JSON.stringify({ outputs }) + '\n');
  } catch (e) {
    const message = typeof e === 'number' ? `OpenCV aborted (exception pointer ${e})` : String(e && e.message ? e.message : e);
    process.stdout.write(JSON.stringify({ error: message }) + '\n');
  }
}
main();

// The model on the device: LiteRT.js (vendored from npm by web/vendor.sh and served by the
// app itself) runs the export's model.tflite, the file the server runs, in WebAssembly
// (on the CPU, with XNNPACK, as Python's LiteRT interpreter does).

import { fixBatchSize } from './flatbuffer.js';

const VENDOR = new URL('../vendor/litertjs-core/', import.meta.url);

let runtime; // one LiteRT.js instance per page; loadLiteRt refuses a second

function loadRuntime() {
  runtime ??= (async () => {
    const litert = await import(new URL('index.js', VENDOR).href);
    // A folder: LiteRT.js picks the build this browser supports (relaxed SIMD or not) from it.
    await litert.loadLiteRt(new URL('wasm/', VENDOR).href);
    return litert;
  })();
  return runtime;
}

/** Compile a .tflite flatbuffer (Uint8Array, modified); returns predict(input, shape) -> Float32Array of probabilities. */
export async function loadModel(bytes) {
  const litert = await loadRuntime();
  const model = await litert.loadAndCompile(fixBatchSize(bytes), { accelerator: 'wasm' });
  return async (input, shape) => {
    const tensor = new litert.Tensor(input, shape);
    try {
      const outputs = await model.run(tensor);
      const probabilities = Float32Array.from(outputs[0].toTypedArray());
      outputs.forEach((output) => output.delete());
      return probabilities;
    } finally {
      tensor.delete(); // LiteRT.js tensors live in wasm memory: freed by hand
    }
  };
}

// The model on the device: LiteRT.js (vendored from npm by web/vendor.sh and served by the
// app itself) runs the export's model.tflite, the file the server runs, in WebAssembly
// (on the CPU, with XNNPACK, as Python's LiteRT interpreter does).

import { fixBatchSize } from './flatbuffer.js';

const VENDOR = new URL('../vendor/litertjs-core/', import.meta.url);

let runtime; // one LiteRT.js instance per page; loadLiteRt refuses a second

// Threads for the model where the page may use them: cross-origin isolated (SharedArrayBuffer),
// and at most 4, as phones' big cores go.
// `?threads=N` in the page's address caps them (bench/app_latency.py compares 1 with more).
const asked = Number(new URLSearchParams(self.location.search).get('threads')) || Infinity;
export const THREADS = self.crossOriginIsolated
  ? Math.max(1, Math.min(4, asked, navigator.hardwareConcurrency || 1)) : 1;

// The runtime's own log lines ("INFO: [environment.cc:36] Creating LiteRT environment ...") reach the
// console as errors: its WebAssembly writes them to stderr, which Emscripten prints with
// console.error. LiteRT.js 2.5 has no option to quiet them (loadLiteRt takes `threads` and `jspi`
// only; its setupLogging() takes no level), so they are left as they are.
function loadRuntime() {
  runtime ??= (async () => {
    const litert = await import(new URL('index.js', VENDOR).href);
    // A folder: LiteRT.js picks the build this browser supports (threads, relaxed SIMD or not) from it.
    try {
      await litert.loadLiteRt(new URL('wasm/', VENDOR).href, THREADS > 1 ? { threads: true } : undefined);
      return { litert, threads: THREADS };
    } catch (error) {
      // e.g. no relaxed SIMD: LiteRT.js refuses threads before it starts loading, so it can load again
      if (THREADS === 1) throw error;
      console.warn('the threaded runtime did not load: one thread', error);
      await litert.loadLiteRt(new URL('wasm/', VENDOR).href);
      return { litert, threads: 1 };
    }
  })();
  return runtime;
}

/** How many threads the model runs on. */
export const runtimeThreads = async () => (await loadRuntime()).threads;

/** Compile a .tflite flatbuffer (Uint8Array, modified); returns predict(input, shape) -> Float32Array of probabilities. */
export async function loadModel(bytes) {
  const { litert, threads } = await loadRuntime();
  const model = await litert.loadAndCompile(fixBatchSize(bytes),
    { accelerator: 'wasm', cpuOptions: { numThreads: threads } });
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

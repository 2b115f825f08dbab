// The browser's digit reader: both models' probabilities for a drawing surface's raster, with
// ONNX Runtime Web (WASM, one thread, in a Web Worker of its own) running digit_reader.onnx, which `python -m train.export_onnx`
// exports from the shipped checkpoints and core/digits/canvas.py (prepare_digit as a torch module).
// Nothing here reads a digit by hand: the graph does it all. Served by the app itself, from this folder.
//
//   const { openReader } = await import(base + 'reader.mjs');
//   const reader = await openReader(base);                  // base: this folder's URL, ending in '/'
//   const { cnn, mlp, found, layers } = await reader.read(raster);  // raster: Uint8Array, side * side grey (0 = ink)
//   layers: the MLP opened, { input (784, normalised pixels), pre1 (128, before the ReLU), h1 (128), h2 (64) }

const RUNTIME = 'ort.wasm.bundle.min.mjs';  // the smallest build: WASM only, no WebGPU or WebGL, glue code bundled
const WASM = 'ort-wasm-simd-threaded.wasm.gz';  // 3.8 MB gzipped instead of 14.8 MB: the app serves files as they are
const MODEL = 'digit_reader.onnx';

async function gunzip(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
}

export async function openReader(base) {
  if (typeof WebAssembly !== 'object') throw new Error('this browser cannot run WebAssembly');  // asked here: the worker is another realm
  const [ort, wasm] = await Promise.all([import(base + RUNTIME), gunzip(base + WASM)]);
  ort.env.wasm.numThreads = 1;  // threads need a cross-origin-isolated page; one is enough for this graph
  // The runtime runs in a Web Worker of its own (ONNX Runtime Web's proxy), so a reading never holds up
  // the page's thread, which draws the stroke and handles the pointer; the page only awaits the answer.
  ort.env.wasm.proxy = typeof Worker === 'function';
  ort.env.wasm.wasmBinary = wasm;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(base + MODEL, { executionProviders: ['wasm'] });
  let busy = Promise.resolve();
  async function run(raster) {
    const side = Math.round(Math.sqrt(raster.length));
    // A copy: the proxy hands the tensor's buffer over to the worker, and the caller may still need its raster.
    const outputs = await session.run({ raster: new ort.Tensor('uint8', raster.slice(), [side, side]) });
    const layers = { input: outputs.mlp_input.data, pre1: outputs.mlp_pre1.data, h1: outputs.mlp_h1.data, h2: outputs.mlp_h2.data };
    return { cnn: Array.from(outputs.cnn.data), mlp: Array.from(outputs.mlp.data), found: Boolean(outputs.found.data[0]), layers };
  }
  return {
    // One run at a time (a session is not re-entrant): a reading waits for the one before it.
    read(raster) {
      const result = busy.then(() => run(raster));
      busy = result.catch(() => {});
      return result;
    },
  };
}

// drawing_surface, with `reader` (appended after surface.js, sharing its names): reads the drawing in the
// browser while the pen moves, with demos/assets/reader/reader.mjs (ONNX Runtime Web), so nothing is
// sent to the server until pen-up. Each reading is a 'digit-reading' event {surface, seq, cnn, mlp, layers} on
// the page's container, which the probability_bars reading this surface draw (and the sketcher's MLP view
// its layers: reader.mjs's `layers`, the MLP's input and hidden activations). The runtime loads after
// the page's first result (or the first stroke); until it is ready, or if WASM cannot run, the server
// reads as before. element.dataset.readerState (data-reader-state): loading, ready or failed; .readings counts browser readings.
// A reading runs in the runtime's own worker (reader.mjs), at the pointer's rate: each ends with the drawing
// as it is then read next, with no timer between; the event's `ms` is how long it took, raster to answer.
const readerFolder = canvas.dataset.reader, surfaceId = canvas.dataset.surface;
const scope = element.closest('.gradio-container') || element.getRootNode();
let browserReader = null, readerState = null, readPending = false, readRunning = false, readings = 0;
let readOf = -1;  // surface.js's `drawn` when the last reading took its raster

function appRoot() {  // an embed's <gradio-app src>, else this page's own address (a tab, a standalone page, an iframe)
  let node = element;
  while (node) {
    const app = node.closest && node.closest('gradio-app');
    if (app) { const src = app.getAttribute('src'); return src ? (src.endsWith('/') ? src : src + '/') : document.baseURI; }
    node = node.getRootNode && node.getRootNode().host;
  }
  return document.baseURI;
}
async function loadReader() {
  if (readerState || !readerFolder) return;
  readerState = element.dataset.readerState = 'loading';
  try {
    const base = new URL(readerFolder, appRoot()).href;
    const { openReader } = await import(base + 'reader.mjs');
    browserReader = await openReader(base);
    readerState = element.dataset.readerState = 'ready';
  } catch (error) {
    readerState = element.dataset.readerState = 'failed';  // the server goes on reading
    console.warn('Reading in the browser is off; the server reads instead:', error);
  }
}
function publish(at, result, ms) {
  readings += 1;
  element.dataset.readings = String(readings);
  const found = result.found;
  scope.dispatchEvent(new CustomEvent('digit-reading', { detail: { surface: surfaceId, seq: at, cnn: found ? result.cnn : null, mlp: found ? result.mlp : null, layers: found ? result.layers : null, ms } }));
}
function readNow(at, raster) {  // one reading of `raster`, published with seq `at`
  const began = performance.now();
  readOf = drawn;
  return browserReader.read(raster).then(result => publish(at, result, performance.now() - began));
}
async function readLoop() {  // the latest drawing next, one reading at a time
  readRunning = true;
  while (readPending && browserReader) {
    readPending = false;
    seq += 1;  // a reading is newer than every answer before it, older than the next pen-up
    element.dataset.seq = String(seq);
    const at = seq;
    try { await readNow(at, grey()); } catch (error) { browserReader = null; readerState = element.dataset.readerState = 'failed'; }
  }
  readRunning = false;
}
function readInBrowser() {  // surface.js asks while the pen moves: true when the browser reads, and the server is not asked
  if (!browserReader) return false;
  readPending = true;
  if (!readRunning) readLoop();
  return true;
}
function readFinished(at, raster) {  // Undo, Clear, a picture put on: the browser's reading at once; the server's answer follows with the same seq
  // After a stroke read while it was drawn, the drawing is read (or being read) already: no second reading at pen-up.
  if (browserReader && raster && !readPending && readOf !== drawn) readNow(at, raster).catch(() => {});
}
// After the page's first result: the first bars that read this surface show a digit. Or at the first stroke.
const firstResult = setInterval(() => {
  if (scope.querySelector(`[data-reads^="${surfaceId}:"][data-digit]:not([data-digit=""])`)) { clearInterval(firstResult); loadReader(); }
}, 250);
setTimeout(() => { clearInterval(firstResult); loadReader(); }, 20000);
canvas.addEventListener('pointerdown', () => { clearInterval(firstResult); loadReader(); });

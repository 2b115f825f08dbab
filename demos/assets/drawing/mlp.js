// The sketcher's MLP view (demos/sketcher/mlp.py): the drawing's activations through 784 -> 128 -> 64 -> 10 as the
// pen moves, and one first-layer unit's weights beside weight x input. It draws values; the model is never here:
// - layers: from the browser's reader (a 'digit-reading' event, reader.js: digit_reader.onnx's MLP outputs) or from
//   the server (the MLP bars' value, handed on by fresh.js as a 'model-layers' event); the newest drawing's (seq) wins;
// - a unit's weights: props.value as show_unit sends it ({unit, weights: base64 float32, bias, colours, *_alt}),
//   asked for by setting props.value = {unit} and trigger('input').
// Colours: core.palette.diverging (white at 0, the palette's end colour at +-scale). data-*: unit (chosen),
// shown (whose weights are drawn), updates (layer views drawn), seq, sum (weight x input + bias, added up here).
const root = element.querySelector('.mlp');
const surfaceId = root.dataset.surface, readsId = surfaceId + ':mlp';
const scope = element.closest('.gradio-container') || element.getRootNode();
const strip = root.querySelector('.h1'), COLUMNS = Number(strip.dataset.columns);
const units = [...strip.querySelectorAll('.cell')], second = [...root.querySelectorAll('.h2 .cell')], outputs = [...root.querySelectorAll('.out .cell')];
const weightsCanvas = root.querySelector('canvas.weights'), productCanvas = root.querySelector('canvas.product');
const pick = root.querySelector('input.pick'), strongest = root.querySelector('button.strongest');
const readout = root.querySelector('.readout'), unitNo = root.querySelector('.unit-no'), source = root.querySelector('.source');
const SIDE = weightsCanvas.width;  // 28: a unit's 784 weights, one a pixel
let unit = null, shown = null, layers = null, probabilities = null, from = null, latest = -Infinity, updates = 0, asking = null;
let colours = null;

function rgb(hex) { return [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)); }
function setColours(c) { if (c && c.negative) colours = { negative: rgb(c.negative), positive: rgb(c.positive) }; }
setColours((props.value && props.value.colours) || { negative: '#2166ac', positive: '#b2182b' });
function colour(value, scale) {  // core.palette.diverging, one value
  const t = Math.max(-1, Math.min(1, value / (scale || 1))), end = t >= 0 ? colours.positive : colours.negative;
  return end.map(v => Math.trunc(255 + (v - 255) * Math.abs(t)));
}
function maxAbs(values) { let m = 0; for (const v of values || []) m = Math.max(m, Math.abs(v)); return m; }
function paint(canvas, values) {  // SIDE * SIDE values, row by row -> the picture, scaled to its largest magnitude
  const scale = maxAbs(values), image = new ImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) image.data.set([...colour(values[i], scale), 255], 4 * i);
  canvas.getContext('2d').putImageData(image, 0, 0);
}
function fill(cells, values, scale) {  // one cell a unit; scale: the layer's largest value now, unless given
  const top = scale || maxAbs(values);
  cells.forEach((cell, i) => { const [r, g, b] = colour(values ? values[i] : 0, top); cell.style.background = `rgb(${r}, ${g}, ${b})`; });
}
function decode(text) { return new Float32Array(Uint8Array.from(atob(text), c => c.charCodeAt(0)).buffer); }
function shortly(x) { return (Math.abs(x) < 0.005 ? 0 : x).toFixed(2); }

function drawLayers() {
  fill(units, layers && layers.h1);
  fill(second, layers && layers.h2);
  fill(outputs, probabilities, 1);
  if (!layers) source.textContent = 'Draw a digit: its layers light up as you draw.';
  else if (from === 'browser') source.textContent = 'Read in your browser as you draw.';
  else {
    const reader = scope.querySelector(`#${surfaceId} [data-reader-state]`);
    source.textContent = reader && reader.dataset.readerState === 'failed'
      ? 'Read by the server: this browser cannot run the reader (WebAssembly), so the layers move at the server\'s pace.'
      : 'Read by the server.';
  }
}
function drawProduct() {  // the chosen unit on the drawing: weight x input, and what they add up to
  if (!shown || shown.unit !== unit) return;
  if (!layers) {
    productCanvas.getContext('2d').clearRect(0, 0, SIDE, SIDE);
    readout.textContent = `Unit ${unit}: draw a digit to see what it makes of it.`;
    return;
  }
  const product = new Float32Array(SIDE * SIDE);
  let sum = shown.bias;
  for (let i = 0; i < product.length; i++) { product[i] = shown.weights[i] * layers.input[i]; sum += product[i]; }
  paint(productCanvas, product);
  productCanvas.setAttribute('aria-label', shown.productAlt);
  root.dataset.sum = String(sum);
  root.dataset.pre = String(layers.pre1[unit]);
  const z = layers.pre1[unit], a = layers.h1[unit];
  readout.textContent = `Unit ${unit}: weight × pixel, added up, plus its bias (${shortly(shown.bias)}) = ${shortly(z)}; ` +
    (a > 0 ? `after the ReLU its activation is ${shortly(a)}.` : 'below zero, so the ReLU turns it off (0).');
}
function setLayers(seq, next, p, origin) {  // a reading: the drawing's layers (null: no digit)
  if (typeof seq === 'number') {
    if (seq < latest) return;  // an answer about an older drawing
    latest = seq;
    root.dataset.seq = String(seq);
  }
  layers = next || null; probabilities = layers ? p : null; from = origin;
  drawLayers();
  updates += 1;
  root.dataset.updates = String(updates);
  if (layers && unit === null) choose(strongestUnit());  // the first reading opens the unit it excites most
  drawProduct();
}
function strongestUnit() {
  let best = 0;
  for (let i = 1; i < units.length; i++) if (layers.h1[i] > layers.h1[best]) best = i;
  return best;
}
function choose(n, { focus = false, soon = false } = {}) {
  if (!Number.isInteger(n) || n < 0 || n >= units.length) return;
  if (unit !== null) { units[unit].classList.remove('chosen'); units[unit].setAttribute('aria-selected', 'false'); units[unit].tabIndex = -1; }
  units[0].tabIndex = -1;
  unit = n;
  root.dataset.unit = String(n);
  const cell = units[n];
  cell.classList.add('chosen'); cell.setAttribute('aria-selected', 'true'); cell.tabIndex = 0;
  if (focus) cell.focus();
  pick.value = String(n);
  unitNo.textContent = String(n);
  clearTimeout(asking);
  if (shown && shown.unit === n) { drawUnit(); return; }
  asking = setTimeout(() => { props.value = { unit }; trigger('input'); }, soon ? 150 : 0);  // arrow keys held: the last one asked
}
function drawUnit() {
  paint(weightsCanvas, shown.weights);
  weightsCanvas.setAttribute('aria-label', shown.weightsAlt);
  root.dataset.shown = String(shown.unit);
  drawProduct();
}
function received(value) {  // show_unit's answer, or recolour_unit's
  if (!value) return;
  setColours(value.colours);
  if (typeof value.weights === 'string' && value.unit === unit) {
    shown = { unit: value.unit, weights: decode(value.weights), bias: value.bias, weightsAlt: value.weights_alt, productAlt: value.product_alt };
    drawUnit();
  }
  drawLayers();  // the palette may have changed
}

units[0].tabIndex = 0;  // the strip is one stop for Tab; the arrow keys move within it
strip.addEventListener('click', e => { const cell = e.target.closest('.cell'); if (cell) choose(Number(cell.dataset.unit), { focus: true }); });
strip.addEventListener('keydown', e => {
  const at = unit ?? 0, last = units.length - 1;
  const to = { ArrowLeft: at - 1, ArrowRight: at + 1, ArrowUp: at - COLUMNS, ArrowDown: at + COLUMNS, Home: 0, End: last }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  choose(Math.max(0, Math.min(last, to)), { focus: true, soon: true });
});
pick.addEventListener('change', () => choose(Number(pick.value)));
strongest.addEventListener('click', () => { if (layers) choose(strongestUnit()); });
scope.addEventListener('digit-reading', e => { if (e.detail.surface === surfaceId) setLayers(e.detail.seq, e.detail.layers, e.detail.mlp, 'browser'); });
function decoded(sent) {  // the server's layers: each float32 bytes, base64 (mlp.py's layers_value)
  if (!sent) return null;
  return Object.fromEntries(Object.entries(sent).map(([name, text]) => [name, decode(text)]));
}
scope.addEventListener('model-layers', e => { if (e.detail.reads === readsId) setLayers(e.detail.seq, decoded(e.detail.layers), e.detail.probabilities, 'server'); });
watch('value', () => received(props.value));
drawLayers();

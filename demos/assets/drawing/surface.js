// drawing_surface: pointer events draw on the canvas; props.value = {seq, done, side, ink} (demos/drawing.py says what each is).
const canvas = element.querySelector('canvas');
const ctx = canvas.getContext('2d');
const SIDE = canvas.width, SEND = Number(canvas.dataset.send), INTERVAL = Number(canvas.dataset.interval);
const live = canvas.dataset.live === 'true';
const small = document.createElement('canvas');
small.width = small.height = SEND;
const smallCtx = small.getContext('2d', { willReadFrequently: true });
const size = element.querySelector('input[type=range]');
const sizeShown = element.querySelector('.size-shown');
let strokes = [], current = null, pointer = null, seq = 0, lastSent = -Infinity, timer = null;
let drawn = 0;  // counts every change drawn on the canvas (reader.js: has the latest drawing been read?)
let base = null, started = null;  // a starting picture from the server (surface_with), under the strokes

function paper() { drawn += 1; ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, SIDE, SIDE); if (base) ctx.drawImage(base, 0, 0, SIDE, SIDE); }
function segment(stroke, from) {
  drawn += 1;
  ctx.lineWidth = stroke.width; ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.strokeStyle = '#000';
  const p = stroke.points;
  ctx.beginPath();
  ctx.moveTo(p[Math.max(0, from - 1)][0], p[Math.max(0, from - 1)][1]);
  if (p.length === 1) ctx.lineTo(p[0][0] + 0.01, p[0][1]);  // a dot
  for (let i = Math.max(1, from); i < p.length; i++) ctx.lineTo(p[i][0], p[i][1]);
  ctx.stroke();
}
function redraw() { paper(); strokes.forEach(s => segment(s, 0)); }
function at(e) {
  const box = canvas.getBoundingClientRect();
  return [(e.clientX - box.left) * SIDE / box.width, (e.clientY - box.top) * SIDE / box.height];
}
function grey() {  // the drawing shrunk to SEND x SEND grey levels (0 = ink)
  smallCtx.drawImage(canvas, 0, 0, SEND, SEND);  // the browser averages 2x2 pixels into one
  const rgba = smallCtx.getImageData(0, 0, SEND, SEND).data;
  const levels = new Uint8Array(SEND * SEND);
  for (let i = 0; i < levels.length; i++) levels[i] = rgba[4 * i];
  return levels;
}
function ink(levels) {
  if (!levels) return '';
  let text = '';
  for (let i = 0; i < levels.length; i++) text += String.fromCharCode(levels[i]);
  return btoa(text);
}
function send(done) {
  clearTimeout(timer); timer = null;
  seq += 1; lastSent = performance.now();
  element.dataset.seq = String(seq);
  element.dataset.sentAt = String(lastSent);
  const levels = strokes.length || base ? grey() : null;
  props.value = { seq: seq, done: done, side: SEND, ink: ink(levels) };  // fires the component's change event
  trigger(done ? 'release' : 'input');  // release: for listeners that want the finished drawing only; input: a reading while the pen moves
  if (done && typeof readFinished === 'function') readFinished(seq, levels);  // reader.js, when the page has it: after the server is asked
}
function soon() {  // a reading while the pen moves, at most one per INTERVAL
  if (!live) return;
  if (typeof readInBrowser === 'function' && readInBrowser()) return;  // reader.js reads it in the browser
  const wait = INTERVAL - (performance.now() - lastSent);
  if (wait <= 0) send(false);
  else if (!timer) timer = setTimeout(() => { timer = null; if (current) send(false); }, wait);
}
canvas.addEventListener('pointerdown', e => {
  if (current) return;  // one pen at a time: a second finger does not draw
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId);
  pointer = e.pointerId;
  current = { width: Number(size.value), points: [at(e)] };
  strokes.push(current);
  segment(current, 0);
  soon();
});
canvas.addEventListener('pointermove', e => {
  if (!current || e.pointerId !== pointer) return;
  const from = current.points.length;
  for (const c of (e.getCoalescedEvents ? e.getCoalescedEvents() : [e])) current.points.push(at(c));
  if (current.points.length === from) current.points.push(at(e));
  segment(current, from);
  soon();
});
function up(e) {
  if (!current || e.pointerId !== pointer) return;
  current = null; pointer = null;
  send(true);
}
canvas.addEventListener('pointerup', up);
canvas.addEventListener('pointercancel', up);
element.querySelector('.undo').addEventListener('click', () => { if (!strokes.length) return; strokes.pop(); redraw(); send(true); });
element.querySelector('.clear').addEventListener('click', () => {
  if (!strokes.length && !base) return;
  strokes = []; base = null; redraw(); send(true);
});
function start(value) {  // surface_with's value: its picture becomes the drawing, sent as if drawn
  if (!value || value.start === undefined || value.start === started || !value.side || typeof value.ink !== 'string') return;
  started = value.start;
  const bytes = atob(value.ink), n = value.side;
  const picture = document.createElement('canvas');
  picture.width = picture.height = n;
  const pixels = picture.getContext('2d').createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const v = bytes.charCodeAt(i);
    pixels.data[4 * i] = pixels.data[4 * i + 1] = pixels.data[4 * i + 2] = v; pixels.data[4 * i + 3] = 255;
  }
  picture.getContext('2d').putImageData(pixels, 0, 0);
  base = picture; strokes = []; current = null; pointer = null;
  redraw();
  send(true);
}
watch('value', () => start(props.value));
size.addEventListener('input', () => { sizeShown.textContent = size.value + ' px'; });
ctx.imageSmoothingQuality = 'high';  // a 28 x 28 digit is enlarged smoothly, as if drawn
paper();
start(props.value);  // a page may open on a picture
element.dataset.ready = 'true';

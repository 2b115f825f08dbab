"""The drawing surface and the live outputs drawn in the page, shared by the sketcher and the filter visualiser.

Built on `gr.HTML` (html_template, css_template, js_on_load): no build step, no web framework.

- `drawing_surface`: a <canvas> that is ready on load; mouse, pen and touch draw (pointer events,
  `touch-action: none`); Undo and Clear are buttons; a brush size slider. Its value is
  `{"seq", "done", "side", "ink"}`: `ink` is the drawing shrunk in the browser to `side` x `side`
  grey pixels (0 = ink, 255 = paper), base64, at most 15 times a second while the pen moves
  (`done` false, only when `live`) and once on pen-up, Undo and Clear (`done` true). Setting the
  value fires the component's `change` event; a `done` value also fires `release`, so that work
  that needs the finished drawing (explanations) is not queued on every reading. `seq` counts up
  with every value sent.
- `probability_bars`, `picture`, `reading_text`: outputs that draw a small value in the page
  (ten bar widths, an RGB array, a sentence). Each keeps the highest `seq` it has drawn and ignores
  an older answer, so a late answer to an older drawing never overwrites a newer one.

The server reads `ink` with `ink_raster` and then, like every other image, with
`core.digits.preprocess.prepare_digit`: one preprocessing.

A handler puts a picture on the surface by returning `surface_with(digit)` into it (an example, a
digit handed over from another page). The surface shows it as its starting picture and then behaves
as if it had been drawn: it sends that picture (plus any later strokes) as its ink, with `change` and
`release`; Undo removes later strokes only, Clear removes everything.
"""

from __future__ import annotations

import base64
import html
import re

import gradio as gr
import numpy as np

SIDE = 280  # the canvas, in CSS pixels
SEND_SIDE = 140  # the ink is sent at half size: enough for prepare_digit's 80x80 working crop, 19.6 KB
MAX_SEND_SIDE = 512  # what the server accepts: caps the cost of a hand-made request
SEND_INTERVAL_MS = 66  # at most ~15 readings a second while the pen moves
BRUSH = (4, 32, 16)  # brush diameter in canvas pixels: min, max, default
BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


# ---------- values: arrays in, plain values out ----------


def ink_raster(drawing: dict | None) -> np.ndarray | None:
    """The surface's value -> (side, side) uint8 lightness (0 = ink, 255 = paper), or None when
    nothing is drawn. A malformed value is treated as nothing drawn."""
    if not isinstance(drawing, dict) or not isinstance(drawing.get("ink"), str) or not drawing["ink"]:
        return None
    side = drawing.get("side")
    if not isinstance(side, int) or not 1 <= side <= MAX_SEND_SIDE:
        return None
    ink = drawing["ink"]
    if len(ink) != 4 * -(-side * side // 3) or not BASE64.fullmatch(ink):  # base64 of side * side bytes, checked
        return None  # before decoding: b64decode's errors are ValueErrors, which a demo must not catch
    raw = base64.b64decode(ink)
    return np.frombuffer(raw, np.uint8).reshape(side, side) if len(raw) == side * side else None


def surface_with(digit: np.ndarray) -> dict:
    """A (side, side) picture of ink (float in [0, 1], 1 = ink, MNIST's convention; uint8 0..255 too),
    e.g. a (28, 28) digit -> the value that shows it on a `drawing_surface` as its starting picture.
    It is also a finished drawing's value: `ink_raster` reads it back as the picture's lightness."""
    ink = np.asarray(digit)
    ink = ink / 255.0 if ink.dtype == np.uint8 else ink.astype(np.float64)
    if ink.ndim != 2 or ink.shape[0] != ink.shape[1] or not 1 <= ink.shape[0] <= MAX_SEND_SIDE:
        raise ValueError(f"a starting picture is square, at most {MAX_SEND_SIDE} pixels a side, not {ink.shape}")
    lightness = np.rint(255 * (1 - np.clip(np.nan_to_num(ink), 0, 1))).astype(np.uint8)
    return {
        "seq": None,
        "done": True,
        "side": ink.shape[0],
        "ink": base64.b64encode(lightness.tobytes()).decode("ascii"),
        "start": int(np.random.default_rng().integers(2**31)),  # a new picture even when it is the same digit again
    }


def drawing_seq(drawing: dict | None) -> int | None:
    seq = drawing.get("seq") if isinstance(drawing, dict) else None
    return seq if isinstance(seq, int) else None


def is_finished(drawing: dict | None) -> bool:
    """True when the value was sent on pen-up (or Undo, Clear): the time for explanations."""
    return isinstance(drawing, dict) and drawing.get("done") is True


def bars_value(probabilities: np.ndarray | None, seq: int | None = None) -> dict:
    """(10,) probabilities -> what `probability_bars` draws (no probabilities: empty bars)."""
    if probabilities is None:
        return {"seq": seq, "probabilities": None}
    return {"seq": seq, "probabilities": [round(float(p), 4) for p in probabilities]}


def picture_value(picture: np.ndarray | None, seq: int | None = None, alt: str | None = None) -> dict:
    """uint8 (H, W) or (H, W, 3) -> what `picture` draws: its size and RGB bytes, base64; `alt`, when
    given, is what a screen reader says of it instead of the picture's label."""
    if picture is None:
        return {"seq": seq, "width": 0, "height": 0, "rgb": "", "alt": alt}
    rgb = np.ascontiguousarray(np.broadcast_to(picture[..., None], (*picture.shape, 3)) if picture.ndim == 2 else picture[..., :3])
    height, width = rgb.shape[:2]
    encoded = base64.b64encode(rgb.astype(np.uint8).tobytes()).decode("ascii")
    return {"seq": seq, "width": width, "height": height, "rgb": encoded, "alt": alt}


def text_value(text: str, seq: int | None = None, final: bool = True) -> dict:
    """A sentence (Markdown **bold** allowed) -> what `reading_text` shows; `final` ones are also read aloud."""
    return {"seq": seq, "text": text, "final": final}


# ---------- the components ----------

_SEQ_GUARD = """
let latest = -Infinity;
function fresh(value) {
  // An answer carries the seq of the drawing it read; one older than what is shown is dropped.
  if (!value || typeof value.seq !== 'number') return true;
  if (value.seq < latest) return false;
  latest = value.seq;
  return true;
}
function show(value) {
  if (!fresh(value)) return;
  draw(value);
  if (value && typeof value.seq === 'number') element.dataset.seq = String(value.seq);
}
watch('value', () => show(props.value));
show(props.value);
"""

_SURFACE_JS = """
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
let base = null, started = null;  // a starting picture from the server (surface_with), under the strokes

function paper() { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, SIDE, SIDE); if (base) ctx.drawImage(base, 0, 0, SIDE, SIDE); }
function segment(stroke, from) {
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
function ink() {
  if (!strokes.length && !base) return '';
  smallCtx.drawImage(canvas, 0, 0, SEND, SEND);  // the browser averages 2x2 pixels into one
  const rgba = smallCtx.getImageData(0, 0, SEND, SEND).data;
  let text = '';
  for (let i = 0; i < rgba.length; i += 4) text += String.fromCharCode(rgba[i]);
  return btoa(text);
}
function send(done) {
  clearTimeout(timer); timer = null;
  seq += 1; lastSent = performance.now();
  element.dataset.seq = String(seq);
  element.dataset.sentAt = String(lastSent);
  props.value = { seq: seq, done: done, side: SEND, ink: ink() };  // fires the component's change event
  if (done) trigger('release');  // for listeners that want the finished drawing only
}
function soon() {  // a reading while the pen moves, at most one per INTERVAL
  if (!live) return;
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
"""

_SURFACE_CSS = """
.surface { display: flex; flex-direction: column; gap: 8px; align-items: flex-start; }
canvas { width: 100%; max-width: SIDEpx; aspect-ratio: 1; touch-action: none; cursor: crosshair;
         border: 1px solid var(--border-color-primary); border-radius: 6px; background: #fff; }
.tools { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
button { padding: 4px 12px; border: 1px solid var(--border-color-primary); border-radius: 6px;
         background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color); cursor: pointer; }
button:focus-visible, input:focus-visible { outline: 2px solid var(--color-accent); outline-offset: 2px; }
label { display: flex; gap: 6px; align-items: center; font-size: var(--text-sm); }
"""


def drawing_surface(elem_id: str, label: str = "Draw a digit", live: bool = True) -> gr.HTML:
    """The canvas, Undo, Clear and the brush size. `live`: also send readings while the pen moves."""
    low, high, default = BRUSH
    template = (
        f'<div class="surface"><canvas width="{SIDE}" height="{SIDE}" data-send="{SEND_SIDE}" data-interval="{SEND_INTERVAL_MS}" '
        f'data-live="{str(live).lower()}" role="img" aria-label="{html.escape(label)}: drawing area (mouse, pen or finger)"></canvas>'
        '<div class="tools"><button type="button" class="undo">Undo</button><button type="button" class="clear">Clear</button>'
        f'<label>Brush size <input type="range" min="{low}" max="{high}" value="{default}" step="1">'
        f'<span class="size-shown">{default} px</span></label></div></div>'
    )
    return gr.HTML(
        None,
        html_template=template,
        css_template=_SURFACE_CSS.replace("SIDE", str(SIDE)),
        js_on_load=_SURFACE_JS,
        label=label,
        elem_id=elem_id,
    )


_BARS_JS = (
    """
const rows = [...element.querySelectorAll('li')];
const root = element.querySelector('.bars');
function draw(value) {
  const p = value && value.probabilities;
  const top = p ? p.indexOf(Math.max(...p)) : -1;
  rows.forEach((row, digit) => {
    const share = p ? p[digit] : 0;
    row.querySelector('.fill').style.width = (100 * share).toFixed(1) + '%';
    row.querySelector('.share').textContent = p ? Math.round(100 * share) + '%' : '';
    row.classList.toggle('top', digit === top);
  });
  root.dataset.digit = top >= 0 ? String(top) : '';
  element.querySelector('.answer').textContent = top >= 0 ? top + ' (' + Math.round(100 * p[top]) + '%)' : '–';
}
"""
    + _SEQ_GUARD
)

_BARS_CSS = """
.bars { font-size: var(--text-sm); }
.head { display: flex; justify-content: space-between; font-weight: 600; margin-bottom: 4px; }
ol { list-style: none; margin: 0; padding: 0; }
li { display: grid; grid-template-columns: 1.2em 1fr 3em; gap: 6px; align-items: center; height: 18px; }
.track { background: var(--background-fill-secondary); border-radius: 3px; height: 12px; overflow: hidden; }
.fill { display: block; height: 100%; width: 0; background: var(--neutral-400); }
li.top .fill { background: var(--color-accent); }
li.top { font-weight: 600; }
.share { text-align: right; font-variant-numeric: tabular-nums; }
"""


def probability_bars(elem_id: str, label: str) -> gr.HTML:
    """Ten bars, one a digit, drawn from `bars_value`; the top digit is highlighted and in `data-digit`."""
    rows = "".join(
        f'<li><span>{d}</span><span class="track"><span class="fill"></span></span><span class="share"></span></li>' for d in range(10)
    )
    template = (
        f'<div class="bars" data-digit=""><div class="head"><span>{html.escape(label)}</span><span class="answer">–</span></div>'
        f'<ol aria-label="{html.escape(label)}: probability of each digit">{rows}</ol></div>'
    )
    return gr.HTML(None, html_template=template, css_template=_BARS_CSS, js_on_load=_BARS_JS, label=label, elem_id=elem_id)


_PICTURE_JS = (
    """
const canvas = element.querySelector('canvas');
const label = canvas.getAttribute('aria-label');
function draw(value) {
  canvas.setAttribute('aria-label', (value && value.alt) || label);
  if (!value || !value.rgb) { canvas.width = canvas.height = 1; canvas.classList.add('empty'); return; }
  const bytes = atob(value.rgb), n = value.width * value.height;
  const rgba = new Uint8ClampedArray(4 * n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    rgba[4 * i] = bytes.charCodeAt(j); rgba[4 * i + 1] = bytes.charCodeAt(j + 1); rgba[4 * i + 2] = bytes.charCodeAt(j + 2); rgba[4 * i + 3] = 255;
  }
  canvas.width = value.width; canvas.height = value.height;
  canvas.getContext('2d').putImageData(new ImageData(rgba, value.width, value.height), 0, 0);
  canvas.classList.remove('empty');
}
"""
    + _SEQ_GUARD
)

_PICTURE_CSS = """
figure { margin: 0; font-size: var(--text-sm); }
canvas { width: 100%; max-width: 224px; aspect-ratio: 1; border: 1px solid var(--border-color-primary); border-radius: 6px; background: #fff; }
canvas.pixelated { image-rendering: pixelated; }
canvas.empty { visibility: hidden; }
figcaption { margin-bottom: 4px; font-weight: 600; }
"""


def picture(elem_id: str, label: str, pixelated: bool = False) -> gr.HTML:
    """An RGB array drawn on a <canvas> from `picture_value` (no image file); `pixelated` for small grids."""
    template = (
        f"<figure><figcaption>{html.escape(label)}</figcaption>"
        f'<canvas class="empty{" pixelated" if pixelated else ""}" width="1" height="1" role="img" aria-label="{html.escape(label)}"></canvas></figure>'
    )
    return gr.HTML(None, html_template=template, css_template=_PICTURE_CSS, js_on_load=_PICTURE_JS, label=label, elem_id=elem_id)


_TEXT_JS = (
    """
const shown = element.querySelector('.shown'), spoken = element.querySelector('.spoken');
function fill(node, text) {  // **bold** -> <strong>, everything else as text
  node.replaceChildren(...String(text).split('**').map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const strong = document.createElement('strong'); strong.textContent = part; return strong;
  }));
}
function draw(value) {
  if (!value) return;
  fill(shown, value.text);
  if (value.final) spoken.textContent = String(value.text).split('**').join('');  // read aloud once, not at 15 a second
}
"""
    + _SEQ_GUARD
)


def reading_text(elem_id: str, text: str) -> gr.HTML:
    """A sentence that follows the readings; screen readers hear the one after each pen-up (aria-live)."""
    template = (
        '<div><p class="shown"></p>'
        '<p class="spoken" aria-live="polite" style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)"></p></div>'
    )
    return gr.HTML(text_value(text), html_template=template, js_on_load=_TEXT_JS, elem_id=elem_id)

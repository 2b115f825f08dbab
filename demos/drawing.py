"""The drawing surface and the live outputs drawn in the page, shared by the sketcher and the filter visualiser.

Built on `gr.HTML` (html_template, css_template, js_on_load): no build step, no web framework. The
browser code is JavaScript beside this file (demos/assets/drawing/).

- `drawing_surface`: a <canvas> that is ready on load; mouse, pen and touch draw (pointer events,
  `touch-action: none`); Undo and Clear are buttons; a brush size slider. Its value is
  `{"seq", "done", "side", "ink"}`: `ink` is the drawing shrunk in the browser to `side` x `side`
  grey pixels (0 = ink, 255 = paper), base64, at most 15 times a second while the pen moves
  (`done` false, only when `live`) and once on pen-up, Undo and Clear (`done` true). Setting the
  value fires the component's `change` event; a value sent while the pen moves also fires `input`,
  and a `done` value `release`, so that a page listens to the one it needs: a reading on every
  `input`, explanations on `release` only (then a pen-up is one request, not one per listener).
  `seq` counts up with every value sent.
- `probability_bars`, `picture`, `reading_text`: outputs that draw a small value in the page
  (ten bar widths, a picture sent as a PNG, a sentence). Each keeps the highest `seq` it has drawn and ignores
  an older answer, so a late answer to an older drawing never overwrites a newer one. The bars and
  the picture have download buttons (demos/live.py's `export_tools`): the bars as PNG and SVG, the
  picture, a map of pixels, as PNG only.

The server reads `ink` with `ink_raster` and then, like every other image, with
`core.digits.preprocess.prepare_digit`: one preprocessing.

With `reader=True` (the sketcher), the browser reads the drawing itself while the pen moves and sends
nothing until pen-up: ONNX Runtime Web runs `prepare_digit` and both models, exported from the torch
code (core/digits/canvas.py, core/digits/export.py), served by the app from assets/reader/ once the
page's first result is shown. Until then, or where WASM cannot run, the server reads as above.

A handler puts a picture on the surface by returning `surface_with(digit)` into it (an example, a
digit handed over from another page). The surface shows it as its starting picture and then behaves
as if it had been drawn: it sends that picture (plus any later strokes) as its ink, with `change` and
`release`; Undo removes later strokes only, Clear removes everything.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
import urllib.parse
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from demos.live import export_script, export_tools

SIDE = 280  # the canvas, in CSS pixels
SEND_SIDE = 140  # the ink is sent at half size: enough for prepare_digit's 80x80 working crop, 19.6 KB
MAX_SEND_SIDE = 512  # what the server accepts: caps the cost of a hand-made request
SEND_INTERVAL_MS = 66  # at most ~15 readings a second while the pen moves
BRUSH = (4, 32, 16)  # brush diameter in canvas pixels: min, max, default
BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
JS = Path(__file__).resolve().parent / "assets" / "drawing"
READER = JS.parent / "reader"  # the browser's digit reader: ONNX Runtime Web and the exported models, served as files


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


def picture_value(picture: np.ndarray | None, seq: int | None = None, alt: str | None = None, zoom: int = 1) -> dict:
    """uint8 (H, W) or (H, W, 3) -> what `picture` draws: its size and a PNG of it, base64; `zoom`, how
    many times the page enlarges it, each pixel a square (a 28 x 28 map shown at 224 px is sent as
    28 x 28); `alt`, when given, is what a screen reader says of it instead of the picture's label.

    A PNG, not the raw bytes: a pen-up's two 140 x 140 maps were 78,400 base64 bytes each, and a class
    drawing at once paid for every byte in the server's event loop and in each page. At compression
    level 1 a map costs about 0.4 ms and takes 3.5 to 12 KB of the answer (`python -m bench.feel`
    prints the cost; bench/results/class_draw.txt, the bytes of a whole pen-up)."""
    if picture is None:
        return {"seq": seq, "width": 0, "height": 0, "png": "", "zoom": zoom, "alt": alt}
    rgb = np.ascontiguousarray(np.broadcast_to(picture[..., None], (*picture.shape, 3)) if picture.ndim == 2 else picture[..., :3])
    height, width = rgb.shape[:2]
    png = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(png, "PNG", compress_level=1)
    encoded = base64.b64encode(png.getvalue()).decode("ascii")
    return {"seq": seq, "width": width, "height": height, "png": encoded, "zoom": zoom, "alt": alt}


def picture_pixels(value: dict) -> np.ndarray | None:
    """`picture_value`'s value -> the (H * zoom, W * zoom, 3) uint8 picture the page shows, or None
    when it shows none: the page's drawing, decoded as the browser decodes it."""
    if not value.get("png"):
        return None
    with Image.open(io.BytesIO(base64.b64decode(value["png"]))) as image:
        rgb = np.asarray(image.convert("RGB"))
    zoom = int(value.get("zoom", 1))
    return rgb.repeat(zoom, axis=0).repeat(zoom, axis=1)


def text_value(text: str, seq: int | None = None, final: bool = True) -> dict:
    """A sentence (Markdown **bold** allowed) -> what `reading_text` shows; `final` ones are also read aloud."""
    return {"seq": seq, "text": text, "final": final}


# ---------- the components ----------


def _script(*names: str) -> str:
    return "\n".join((JS / f"{name}.js").read_text(encoding="utf-8") for name in names)


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


@functools.cache
def reader_folder() -> str:
    """Where the page finds demos/assets/reader/, relative to the app's root; the app serves it from
    then on (gr.set_static_paths: the files as they are, nothing copied)."""
    gr.set_static_paths([READER])
    return "gradio_api/file=" + urllib.parse.quote(READER.as_posix()) + "/"


def drawing_surface(elem_id: str, label: str = "Draw a digit", live: bool = True, reader: bool = False) -> gr.HTML:
    """The canvas, Undo, Clear and the brush size. `live`: also send readings while the pen moves.
    `reader`: read while the pen moves in the browser instead (assets/drawing/reader.js), once the
    runtime has loaded; the server then reads only the finished drawing."""
    low, high, default = BRUSH
    reads = f'data-reader="{html.escape(reader_folder())}" data-surface="{html.escape(elem_id)}" ' if reader else ""
    template = (
        f'<div class="surface"><canvas width="{SIDE}" height="{SIDE}" data-send="{SEND_SIDE}" data-interval="{SEND_INTERVAL_MS}" {reads}'
        f'data-live="{str(live).lower()}" role="img" aria-label="{html.escape(label)}: drawing area (mouse, pen or finger)"></canvas>'
        '<div class="tools"><button type="button" class="undo">Undo</button><button type="button" class="clear">Clear</button>'
        f'<label>Brush size <input type="range" min="{low}" max="{high}" value="{default}" step="1">'
        f'<span class="size-shown">{default} px</span></label></div></div>'
    )
    return gr.HTML(
        None,
        html_template=template,
        css_template=_SURFACE_CSS.replace("SIDE", str(SIDE)),
        js_on_load=_script("surface", "reader") if reader else _script("surface"),
        label=label,
        elem_id=elem_id,
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


def probability_bars(elem_id: str, label: str, reads: str = "") -> gr.HTML:
    """Ten bars, one a digit, drawn from `bars_value`; the top digit is highlighted and in `data-digit`.
    `reads` ("surface elem_id:cnn" or ":mlp"): also draw that model's readings made in the browser."""
    rows = "".join(
        f'<li><span>{d}</span><span class="track"><span class="fill"></span></span><span class="share"></span></li>' for d in range(10)
    )
    template = (
        f'<div class="bars" data-digit="" data-reads="{html.escape(reads)}"><div class="head"><span>{html.escape(label)}</span>'
        f'<span><span class="answer">–</span> {export_tools(elem_id, f"the {label} probabilities", ".bars")}</span></div>'
        f'<ol aria-label="{html.escape(label)}: probability of each digit">{rows}</ol></div>'
    )
    return gr.HTML(
        None,
        html_template=template,
        css_template=_BARS_CSS,
        js_on_load=export_script() + "\n" + _script("bars", "fresh"),
        label=label,
        elem_id=elem_id,
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
        f"<figure><figcaption>{html.escape(label)} {export_tools(elem_id, label, svg=False)}</figcaption>"
        f'<canvas class="empty{" pixelated" if pixelated else ""}" width="1" height="1" role="img" aria-label="{html.escape(label)}"></canvas></figure>'
    )
    return gr.HTML(
        None,
        html_template=template,
        css_template=_PICTURE_CSS,
        js_on_load=export_script() + "\n" + _script("picture", "fresh"),
        label=label,
        elem_id=elem_id,
    )


def reading_text(elem_id: str, text: str) -> gr.HTML:
    """A sentence that follows the readings; screen readers hear the one after each pen-up (aria-live)."""
    template = (
        '<div><p class="shown"></p>'
        '<p class="spoken" aria-live="polite" style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)"></p></div>'
    )
    return gr.HTML(text_value(text), html_template=template, js_on_load=_script("text", "fresh"), elem_id=elem_id)

"""The sketcher's MLP opened (#sketcher-mlp), as 3Blue1Brown's neural-network interactive shows it:
the drawing's activations through 784 -> 128 -> 64 -> 10, and one first-layer unit's 784 incoming
weights as a 28 x 28 picture beside what they make of the drawing (weight x input).

Where the values come from:
- while the pen moves, from the browser's reader: digit_reader.onnx is exported with the MLP's input
  and hidden layers (core.digits.export, core.digits.mlp_view.mlp_layers), and each 'digit-reading'
  event carries them (demos/assets/drawing/reader.js);
- where the server reads (pen-up, an example put on the canvas, a browser without WASM), in the MLP
  bars' value (`mlp_bars`), which fresh.js hands on to the view as a 'model-layers' event;
- a unit's weights, on demand: picking a unit (a click in the strip of 128, the arrow keys, the
  number box) sends the view's `input` event, and `show_unit` answers with that unit's row of the
  checkpoint (core.digits.mlp_view), as float32 bytes. Nothing of the model is written in JavaScript.

The browser code is demos/assets/drawing/mlp.js; its colours are core.palette's diverging scale. The two
pictures download as PNG (demos/live.py's toolbar: sketcher-mlp-weights.png, sketcher-mlp-product.png).
"""

from __future__ import annotations

import base64
import html

import gradio as gr
import numpy as np

from core.device import gpu
from core.digits.pictures import colour_words
from core.palette import checked, css
from demos import drawing, lazy_module, user_errors
from demos.live import export_script, export_tools

mlp_view = lazy_module("core.digits.mlp_view")  # torch: imported on the first reading, not at start-up

HIDDEN1, HIDDEN2, CLASSES = 128, 64, 10  # DigitMLP's layers (tests/test_sketcher_mlp.py checks)
COLUMNS = 32  # the strips' width in units: 128 units in 4 rows, 64 in 2
PRODUCT_NOTE = (
    "× your drawing: each weight times its pixel as the network reads it (normalised as in training: blank paper "
    "is −0.42, so it counts too). Added up with the bias, they are the unit's input; the ReLU keeps it above zero."
)


# ---------- values: arrays in, plain values out ----------


def layers_value(layers) -> dict | None:
    """mlp_view.MLPLayers (batch of one) or None -> what the view draws: the MLP's normalised input
    (784), its first layer before and after the ReLU (128 each), its second layer (64), each as
    float32 bytes, base64 (`floats` reads one back).

    Not lists of numbers: the page's framework copies every output's value, leaf by leaf, each time
    an event's status changes, and those 1,104 numbers were the largest part of that copy at pen-up
    in a browser profile (bench/results/feel.txt, issue 28)."""
    if layers is None:
        return None
    shown = {"input": layers.inputs, "pre1": layers.pre1, "h1": layers.h1, "h2": layers.h2}
    return {key: base64.b64encode(np.asarray(t, "<f4").reshape(-1).tobytes()).decode("ascii") for key, t in shown.items()}


def floats(text: str) -> np.ndarray:
    """One of `layers_value`'s strings -> its float32 values, as the page decodes them."""
    return np.frombuffer(base64.b64decode(text), "<f4")


def mlp_bars(probabilities: np.ndarray | None, prepared=None, seq: int | None = None) -> dict:
    """The MLP's bars (drawing.bars_value) with its layers for `prepared` (the digit both models read)."""
    layers = None if probabilities is None or prepared is None else mlp_view.read_layers(prepared)
    return {**drawing.bars_value(probabilities, seq), "layers": layers_value(layers)}


def unit_value(unit, palette: str = "default") -> dict:
    """A first-layer unit of the shipped MLP -> what the view draws of it: its 784 weights (float32,
    little-endian, base64: the checkpoint's own numbers), its bias, the palette's colours and the two
    pictures' text alternatives."""
    index, weights, bias = mlp_view.shipped_unit_weights(unit)
    against, towards = colour_words(palette)
    return {
        "unit": index,
        "weights": base64.b64encode(weights.astype("<f4").tobytes()).decode("ascii"),
        "bias": float(bias),
        "colours": css(palette),
        "weights_alt": f"Unit {index}'s 784 incoming weights as a 28 by 28 picture: {towards} where ink raises it, {against} where ink lowers it",
        "product_alt": f"Weight times your drawing for unit {index}: {towards} pixels raise it, {against} pixels lower it",
    }


# ---------- handlers ----------


@user_errors
@gpu
def show_unit(value, palette: str = "default"):
    """The view's `input` event: a unit picked in the page ({"unit": n}) -> that unit's weights."""
    if not isinstance(value, dict) or value.get("unit") is None:
        return gr.skip()
    return unit_value(value["unit"], checked(palette))


@user_errors
@gpu
def recolour_unit(value, palette: str):
    """The palette changed: the unit shown, in its colours."""
    if not isinstance(value, dict) or value.get("unit") is None:
        return {"colours": css(checked(palette))}
    return unit_value(value["unit"], checked(palette))


# ---------- the component ----------

_CSS = """
.mlp { font-size: var(--text-sm); border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 6px 8px; }
.head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; margin-bottom: 4px; }
.source { color: var(--body-text-color-subdued); }
.body { display: flex; gap: 10px; flex-wrap: wrap; align-items: flex-start; }
.unit { display: flex; gap: 6px; }
figure { margin: 0; }
figcaption { font-weight: 600; white-space: nowrap; }
canvas { display: block; width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid var(--border-color-primary); background: #fff; }
.layers { display: flex; flex-direction: column; gap: 1px; flex: 1 1 240px; max-width: 352px; }
.cells { display: grid; grid-template-columns: repeat(COLUMNS, 1fr); gap: 1px; margin-bottom: 2px; }
.cells.out { grid-template-columns: repeat(10, 1fr); max-width: 240px; }
.cell { aspect-ratio: 1; background: #fff; outline: 1px solid var(--border-color-primary); }
.out .cell { aspect-ratio: auto; font-size: 11px; text-align: center; line-height: 15px; color: #222; }
.h1 .cell { cursor: pointer; }
.h1 .cell.chosen { outline: 2px solid var(--body-text-color); z-index: 1; }
.side { flex: 1 1 180px; min-width: 180px; }
.controls { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.controls input { width: 4em; padding: 1px 4px; font-size: var(--text-sm); }
button { padding: 1px 8px; font-size: var(--text-sm); font-weight: normal; border: 1px solid var(--border-color-primary); border-radius: 6px;
         background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color); cursor: pointer; }
button:focus-visible, input:focus-visible, .cell:focus-visible { outline: 3px solid var(--color-accent); outline-offset: 1px; }
.readout, .note { margin: 4px 0 0; line-height: 1.3; }
.readout { font-variant-numeric: tabular-nums; }
.note { color: var(--body-text-color-subdued); font-size: var(--text-xs); }
"""


def _cells(count: int, role: str = "", text: bool = False) -> str:
    if role == "option":
        return "".join(
            f'<div class="cell" role="option" data-unit="{i}" aria-selected="false" tabindex="-1" aria-label="Unit {i}"></div>'
            for i in range(count)
        )
    return "".join(f'<div class="cell">{i if text else ""}</div>' for i in range(count))


def layer_view(elem_id: str, surface: str) -> gr.HTML:
    """The MLP view of the drawing on `surface` (a drawing_surface's elem_id, read by the browser
    and by the MLP bars that read it): one row on a laptop, under the bars, so that it shares the
    screen with the canvas; on a phone its three parts stack."""
    # PNG downloads of the two pictures (demos/live.py's toolbar): maps of pixels, with no vector form.
    weights_tools = export_tools(f"{elem_id}-weights", "the unit's weights", "canvas.weights", svg=False)
    product_tools = export_tools(f"{elem_id}-product", "weight times your drawing", "canvas.product", svg=False)
    template = (
        f'<section class="mlp" data-surface="{html.escape(surface)}" data-updates="0" aria-label="Inside the MLP">'
        '<div class="head"><strong>Inside the MLP: 784 → 128 → 64 → 10</strong><span class="source">Draw a digit: its layers light up as you draw.</span></div>'
        '<div class="body"><div class="unit">'
        f'<figure><figcaption>Unit <span class="unit-no">–</span>: weights {weights_tools}</figcaption>'
        '<canvas class="weights" width="28" height="28" role="img" aria-label="The chosen unit\'s 784 incoming weights"></canvas></figure>'
        f"<figure><figcaption>× your drawing {product_tools}</figcaption>"
        '<canvas class="product" width="28" height="28" role="img" aria-label="Weight times your drawing for the chosen unit"></canvas></figure>'
        '</div><div class="layers">'
        f'<span id="{elem_id}-h1">128 units: click one, or arrow keys</span>'
        f'<div class="cells h1" role="listbox" data-columns="{COLUMNS}" aria-labelledby="{elem_id}-h1">{_cells(HIDDEN1, "option")}</div>'
        "<span>64 units</span>"
        f'<div class="cells h2" role="img" aria-label="The second layer\'s 64 activations">{_cells(HIDDEN2)}</div>'
        "<span>10 outputs (the MLP's bars)</span>"
        f'<div class="cells out" role="img" aria-label="The MLP\'s ten probabilities">{_cells(CLASSES, text=True)}</div>'
        '</div><div class="side">'
        '<div class="controls"><label>Unit <input type="number" class="pick" min="0" '
        f'max="{HIDDEN1 - 1}" step="1" aria-label="First-layer unit, 0 to {HIDDEN1 - 1}"></label>'
        '<button type="button" class="strongest">The most excited</button></div>'
        '<p class="readout"></p>'
        f'<p class="note">{html.escape(PRODUCT_NOTE)}</p>'
        "</div></div></section>"
    )
    return gr.HTML(
        {"colours": css("default")},
        html_template=template,
        css_template=_CSS.replace("COLUMNS", str(COLUMNS)),
        js_on_load=export_script() + "\n" + (drawing.JS / "mlp.js").read_text(encoding="utf-8"),  # export.js: the PNG buttons
        elem_id=elem_id,
    )


def wire_layer_view(component: gr.HTML, palette: gr.Radio) -> None:
    """A unit picked in the page -> its weights; the palette changed -> the same unit in its colours.
    Cheap (a row of a loaded checkpoint): not queued, so a pick never waits behind a reading."""
    quiet = dict(show_progress="hidden", api_visibility="private", queue=False)
    component.input(show_unit, [component, palette], component, **quiet)
    palette.change(recolour_unit, [component, palette], component, **quiet)

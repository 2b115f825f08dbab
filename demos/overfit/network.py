"""The Overfitting playground's network, drawn as TensorFlow Playground draws it (`#overfit-network`).

Its layers of neurons left to right: the inputs, each hidden unit, the outputs. Each is a small heat
map of its own output over the same plane (and extent) as the model's picture, on a coarser grid; the
links between them are coloured by the weight's sign and drawn wider and darker the larger it is.
Hovering, focusing (Tab) or tapping a neuron shows its map large. The drawing is
demos/assets/live/network.js; the numbers come from `core.playground.neurons`.

A value is sent with every picture of the model while a run trains (4 times a second), and is small: each map is
GRID x GRID uint8 (base64), at most SHOWN units a layer (TensorFlow Playground's own limit), the first
ones; a wider layer says how many it has.
"""

from __future__ import annotations

import base64
import json

import gradio as gr
import numpy as np

from core.palette import css
from demos import lazy_module
from demos.live import CSS, JS, export_script, export_tools

neurons = lazy_module("core.playground.neurons")

GRID = 24  # points per side of each neuron's map (the model's picture: 64)
SHOWN = 8  # units drawn per layer, the first ones
NO_PLANE = "MNIST's 784 inputs have no plane to draw each neuron's output on: the network is drawn for the 2-D problems and the 1-D curve."
EMPTY = "Train to draw the network: each neuron's output over the plane, and its links."
WIDTH = (0.5, 5.0)  # a link's stroke width in pixels, for a weight of 0 and for the largest shown
OPACITY = (0.15, 1.0)
STYLE = """
.live-network .panes { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.live-network .stage { position: relative; flex: 1 1 300px; min-width: 240px; }
.live-network svg.links { position: absolute; left: 0; top: 0; width: 100%; height: 100%; overflow: visible; }
.live-network .layer-name { position: absolute; top: 0; font-size: 11px; text-align: center; transform: translateX(-50%); white-space: nowrap; }
.live-network button.node { all: unset; position: absolute; box-sizing: border-box; border: 1px solid #888; background: #fff; cursor: pointer; }
.live-network .node canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; max-width: none; }
.live-network .node:hover, .live-network .node:focus-visible, .live-network .node.chosen { outline: 3px solid var(--color-accent, #f97316); outline-offset: 1px; }
.live-network .large { margin: 0; width: 168px; }  /* always there: the stage never moves under the pointer */
.live-network .large canvas { width: 168px; height: 168px; border: 1px solid #888; display: block; }
.live-network .large figcaption { font-size: 12px; margin-top: 4px; }
.live-network .note:empty { display: none; }
.live-network .legend .key i.box { width: 12px; height: 12px; border: 1px solid #888; }
"""


def map_bytes(maps: np.ndarray, scales: np.ndarray) -> str:
    """(K, rows, cols) values and K scales -> base64 of uint8 levels, value/scale in [-1, 1] on 0..255
    (127.5 is zero), map after map, row by row (what network.js decodes). A map of zeros (a dead unit,
    scale 0) is white."""
    t = np.clip(maps / np.where(scales > 0, scales, 1.0)[:, None, None], -1.0, 1.0)
    return base64.b64encode(np.rint((t + 1) * 127.5).astype(np.uint8).tobytes()).decode("ascii")


def decoded(maps: str, scales, rows: int, cols: int) -> np.ndarray:
    """The inverse of `map_bytes` (as network.js reads it): (K, rows, cols) values."""
    levels = np.frombuffer(base64.b64decode(maps), np.uint8).reshape(-1, rows, cols).astype(np.float32)
    return (levels / 127.5 - 1) * np.asarray(scales, np.float32)[:, None, None]


def link_styles(weights: list[np.ndarray]) -> list[dict]:
    """Each shown layer-to-layer weight matrix (to, from) -> its links, row by row: the weight (3
    significant digits), the stroke width and opacity, both growing with |weight| on one scale for
    the whole network (the largest shown weight is the widest). The sign picks the colour."""
    largest = max((float(np.abs(w).max()) for w in weights if w.size), default=0.0) or 1.0
    styles = []
    for w in weights:
        strength = np.abs(w).ravel() / largest  # (to * from,) in [0, 1]
        styles.append(
            {
                "weight": [float(f"{v:.3g}") for v in w.ravel()],
                "width": np.round(WIDTH[0] + (WIDTH[1] - WIDTH[0]) * strength, 2).tolist(),
                "opacity": np.round(OPACITY[0] + (OPACITY[1] - OPACITY[0]) * strength, 2).tolist(),
            }
        )
    return styles


def network_value(model, data, palette: str = "default", seq=0) -> dict:
    """The view's value for a model and its data: the shown neurons' maps and links (see the module)."""
    maps = neurons.neuron_maps(model, data.extent, GRID, classification=not data.regression, units=SHOWN)
    if maps is None:
        return {"seq": str(seq), "note": NO_PLANE}
    shown = [maps.inputs.numpy(), *(h.numpy() for h in maps.hidden), maps.outputs.numpy()]  # each (<= SHOWN, rows, cols)
    units = [maps.weights[0].shape[1], *(w.shape[0] for w in maps.weights)]  # every layer's size, inputs to outputs
    names = [["x₁", "x₂"] if units[0] == 2 else ["x"]]
    names += [[f"layer {k}, unit {i + 1}" for i in range(len(layer))] for k, layer in enumerate(shown[1:-1], 1)]
    names += [[f"class {c}" for c in range(units[-1])] if maps.probabilities else ["the prediction"]]
    scales = np.concatenate([np.abs(layer).reshape(len(layer), -1).max(1) for layer in shown])  # full colour at ±scale
    if maps.probabilities:
        scales[-units[-1] :] = 1.0  # a probability is full colour at 1, whatever the run reached
    return {
        "seq": str(seq),
        "grid": list(shown[0].shape[1:]),
        "colours": {k: v for k, v in css(palette).items() if k in ("negative", "positive")},
        "layers": [{"units": int(n), "names": words} for n, words in zip(units, names)],
        # The numbers that change with every update, each as one string: Gradio streams a changed string as
        # one replacement, where a changed list of numbers costs an operation per number.
        "scales": json.dumps([float(f"{s:.3g}") for s in scales]),
        "maps": map_bytes(np.concatenate(shown), scales),
        "links": json.dumps(link_styles([w.numpy()[:SHOWN, :SHOWN] for w in maps.weights]), separators=(",", ":")),
    }


def network_view(elem_id: str = "overfit-network") -> gr.HTML:
    """The drawing; its template never changes (network.js builds the neurons once per shape and
    keeps them, so a focused neuron stays focused while the maps update)."""
    template = (
        f"<style>{CSS}{STYLE}</style>"
        '<div class="live-view live-network" data-frame="">'
        '<div class="head"><div class="caption">The network: each neuron\'s output over the plane (hover, focus or tap one to see it large)</div>'
        f"{export_tools(elem_id, 'the network', '.stage')}</div>"
        f'<div class="note">{EMPTY}</div>'
        '<div class="panes"><div class="stage"><svg class="links" aria-hidden="true"></svg></div>'
        '<figure class="large"><canvas width="24" height="24"></canvas><figcaption></figcaption></figure></div>'
        '<div class="legend"></div></div>'
    )
    return gr.HTML(
        value=None, html_template=template, js_on_load=export_script() + (JS / "network.js").read_text(encoding="utf-8"), elem_id=elem_id
    )

"""The sketcher's guided path (demos/lessons/paths/sketcher.yaml, judged by core.digits.guide): what
"Set up and run" puts on the canvas for each step, and the run, which reads the canvas as it is now
with the page's own reading (core.digits.reading), shows it in the page's outputs, and hands the
judge the readings and where each model's integrated-gradients push lies."""

from __future__ import annotations

import gradio as gr
import numpy as np

from core.device import gpu
from core.digits.guide import top_share
from core.digits.pictures import smudged
from core.palette import checked
from demos import drawing, lazy_module
from demos.sketcher.handlers import HARD_ONE, ON_CANVAS, example_digit, page_values

reading = lazy_module("core.digits.reading")  # torch: imported on the first reading, not at start-up
preprocess = lazy_module("core.digits.preprocess")

# Each step's digit, as the page's Try this and Load buttons put it on the canvas.
EXAMPLE_OF_STEP = {
    "confidence": "digit_3.png",
    "serif": HARD_ONE,
    "serif-why": HARD_ONE,
    "seven-push": ON_CANVAS["7"],
    "smudge": ON_CANVAS["7"],  # smudged, as "Smudge it" does
    "photo": ON_CANVAS["9"],
}


def step_picture(step_id: str) -> np.ndarray:
    """The (28, 28) digit a step puts on the canvas."""
    digit = example_digit(EXAMPLE_OF_STEP[step_id])
    return smudged(digit) if step_id == "smudge" else digit


def set_up(step_id: str) -> list:
    """The step's digit onto the canvas, the Draw tab opened: [canvas, tabs]."""
    return [drawing.surface_with(step_picture(step_id)), gr.Tabs(selected="draw")]


@gpu
def run(step_id: str, ink: dict | None, palette: str = "default") -> list:
    """The canvas as it is now -> the page's six outputs (as on pen-up), the digit and raster for what
    comes after (Smudge it, Look inside), and the result the step's judge reads."""
    raster = drawing.ink_raster(ink)
    found = None if raster is None else reading.read_digit(raster)
    if found is None:
        raise preprocess.NoInkError()
    result = {
        "cnn": [float(p) for p in found.cnn],
        "mlp": [float(p) for p in found.mlp],
        "cnn_top_share": top_share(found.cnn_map, found.prepared.box),
        "mlp_top_share": top_share(found.mlp_map, found.prepared.box),
    }
    return [*page_values(found, drawing.drawing_seq(ink), checked(palette)), found.prepared.image, raster, result]

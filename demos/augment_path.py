"""The augmentation previewer's guided path (demos/lessons/paths/augment.yaml): each step puts an
example digit on the canvas and sets a pipeline and a seed, as a Try this button does, then samples
the grid the page shows; core/augment/guide.py judges the run from the CNN's readings of it.

The page (demos/augment.py) hands in its own functions (the example digits, making and showing a
grid), so a step's run is the Sample button's computation, not a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr

from core.augment.experiments import EXPERIMENTS, widgets_from_steps
from core.device import gpu
from core.errors import UserError
from demos import drawing
from demos.guide import load_path

SLUG = "augment"
COUNT = 16  # samples per step: the questions count out of 16


@dataclass(frozen=True)
class Setup:
    digit: int  # the example digit put on the canvas
    steps: tuple[dict, ...]  # the pipeline; parameters not given take their defaults
    seed: int  # picked so that this run tells the usual story with room to spare (measured)


SAFE = next(e for e in EXPERIMENTS if e.title == "Label-safe pipeline")
# Another seed or setting can tell another story than the usual one: the reveal then says what happened.
SETUPS = {
    "mirror": Setup(6, ({"transform": "hflip", "p": 1.0},), 0),
    "quarter-turns": Setup(6, ({"transform": "rotation", "degrees": 90.0},), 1),
    "jitter": Setup(6, ({"transform": "color_jitter"},), 5),
    "erasing": Setup(6, ({"transform": "erasing", "p": 1.0, "scale_min": 0.2, "scale_max": 0.5},), 0),
    "blame": Setup(
        6, ({"transform": "vflip", "p": 0.5}, {"transform": "rotation", "degrees": 10.0}, {"transform": "elastic", "alpha": 30.0}), 0
    ),
    "label-safe": Setup(SAFE.digit, SAFE.steps, 0),
}


def setup(example_digit: Callable, step_id: str) -> list:
    """A step -> the page's controls set for its experiment (it samples nothing): the Digit tab, the
    example digit on the canvas (`example_digit`: the page's, by its button's label), the pipeline
    and every widget, the seed and the sample count."""
    experiment = SETUPS[step_id]
    chosen, values = widgets_from_steps(experiment.steps)
    canvas = drawing.surface_with(example_digit(f"Example {experiment.digit}"))
    title = next(step.title for step in load_path(SLUG).steps if step.id == step_id)
    note = f"**Guided path: {title}.** Seed {experiment.seed}, {COUNT} samples."
    return ["digit", canvas, chosen, note, *values, experiment.seed, COUNT, gr.Tabs(selected="digit")]


@gpu
def run(make_grid: Callable, shown_grid: Callable, step_id: str, source, photo, boxes_text, sketch, chosen, seed, count, *values) -> tuple:
    """Sample the grid the page's controls ask for now, with the page's own `make_grid` and
    `shown_grid` (as Sample does) -> the sample outputs, and the run's result for the step's judge:
    the CNN's readings and each sample's drawn parameters."""
    if source != "digit":
        raise UserError("The guided path's steps are about digits: open the Digit tab, or press Set up and run.")
    out = make_grid(source, photo, boxes_text, sketch, chosen, seed, count, values)
    if isinstance(out, str):
        raise UserError(out)
    result = {
        "original_class": out["original_class"],
        "classes": out["classes"],
        "per_transform": [{"transform": t, "fired": fired, "changed_alone": alone} for t, fired, alone in out["table"][:-1]],
        "records": out["records"],
    }
    return (*shown_grid(out), result)

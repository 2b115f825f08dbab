"""The filter visualiser's guided path (demos/guide/; its words: demos/lessons/paths/filters.yaml,
its judges: core/vision/guide.py): what "Set up and run" sets for each step, and the run itself.

A run always computes from the page's controls as they are, with the page's own handlers and core
functions, shows what it computed on the page, and hands the step's judge plain numbers from that
same computation: a learner who changes the channel, the layer, the stride or the Transposed box
and presses "Run as it is now" is judged on that run.
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from core.device import gpu
from core.errors import UserError
from core.vision import convolution as conv  # numpy only
from core.vision import guide
from demos import lazy_module
from demos.filters.choices import EXCITE_EXAMPLE, edges_example
from demos.filters.handlers import OPENING_EXAMPLE, current_image, excite_filter, inspect_layer, run_sandbox, show_channel

filters = lazy_module("core.vision.filters")  # torch: imported with the first map, not at start-up
visualiser = lazy_module("core.vision.visualiser")

EDGE_CHANNEL = 18  # conv1's channel whose map follows upright edges; 20 follows flat ones (tests/test_guide_filters.py)
SIZE_INPUT = np.repeat([[0] * 7 + [1] * 8], 15, axis=0)  # a 15x15 vertical edge: odd, so the size formula's floor shows

# One step, the values "Set up and run" gives the page's controls (by the names layout.py gives them).
ON_THE_3 = dict(model="digits", source="upload", photo=OPENING_EXAMPLE, input_tabs="upload")
SANDBOX = dict(sandbox=True, dilation=1, out_row=0, out_col=0)
# What the Try this "Edges" sets, in the order choices.edges_example gives it.
EDGES_SETS = (
    "input_choice",
    "kernel_choice",
    "input_text",
    "kernel_text",
    "stride",
    "padding",
    "dilation",
    "transposed",
    "out_row",
    "out_col",
)
SETUPS = {
    "edges": dict(ON_THE_3, layer="conv1", channel=EDGE_CHANNEL, output_tabs="maps"),
    "deeper": dict(ON_THE_3, layer="conv5", output_tabs="maps"),
    "sign": dict(SANDBOX, **dict(zip(EDGES_SETS, edges_example(), strict=True))),
    "size": dict(
        SANDBOX,
        input_text=conv.format_matrix(SIZE_INPUT),
        kernel_text=conv.kernel_text("edge (vertical, Sobel)"),
        stride=2,
        padding=1,
        transposed=False,
    ),
    "transposed": dict(
        SANDBOX,
        input_choice="a square",
        kernel_choice="2x2 ones (upsampling, transposed)",
        input_text=conv.input_text("a square"),
        kernel_text=conv.kernel_text("2x2 ones (upsampling, transposed)"),
        stride=2,
        padding=0,
        transposed=True,
    ),
    "excite": dict(ON_THE_3, layer=EXCITE_EXAMPLE[0], channel=EXCITE_EXAMPLE[1], output_tabs="excite"),
}
SANDBOX_STEPS = ("sign", "size", "transposed")


def set_up_step(controls: dict, step_id: str) -> dict:
    """The step's experiment: {control: value} for the controls it sets (the rest stay as they are).
    Tabs and the sandbox's accordion get an update made for this call (the tab to select, open)."""
    return {controls[name]: _update(name, value) for name, value in SETUPS[step_id].items()}


def _update(name: str, value):
    if name in ("input_tabs", "output_tabs"):
        return gr.Tabs(selected=value)
    return gr.Accordion(open=value) if name == "sandbox" else value


@gpu
def run_step(shown: dict, step_id: str, *values) -> dict:
    """The page's computation for the step, on the page's current controls: {output: value} for what it
    shows, and under shown["result"] the plain numbers the step's judge reads."""
    (model, layer, channel, source, sketch, path, palette, input_text, kernel_text, stride, padding, row, col, dilation, transposed) = (
        values
    )
    if step_id in SANDBOX_STEPS:
        return sandbox_run(shown, input_text, kernel_text, stride, padding, row, col, dilation, transposed, palette)
    vision, message = visualiser.vision_with_layer(model, layer)
    if vision is None:
        raise UserError(message)
    prepared = filters.model_input(vision, current_image(source, sketch, path))
    if prepared is None:
        raise UserError("There is nothing to look at: draw a digit or pick an example, then run again.")
    maps = filters.feature_maps(vision, prepared[0], layer)  # (channels, h, w): the maps the page draws
    channel = int(channel or 0)
    if not 0 <= channel < len(maps):
        raise UserError(f"{layer} has channels 0 to {len(maps) - 1}.")
    if step_id == "excite":
        return excite_run(shown, vision, model, layer, channel, maps)
    images = (model, layer, source, sketch, path, palette)
    kernels, kernel_legend, grid, cam, prediction, status = inspect_layer(*images)
    large = show_channel(model, layer, channel, source, sketch, path, palette)
    upright, flat = guide.edge_strengths(prepared[1], maps[channel])
    likeness, likest = guide.likeness(prepared[1], maps)
    result = dict(layer=layer, channel=channel, upright=upright, flat=flat, side=int(maps.shape[-1]), input_side=int(vision.size))
    result.update(channels=len(maps), likeness=likeness, likest=likest)
    pictures = dict(kernels=kernels, kernel_legend=kernel_legend, maps=grid, cam=cam, prediction=prediction, status=status, large=large)
    return {shown[name]: value for name, value in pictures.items()} | {shown["result"]: result}


def excite_run(shown: dict, vision, model: str, layer: str, channel: int, maps: np.ndarray) -> dict:
    """The input that excites `channel` most at its map's centre (the page's Try this, cached), against
    what the image being inspected does to the same unit: the centre of the same map."""
    picture, caption = excite_filter(model, layer, channel)
    found = filters.excite(vision, layer, channel)  # the handler's own result, from its cache
    h, w = maps.shape[-2:]
    real = float(maps[channel, h // 2, w // 2])
    result = dict(layer=layer, channel=channel, found=float(found.final), start=float(found.start), real=real)
    return {shown["excited"]: picture, shown["excite_caption"]: caption, shown["result"]: result}


def sandbox_run(shown: dict, input_text, kernel_text, stride, padding, row, col, dilation, transposed, palette) -> dict:
    """The sandbox as it is now: its picture and numbers on the page, its output for the judge."""
    outputs = run_sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed, palette)
    request = conv.read_sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    output = conv.convolve(request.image, request.kernel, **request.geometry)  # what the sandbox just showed
    kh, kw = request.kernel.shape
    result = dict(
        output=output.tolist(),
        rows=output.shape[0],
        cols=output.shape[1],
        input_rows=request.image.shape[0],
        input_cols=request.image.shape[1],
        kernel=f"{kh}×{kw}",
        stride=request.stride,
        padding=request.padding,
        transposed=request.transposed,
    )
    names = ("sandbox_picture", "sandbox_numbers", "sandbox_size", "sandbox_worked")
    return {shown[name]: value for name, value in zip(names, outputs, strict=True)} | {shown["result"]: result}

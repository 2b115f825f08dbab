"""The filter visualiser's event handlers: they only convert Gradio values, and every picture they
send is a PNG file written once and atomically (demos.png.png_file), never an array that Gradio would
write again, in place, while a browser may be reading it. The computing is core.vision."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from core.device import gpu
from core.images import open_image
from core.palette import checked
from core.vision import convolution as conv  # numpy only: light enough for start-up
from core.vision.pictures import notes
from demos import drawing, handoff, lazy_module, lesson, uploaded_path, user_errors
from demos.filters.choices import DIGIT_LAYERS, DOWNLOADING, EXCITE_EXAMPLE, NOT_A_DIGIT, digit_layer, edges_example
from demos.png import png_file

filters = lazy_module("core.vision.filters")  # torch: imported with the first map, not at start-up
imagenet = lazy_module("core.vision.imagenet")
visualiser = lazy_module("core.vision.visualiser")

ASSETS = Path(__file__).parents[1] / "assets"
OPENING_EXAMPLE = str(ASSETS / "digit_3.png")  # what the page shows before anything is drawn
UI_MAP_SIDE = 56  # feature maps on the page: big enough to see and to click; the API sends them unscaled


# ---------- pure functions: plain values in, plain values out ----------


def current_image(source: str, sketch: dict | None, path: str | None):
    """The image being inspected: the drawing surface's ink or the opened upload (None: nothing yet)."""
    if source == "upload":
        return None if path is None else np.asarray(open_image(path))
    return drawing.ink_raster(sketch)


def picture_file(picture: np.ndarray | None) -> str | None:
    """A picture for a gr.Image output: the path of its PNG (None stays None, no picture)."""
    return None if picture is None else png_file(picture)


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def choose_model(key: str, layer: str | None = None):
    """Model choice -> layer dropdown (the layer kept when the model has it), status, whether the download button shows."""
    choices, shown, status = visualiser.layer_menu(key, layer)
    return gr.Dropdown(choices=choices, value=shown), status, gr.Button(visible=not choices)  # no choices: no weights


@user_errors
@gpu
def download_weights(key: str, layer: str | None = None):
    gr.Info(DOWNLOADING)
    imagenet.download_weights(imagenet.IMAGENET_MODELS[key])
    return choose_model(key, layer)


@user_errors
@gpu
def inspect_layer(key: str, layer: str | None, source: str, sketch: dict | None, path: str | None, palette: str = "default"):
    """Everything that depends on model, layer, input and palette: maps, kernels, Grad-CAM, status.
    An input with nothing to read keeps the maps, Grad-CAM and prediction shown, and says so."""
    vision, message = visualiser.vision_with_layer(key, layer)
    if vision is None:
        return None, "", None, None, None, message
    seen = filters.inspect(vision, current_image(source, sketch, path), layer, UI_MAP_SIDE, checked(palette))
    if seen.grid is None:
        missing = notes(lesson("filters_notes"))["missing upload" if source == "upload" else "missing drawing"]
        return png_file(seen.kernels), seen.how, gr.skip(), gr.skip(), gr.skip(), missing
    pictures = (png_file(seen.kernels), seen.how, png_file(seen.grid.image), picture_file(seen.overlay))
    return *pictures, seen.label, visualiser.reading(vision, layer, seen)


@user_errors
@gpu
def pick_channel(key: str, layer: str | None, evt: gr.SelectData):
    """A click on the grid of maps -> that map's channel number."""
    channel = visualiser.channel_at(key, layer, UI_MAP_SIDE, *evt.index)
    return gr.Number() if channel is None else gr.Number(value=channel)


@user_errors
@gpu
def show_channel(
    key: str, layer: str | None, channel: float | None, source: str, sketch: dict | None, path: str | None, palette: str = "default"
):
    vision, _ = visualiser.vision_with_layer(key, layer)
    if vision is None:
        return None
    view = filters.channel_view(vision, current_image(source, sketch, path), layer, int(channel or 0), checked(palette))
    return gr.skip() if view is None else png_file(view)


@user_errors
@gpu
def excite_filter(key: str, layer: str | None, channel: float | None):
    """The input that excites the chosen filter most (cached per model, layer and channel)."""
    picture, caption = visualiser.excitation(key, layer, int(channel or 0))
    return png_file(picture), caption


@user_errors
@gpu
def feature_maps(image: gr.FileData, layer: str = "conv1", palette: str = "default") -> gr.FileData:
    """The digit CNN's feature maps for one image file: one picture tiling every channel's map.

    One pixel per activation; maps laid out row by row (8 per row up to 32 channels, then 16),
    one grey pixel between them, each on its own colour scale: white zero, and in the "default"
    palette red positive, blue negative ("safe": orange positive, blue negative). `layer` is conv1 to conv5.
    """
    return gr.FileData(path=png_file(visualiser.digit_maps(uploaded_path(image), layer, palette)))


@user_errors
def receive_digit(value, layer: str | None):
    """A digit handed over ("Look inside" on the sketcher, or in the address) -> the digit model, the
    Draw tab and the digit on its canvas (whose change draws the maps), the layer kept if the model has it."""
    digit = handoff.received_digit(value)
    if digit is None:
        gr.Warning(NOT_A_DIGIT)
        return (gr.skip(),) * 6
    return "digits", digit_layer(layer), gr.Tabs(selected="draw"), gr.Tabs(selected="maps"), "drawing", drawing.surface_with(digit)


@user_errors
@gpu
def open_page(key: str, layer: str | None, source: str, sketch: dict | None, path: str | None, palette: str, received):
    """The opening example's maps, unless a digit was handed over first: then its own chain draws it."""
    if handoff.received_digit(received) is not None:
        return (gr.skip(),) * 6
    return inspect_layer(key, layer, source, sketch, path, palette)


@user_errors
def palette_notes(palette: str):
    shown = notes(lesson("filters_notes"), palette)
    return shown["maps"], shown["cam"], shown["sandbox"]


@user_errors
def try_edges():
    """Try this: a vertical edge under a vertical-edge kernel, the sandbox open on the edge's strongest output."""
    return gr.Accordion(open=True), *edges_example()


@user_errors
def try_deeper_layer():
    """Try this: the digit CNN's last convolution, whose 7x7 maps no longer look like the digit."""
    return "digits", DIGIT_LAYERS[-1], gr.Tabs(selected="maps")


@user_errors
def try_excite():
    """Try this: set up the filter whose favourite input is found next."""
    return "digits", *EXCITE_EXAMPLE, gr.Tabs(selected="excite")


kernel_preset = user_errors(conv.kernel_text)  # a preset's name -> its numbers, in the textbox
input_preset = user_errors(conv.input_text)
step_sandbox = user_errors(conv.sandbox_next_cell)  # "Next cell" and autoplay: move the worked cell on by one


@user_errors
def run_sandbox(
    input_text: str,
    kernel_text: str,
    stride: int,
    padding: int,
    row: int,
    col: int,
    dilation: int = 1,
    transposed: bool = False,
    palette: str = "default",
):
    """The sandbox on the page: its picture (a PNG file) and its Markdown, as conv.sandbox makes them."""
    picture, *words = conv.sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed, palette)
    return png_file(picture), *words


@user_errors
def autoplay_timer(playing: bool):
    return gr.Timer(active=bool(playing))


@user_errors
def convolve(
    input_text: str = input_preset("vertical edge"),
    kernel_text: str = kernel_preset("edge (vertical, Sobel)"),
    stride: int = 1,
    padding: int = 0,
    row: int = 0,
    col: int = 0,
    dilation: int = 1,
    transposed: bool = False,
) -> tuple[gr.FileData, str, str, str]:
    """The convolution sandbox: an input and a kernel as rows of numbers (';' or a new line between
    rows), stride 1-3, padding 0-3, dilation 1-3, and whether the convolution is transposed (what
    F.conv_transpose2d computes) -> a PNG of the grid the kernel slides over beside the output, the
    output's numbers (one row per line), the output-size formula with these numbers, and
    output[row, col] worked through."""
    picture, numbers, size, worked = conv.sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    return gr.FileData(path=png_file(picture)), numbers, size, worked


def warm_up() -> None:
    """Load the digit CNN and run an example through every layer, the API's own path."""
    for layer in DIGIT_LAYERS:
        png_file(visualiser.digit_maps(OPENING_EXAMPLE, layer))

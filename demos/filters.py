"""CNN filter visualiser: what the filters of a convnet have learned, and what they see in your image.

Its lesson (filters, feature maps, and why convolution suits images) is demos/lessons/filters.md.
The inputs are a drawn digit, an upload or an example. A GAN digit will be one more value of the
"Inspect" choice and one more branch in `current_image`, once the GAN demo can hand one over.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from core.device import gpu
from core.errors import UserError
from core.images import open_image
from core.vision import convolution as conv  # numpy only: light enough for start-up
from core.vision.pictures import enlarge, kernel_grid
from demos import DELETE_CACHE, drawing, launch, lazy_module, lesson, uploaded_path, user_errors
from demos.png import png_file

filters = lazy_module("core.vision.filters")  # torch: imported with the first map, not at start-up
imagenet = lazy_module("core.vision.imagenet")
checkpoints = lazy_module("core.checkpoints")
preprocess = lazy_module("core.digits.preprocess")

ASSETS = Path(__file__).parent / "assets"
EXAMPLES = sorted(str(p) for p in ASSETS.glob("digit_*.*")) + [str(ASSETS / "filters" / "grace_hopper.jpg")]
OPENING_EXAMPLE = str(ASSETS / "digit_3.png")  # what the page shows before anything is drawn
MODELS = [("Digit CNN (MNIST)", "digits"), ("ResNet-18 (ImageNet, pretrained)", "resnet18")]
UI_MAP_SIDE = 56  # feature maps on the page: big enough to see and to click; the API sends them unscaled
DIGIT_LAYERS = ["conv1", "conv2", "conv3", "conv4", "conv5"]  # DigitCNN's convolutions (a test checks)
PROMPT = "✏️ Draw a digit or pick an example, then choose a layer."
MAPS_LEGEND = (
    "Each square is one channel's feature map, the convolution's output before batch norm and ReLU, "
    "on its own scale: **red = positive** response, **blue = negative**, white = 0 (ReLU keeps the red). "
    "Click a map to see it large."
)
CAM_LEGEND = (
    "**Grad-CAM** (Selvaraju et al., 2017) on the last convolutional stage: the predicted class's gradient "
    "weights each channel; warm colours mark where the evidence for that class lies."
)


# ---------- pure functions: plain values in, plain values out ----------


def vision_or_message(key: str):
    """(model, None), or (None, a message saying how to get its weights): never an exception."""
    try:
        return filters.vision_model(key), None
    except (imagenet.WeightsMissingError, checkpoints.MissingCheckpointError) as missing:
        return None, f"⚠️ {missing}"


def current_image(source: str, sketch: dict | None, path: str | None):
    """The image being inspected: the drawing surface's ink or the opened upload (None: nothing yet)."""
    if source == "upload":
        return None if path is None else np.asarray(open_image(path))
    return drawing.ink_raster(sketch)


def sandbox(input_text, kernel_text, stride, padding, row, col, dilation=1, transposed=False):
    """Sandbox numbers -> (input | output picture, output numbers, size formula, one value worked out)."""
    request = conv.read_sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    image, kernel, geometry = request.image, request.kernel, request.geometry
    output = conv.convolve(image, kernel, **geometry)
    worked = conv.work_through(image, kernel, row=request.row, col=request.col, **geometry)
    picture = conv.sandbox_picture(image, kernel, worked=worked, **geometry)
    numbers = f"Output ({output.shape[0]}×{output.shape[1]}):\n```\n{conv.format_matrix(output)}\n```"
    return picture, numbers, conv.explain_size(image, kernel, **geometry), conv.explain_value(worked, kernel, **geometry)


def sandbox_next_cell(input_text, kernel_text, stride, padding, row, col, dilation=1, transposed=False) -> tuple[int, int]:
    """The output cell after (row, col), row by row, wrapping to (0, 0): one step of the animation."""
    request = conv.read_sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    return conv.next_cell(request.image, request.kernel, request.row, request.col, **request.geometry)


def digit_maps(path: str, layer: str) -> str:
    """An image file -> the path of a PNG tiling every channel's map of the digit CNN's `layer`."""
    if layer not in DIGIT_LAYERS:
        raise UserError(f"Unknown layer {str(layer)[:40]!r}: choose one of {', '.join(DIGIT_LAYERS)}.")
    vision, message = vision_or_message("digits")
    if vision is None:
        raise UserError(message)
    grid = filters.layer_grid(vision, np.asarray(open_image(path)), layer, min_side=1)  # one pixel per activation
    if grid is None:
        raise preprocess.NoInkError()
    return png_file(grid.paletted())  # a paletted PNG: the same colours, a third of the bytes to encode


# ---------- handlers: convert Gradio values only ----------


@user_errors
def choose_model(key: str):
    """Model choice -> layer dropdown, status, whether the download button shows."""
    vision, message = vision_or_message(key)
    if vision is None:
        return gr.Dropdown(choices=[], value=None), message, gr.Button(visible=True)
    choices = filters.layer_choices(vision)
    return (
        gr.Dropdown(choices=choices, value=choices[0][1]),
        f"**{vision.title}**: {len(choices)} convolution layers.",
        gr.Button(visible=False),
    )


@user_errors
def download_weights(key: str):
    gr.Info("Downloading the weights: this can take a minute.")
    imagenet.download_weights(imagenet.IMAGENET_MODELS[key])
    return choose_model(key)


@user_errors
@gpu
def inspect_layer(key: str, layer: str | None, source: str, sketch: dict | None, path: str | None):
    """Everything that depends on model, layer and input: maps, kernels, Grad-CAM, status."""
    vision, message = vision_or_message(key)
    if vision is None or not layer or layer not in vision.layers:
        return None, "", None, None, None, message or "Choose a layer."
    kernels, _, how = kernel_grid(vision.layer(layer).weight.detach().cpu().numpy())
    image = current_image(source, sketch, path)
    grid = None if image is None else filters.layer_grid(vision, image, layer, UI_MAP_SIDE)
    if grid is None:
        return kernels, how, None, None, None, PROMPT
    overlay, label = filters.explain(vision, image)
    return kernels, how, grid.image, overlay, label, f"**{vision.title}**, {layer}: {grid.count} feature maps. {MAPS_LEGEND}"


@user_errors
@gpu
def pick_channel(key: str, layer: str | None, evt: gr.SelectData):
    """A click on the grid of maps -> that map's channel number."""
    vision, _ = vision_or_message(key)
    if vision is None or layer not in vision.layers:
        return gr.Number()
    channel = filters.grid_layout(vision, layer, UI_MAP_SIDE).channel_at(*evt.index)
    return gr.Number() if channel is None else gr.Number(value=channel)


@user_errors
@gpu
def show_channel(key: str, layer: str | None, channel: float | None, source: str, sketch: dict | None, path: str | None):
    vision, _ = vision_or_message(key)
    image = current_image(source, sketch, path)
    if vision is None or image is None or not layer or layer not in vision.layers:
        return None
    return filters.channel_view(vision, image, layer, int(channel or 0))


@user_errors
@gpu
def excite_filter(key: str, layer: str | None, channel: float | None):
    """The input that excites the chosen filter most (cached per model, layer and channel)."""
    vision, message = vision_or_message(key)
    if vision is None:
        raise UserError(message)
    if not layer or layer not in vision.layers:
        raise UserError("Choose a layer first.")
    channel = int(channel or 0)
    found = filters.excite(vision, layer, channel)  # a channel the layer lacks is a UserError that names its range
    caption = (
        f"{layer}, channel {channel}: response at the centre {found.start:.3g} on the starting noise → "
        f"**{found.final:.3g}** after {found.steps} steps of gradient ascent (jitter, blur, L2)."
    )
    return enlarge((255 * found.pixels).astype(np.uint8), 224), caption


@user_errors
@gpu
def feature_maps(image: gr.FileData, layer: str = "conv1") -> gr.FileData:
    """The digit CNN's feature maps for one image file: one picture tiling every channel's map.

    One pixel per activation; maps laid out row by row (8 per row up to 32 channels, then 16),
    one grey pixel between them, each on its own colour scale: red positive, blue negative,
    white zero. `layer` is conv1 to conv5.
    """
    return gr.FileData(path=digit_maps(uploaded_path(image), layer))


@user_errors
def kernel_preset(name: str) -> str:
    return conv.format_matrix(np.array(conv.KERNELS[name]))


@user_errors
def input_preset(name: str) -> str:
    return conv.format_matrix(conv.INPUTS[name])


@user_errors
def run_sandbox(
    input_text: str, kernel_text: str, stride: float, padding: float, row: float, col: float, dilation: float = 1, transposed: bool = False
):
    """The sandbox on the page: its pictures and Markdown, as they are."""
    return sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)


@user_errors
def step_sandbox(
    input_text: str, kernel_text: str, stride: float, padding: float, row: float, col: float, dilation: float = 1, transposed: bool = False
):
    """The "Next cell" button and autoplay: move the worked cell on by one."""
    return sandbox_next_cell(input_text, kernel_text, stride, padding, row, col, dilation, transposed)


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
    picture, numbers, size, worked = sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    return gr.FileData(path=png_file(picture)), numbers, size, worked


def warm_up() -> None:
    """Load the digit CNN and run an example through every layer, the API's own path."""
    for layer in DIGIT_LAYERS:
        digit_maps(OPENING_EXAMPLE, layer)


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    with gr.Blocks(title="CNN filter visualiser", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("## 🔬 CNN filter visualiser\nWhat each filter looks for, and what it sees in your image.")
        with gr.Row():
            model = gr.Radio(MODELS, value="digits", label="Model")
            # Any value: the functions check it, so a session Gradio forgot (its ImageNet layer list with it) still works.
            layer = gr.Dropdown(DIGIT_LAYERS, value="conv1", label="Layer", allow_custom_value=True)
            channel = gr.Number(0, label="Channel", minimum=0, maximum=511, precision=0)
        # The page opens on an example, its maps already shown: drawing switches to the drawing.
        source = gr.Radio([("the drawing", "drawing"), ("the upload", "upload")], value="upload", label="Inspect")
        status = gr.Markdown(PROMPT, elem_id="filters-status")
        download = gr.Button("Download weights", visible=False)
        with gr.Row():
            with gr.Column(scale=1), gr.Tabs(selected="upload"):
                with gr.Tab("Draw", id="draw"):
                    # Sends the ink on pen-up (and Undo, Clear) only: the maps follow the finished drawing.
                    canvas = drawing.drawing_surface("filters-canvas", "Draw a digit", live=False)
                with gr.Tab("Upload", id="upload"):
                    photo = gr.Image(OPENING_EXAMPLE, label="Image", type="filepath", sources=["upload", "clipboard"])
                    gr.Examples(EXAMPLES, inputs=photo, label="Examples")
            with gr.Column(scale=2):
                with gr.Tab("Feature maps"):
                    maps = gr.Image(label="Feature maps of the layer (click one)", interactive=False, elem_id="filters-maps")
                    large = gr.Image(label="Input | the chosen channel's map", interactive=False)
                with gr.Tab("Kernels"):
                    kernels = gr.Image(label="Learned kernels of the layer", interactive=False)
                    kernel_legend = gr.Markdown()
                with gr.Tab("What excites a filter"):
                    excite_button = gr.Button("Find the input that excites this channel most (at the centre)")
                    excited = gr.Image(label="Activation maximisation", interactive=False, height=260)
                    excite_caption = gr.Markdown()
                with gr.Tab("Grad-CAM"):
                    with gr.Row():
                        cam = gr.Image(label="Where the evidence is", interactive=False, height=260)
                        prediction = gr.Label(label="Prediction", num_top_classes=5, elem_id="filters-prediction")
                    gr.Markdown(CAM_LEGEND)
        with gr.Accordion("Convolution sandbox: the arithmetic, one number at a time", open=False):
            with gr.Row():
                with gr.Column():
                    input_choice = gr.Dropdown(list(conv.INPUTS), value="vertical edge", label="Input preset")
                    input_text = gr.Textbox(input_preset("vertical edge"), label="Input (rows of numbers)", lines=8)
                with gr.Column():
                    kernel_choice = gr.Dropdown(list(conv.KERNELS), value="edge (vertical, Sobel)", label="Kernel preset")
                    kernel_text = gr.Textbox(kernel_preset("edge (vertical, Sobel)"), label="Kernel (your own numbers welcome)", lines=4)
                    stride = gr.Slider(1, 3, 1, step=1, label="Stride")
                    padding = gr.Slider(0, 3, 0, step=1, label="Padding")
                    dilation = gr.Slider(1, conv.MAX_DILATION, 1, step=1, label="Dilation (gap between the kernel's taps)")
                    transposed = gr.Checkbox(False, label="Transposed (upsampling: F.conv_transpose2d)", elem_id="filters-transposed")
                    with gr.Row():
                        out_row = gr.Number(0, label="Work out output row", precision=0, minimum=0, elem_id="filters-out-row")
                        out_col = gr.Number(0, label="... column", precision=0, minimum=0, elem_id="filters-out-col")
                    with gr.Row():
                        next_button = gr.Button("Next cell ▶", elem_id="filters-next-cell")
                        autoplay = gr.Checkbox(False, label="Autoplay (a cell a second)", elem_id="filters-autoplay")
            sandbox_picture = gr.Image(
                label="Grid the kernel slides over (padding and inserted zeros grey, dots: the kernel's taps) | output: red > 0, blue < 0, "
                "outlined: the value worked out below",
                interactive=False,
            )
            ticker = gr.Timer(1.0, active=False)
            with gr.Row():
                sandbox_numbers = gr.Markdown()
                sandbox_size = gr.Markdown()
            sandbox_worked = gr.Markdown(elem_id="filters-worked")
        with gr.Accordion("The lesson: filters, feature maps, and why convolution suits images", open=False):
            gr.Markdown(lesson("filters"))

        inputs = [source, canvas, photo]  # the image itself is re-read: no per-user copy kept on the server
        shared = dict(show_progress="hidden", concurrency_limit=4, concurrency_id="filters_models", api_visibility="private")
        refresh = dict(
            fn=inspect_layer, inputs=[model, layer, *inputs], outputs=[kernels, kernel_legend, maps, cam, prediction, status], **shared
        )
        channel_args = dict(fn=show_channel, inputs=[model, layer, channel, *inputs], outputs=large, **shared)
        canvas.change(None, None, source, js="() => 'drawing'", trigger_mode="always_last").then(**refresh).then(**channel_args)
        photo.change(None, None, source, js="() => 'upload'").then(**refresh).then(**channel_args)
        source.input(**refresh).then(**channel_args)
        model.change(choose_model, model, [layer, status, download], api_visibility="private")
        layer.change(**refresh).then(**channel_args)
        channel.change(**channel_args)
        maps.select(pick_channel, [model, layer], channel, **shared)
        download.click(download_weights, model, [layer, status, download], api_visibility="private", concurrency_limit=1)
        excite_button.click(excite_filter, [model, layer, channel], [excited, excite_caption], **dict(shared, show_progress="full"))
        sandbox_outputs = [sandbox_picture, sandbox_numbers, sandbox_size, sandbox_worked]
        input_choice.change(input_preset, input_choice, input_text, api_visibility="private")
        kernel_choice.change(kernel_preset, kernel_choice, kernel_text, api_visibility="private")
        sandbox_inputs = [input_text, kernel_text, stride, padding, out_row, out_col, dilation, transposed]
        gr.on(
            [next_button.click, ticker.tick],
            step_sandbox,
            sandbox_inputs,
            [out_row, out_col],
            api_visibility="private",
            show_progress="hidden",
        )
        autoplay.change(autoplay_timer, autoplay, ticker, api_visibility="private", show_progress="hidden")
        gr.on(
            [c.change for c in sandbox_inputs],
            run_sandbox,
            sandbox_inputs,
            sandbox_outputs,
            api_visibility="private",
            show_progress="hidden",
        )
        page.load(run_sandbox, sandbox_inputs, sandbox_outputs, api_visibility="private")
        page.load(**refresh).then(**channel_args)  # the opening example's maps (~7 ms)
        gr.api(feature_maps, api_name="feature_maps", concurrency_limit=4, concurrency_id="filters_models")
        gr.api(convolve, api_name="convolve")
    return page


if __name__ == "__main__":
    launch(build())

"""CNN filter visualiser: what the filters of a convnet have learned, and what they see in your image.

**The lesson.** A convolution layer slides small kernels (3x3 weights here) over its input. Each
kernel is a *filter*: at every position it takes the weighted sum of the patch under it, so the
output, its *feature map*, is bright wherever that pattern appears. The same weights are used at
every position, which is why convolution suits images: a stroke detector learned in one corner
works everywhere, and a 3x3 filter has 9 weights however large the image is.

Stacked, the layers build up: **early layers see edges** (light-to-dark steps in one direction, the
red/blue halves of conv1's kernels), **later layers see parts** (curves, loops, corners), because each
of their filters combines the maps below it over a wider patch of the image.

**Try this.** Pick conv1 and draw a vertical stroke, then a horizontal one: which maps light up?
Click a map to see it large. Step to conv5: the maps are 7x7 and no longer look like the digit.
Ask what excites a filter at the centre of the image: a conv1 unit wants a tiny edge inside its
3x3 window, a conv5 unit wants stroke fragments across most of the digit, because its *receptive
field* has grown layer by layer. Grad-CAM shows where the evidence for the predicted digit lies.
In the sandbox, set stride 2 and watch the output shrink exactly as the formula says.

The inputs are a drawn digit, an upload or an example. A GAN digit will be one more value of the
"Inspect" choice and one more branch in `current_image`, once the GAN demo can hand one over.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from demos import launch
from demos.png import png_file

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


# ---------- handlers: convert Gradio values only ----------


def _open_upload(path: str) -> np.ndarray:
    from core.images import BadImageError, open_image

    try:
        return np.asarray(open_image(path))
    except BadImageError as error:
        raise gr.Error(f"Could not read that image: {error}.") from error


def _vision_or_message(key: str):
    """(model, None), or (None, a message saying how to get its weights): never an exception."""
    from core.checkpoints import MissingCheckpointError
    from core.vision.filters import vision_model
    from core.vision.imagenet import WeightsMissingError

    try:
        return vision_model(key), None
    except (WeightsMissingError, MissingCheckpointError) as missing:
        return None, f"⚠️ {missing}"


def current_image(source: str, sketch: dict | None, path: str | None):
    """The image being inspected: the drawing's composite or the opened upload (None: nothing yet)."""
    if source == "upload":
        return None if path is None else _open_upload(path)
    return None if sketch is None else sketch.get("composite")


def choose_model(key: str):
    """Model choice -> layer dropdown, status, whether the download button shows."""
    vision, message = _vision_or_message(key)
    if vision is None:
        return gr.Dropdown(choices=[], value=None), message, gr.Button(visible=True)
    from core.vision.filters import layer_choices

    choices = layer_choices(vision)
    return (
        gr.Dropdown(choices=choices, value=choices[0][1]),
        f"**{vision.title}**: {len(choices)} convolution layers.",
        gr.Button(visible=False),
    )


def download_weights(key: str):
    from core.vision.imagenet import IMAGENET_MODELS, WeightsMissingError, download_weights

    try:
        gr.Info("Downloading the weights: this can take a minute.")
        download_weights(IMAGENET_MODELS[key])
    except WeightsMissingError as error:
        raise gr.Error(str(error)) from error
    return choose_model(key)


def inspect_layer(key: str, layer: str | None, source: str, sketch: dict | None, path: str | None):
    """Everything that depends on model, layer and input: maps, kernels, Grad-CAM, status."""
    vision, message = _vision_or_message(key)
    if vision is None or not layer or layer not in vision.layers:
        return None, "", None, None, None, message or "Choose a layer."
    from core.vision.filters import explain, layer_grid
    from core.vision.pictures import kernel_grid

    kernels, _, how = kernel_grid(vision.layer(layer).weight.detach().numpy())
    image = current_image(source, sketch, path)
    grid = None if image is None else layer_grid(vision, image, layer, UI_MAP_SIDE)
    if grid is None:
        return kernels, how, None, None, None, PROMPT
    overlay, label = explain(vision, image)
    return kernels, how, grid.image, overlay, label, f"**{vision.title}**, {layer}: {grid.count} feature maps. {MAPS_LEGEND}"


def pick_channel(key: str, layer: str | None, evt: gr.SelectData):
    """A click on the grid of maps -> that map's channel number."""
    from core.vision.filters import grid_layout

    vision, _ = _vision_or_message(key)
    if vision is None or layer not in vision.layers:
        return gr.Number()
    channel = grid_layout(vision, layer, UI_MAP_SIDE).channel_at(*evt.index)
    return gr.Number() if channel is None else gr.Number(value=channel)


def show_channel(key: str, layer: str | None, channel: float | None, source: str, sketch: dict | None, path: str | None):
    vision, _ = _vision_or_message(key)
    image = current_image(source, sketch, path)
    if vision is None or image is None or not layer or layer not in vision.layers:
        return None
    from core.vision.filters import channel_view

    return channel_view(vision, image, layer, int(channel or 0))


def excite_filter(key: str, layer: str | None, channel: float | None):
    """The input that excites the chosen filter most (cached per model, layer and channel)."""
    from core.vision.filters import excite
    from core.vision.pictures import enlarge

    vision, message = _vision_or_message(key)
    if vision is None:
        raise gr.Error(message)
    if not layer or layer not in vision.layers:
        raise gr.Error("Choose a layer first.")
    count = vision.layer(layer).out_channels
    channel = int(channel or 0)
    if not 0 <= channel < count:
        raise gr.Error(f"{layer} has channels 0 to {count - 1}.")
    found = excite(vision, layer, channel)
    caption = (
        f"{layer}, channel {channel}: response at the centre {found.start:.3g} on the starting noise → "
        f"**{found.final:.3g}** after {found.steps} steps of gradient ascent (jitter, blur, L2)."
    )
    return enlarge((255 * found.pixels).astype(np.uint8), 224), caption


def feature_maps(image: str, layer: str):
    """The digit CNN's feature maps for one image file: one picture tiling every channel's map.

    One pixel per activation; maps laid out row by row (8 per row up to 32 channels, then 16),
    one grey pixel between them, each on its own colour scale: red positive, blue negative,
    white zero. `layer` is conv1 to conv5.
    """
    from core.vision.filters import layer_grid

    if layer not in DIGIT_LAYERS:
        raise gr.Error(f"Unknown layer {str(layer)[:40]!r}: choose one of {', '.join(DIGIT_LAYERS)}.")
    if image is None:
        raise gr.Error("Send an image of a digit.")
    vision, message = _vision_or_message("digits")
    if vision is None:
        raise gr.Error(message)
    grid = layer_grid(vision, _open_upload(image), layer, min_side=1)  # one pixel per activation
    if grid is None:
        raise gr.Error("No digit found in that image: draw a digit (dark on light, or light on dark).")
    return png_file(grid.paletted())  # a paletted PNG: the same colours, a third of the bytes to encode


def run_sandbox(input_text: str, kernel_text: str, stride: float, padding: float, row: float, col: float):
    """Sandbox numbers -> (input | output picture, output numbers, size formula, one value worked out)."""
    from core.vision import convolution as conv

    try:
        image = conv.parse_matrix(input_text, "input", conv.MAX_INPUT_SIDE)
        kernel = conv.parse_matrix(kernel_text, "kernel", conv.MAX_KERNEL_SIDE)
        stride, padding = int(stride), int(padding)
        output = conv.convolve(image, kernel, stride, padding)
        worked = conv.work_through(image, kernel, stride, padding, int(row or 0), int(col or 0))
    except (conv.SandboxError, TypeError, ValueError, OverflowError) as error:  # also NaN or text through the API
        raise gr.Error(f"Sandbox: {error}.") from error
    picture = conv.sandbox_picture(image, kernel, stride, padding, worked)
    numbers = f"Output ({output.shape[0]}×{output.shape[1]}):\n```\n{conv.format_matrix(output)}\n```"
    return picture, numbers, conv.explain_size(image, kernel, stride, padding), conv.explain_value(worked, kernel, stride, padding)


def kernel_preset(name: str) -> str:
    from core.vision.convolution import KERNELS, format_matrix

    return format_matrix(np.array(KERNELS[name]))


def input_preset(name: str) -> str:
    from core.vision.convolution import INPUTS, format_matrix

    return format_matrix(INPUTS[name])


def warm_up() -> None:
    """Load the digit CNN and run an example through every layer, the API's own path."""
    for layer in DIGIT_LAYERS:
        feature_maps(OPENING_EXAMPLE, layer)


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    from core.vision.convolution import INPUTS, KERNELS  # numpy only: light enough for start-up

    with gr.Blocks(title="CNN filter visualiser") as page:
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
                    canvas = gr.Sketchpad(
                        label="Canvas",
                        canvas_size=(280, 280),
                        fixed_canvas=True,
                        type="numpy",
                        image_mode="RGBA",
                        brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"),
                        elem_id="filters-canvas",
                    )
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
                        prediction = gr.Label(label="Prediction", num_top_classes=5)
                    gr.Markdown(CAM_LEGEND)
        with gr.Accordion("Convolution sandbox: the arithmetic, one number at a time", open=False):
            with gr.Row():
                with gr.Column():
                    input_choice = gr.Dropdown(list(INPUTS), value="vertical edge", label="Input preset")
                    input_text = gr.Textbox(input_preset("vertical edge"), label="Input (rows of numbers)", lines=8)
                with gr.Column():
                    kernel_choice = gr.Dropdown(list(KERNELS), value="edge (vertical, Sobel)", label="Kernel preset")
                    kernel_text = gr.Textbox(kernel_preset("edge (vertical, Sobel)"), label="Kernel (your own numbers welcome)", lines=4)
                    stride = gr.Slider(1, 3, 1, step=1, label="Stride")
                    padding = gr.Slider(0, 3, 0, step=1, label="Padding")
                    with gr.Row():
                        out_row = gr.Number(0, label="Work out output row", precision=0, minimum=0)
                        out_col = gr.Number(0, label="... column", precision=0, minimum=0)
            sandbox_picture = gr.Image(
                label="Padded input (padding grey) | output: red > 0, blue < 0, outlined: the value worked out below", interactive=False
            )
            with gr.Row():
                sandbox_numbers = gr.Markdown()
                sandbox_size = gr.Markdown()
            sandbox_worked = gr.Markdown(elem_id="filters-worked")
        with gr.Accordion("The lesson: filters, feature maps, and why convolution suits images", open=False):
            gr.Markdown(__doc__.split("\n", 2)[2])

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
        sandbox = [input_text, kernel_text, stride, padding, out_row, out_col]
        sandbox_outputs = [sandbox_picture, sandbox_numbers, sandbox_size, sandbox_worked]
        input_choice.change(input_preset, input_choice, input_text, api_visibility="private")
        kernel_choice.change(kernel_preset, kernel_choice, kernel_text, api_visibility="private")
        gr.on([c.change for c in sandbox], run_sandbox, sandbox, sandbox_outputs, api_name="convolve", show_progress="hidden")
        page.load(run_sandbox, sandbox, sandbox_outputs, api_visibility="private")
        page.load(**refresh).then(**channel_args)  # the opening example's maps (~7 ms)
        with gr.Row(visible=False):  # the API's own inputs and output: a file and a layer name in, one image out
            api_image = gr.File(type="filepath")  # not gr.Image: the file is decoded once, by open_image
            api_layer = gr.Textbox("conv1")  # checked by feature_maps, with a message that lists the layers
            api_maps = gr.Image(format="png")
            api_button = gr.Button()
        api_button.click(
            feature_maps, [api_image, api_layer], api_maps, api_name="feature_maps", concurrency_limit=4, concurrency_id="filters_models"
        )
    return page


if __name__ == "__main__":
    launch(build())

"""CNN filter visualiser: what the filters of a convnet have learned, and what they see in your image.

Its lesson (filters, feature maps, and why convolution suits images) is demos/lessons/filters.md, the
notes beside its outputs demos/lessons/filters_notes.md. The inputs are a drawn digit, an upload, an
example, or a digit the sketcher hands over ("Look inside": it lands on the drawing surface). Every map
follows the Palette control, kept in the address bar as `?palette=safe`.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from core.device import gpu
from core.images import open_image
from core.palette import checked
from core.vision import convolution as conv  # numpy only: light enough for start-up
from core.vision.choices import DIGIT_LAYERS, EXAMPLES, EXCITE_EXAMPLE, MODELS, PROMPT, digit_layer, edges_example
from core.vision.pictures import notes
from demos import DELETE_CACHE, drawing, handoff, launch, lazy_module, lesson, uploaded_path, user_errors
from demos.palette import WRITE_URL_JS, palette_control, palette_from_url
from demos.png import png_file

filters = lazy_module("core.vision.filters")  # torch: imported with the first map, not at start-up
imagenet = lazy_module("core.vision.imagenet")
visualiser = lazy_module("core.vision.visualiser")

ASSETS = Path(__file__).parent / "assets"
OPENING_EXAMPLE = str(ASSETS / "digit_3.png")  # what the page shows before anything is drawn
UI_MAP_SIDE = 56  # feature maps on the page: big enough to see and to click; the API sends them unscaled
SCROLL_TO_SANDBOX_JS = "() => document.getElementById('filters-sandbox').scrollIntoView({block: 'start'})"


# ---------- pure functions: plain values in, plain values out ----------


def current_image(source: str, sketch: dict | None, path: str | None):
    """The image being inspected: the drawing surface's ink or the opened upload (None: nothing yet)."""
    if source == "upload":
        return None if path is None else np.asarray(open_image(path))
    return drawing.ink_raster(sketch)


# ---------- handlers: convert Gradio values only ----------


@user_errors
def choose_model(key: str, layer: str | None = None):
    """Model choice -> layer dropdown (the layer kept when the model has it), status, whether the download button shows."""
    choices, shown, status = visualiser.layer_menu(key, layer)
    return gr.Dropdown(choices=choices, value=shown), status, gr.Button(visible=not choices)  # no choices: no weights


@user_errors
def download_weights(key: str, layer: str | None = None):
    gr.Info("Downloading the weights: this can take a minute.")
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
        return seen.kernels, seen.how, gr.skip(), gr.skip(), gr.skip(), missing
    return seen.kernels, seen.how, seen.grid.image, seen.overlay, seen.label, visualiser.reading(vision, layer, seen)


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
    return gr.skip() if view is None else view


@user_errors
@gpu
def excite_filter(key: str, layer: str | None, channel: float | None):
    """The input that excites the chosen filter most (cached per model, layer and channel)."""
    return visualiser.excitation(key, layer, int(channel or 0))


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
        gr.Warning("The digit sent to this page could not be read: draw one here, or send it again.")
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
run_sandbox = user_errors(conv.sandbox)  # the sandbox on the page: its pictures and Markdown, as they are
step_sandbox = user_errors(conv.sandbox_next_cell)  # "Next cell" and autoplay: move the worked cell on by one


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


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    note = notes(lesson("filters_notes"))  # the notes beside the outputs; palette_notes recolours three of them
    with gr.Blocks(title="CNN filter visualiser", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("# 🔬 CNN filter visualiser\nWhat each filter looks for, and what it sees in your image.")
        with gr.Row():
            model = gr.Radio(MODELS, value="digits", label="Model")
            # Any value: the functions check it, so a session Gradio forgot (its ImageNet layer list with it) still works.
            layer = gr.Dropdown(DIGIT_LAYERS, value="conv1", label="Layer", allow_custom_value=True)
            channel = gr.Number(0, label="Channel", minimum=0, maximum=511, precision=0)
            palette = palette_control("filters")
        with gr.Row(equal_height=True):
            gr.Markdown(note["try"])
            edges_button = gr.Button("Edges: a vertical-edge kernel in the sandbox", size="sm", elem_id="filters-try-edges")
            deeper_button = gr.Button("A deeper layer: conv5's maps", size="sm", elem_id="filters-try-deeper")
            excite_try = gr.Button("What excites channel {1} of {0}".format(*EXCITE_EXAMPLE), size="sm", elem_id="filters-try-excite")
        # The page opens on an example, its maps already shown: drawing switches to the drawing.
        source = gr.Radio([("the drawing", "drawing"), ("the upload", "upload")], value="upload", label="Inspect")
        status = gr.Markdown(PROMPT, elem_id="filters-status")
        download = gr.Button("Download weights", visible=False)
        received = handoff.receiver("filters")
        with gr.Row():
            with gr.Column(scale=1), gr.Tabs(selected="upload") as input_tabs:
                with gr.Tab("Draw", id="draw"):
                    # Sends the ink on pen-up (and Undo, Clear) only: the maps follow the finished drawing.
                    canvas = drawing.drawing_surface("filters-canvas", "Draw a digit", live=False)
                with gr.Tab("Upload", id="upload"):
                    photo = gr.Image(OPENING_EXAMPLE, label="Image", type="filepath", sources=["upload", "clipboard"])
                    gr.Examples(
                        [[str(ASSETS / path)] for path in EXAMPLES.values()], photo, label="Examples", example_labels=list(EXAMPLES)
                    )
            with gr.Column(scale=2), gr.Tabs(selected="maps") as output_tabs:
                with gr.Tab("Feature maps", id="maps"), gr.Column(elem_id="filters-result"):
                    maps = gr.Image(
                        label="Feature maps of the layer (click one)", interactive=False, elem_id="filters-maps", alt_text=note["alt maps"]
                    )
                    maps_note = gr.Markdown(note["maps"])
                    large = gr.Image(label="Input | the chosen channel's map", interactive=False, alt_text=note["alt large"])
                    gr.Markdown(note["large"])
                with gr.Tab("Kernels", id="kernels"):
                    kernels = gr.Image(label="Learned kernels of the layer", interactive=False, alt_text=note["alt kernels"])
                    kernel_legend = gr.Markdown()
                with gr.Tab("What excites a filter", id="excite"):
                    excite_button = gr.Button("Find the input that excites this channel most (at the centre)")
                    excited = gr.Image(label="Activation maximisation", interactive=False, height=260, alt_text=note["alt excited"])
                    excite_caption = gr.Markdown()
                    gr.Markdown(note["excite"])
                with gr.Tab("Grad-CAM", id="cam"):
                    with gr.Row():
                        cam = gr.Image(label="Where the evidence is", interactive=False, height=260, alt_text=note["alt cam"])
                        prediction = gr.Label(label="Prediction", num_top_classes=5, elem_id="filters-prediction")
                    cam_note = gr.Markdown(note["cam"])
        with gr.Accordion(
            "Convolution sandbox: the arithmetic, one number at a time", elem_id="filters-sandbox", open=False
        ) as sandbox_box:
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
                label="The grid the kernel slides over | the output", interactive=False, alt_text=note["alt sandbox"]
            )
            sandbox_note = gr.Markdown(note["sandbox"])
            ticker = gr.Timer(1.0, active=False)
            with gr.Row():
                sandbox_numbers = gr.Markdown()
                sandbox_size = gr.Markdown()
            sandbox_worked = gr.Markdown(elem_id="filters-worked")
        with gr.Accordion("The lesson: filters, feature maps, and why convolution suits images", open=True):
            gr.Markdown(lesson("filters"))

        inputs = [source, canvas, photo, palette]  # the image itself is re-read: no per-user copy kept on the server
        shared = dict(show_progress="hidden", concurrency_limit=4, concurrency_id="filters_models", api_visibility="private")
        private = dict(api_visibility="private", show_progress="hidden")
        layer_outputs = [kernels, kernel_legend, maps, cam, prediction, status]
        refresh = dict(fn=inspect_layer, inputs=[model, layer, *inputs], outputs=layer_outputs, **shared)
        channel_args = dict(fn=show_channel, inputs=[model, layer, channel, *inputs], outputs=large, **shared)
        canvas.change(None, None, source, js="() => 'drawing'", trigger_mode="always_last").then(**refresh).then(**channel_args)
        photo.change(None, None, source, js="() => 'upload'").then(**refresh).then(**channel_args)
        source.input(**refresh).then(**channel_args)
        model.change(choose_model, [model, layer], [layer, status, download], api_visibility="private")
        layer.change(**refresh).then(**channel_args)
        channel.change(**channel_args)
        maps.select(pick_channel, [model, layer], channel, **shared)
        download.click(download_weights, [model, layer], [layer, status, download], api_visibility="private", concurrency_limit=1)
        excite_args = dict(
            fn=excite_filter, inputs=[model, layer, channel], outputs=[excited, excite_caption], **dict(shared, show_progress="full")
        )
        excite_button.click(**excite_args)
        landing = [model, layer, input_tabs, output_tabs, source, canvas]  # what a handed-over digit sets
        received.change(receive_digit, [received, layer], landing, **private)
        sandbox_outputs = [sandbox_picture, sandbox_numbers, sandbox_size, sandbox_worked]
        input_choice.change(input_preset, input_choice, input_text, api_visibility="private")
        kernel_choice.change(kernel_preset, kernel_choice, kernel_text, api_visibility="private")
        sandbox_inputs = [input_text, kernel_text, stride, padding, out_row, out_col, dilation, transposed, palette]
        gr.on([next_button.click, ticker.tick], step_sandbox, sandbox_inputs[:-1], [out_row, out_col], **private)  # all but the palette
        autoplay.change(autoplay_timer, autoplay, ticker, **private)
        gr.on([c.change for c in sandbox_inputs], run_sandbox, sandbox_inputs, sandbox_outputs, **private)
        presets = [input_choice, kernel_choice, input_text, kernel_text]
        edges_sets = [sandbox_box, *presets, stride, padding, dilation, transposed, out_row, out_col]
        edges_button.click(try_edges, None, edges_sets, **private).then(None, js=SCROLL_TO_SANDBOX_JS)
        deeper_button.click(try_deeper_layer, None, [model, layer, output_tabs], **private)
        excite_try.click(try_excite, None, [model, layer, channel, output_tabs], **private).then(**excite_args)
        # The palette: from the address bar first, then the opening example's maps in it (~7 ms); the
        # address bar follows later choices, and the maps, notes and sandbox follow the palette.
        note_args = dict(fn=palette_notes, inputs=palette, outputs=[maps_note, cam_note, sandbox_note], **private)
        opening = page.load(palette_from_url, None, palette, **private)
        opening.then(**note_args).then(**dict(refresh, fn=open_page, inputs=[*refresh["inputs"], received])).then(**channel_args)
        opening.then(run_sandbox, sandbox_inputs, sandbox_outputs, **private)
        palette.change(None, palette, None, js=WRITE_URL_JS)
        palette.input(**note_args).then(**refresh).then(**channel_args)
        gr.api(feature_maps, api_name="feature_maps", concurrency_limit=4, concurrency_id="filters_models")
        gr.api(convolve, api_name="convolve")
    return page


if __name__ == "__main__":
    launch(build())

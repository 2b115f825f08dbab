"""Augmentation previewer: chain torchvision v2 transforms, draw many seeded samples, and see
whether the label survives.

Its lesson (why augmentation works, and which transforms are label-safe) is demos/lessons/augment.md.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import gradio as gr
import numpy as np
from gradio.media import get_image

from core.augment.catalogue import CATALOGUE, MAX_COUNT, parse_boxes, parse_pipeline, parse_settings
from core.augment.experiments import EXPERIMENTS, steps_from_widgets, widgets_from_steps
from core.device import gpu
from core.errors import whole_number
from core.images import open_image
from demos import DELETE_CACHE, augment_path, drawing, handoff, launch, lazy_module, lesson, uploaded_path, user_errors
from demos.guide import guided_path
from demos.png import jpeg_file

grid = lazy_module("core.augment.grid")  # torch and torchvision load with the first grid, not at start-up
preprocess = lazy_module("core.digits.preprocess")
checkpoints = lazy_module("core.checkpoints")

ASSETS = Path(__file__).parent / "assets" / "augment"
DIGITS = sorted(str(p) for p in ASSETS.glob("digit_*.png"))
EXAMPLE_DIGITS = {f"Example {Path(p).stem.split('_')[1]}": p for p in DIGITS}  # button label -> file
OPENING_DIGIT = "Example 6"  # the Digit tab opens on it, already sampled
BOXES = json.loads((ASSETS / "boxes.json").read_text())
TRY_THIS = {e.title: e for e in EXPERIMENTS}

GALLERY_NOTE = (
    "**What you see:** each picture is one random draw of the whole pipeline, with the parameters it drew "
    "under it. On a digit, the CNN reads every sample: **✗ and a red frame** mark a sample it now reads as "
    "another digit. Green boxes on a photo are its bounding boxes, moved with the pixels."
)
DETAILS_NOTE = (
    "**What you see:** the exact parameters of the selected sample (click another), and the Python that "
    "redraws this very grid with torchvision's own transforms."
)
TRY_NOTE = "**Try this:** each button loads a digit and sets the pipeline; the samples follow."


DEFAULT_PIPELINE = ["hflip", "rotation", "color_jitter"]
API_PIPELINE = json.dumps([{"transform": k} for k in DEFAULT_PIPELINE])  # the API's default `pipeline`


def photo_examples() -> list[list[str]]:
    rows = [[get_image(name), "\n".join(", ".join(map(str, b)) for b in boxes)] for name, boxes in BOXES.items()]
    return rows + [[get_image("tower.jpg"), ""]]


# ---------- pure functions: plain values in, plain values out ----------


def api_gallery(gallery: list) -> list[dict]:
    """Gallery items [(picture, caption)] -> what an API client receives from a gallery: JPEG files
    (downloaded by gradio_client) with their captions, as `gr.Gallery(format="jpeg")` sent them."""
    return [{"image": gr.FileData(path=jpeg_file(picture)), "caption": caption} for picture, caption in gallery]


def example_digit(label: str) -> np.ndarray:
    """An example button's label -> its digit as (28, 28) ink in [0, 1], prepared as the CNN sees it."""
    return preprocess.prepare_digit(open_image(EXAMPLE_DIGITS[label])).image


def _count(count) -> int:
    return whole_number(count, "count", 1, MAX_COUNT)


def _seed(seed) -> int:
    return whole_number(seed, "seed", 0, 2**63 - 1)


def _digit(image):
    return preprocess.prepare_digit(image).image


# ---------- handlers: convert Gradio values only ----------

SAMPLE_OUTPUTS = 9  # gallery, summary, table, code, records, details, selected, digit samples, canvas


def _missing(message: str) -> tuple:
    """A missing input never wipes the grid: everything shown stays, and a toast says what is missing."""
    gr.Warning(message)
    return (gr.skip(),) * SAMPLE_OUTPUTS


@gpu
def make_grid(source, photo, boxes_text, sketch, chosen, seed, count, values) -> dict | str:
    """The open tab's input and the settings -> core's grid (a dict), or what is missing (a sentence)."""
    steps, seed, count = parse_pipeline(steps_from_widgets(chosen, values)), _seed(seed), _count(count)
    if not steps:
        return "Pick at least one transform for the pipeline."
    if source == "digit":
        raster = drawing.ink_raster(sketch)
        if raster is None:
            return "Nothing drawn: draw a digit on the canvas, or load an example."
        try:
            return grid.digit_grid(_digit(raster), steps, seed, count)
        except preprocess.NoInkError as blank:
            return str(blank)
    if photo is None:
        return "No photo: upload one or pick an example."
    return grid.photo_grid(photo, steps, parse_boxes(boxes_text), seed, count)


def shown_grid(out: dict) -> tuple:
    """Core's grid -> the values of the sample outputs (the canvas left as it is)."""
    table = gr.Dataframe(value=out.get("table"), visible="table" in out)
    first = grid.shown_parameters(out["records"], 0)
    # Our own JPEG files, each written atomically: every visitor opens on the same grid, and Gradio's
    # own caching of a picture rewrites its file in place, so one visitor's browser could read it half written.
    gallery = [(jpeg_file(picture), caption) for picture, caption in out["gallery"]]
    digits = [handoff.encode_digit(digit) for digit in out.get("digits", [])]  # the hand-off's text, for "Send to the sketcher"
    return gallery, out["summary"], table, out["code"], out["records"], first, 0, digits, gr.skip()


def _sample(source, photo, boxes_text, sketch, chosen, seed, count, values) -> tuple:
    if source == "digit" and sketch is None:  # the Digit tab opened for the first time: put the example on; its release samples it
        return (gr.skip(),) * (SAMPLE_OUTPUTS - 1) + (drawing.surface_with(example_digit(OPENING_DIGIT)),)
    out = make_grid(source, photo, boxes_text, sketch, chosen, seed, count, values)
    return _missing(out) if isinstance(out, str) else shown_grid(out)


@user_errors
@gpu
def sample_ui(source, photo, boxes_text, sketch, chosen, seed, count, *values):
    """Sample, and opening a tab: the open tab's input -> gallery, summary, table, code, records, the
    first sample's parameters and index, the digit samples, and the canvas (its example, first time)."""
    return _sample(source, photo, boxes_text, sketch, chosen, seed, count, values)


@user_errors
@gpu
def sample_drawing(source, photo, boxes_text, sketch, chosen, seed, count, *values):
    """A finished drawing (pen-up, Undo, Clear, a picture put on): sampled as Sample does, except that a
    cleared canvas is not a mistake: the grid stays, with no warning."""
    if drawing.ink_raster(sketch) is None:
        return (gr.skip(),) * SAMPLE_OUTPUTS
    return _sample("digit", photo, boxes_text, sketch, chosen, seed, count, values)


@user_errors
def augment_image(image: gr.FileData, pipeline: str = API_PIPELINE, seed: int = 0, count: int = 16) -> tuple[list[dict], dict]:
    """Augment an image file: pipeline = JSON list of steps like [{"transform": "rotation", "degrees": 30}]
    (or {"steps": [...], "boxes": [[x1, y1, x2, y2]]}), seed, count (1-64) -> gallery of (image, caption)
    and every sample's sampled parameters."""
    steps, boxes = parse_settings(pipeline)
    out = grid.photo_grid(uploaded_path(image), steps, boxes, _seed(seed), _count(count))
    return api_gallery(out["gallery"]), {"samples": out["records"], "code": out["code"]}


@user_errors
@gpu
def augment_digit_image(image: gr.FileData, pipeline: str = API_PIPELINE, seed: int = 0, count: int = 16) -> tuple[list[dict], dict]:
    """Augment an image of a handwritten digit and classify every sample with the digit CNN ->
    gallery, and {"original_class", "classes", "per_transform": [[transform, changed pixels in, changed class alone]], ...}."""
    steps, _ = parse_settings(pipeline)
    digit = _digit(open_image(uploaded_path(image)))
    out = grid.digit_grid(digit, steps, _seed(seed), _count(count))
    details = {k: out[k] for k in ("original_class", "classes", "code")}
    return api_gallery(out["gallery"]), {**details, "per_transform": out["table"], "samples": out["records"]}


@user_errors
def show_sample(records, event: gr.SelectData):
    if not records or event.index >= len(records):
        return gr.skip(), gr.skip()
    return grid.shown_parameters(records, event.index), event.index


@user_errors
def load_example(label: str):
    """An example button -> its digit on the canvas (whose release then samples it)."""
    return drawing.surface_with(example_digit(label)), "digit"


@user_errors
def try_this(title: str):
    """A Try-this button -> the Digit tab, its digit on the canvas, the pipeline set, what to look for."""
    experiment = TRY_THIS[title]
    chosen, values = widgets_from_steps(experiment.steps)
    canvas = drawing.surface_with(example_digit(f"Example {experiment.digit}"))
    return "digit", canvas, chosen, f"**{experiment.title}.** {experiment.what}", *values, gr.Tabs(selected="digit")


@user_errors
def send_to_sketcher(source, digits, selected):
    """The selected digit sample (or the first) -> the sketcher, through the hand-off."""
    if source != "digit" or not digits:
        gr.Warning("Only digits go to the sketcher: open the Digit tab first.")
        return gr.skip()
    index = selected if isinstance(selected, int) and 0 <= selected < len(digits) else 0
    digit = handoff.decode_digit(digits[index])
    return gr.skip() if digit is None else handoff.send_value("sketcher", digit)


@user_errors
def next_seed(seed) -> int:
    return (int(seed or 0) + 1) % 2**31


def warm_up() -> None:
    """Import torchvision and load the digit CNN once, so the first grid is quick."""
    grid.photo_grid(DIGITS[0], [{"transform": "rotation", "degrees": 15.0}], [], seed=0, count=2)
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = 1.0
    try:
        grid.digit_grid(digit, [{"transform": "rotation", "degrees": 15.0}], seed=0, count=2)
    except checkpoints.MissingCheckpointError:
        pass  # the photo side works without it; digit grids will say what is missing


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    with gr.Blocks(title="Augmentation previewer", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("# 🎲 Augmentation previewer\nChain torchvision v2 transforms, draw seeded samples, and check the label survives.")
        path = guided_path("augment")
        source = gr.Textbox("photo", visible=False)  # set in the browser by the input tabs: no server round trip
        records = gr.JSON([], visible=False)  # every sample's parameters, kept in the page (a gr.State would hold a heartbeat open)
        digits = gr.JSON([], visible=False)  # a digit grid's samples (28x28, hand-off text), for "Send to the sketcher"
        selected = gr.Number(0, visible=False, precision=0)  # the sample clicked last
        examples = photo_examples()
        opening_photo, opening_boxes = examples[0]  # the page opens on the cheetah's grid, its box drawn
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tabs(selected="photo") as tabs:
                    with gr.Tab("Photo", id="photo") as photo_tab:
                        photo = gr.Image(opening_photo, label="Photo", type="filepath", sources=["upload", "clipboard"], height=240)
                        boxes_text = gr.Textbox(opening_boxes, label="Bounding boxes: x1, y1, x2, y2 per line (photo pixels)", lines=2)
                        gr.Examples(examples, inputs=[photo, boxes_text], label="Gradio's sample photos")
                    with gr.Tab("Digit", id="digit") as digit_tab:
                        # Sends the ink on pen-up, Undo and Clear: each finished drawing is sampled.
                        canvas = drawing.drawing_surface("augment-canvas", "Draw a digit", live=False)
                        with gr.Row():
                            example_buttons = [
                                gr.Button(label, size="sm", elem_id=f"augment-{label.lower().replace(' ', '-')}")
                                for label in EXAMPLE_DIGITS
                            ]
                gr.Markdown(TRY_NOTE)
                with gr.Row():
                    try_buttons = [gr.Button(title, size="sm", elem_id=f"augment-try-{i + 1}") for i, title in enumerate(TRY_THIS)]
                try_note = gr.Markdown(elem_id="augment-try-note")
                chosen = gr.Dropdown(
                    [(spec.title, key) for key, spec in CATALOGUE.items()],
                    value=DEFAULT_PIPELINE,
                    multiselect=True,
                    label="Pipeline, applied in the order picked",
                    elem_id="augment-pipeline",
                )
                with gr.Row():
                    seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=2**31 - 1)
                    count = gr.Slider(1, MAX_COUNT, 16, step=1, label="Samples")
                widgets = []
                with gr.Accordion("Transform settings, and when each is label-safe", open=False):
                    for spec in CATALOGUE.values():
                        with gr.Accordion(spec.title, open=False):
                            gr.Markdown(spec.note)
                            for p in spec.params:
                                widgets.append(
                                    gr.Dropdown(list(p.choices), value=p.default, label=p.label)
                                    if p.choices
                                    else gr.Slider(p.low, p.high, p.default, step=p.step, label=p.label)
                                )
            with gr.Column(scale=2):
                with gr.Row():  # right above the grid it fills, the summary below it: both on one screen, laptop or phone
                    run = gr.Button("Sample", variant="primary", elem_id="augment-run")
                    reseed = gr.Button("Next seed")
                gallery = gr.Gallery(
                    label="Samples (parameters under each)", columns=6, height=560, format="jpeg", elem_id="augment-result"
                )
                summary = gr.Markdown("Sampling the cheetah…", elem_id="augment-summary")
                gr.Markdown(GALLERY_NOTE)
                with gr.Row():
                    send = gr.Button("Send the selected digit to the sketcher", size="sm", elem_id="augment-send-to-sketcher")
                    sent = handoff.sender("augment-send")
                table = gr.Dataframe(
                    headers=["transform", "changed pixels in", "changed class alone"],
                    visible=False,
                    label="Label survival, per transform: samples it changed, and those it alone turned into another digit",
                    elem_id="augment-table",
                )
                gr.Markdown(DETAILS_NOTE)
                # Plain text, not gr.JSON or highlighted gr.Code: their syntax colours fail WCAG contrast on white.
                details = gr.Code(
                    label="Parameters of the selected sample (exact)",
                    language=None,
                    wrap_lines=True,
                    interactive=False,
                    elem_id="augment-details",
                )
                code = gr.Code(label="Reproduce this grid", language=None, wrap_lines=True, interactive=False, elem_id="augment-code")
        with gr.Accordion("The lesson: why augmentation works, and which transforms are label-safe", open=True):
            gr.Markdown(lesson("augment"))

        sample = dict(
            fn=sample_ui,
            inputs=[source, photo, boxes_text, canvas, chosen, seed, count, *widgets],
            outputs=[gallery, summary, table, code, records, details, selected, digits, canvas],
            api_visibility="private",
            concurrency_limit=2,
            concurrency_id="augment",
            show_progress_on=[gallery],  # the summary, table and code stay readable (and unmasked) while a grid is made
        )
        photo_tab.select(None, None, source, js="() => 'photo'").then(**sample)
        digit_tab.select(None, None, source, js="() => 'digit'").then(**sample)
        canvas.release(None, None, source, js="() => 'digit'").then(**dict(sample, fn=sample_drawing))
        reseed.click(next_seed, seed, seed, api_visibility="private")
        run.click(**sample)
        page.load(**sample)  # the opening grid: 16 samples of the cheetah
        gallery.select(show_sample, records, [details, selected], api_visibility="private")
        for button in example_buttons:
            button.click(load_example, button, [canvas, source], api_visibility="private")
        for button in try_buttons:
            # The tab last: selecting it samples (Tab.select fires), by then with this digit and pipeline.
            button.click(try_this, button, [source, canvas, chosen, try_note, *widgets, tabs], api_visibility="private")
        send.click(send_to_sketcher, [source, digits, selected], sent, api_visibility="private")
        api = dict(concurrency_limit=2, concurrency_id="augment")
        path.wire(  # a step sets the controls as Try this does, then samples as Sample does
            page,
            setup=functools.partial(augment_path.setup, example_digit),
            setup_outputs=[source, canvas, chosen, try_note, *widgets, seed, count, tabs],
            run=functools.partial(augment_path.run, make_grid, shown_grid),
            run_inputs=sample["inputs"],
            run_outputs=sample["outputs"],
            show_progress_on=[gallery],
            **api,
        )
        gr.api(augment_image, api_name="augment_image", **api)
        gr.api(augment_digit_image, api_name="augment_digit", **api)
    return page


if __name__ == "__main__":
    launch(build())

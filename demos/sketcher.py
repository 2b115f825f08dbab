"""MNIST digit sketcher: draw a digit, see what the network sees and why it decides.

The reading itself is core.digits.reading; the pictures are core.digits.pictures. Its lesson
(weights, loss, probabilities, and why the CNN wins) is demos/lessons/sketcher.md.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr
import numpy as np

from core.attribution_methods import checked_method
from core.device import gpu
from core.digits.captions import accuracy_caption, compare_legend, legend, map_alt, method_alt, method_note, verdict
from core.digits.notes import DRAW_PROMPT, METHOD_CHOICES, NO_DIGIT, TRY_NOTES, WHAT_BARS, WHAT_PICTURES
from core.digits.pictures import attribution_overlay, fit, seen_image, smudged
from core.images import open_image
from core.palette import checked
from demos import DELETE_CACHE, drawing, handoff, launch, lazy_module, lesson, uploaded_path, user_errors
from demos.palette import WRITE_URL_JS, palette_control, palette_from_url
from demos.png import png_file

reading = lazy_module("core.digits.reading")  # torch: imported on the first drawing, not at start-up
digits = lazy_module("core.digits.predict")
preprocess = lazy_module("core.digits.preprocess")

ASSETS = Path(__file__).parent / "assets"
MAP_SIDE = 224  # attribution maps are sent at most this big: the page shows them at 224 px
EXAMPLES = sorted(str(p) for p in ASSETS.glob("digit_*.*"))
ON_CANVAS = {"3": "digit_3.png", "4": "digit_4_thin.png", "7": "digit_7_white_on_black.png", "9": "digit_9_photo.jpg"}
OPENING = "7"  # the example the page opens on, drawn and read
HARD_ONE = "hard_1_serif.png"  # a 1 with a long slanted serif: the CNN reads a 1, the MLP a 7


# ---------- pure functions: arrays in, plain values out ----------


def page_values(found, seq: int | None = None, palette: str = "default") -> tuple:
    """reading.read_digit's answer -> the six outputs' values: bars, bars, the 28x28 view, two maps, verdict."""
    if found is None:
        empty = drawing.picture_value(None, seq)
        return drawing.bars_value(None, seq), drawing.bars_value(None, seq), empty, empty, empty, drawing.text_value(DRAW_PROMPT, seq)
    ink = found.prepared.ink
    return (
        drawing.bars_value(found.cnn, seq),
        drawing.bars_value(found.mlp, seq),
        drawing.picture_value(
            seen_image(found.prepared.image, zoom=1), seq, "Your digit as the networks read it: 28 by 28 pixels, white on black"
        ),
        drawing.picture_value(fit(attribution_overlay(ink, found.cnn_map, palette), MAP_SIDE), seq, map_alt("CNN", found.cnn, palette)),
        drawing.picture_value(fit(attribution_overlay(ink, found.mlp_map, palette), MAP_SIDE), seq, map_alt("MLP", found.mlp, palette)),
        drawing.text_value(verdict(found.cnn, found.mlp), seq),
    )


def example_digit(name: str) -> np.ndarray:
    """An example file of demos/assets -> its prepared (28, 28) digit, as the networks read it."""
    return reading.prepared_field(open_image(str(ASSETS / name)))


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def read_while_drawing(ink: dict | None):
    """The surface's change event: the two readings and the verdict while the pen moves. A finished
    drawing is the release event's (predict_drawing), sent at once, without waiting behind a reading."""
    if ink is None or drawing.is_finished(ink):
        return (gr.skip(),) * 6
    seq, raster = drawing.drawing_seq(ink), drawing.ink_raster(ink)
    prepared = None if raster is None else reading.prepared(raster)
    if prepared is None:
        return page_values(None, seq)
    cnn, mlp = reading.read_probabilities(prepared)
    return (
        drawing.bars_value(cnn, seq),
        drawing.bars_value(mlp, seq),
        gr.skip(),
        gr.skip(),
        gr.skip(),
        drawing.text_value(verdict(cnn, mlp), seq, final=False),
    )


@user_errors
@gpu
def predict_drawing(ink: dict | None, palette: str = "default"):
    """Pen-up, Undo, Clear, or a picture put on the surface: everything, with the drawing's seq (the
    page drops late answers), then the prepared digit and the raster for what comes after."""
    seq, raster = drawing.drawing_seq(ink), drawing.ink_raster(ink)
    found = None if raster is None else reading.read_digit(raster)
    return *page_values(found, seq, checked(palette)), None if found is None else found.prepared.image, raster


@user_errors
@gpu
def predict_upload(path: str | None, palette: str = "default"):
    """An uploaded photo -> the same outputs. Removing the photo, or one with no digit, keeps what is shown."""
    if path is None:
        return (gr.skip(),) * 8
    found = reading.read_digit(open_image(path))
    if found is None:
        gr.Warning(str(preprocess.NoInkError()) + " The reading shown is the previous one.")
        return (gr.skip(),) * 8
    return *page_values(found, None, checked(palette)), found.prepared.image, path


@user_errors
@gpu
def recolour(source, palette: str):
    """The palette changed: the two maps again, in its colours, and the legend."""
    if source is None:
        return gr.skip(), gr.skip(), legend(checked(palette))
    found = reading.read_digit(open_image(source) if isinstance(source, str) else source)
    values = page_values(found, None, checked(palette))
    return values[3], values[4], legend(palette)


@user_errors
@gpu
def compare_again(field: np.ndarray | None, left: str, right: str, kind: str, palette: str = "default"):
    """(28, 28) digit or None -> both method pictures and notes."""
    left, right = checked_method(left), checked_method(right)
    pictures = reading.compare(field, left, right, kind, checked(palette))
    values = [drawing.picture_value(picture, None, method_alt(method, kind, palette)) for picture, method in zip(pictures, (left, right))]
    return *values, method_note(left, kind), method_note(right, kind), compare_legend(palette)


@user_errors
def put_example(name: str):
    """An example onto the canvas (the Draw tab opened): the surface sends it as a drawing."""
    return drawing.surface_with(example_digit(name)), gr.Tabs(selected="draw")


@user_errors
def open_page(request: gr.Request):
    """On load: the palette the address asks for, and the opening example on the canvas, unless the
    address brings a digit for this page (demos.handoff)."""
    query = request.query_params if request is not None else {}
    brought = query.get("digit") and query.get("tab") in (None, "sketcher")
    return palette_from_url(request), gr.skip() if brought else drawing.surface_with(example_digit(ON_CANVAS[OPENING]))


@user_errors
def receive_digit(value):
    """A digit handed over from another page (demos.handoff) -> onto the canvas, read like a drawing."""
    digit = handoff.received_digit(value)
    if digit is None:
        gr.Warning("That digit could not be read: the address or the hand-over was damaged.")
        return gr.skip(), gr.skip()
    return drawing.surface_with(digit), gr.Tabs(selected="draw")


@user_errors
def look_inside(field: np.ndarray | None):
    """The 28x28 digit the networks read -> the filter visualiser (demos.handoff)."""
    if field is None:
        gr.Warning(NO_DIGIT)
        return gr.skip()
    return handoff.send_value("filters", field)


@user_errors
def try_serif():
    return *put_example(HARD_ONE), TRY_NOTES["serif"]


@user_errors
def try_smudge(field: np.ndarray | None):
    if field is None:
        gr.Warning(NO_DIGIT)
        return gr.skip(), gr.skip(), gr.skip()
    return drawing.surface_with(smudged(field)), gr.Tabs(selected="draw"), TRY_NOTES["smudge"]


@user_errors
def try_methods():
    return "saliency", "smoothgrad", "cnn", TRY_NOTES["methods"]


@user_errors
@gpu
def classify_digit(image: gr.FileData) -> dict:
    """Classify one image file of a handwritten digit with the CNN.

    Returns the gr.Label value: {"label": top digit, "confidences": [{"label", "confidence"}, ...]}.
    An image with no ink is an error ("draw a digit").
    """
    found = reading.read_digit(open_image(uploaded_path(image)), explain=False)
    if found is None:
        raise preprocess.NoInkError()
    return reading.label_payload(found.cnn)


@user_errors
@gpu
def explain_digit_file(image: gr.FileData, method: str = "integrated_gradients", palette: str = "default") -> gr.FileData:
    """The digit CNN's attributions for its own answer on one image file: one 224 x 224 PNG.

    `method` is saliency, integrated_gradients, smoothgrad, occlusion or gradcam. The picture is the
    28 x 28 digit the CNN reads, enlarged 8 times: grey ink, coloured where it pushed towards the
    answer (red; orange with palette "safe") or against it (blue). An image with no ink is an error
    ("draw a digit"), and so is any other method or palette.
    """
    method, palette = checked_method(method), checked(palette)
    field = reading.prepared_field(open_image(uploaded_path(image)))
    if field is None:
        raise preprocess.NoInkError()
    return gr.FileData(path=png_file(reading.explained_picture(field, method, "cnn", palette)))


@user_errors
def show_accuracies() -> str:
    return " · ".join(accuracy_caption(kind, digits.digit_card(kind)) for kind in ("cnn", "mlp"))


def warm_up() -> None:
    """Load both models and run one prediction, so the first stroke answers at full speed."""
    reading.read_digit(np.pad(np.ones((20, 4), np.float32), 4))


# ---------- layout and wiring ----------

QUIET = dict(show_progress="hidden", concurrency_limit=4, concurrency_id="digit_models", api_visibility="private")


def try_this(canvas, tabs, field):
    """One-click experiments, each with a note on what to look at. Returns the method controls' setter."""
    gr.Markdown("**Try this** (one click each)")
    with gr.Row():
        serif = gr.Button("A 1 with a long serif", size="sm", elem_id="sketcher-try-serif")
        smudge = gr.Button("Smudge it", size="sm", elem_id="sketcher-try-smudge")
        methods = gr.Button("Compare two methods", size="sm", elem_id="sketcher-try-methods")
    note = gr.Markdown(elem_id="sketcher-try-note")
    serif.click(try_serif, None, [canvas, tabs, note], **QUIET)
    smudge.click(try_smudge, field, [canvas, tabs, note], **QUIET)
    return methods, note


def comparison_section(field, palette, methods, note):
    """Two attribution methods side by side on the current digit, chosen from core/explain.py's five.
    They follow the readings (`.then`), so they never hold up the readings."""
    gr.Markdown("### Four ways to explain (five for the CNN)")
    legend_shown = gr.Markdown(compare_legend())
    with gr.Row():
        kind = gr.Radio([("CNN", "cnn"), ("MLP", "mlp")], value="cnn", label="Model", elem_id="compare-model")
        left = gr.Dropdown(METHOD_CHOICES, value="integrated_gradients", label="Left method", elem_id="compare-left")
        right = gr.Dropdown(METHOD_CHOICES, value="gradcam", label="Right method", elem_id="compare-right")
    with gr.Row():
        with gr.Column():
            left_map = drawing.picture("compare-left-map", "Left method")
            left_note = gr.Markdown(method_note("integrated_gradients"), elem_id="compare-left-note")
        with gr.Column():
            right_map = drawing.picture("compare-right-map", "Right method")
            right_note = gr.Markdown(method_note("gradcam"), elem_id="compare-right-note")
    methods.click(try_methods, None, [left, right, kind, note], **QUIET)
    again = dict(
        fn=compare_again, inputs=[field, left, right, kind, palette], outputs=[left_map, right_map, left_note, right_note, legend_shown]
    )
    gr.on([left.change, right.change, kind.change], **again, **QUIET)
    return again


def build() -> gr.Blocks:
    with gr.Blocks(title="MNIST digit sketcher", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("# ✏️ MNIST digit sketcher\nDraw a digit. Two networks read it as you draw; on pen-up they show why.")
        field = gr.State(None)  # this visitor's last digit (28 x 28): for Look inside, Smudge it and the methods
        source = gr.State(None)  # and what it came from (the canvas's raster or the photo's path), for the palette
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tabs(selected="draw") as tabs:
                    with gr.Tab("Draw", id="draw"):
                        canvas = drawing.drawing_surface("sketcher-canvas", "Draw a digit")
                        with gr.Row():
                            examples = {name: gr.Button(f"Load a {name}", size="sm", min_width=60) for name in ON_CANVAS}
                    with gr.Tab("Upload a photo", id="upload"):
                        photo = gr.Image(label="Photo of a handwritten digit", type="filepath", sources=["upload", "clipboard"])
                        gr.Examples(EXAMPLES, inputs=photo, label="Examples")
                methods, note = try_this(canvas, tabs, field)
                palette = palette_control("sketcher")
                look = gr.Button("Look inside ↗ (the filter visualiser)", size="md", elem_id="sketcher-look-inside")
                sent = handoff.sender("sketcher-send")
                received = handoff.receiver("sketcher")
            with gr.Column(scale=2):
                with gr.Column(elem_id="sketcher-result"):
                    answer = drawing.reading_text("verdict", DRAW_PROMPT)
                    with gr.Row():
                        cnn_label = drawing.probability_bars("cnn-label", "CNN")
                        mlp_label = drawing.probability_bars("mlp-label", "MLP")
                    gr.Markdown(WHAT_BARS)
                accuracies = gr.Markdown()
                with gr.Row():
                    seen = drawing.picture("sketcher-seen", "What the networks see (28×28)", pixelated=True)
                    cnn_map = drawing.picture("sketcher-cnn-map", "CNN: which strokes mattered")
                    mlp_map = drawing.picture("sketcher-mlp-map", "MLP: which strokes mattered")
                gr.Markdown(WHAT_PICTURES)
                legend_shown = gr.Markdown(legend(), elem_id="sketcher-legend")
        compare = comparison_section(field, palette, methods, note)
        with gr.Accordion("The lesson: weights, loss, probabilities, and why the CNN wins", open=True):
            gr.Markdown(lesson("sketcher"))

        outputs = [cnn_label, mlp_label, seen, cnn_map, mlp_map, answer]
        # While the pen moves: one reading at a time, the latest drawing next (always_last). On pen-up,
        # Undo, Clear and a picture put on the canvas: everything, sent at once; the page drops whichever answer is older.
        canvas.change(read_while_drawing, canvas, outputs, trigger_mode="always_last", **QUIET)
        pen_up = canvas.release(predict_drawing, [canvas, palette], [*outputs, field, source], trigger_mode="always_last", **QUIET)
        pen_up.then(**compare, **QUIET)
        photo.change(predict_upload, [photo, palette], [*outputs, field, source], **QUIET).then(**compare, **QUIET)
        palette.change(recolour, [source, palette], [cnn_map, mlp_map, legend_shown], **QUIET).then(**compare, **QUIET)
        palette.change(None, palette, None, js=WRITE_URL_JS)
        for name, button in examples.items():
            button.click(partial(put_example, ON_CANVAS[name]), None, [canvas, tabs], **QUIET)
        received.change(receive_digit, received, [canvas, tabs], **QUIET)
        look.click(look_inside, field, sent, **QUIET)
        # One load event sets the palette from the address and then the example, so its first reading is in that palette.
        page.load(open_page, None, [palette, canvas], **QUIET)
        page.load(show_accuracies, None, accuracies, api_visibility="private")
        gr.api(classify_digit, api_name="classify_digit", concurrency_limit=4, concurrency_id="digit_models")
        gr.api(explain_digit_file, api_name="explain_digit", concurrency_limit=4, concurrency_id="digit_models")
    return page


if __name__ == "__main__":
    launch(build())

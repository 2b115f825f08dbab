"""The sketcher's pure functions (readings in, the page's values out) and its event handlers, which
only convert Gradio values. The reading itself is core.digits.reading; the pictures are
core.digits.pictures; the words are demos.sketcher.texts."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from core.attribution_methods import checked_method
from core.device import gpu
from core.digits.pictures import attribution_overlay, fit, seen_image, smudged
from core.errors import UserError
from core.images import open_image
from core.palette import checked
from demos import drawing, handoff, lazy_module, uploaded_path, user_errors
from demos.classroom import class_store
from demos.guide.classroom import membership
from demos.palette import palette_from_url
from demos.png import png_file
from demos.sketcher.mlp import mlp_bars
from demos.sketcher.texts import (
    DRAW_PROMPT,
    NO_DIGIT,
    NO_INK_KEPT,
    NOT_A_DIGIT,
    SEEN_ALT,
    TRY_NOTES,
    accuracy_caption,
    compare_legend,
    legend,
    map_alt,
    method_alt,
    method_note,
    verdict,
)

reading = lazy_module("core.digits.reading")  # torch: imported on the first drawing, not at start-up
digits = lazy_module("core.digits.predict")
preprocess = lazy_module("core.digits.preprocess")

ASSETS = Path(__file__).parents[1] / "assets"
MAP_SIDE = 224  # attribution maps are sent at most this big: the page shows them at 224 px
COMPARE_ZOOM = 8  # the methods' 28 x 28 pictures, shown at 224 px
EXAMPLES = sorted(str(p) for p in ASSETS.glob("digit_*.*"))
ON_CANVAS = {"3": "digit_3.png", "4": "digit_4_thin.png", "7": "digit_7_white_on_black.png", "9": "digit_9_photo.jpg"}
OPENING = "7"  # the example the page opens on, drawn and read
HARD_ONE = "hard_1_serif.png"  # a 1 with a long slanted serif: the CNN reads a 1, the MLP a 7


# ---------- pure functions: arrays in, plain values out ----------


def page_values(found, seq: int | None = None, palette: str = "default") -> tuple:
    """reading.read_digit's answer -> the six outputs' values: bars, bars, the 28x28 view, two maps, verdict."""
    if found is None:
        empty = drawing.picture_value(None, seq)
        return drawing.bars_value(None, seq), mlp_bars(None, None, seq), empty, empty, empty, drawing.text_value(DRAW_PROMPT, seq)
    ink = found.prepared.ink
    return (
        drawing.bars_value(found.cnn, seq),
        mlp_bars(found.mlp, found.prepared, seq),  # with the MLP's layers, for its view (demos/sketcher/mlp.py)
        drawing.picture_value(seen_image(found.prepared.image, zoom=1), seq, SEEN_ALT),
        drawing.picture_value(fit(attribution_overlay(ink, found.cnn_map, palette), MAP_SIDE), seq, map_alt("CNN", found.cnn, palette)),
        drawing.picture_value(fit(attribution_overlay(ink, found.mlp_map, palette), MAP_SIDE), seq, map_alt("MLP", found.mlp, palette)),
        drawing.text_value(verdict(found.cnn, found.mlp), seq),
    )


def label_payload(probabilities: np.ndarray) -> dict:
    """The gr.Label value as an API client receives it: top label and every class's confidence."""
    order = np.argsort(-probabilities)
    return {
        "label": str(int(order[0])),
        "confidences": [{"label": str(int(d)), "confidence": float(probabilities[d])} for d in order],
    }


def example_digit(name: str) -> np.ndarray:
    """An example file of demos/assets -> its prepared (28, 28) digit, as the networks read it."""
    return reading.prepared_field(open_image(str(ASSETS / name)))


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def read_while_drawing(ink: dict | None):
    """The surface's input event (a value sent while the pen moves, where the browser cannot read it
    itself): the two readings and the verdict. A finished drawing is the release event's
    (finish_drawing), sent at once, without waiting behind a reading."""
    if ink is None or drawing.is_finished(ink):
        return (gr.skip(),) * 6
    seq, raster = drawing.drawing_seq(ink), drawing.ink_raster(ink)
    prepared = None if raster is None else reading.prepared(raster)
    if prepared is None:
        return page_values(None, seq)
    cnn, mlp = reading.read_probabilities(prepared)
    return (
        drawing.bars_value(cnn, seq),
        mlp_bars(mlp, prepared, seq),
        gr.skip(),
        gr.skip(),
        gr.skip(),
        drawing.text_value(verdict(cnn, mlp), seq, final=False),
    )


def drawing_values(ink: dict | None, palette: str = "default") -> tuple:
    """A finished drawing -> (its Reading or None, the six outputs' values with the drawing's seq, the
    prepared digit and the raster for what comes after)."""
    seq, raster = drawing.drawing_seq(ink), drawing.ink_raster(ink)
    found = None if raster is None else reading.read_digit(raster)
    return found, (*page_values(found, seq, palette), None if found is None else found.prepared.image, raster)


def comparison_values(field, left: str, right: str, kind: str, palette: str = "default", found=None) -> tuple:
    """The method comparison's five outputs: both pictures, both notes, the legend (reading.compare).
    Each picture is sent 28 x 28 and the page enlarges it 8 times (COMPARE_ZOOM): the pixels of the
    224 x 224 picture the API's /explain_digit draws, in 0.8 to 2 KB instead of 200 KB."""
    pictures = reading.compare(field, left, right, kind, palette, found)
    values = [
        drawing.picture_value(picture, None, method_alt(method, kind, palette), zoom=COMPARE_ZOOM)
        for picture, method in zip(pictures, (left, right))
    ]
    return *values, method_note(left, kind), method_note(right, kind), compare_legend(palette)


@user_errors
@gpu
def predict_drawing(ink: dict | None, palette: str = "default"):
    """Pen-up, Undo, Clear, or a picture put on the surface: everything, with the drawing's seq (the
    page drops late answers), then the prepared digit and the raster for what comes after."""
    return drawing_values(ink, checked(palette))[1]


@user_errors
@gpu
def finish_drawing(
    ink: dict | None, palette: str = "default", left: str = "integrated_gradients", right: str = "gradcam", kind: str = "cnn"
):
    """The page's pen-up (Undo, Clear, a picture put on the surface), one event and one answer:
    predict_drawing's eight outputs and the method comparison's five on the same digit, which reuses
    the integrated gradients just computed (the comparison adds about 4 ms to the reading's 37).

    It used to stream the readings first and the comparison after. A streamed event costs the page a
    message a yield plus the completion, and a whole class drawing at once paid for them; the readings'
    gr.HTML also missed their value when both yields reached a page in one burst (tests/test_sketcher.py,
    the gallery's handed-over digit)."""
    left, right, palette = checked_method(left), checked_method(right), checked(palette)
    found, values = drawing_values(ink, palette)
    return *values, *comparison_values(None if found is None else found.prepared.image, left, right, kind, palette, found)


@user_errors
@gpu
def predict_upload(path: str | None, palette: str = "default"):
    """An uploaded photo -> the same outputs. Removing the photo, or one with no digit, keeps what is shown."""
    if path is None:
        return (gr.skip(),) * 8
    found = reading.read_digit(open_image(path))
    if found is None:
        gr.Warning(str(preprocess.NoInkError()) + NO_INK_KEPT)
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
    return comparison_values(field, checked_method(left), checked_method(right), kind, checked(palette))


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
        gr.Warning(NOT_A_DIGIT)
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
    return label_payload(found.cnn)


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
@gpu
def send_to_class(ink: dict | None, meant: str | None, member) -> str:
    """In a class: the digit on the canvas, the digit its student meant, and what the CNN read, to the
    class's confusion matrix (the store keeps the 28 x 28 digit the CNN read, and bounds how many)."""
    joined = membership(member)
    if joined is None:
        raise UserError("This page is in no class: join one first (Classroom, under the guided path).")
    if meant not in [str(d) for d in range(10)]:
        raise UserError("Say which digit you meant first.")
    raster = drawing.ink_raster(ink)
    found = None if raster is None else reading.read_digit(raster, explain=False)
    if found is None:
        raise UserError(NO_DIGIT)
    read = int(found.cnn.argmax())
    image = np.clip(np.rint(found.prepared.image * 255), 0, 255).astype(np.uint8)
    class_store().drawing(*joined, int(meant), read, image)
    return f"Sent to the class: you meant {meant}, and the CNN read {read}."


@user_errors
def show_accuracies() -> str:
    return " · ".join(accuracy_caption(kind, digits.digit_card(kind)) for kind in ("cnn", "mlp"))


def warm_up() -> None:
    """Load both models and run one prediction, so the first stroke answers at full speed."""
    reading.read_digit(np.pad(np.ones((20, 4), np.float32), 4))

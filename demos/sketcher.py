"""MNIST digit sketcher: draw a digit, see what the network sees and why it decides.

Its lesson (weights, loss, probabilities, and why the CNN wins) is demos/lessons/sketcher.md.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from core.attribution_methods import METHODS, checked_method
from core.device import gpu
from core.images import open_image
from demos import DELETE_CACHE, drawing, launch, lazy_module, lesson, uploaded_path, user_errors
from demos.png import png_file

digits = lazy_module("core.digits.predict")  # torch: imported on the first drawing, not at start-up
preprocess = lazy_module("core.digits.preprocess")
digit_explain = lazy_module("core.digits.explain")  # Captum: imported with the first explanation

ASSETS = Path(__file__).parent / "assets"
MAP_SIDE = 224  # attribution maps are sent at most this big: the page shows them at 224 px
EXAMPLES = sorted(str(p) for p in ASSETS.glob("digit_*.*"))
DRAW_PROMPT = "✏️ Draw a digit (or upload a photo of one) and the models will read it."
LEGEND = (
    "**Attribution method: integrated gradients** (32 steps from a blank canvas). "
    "Red strokes pushed the model *towards* its answer, blue strokes pushed *against* it; "
    "the stronger the colour, the bigger the push."
)


# ---------- pure functions: arrays in, plain values out ----------


def label_payload(probabilities: np.ndarray) -> dict:
    """The gr.Label value as an API client receives it: top label and every class's confidence."""
    order = np.argsort(-probabilities)
    return {
        "label": str(int(order[0])),
        "confidences": [{"label": str(int(d)), "confidence": float(probabilities[d])} for d in order],
    }


def seen_image(field: np.ndarray, zoom: int = 8) -> np.ndarray:
    """(28, 28) ink in [0, 1] -> an enlarged uint8 image, white ink on black like MNIST."""
    pixels = (np.clip(field, 0, 1) * 255).astype(np.uint8)
    return pixels.repeat(zoom, axis=0).repeat(zoom, axis=1)


def attribution_overlay(ink: np.ndarray, attributions: np.ndarray) -> np.ndarray:
    """Ink (H, W) in [0, 1] and same-size attributions -> RGB uint8: grey strokes, red = for, blue = against."""
    scale = float(np.abs(attributions).max()) or 1.0
    strength = np.clip(np.abs(attributions) / scale, 0, 1)[..., None] ** 0.7
    paper = (255 - 150 * ink)[..., None].repeat(3, axis=2)
    colour = np.where((attributions >= 0)[..., None], np.array([220, 30, 30]), np.array([30, 80, 220]))
    return (paper * (1 - strength) + colour * strength).astype(np.uint8)


def verdict(cnn: np.ndarray, mlp: np.ndarray) -> str:
    c, m = int(cnn.argmax()), int(mlp.argmax())
    if c == m:
        return f"Both models read a **{c}** (CNN {cnn[c]:.0%}, MLP {mlp[m]:.0%} sure)."
    return f"They disagree: the CNN reads a **{c}** ({cnn[c]:.0%}), the MLP a **{m}** ({mlp[m]:.0%})."


def read_probabilities(prepared) -> tuple[np.ndarray, np.ndarray]:
    """A prepared digit -> (CNN, MLP) probabilities, (10,) each: what is read while the pen moves."""
    inputs = preprocess.to_model_input(prepared)
    return (
        digits.class_probabilities(digits.answering_cnn(), inputs)[0],
        digits.class_probabilities(digits.load_digit_model("mlp"), inputs)[0],
    )


def explain_digit(prepared, cnn: np.ndarray, mlp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each model's attributions for its own answer, carried back onto the ink: (CNN map, MLP map)."""
    inputs = preprocess.to_model_input(prepared)
    # The folded CNN is the same function as the shipped one, so its input gradients are the same
    # (tests/test_sketcher.py checks), and on pen-up it costs a third less.
    models = {"cnn": digits.answering_cnn(), "mlp": digits.load_digit_model("mlp")}
    maps = []
    for kind, probabilities in (("cnn", cnn), ("mlp", mlp)):
        field = digit_explain.integrated_gradients(models[kind], inputs, int(probabilities.argmax()))
        maps.append(preprocess.to_source_map(prepared, field))
    return maps[0], maps[1]


def read_digit(image, explain: bool = True):
    """Image -> (CNN probabilities, MLP probabilities, prepared digit, CNN map, MLP map).

    Returns None when there is no ink. With explain=False only the CNN runs and the rest is None.
    """
    try:
        prepared = preprocess.prepare_digit(image)
    except preprocess.NoInkError:
        return None
    if not explain:
        inputs = preprocess.to_model_input(prepared)
        return digits.class_probabilities(digits.answering_cnn(), inputs)[0], None, prepared, None, None
    cnn, mlp = read_probabilities(prepared)
    cnn_map, mlp_map = explain_digit(prepared, cnn, mlp)
    return cnn, mlp, prepared, cnn_map, mlp_map


def fit(picture: np.ndarray, side: int = MAP_SIDE) -> np.ndarray:
    """Shrink an RGB picture to at most `side` pixels a side (an upload's map can be 512 px)."""
    if max(picture.shape[:2]) <= side:
        return picture
    image = Image.fromarray(picture)
    image.thumbnail((side, side), Image.BILINEAR)
    return np.asarray(image)


def page_values(found, seq: int | None = None) -> tuple:
    """read_digit's answer -> the six outputs' values: bars, bars, the 28x28 view, two maps, verdict."""
    if found is None:
        empty = drawing.picture_value(None, seq)
        return drawing.bars_value(None, seq), drawing.bars_value(None, seq), empty, empty, empty, drawing.text_value(DRAW_PROMPT, seq)
    cnn, mlp, prepared, cnn_map, mlp_map = found
    return (
        drawing.bars_value(cnn, seq),
        drawing.bars_value(mlp, seq),
        drawing.picture_value(seen_image(prepared.image, zoom=1), seq),
        drawing.picture_value(fit(attribution_overlay(prepared.ink, cnn_map)), seq),
        drawing.picture_value(fit(attribution_overlay(prepared.ink, mlp_map)), seq),
        drawing.text_value(verdict(cnn, mlp), seq),
    )


def accuracy_caption(kind: str) -> str:
    return f"{kind.upper()}: {digits.digit_card(kind)['test_accuracy']:.2%} on the 10,000 MNIST test digits"


# ---------- comparing attribution methods (core/explain.py, through Captum) ----------

METHOD_CHOICES = [("Saliency", "saliency"), ("Integrated gradients", "integrated_gradients"), ("SmoothGrad", "smoothgrad")]
METHOD_CHOICES += [("Occlusion", "occlusion"), ("Grad-CAM (CNN only)", "gradcam")]
COMPARE_LEGEND = (
    "Two attribution methods side by side, on the 28×28 digit the network reads, for the answer it gave. "
    "Red pushed towards that answer, blue against it. Each note says what the method computes and where it misleads."
)


def method_picture(field: np.ndarray, attributions: np.ndarray, zoom: int = 8) -> np.ndarray:
    """(28, 28) ink and attributions -> (28 * zoom, 28 * zoom, 3) uint8: grey ink, red = for, blue = against."""
    return attribution_overlay(field, attributions).repeat(zoom, axis=0).repeat(zoom, axis=1)


def method_note(method: str, kind: str = "cnn") -> str:
    """One method's note (what it computes, where it misleads), or why it does not apply to `kind`."""
    about = METHODS[method]
    if about.needs_convolution and kind != "cnn":
        return f"**{about.title}** needs a convolutional layer, and the MLP has none: choose another method, or the CNN."
    return f"**{about.title}**: {about.computes} *Misleads:* {about.misleads}"


def explained_picture(field: np.ndarray, method: str, kind: str = "cnn") -> np.ndarray:
    """A prepared (28, 28) digit -> the `method` picture of model `kind` for its own answer (224 x 224 RGB).
    An unknown method, or Grad-CAM on the MLP, is a UserError."""
    model = digits.load_digit_model(kind)
    inputs = preprocess.to_model_input(field)
    target = int(digits.class_probabilities(model, inputs)[0].argmax())
    return method_picture(field, digit_explain.attributions(model, inputs, target, method))


def compare(field: np.ndarray | None, left: str, right: str, kind: str) -> tuple:
    """(28, 28) digit or None -> two pictures and their notes; a picture is None where the method does not apply."""
    pictures, notes = [], []
    for method in (left, right):
        method = checked_method(method)
        applies = field is not None and not (METHODS[method].needs_convolution and kind != "cnn")
        pictures.append(explained_picture(field, method, kind) if applies else None)
        notes.append(method_note(method, kind))
    return pictures[0], pictures[1], notes[0], notes[1]


def prepared_field(image) -> np.ndarray | None:
    """Any image -> its prepared (28, 28) digit, or None when it has no ink."""
    try:
        return preprocess.prepare_digit(image).image
    except preprocess.NoInkError:
        return None


# ---------- handlers: convert Gradio values only ----------


def predict_digit(image):
    """Canvas or uploaded image -> CNN bars, MLP bars, what the CNN sees, two attribution maps, verdict."""
    return page_values(read_digit(image) if image is not None else None)


@user_errors
@gpu
def predict_drawing(ink: dict | None):
    """The drawing surface's value -> readings while the pen moves (bars and the verdict only), or,
    on pen-up, everything: each value carries the drawing's seq, so the page drops late answers."""
    seq, raster = drawing.drawing_seq(ink), drawing.ink_raster(ink)
    if raster is None or drawing.is_finished(ink):
        return page_values(None if raster is None else read_digit(raster), seq)
    try:
        prepared = preprocess.prepare_digit(raster)
    except preprocess.NoInkError:
        return page_values(None, seq)
    cnn, mlp = read_probabilities(prepared)
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
def read_while_drawing(ink: dict | None):
    """The surface's change event: readings while the pen moves. A finished drawing is left to the
    release event (predict_drawing), which is sent at once, without waiting behind a reading."""
    if ink is None or drawing.is_finished(ink):
        return (gr.skip(),) * 6
    return predict_drawing(ink)


@user_errors
@gpu
def predict_upload(path: str | None):
    return predict_digit(None if path is None else open_image(path))


@user_errors
@gpu
def classify_digit(image: gr.FileData) -> dict:
    """Classify one image file of a handwritten digit with the CNN.

    Returns the gr.Label value: {"label": top digit, "confidences": [{"label", "confidence"}, ...]}.
    An image with no ink is an error ("draw a digit").
    """
    found = read_digit(open_image(uploaded_path(image)), explain=False)
    if found is None:
        raise preprocess.NoInkError()
    return label_payload(found[0])


@user_errors
@gpu
def compare_drawing(ink: dict | None, left: str, right: str, kind: str):
    """On pen-up (Undo, Clear): the drawing's digit for later method changes, then both method pictures and notes."""
    if not drawing.is_finished(ink):
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    raster = drawing.ink_raster(ink)
    field = None if raster is None else prepared_field(raster)
    return field, *compare(field, left, right, kind)


@user_errors
@gpu
def compare_upload(path: str | None, left: str, right: str, kind: str):
    field = None if path is None else prepared_field(open_image(path))
    return field, *compare(field, left, right, kind)


@user_errors
@gpu
def compare_again(field: np.ndarray | None, left: str, right: str, kind: str):
    return compare(field, left, right, kind)


@user_errors
@gpu
def explain_digit_file(image: gr.FileData, method: str = "integrated_gradients") -> gr.FileData:
    """The digit CNN's attributions for its own answer on one image file: one 224 x 224 PNG.

    `method` is saliency, integrated_gradients, smoothgrad, occlusion or gradcam. The picture is the
    28 x 28 digit the CNN reads, enlarged 8 times: grey ink, red pushed towards the answer, blue
    against it. An image with no ink is an error ("draw a digit"), and so is any other method.
    """
    method = checked_method(method)
    field = prepared_field(open_image(uploaded_path(image)))
    if field is None:
        raise preprocess.NoInkError()
    return gr.FileData(path=png_file(explained_picture(field, method)))


@user_errors
def show_accuracies() -> str:
    return " · ".join(accuracy_caption(kind) for kind in ("cnn", "mlp"))


def warm_up() -> None:
    """Load both models and run one prediction, so the first stroke answers at full speed."""
    predict_digit(np.pad(np.ones((20, 4), np.float32), 4))


# ---------- layout and wiring ----------


def comparison_section(canvas, photo, pen_up) -> None:
    """Two attribution methods side by side on the current digit, chosen from core/explain.py's five.
    They follow the readings' pen-up event (`pen_up.then`), so they never hold up the readings."""
    gr.Markdown(f"### Four ways to explain (five for the CNN)\n{COMPARE_LEGEND}")
    with gr.Row():
        kind = gr.Radio([("CNN", "cnn"), ("MLP", "mlp")], value="cnn", label="Model", elem_id="compare-model")
        left = gr.Dropdown(METHOD_CHOICES, value="integrated_gradients", label="Left method", elem_id="compare-left")
        right = gr.Dropdown(METHOD_CHOICES, value="gradcam", label="Right method", elem_id="compare-right")
    with gr.Row():
        with gr.Column():
            left_map = gr.Image(label="Left method", interactive=False, height=224, elem_id="compare-left-map")
            left_note = gr.Markdown(method_note("integrated_gradients"), elem_id="compare-left-note")
        with gr.Column():
            right_map = gr.Image(label="Right method", interactive=False, height=224, elem_id="compare-right-map")
            right_note = gr.Markdown(method_note("gradcam"), elem_id="compare-right-note")
    field = gr.State(None)  # this visitor's last digit (28 x 28), for method changes without redrawing
    shown = [left_map, right_map, left_note, right_note]
    shared = dict(show_progress="hidden", concurrency_limit=4, concurrency_id="digit_models", api_visibility="private")
    pen_up.then(compare_drawing, [canvas, left, right, kind], [field, *shown], **shared)
    photo.change(compare_upload, [photo, left, right, kind], [field, *shown], **shared)
    gr.on([left.change, right.change, kind.change], compare_again, [field, left, right, kind], shown, **shared)


def build() -> gr.Blocks:
    with gr.Blocks(title="MNIST digit sketcher", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("## ✏️ MNIST digit sketcher\nDraw a digit. Two networks read it as you draw; on pen-up they show why.")
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tab("Draw"):
                    canvas = drawing.drawing_surface("sketcher-canvas", "Draw a digit")
                with gr.Tab("Upload a photo"):
                    photo = gr.Image(label="Photo of a handwritten digit", type="filepath", sources=["upload", "clipboard"])
                    gr.Examples(EXAMPLES, inputs=photo, label="Examples")
            with gr.Column(scale=2):
                answer = drawing.reading_text("verdict", DRAW_PROMPT)
                with gr.Row():
                    cnn_label = drawing.probability_bars("cnn-label", "CNN")
                    mlp_label = drawing.probability_bars("mlp-label", "MLP")
                accuracies = gr.Markdown()
                with gr.Row():
                    seen = drawing.picture("sketcher-seen", "What the networks see (28×28)", pixelated=True)
                    cnn_map = drawing.picture("sketcher-cnn-map", "CNN: which strokes mattered")
                    mlp_map = drawing.picture("sketcher-mlp-map", "MLP: which strokes mattered")
                gr.Markdown(LEGEND)
        outputs = [cnn_label, mlp_label, seen, cnn_map, mlp_map, answer]
        shared = dict(outputs=outputs, show_progress="hidden", concurrency_limit=4, concurrency_id="digit_models")
        # While the pen moves: one reading at a time, the latest drawing next (always_last). On pen-up,
        # Undo and Clear: everything, sent at once; the page drops whichever answer is older.
        canvas.change(read_while_drawing, canvas, trigger_mode="always_last", api_visibility="private", **shared)
        pen_up = canvas.release(predict_drawing, canvas, trigger_mode="always_last", api_visibility="private", **shared)
        comparison_section(canvas, photo, pen_up)
        with gr.Accordion("The lesson: weights, loss, probabilities, and why the CNN wins", open=False):
            gr.Markdown(lesson("sketcher"))

        photo.change(predict_upload, photo, api_visibility="private", **shared)
        page.load(show_accuracies, None, accuracies, api_visibility="private")
        gr.api(classify_digit, api_name="classify_digit", concurrency_limit=4, concurrency_id="digit_models")
        gr.api(explain_digit_file, api_name="explain_digit", concurrency_limit=4, concurrency_id="digit_models")
    return page


if __name__ == "__main__":
    launch(build())

"""MNIST digit sketcher: draw a digit, see what the network sees and why it decides.

Its lesson (weights, loss, probabilities, and why the CNN wins) is demos/lessons/sketcher.md.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from core.device import gpu
from core.images import open_image
from demos import launch, lazy_module, lesson, uploaded_path, user_errors

digits = lazy_module("core.digits.predict")  # torch: imported on the first drawing, not at start-up
preprocess = lazy_module("core.digits.preprocess")
digit_explain = lazy_module("core.digits.explain")  # Captum: imported with the first explanation

ASSETS = Path(__file__).parent / "assets"
EXAMPLES = sorted(str(p) for p in ASSETS.glob("digit_*.*"))
DRAW_PROMPT = "✏️ Draw a digit (or upload a photo of one) and the models will read it."
LEGEND = (
    "**Attribution method: integrated gradients** (32 steps from a blank canvas). "
    "Red strokes pushed the model *towards* its answer, blue strokes pushed *against* it; "
    "the stronger the colour, the bigger the push."
)


# ---------- pure functions: arrays in, plain values out ----------


def label_value(probabilities: np.ndarray) -> dict[str, float]:
    """(10,) probabilities -> the {"digit": probability} dict that gr.Label shows."""
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


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


def read_digit(image, explain: bool = True):
    """Image -> (CNN probabilities, MLP probabilities, prepared digit, CNN map, MLP map).

    Returns None when there is no ink. With explain=False only the CNN runs and the rest is None.
    """
    try:
        prepared = preprocess.prepare_digit(image)
    except preprocess.NoInkError:
        return None
    inputs = preprocess.to_model_input(prepared)
    if not explain:
        return digits.class_probabilities(digits.answering_cnn(), inputs)[0], None, prepared, None, None
    results = []
    for kind in ("cnn", "mlp"):
        model = digits.load_digit_model(kind)
        probabilities = digits.class_probabilities(model, inputs)[0]
        field = digit_explain.integrated_gradients(model, inputs, int(probabilities.argmax()))
        results.append((probabilities, preprocess.to_source_map(prepared, field)))
    (cnn, cnn_map), (mlp, mlp_map) = results
    return cnn, mlp, prepared, cnn_map, mlp_map


def accuracy_caption(kind: str) -> str:
    return f"{kind.upper()}: {digits.digit_card(kind)['test_accuracy']:.2%} on the 10,000 MNIST test digits"


# ---------- handlers: convert Gradio values only ----------


def predict_digit(image):
    """Canvas or uploaded image -> CNN label, MLP label, what the CNN sees, two attribution maps, verdict."""
    found = read_digit(image) if image is not None else None
    if found is None:
        return None, None, None, None, None, DRAW_PROMPT
    cnn, mlp, prepared, cnn_map, mlp_map = found
    return (
        label_value(cnn),
        label_value(mlp),
        seen_image(prepared.image),
        attribution_overlay(prepared.ink, cnn_map),
        attribution_overlay(prepared.ink, mlp_map),
        verdict(cnn, mlp),
    )


@user_errors
@gpu
def predict_drawing(sketch: dict | None):
    # Sketchpad gives {"background", "layers", "composite"}; the composite is what is on screen.
    return predict_digit(None if sketch is None else sketch.get("composite"))


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
def show_accuracies() -> str:
    return " · ".join(accuracy_caption(kind) for kind in ("cnn", "mlp"))


def warm_up() -> None:
    """Load both models and run one prediction, so the first stroke answers at full speed."""
    predict_digit(np.pad(np.ones((20, 4), np.float32), 4))


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    with gr.Blocks(title="MNIST digit sketcher") as page:
        gr.Markdown("## ✏️ MNIST digit sketcher\nDraw a digit. Two networks read it on every stroke.")
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tab("Draw"):
                    canvas = gr.Sketchpad(
                        label="Canvas",
                        canvas_size=(280, 280),
                        fixed_canvas=True,
                        brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"),
                        type="numpy",
                        image_mode="RGBA",
                        elem_id="sketcher-canvas",
                    )
                with gr.Tab("Upload a photo"):
                    photo = gr.Image(label="Photo of a handwritten digit", type="filepath", sources=["upload", "clipboard"])
                    gr.Examples(EXAMPLES, inputs=photo, label="Examples")
            with gr.Column(scale=2):
                answer = gr.Markdown(DRAW_PROMPT, elem_id="verdict")
                with gr.Row():
                    cnn_label = gr.Label(label="CNN", num_top_classes=3, elem_id="cnn-label")
                    mlp_label = gr.Label(label="MLP", num_top_classes=3, elem_id="mlp-label")
                accuracies = gr.Markdown()
                with gr.Row():
                    seen = gr.Image(label="What the networks see (28×28)", interactive=False)
                    cnn_map = gr.Image(label="CNN: which strokes mattered", interactive=False)
                    mlp_map = gr.Image(label="MLP: which strokes mattered", interactive=False)
                gr.Markdown(LEGEND)
        with gr.Accordion("The lesson: weights, loss, probabilities, and why the CNN wins", open=False):
            gr.Markdown(lesson("sketcher"))

        outputs = [cnn_label, mlp_label, seen, cnn_map, mlp_map, answer]
        shared = dict(outputs=outputs, show_progress="hidden", concurrency_limit=4, concurrency_id="digit_models")
        canvas.change(predict_drawing, canvas, trigger_mode="always_last", api_visibility="private", **shared)
        photo.change(predict_upload, photo, api_visibility="private", **shared)
        page.load(show_accuracies, None, accuracies, api_visibility="private")
        gr.api(classify_digit, api_name="classify_digit", concurrency_limit=4, concurrency_id="digit_models")
    return page


if __name__ == "__main__":
    launch(build())

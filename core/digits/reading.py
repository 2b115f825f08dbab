"""Reading a digit with both shipped models and explaining each answer: what the sketcher page runs.

- `read_probabilities`: (CNN, MLP) probabilities of a prepared digit, what is read while the pen moves.
- `read_digit`: any image -> probabilities, the prepared digit and each model's integrated-gradients
  map carried back onto the ink.
- `compare`: two attribution methods side by side on a prepared 28 x 28 digit; given the digit's
  Reading, its integrated gradients are reused rather than computed a second time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.attribution_methods import METHODS, checked_method
from core.digits import explain, predict, preprocess
from core.digits.pictures import method_picture


class Reading(NamedTuple):
    cnn: np.ndarray  # (10,) probabilities
    mlp: np.ndarray | None  # (10,); None when only the CNN was asked
    prepared: preprocess.PreparedDigit
    cnn_map: np.ndarray | None  # attributions on prepared.ink's pixels, (H, W); None without explanations
    mlp_map: np.ndarray | None
    cnn_field: np.ndarray | None = None  # the same attributions on the (28, 28) digit the models read
    mlp_field: np.ndarray | None = None


def read_probabilities(prepared) -> tuple[np.ndarray, np.ndarray]:
    """A prepared digit -> (CNN, MLP) probabilities, (10,) each."""
    inputs = preprocess.to_model_input(prepared)
    return (
        predict.class_probabilities(predict.answering_cnn(), inputs)[0],
        predict.class_probabilities(predict.load_digit_model("mlp"), inputs)[0],
    )


def explain_digit(prepared, cnn: np.ndarray, mlp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each model's integrated gradients for its own answer on the (28, 28) digit: (CNN's, MLP's)."""
    inputs = preprocess.to_model_input(prepared)
    # The folded CNN is the same function as the shipped one, so its input gradients are the same
    # (tests/test_sketcher.py checks), and on pen-up it costs a third less.
    models = {"cnn": predict.answering_cnn(), "mlp": predict.load_digit_model("mlp")}
    fields = [explain.integrated_gradients(models[kind], inputs, int(p.argmax())) for kind, p in (("cnn", cnn), ("mlp", mlp))]
    return fields[0], fields[1]


def read_digit(image, explain: bool = True) -> Reading | None:
    """Any image -> its Reading, or None when it has no ink. With explain=False only the CNN runs."""
    digit = prepared(image)
    if digit is None:
        return None
    if not explain:
        inputs = preprocess.to_model_input(digit)
        return Reading(predict.class_probabilities(predict.answering_cnn(), inputs)[0], None, digit, None, None)
    cnn, mlp = read_probabilities(digit)
    cnn_field, mlp_field = explain_digit(digit, cnn, mlp)
    maps = (preprocess.to_source_map(digit, cnn_field), preprocess.to_source_map(digit, mlp_field))  # onto the ink
    return Reading(cnn, mlp, digit, *maps, cnn_field, mlp_field)


def prepared(image) -> preprocess.PreparedDigit | None:
    """Any image -> preprocess.prepare_digit's answer, or None when it has no ink."""
    try:
        return preprocess.prepare_digit(image)
    except preprocess.NoInkError:
        return None


def prepared_field(image) -> np.ndarray | None:
    """Any image -> its prepared (28, 28) digit (ink in [0, 1]), or None when it has no ink."""
    found = prepared(image)
    return None if found is None else found.image


def explained_picture(
    field: np.ndarray, method: str, kind: str = "cnn", palette: str = "default", attributions: np.ndarray | None = None, zoom: int = 8
) -> np.ndarray:
    """A prepared (28, 28) digit -> the `method` picture of model `kind` for its own answer ((28 * zoom)
    a side, RGB: 224 x 224 by default). `attributions`: that method's (28, 28) answer, where it was
    computed already. An unknown method, or Grad-CAM on the MLP, is a UserError."""
    if attributions is None:
        model = predict.load_digit_model(kind)
        inputs = preprocess.to_model_input(field)
        target = int(predict.class_probabilities(model, inputs)[0].argmax())
        attributions = explain.attributions(model, inputs, target, method)
    return method_picture(field, attributions, palette, zoom)


def compare(field: np.ndarray | None, left: str, right: str, kind: str, palette: str = "default", found: Reading | None = None) -> list:
    """(28, 28) digit or None -> the two methods' pictures, 28 x 28 RGB (the page enlarges them); a
    picture is None where the method does not apply.
    `found`: the digit's Reading (read_digit's), whose integrated gradients are then not computed again:
    the same Captum call on the same input (tests/test_sketcher.py checks)."""
    known = {}
    if found is not None:
        field = found.prepared.image
        known["integrated_gradients"] = found.cnn_field if kind == "cnn" else found.mlp_field
    pictures = []
    for method in (checked_method(left), checked_method(right)):
        applies = field is not None and not (METHODS[method].needs_convolution and kind != "cnn")
        pictures.append(explained_picture(field, method, kind, palette, known.get(method), zoom=1) if applies else None)
    return pictures

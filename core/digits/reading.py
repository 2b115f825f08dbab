"""Reading a digit with both shipped models and explaining each answer: what the sketcher page runs.

- `read_probabilities`: (CNN, MLP) probabilities of a prepared digit, what is read while the pen moves.
- `read_digit`: any image -> probabilities, the prepared digit and each model's integrated-gradients
  map carried back onto the ink.
- `compare`: two attribution methods side by side on a prepared 28 x 28 digit.
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


def read_probabilities(prepared) -> tuple[np.ndarray, np.ndarray]:
    """A prepared digit -> (CNN, MLP) probabilities, (10,) each."""
    inputs = preprocess.to_model_input(prepared)
    return (
        predict.class_probabilities(predict.answering_cnn(), inputs)[0],
        predict.class_probabilities(predict.load_digit_model("mlp"), inputs)[0],
    )


def explain_digit(prepared, cnn: np.ndarray, mlp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each model's attributions for its own answer, carried back onto the ink: (CNN map, MLP map)."""
    inputs = preprocess.to_model_input(prepared)
    # The folded CNN is the same function as the shipped one, so its input gradients are the same
    # (tests/test_sketcher.py checks), and on pen-up it costs a third less.
    models = {"cnn": predict.answering_cnn(), "mlp": predict.load_digit_model("mlp")}
    maps = []
    for kind, probabilities in (("cnn", cnn), ("mlp", mlp)):
        field = explain.integrated_gradients(models[kind], inputs, int(probabilities.argmax()))
        maps.append(preprocess.to_source_map(prepared, field))
    return maps[0], maps[1]


def read_digit(image, explain: bool = True) -> Reading | None:
    """Any image -> its Reading, or None when it has no ink. With explain=False only the CNN runs."""
    digit = prepared(image)
    if digit is None:
        return None
    if not explain:
        inputs = preprocess.to_model_input(digit)
        return Reading(predict.class_probabilities(predict.answering_cnn(), inputs)[0], None, digit, None, None)
    cnn, mlp = read_probabilities(digit)
    return Reading(cnn, mlp, digit, *explain_digit(digit, cnn, mlp))


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


def explained_picture(field: np.ndarray, method: str, kind: str = "cnn", palette: str = "default") -> np.ndarray:
    """A prepared (28, 28) digit -> the `method` picture of model `kind` for its own answer (224 x 224 RGB).
    An unknown method, or Grad-CAM on the MLP, is a UserError."""
    model = predict.load_digit_model(kind)
    inputs = preprocess.to_model_input(field)
    target = int(predict.class_probabilities(model, inputs)[0].argmax())
    return method_picture(field, explain.attributions(model, inputs, target, method), palette)


def compare(field: np.ndarray | None, left: str, right: str, kind: str, palette: str = "default") -> list:
    """(28, 28) digit or None -> the two methods' pictures; a picture is None where the method does not apply."""
    pictures = []
    for method in (checked_method(left), checked_method(right)):
        applies = field is not None and not (METHODS[method].needs_convolution and kind != "cnn")
        pictures.append(explained_picture(field, method, kind, palette) if applies else None)
    return pictures

"""The one preprocessing function: unit tests on tiny drawings, and proof that a canvas drawing of
an MNIST digit reaches the model as the original digit does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.data import mnist_tensors
from core.digits import preprocess
from core.digits.predict import class_probabilities, load_digit_model
from core.digits.preprocess import NoInkError, prepare_digit
from core.digits.synthetic import CanvasStyle, render


def bar(height=200, width=200, box=(40, 90, 160, 110), ink=0.0, paper=1.0) -> np.ndarray:
    image = np.full((height, width), paper, np.float32)
    top, left, bottom, right = box
    image[top:bottom, left:right] = ink
    return image


@pytest.mark.unit
def test_output_is_a_centred_digit_in_a_20_pixel_box():
    prepared = prepare_digit(bar())
    field = prepared.image
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert 0.0 <= field.min() and field.max() <= 1.0
    rows = np.flatnonzero(field.max(axis=1) > 0.1)
    assert rows[-1] - rows[0] + 1 == 20  # the long side fills the 20-pixel box
    ys, xs = np.mgrid[0:28, 0:28]
    cy, cx = (field * ys).sum() / field.sum(), (field * xs).sum() / field.sum()
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1  # centre of mass in the middle, as in MNIST


@pytest.mark.unit
def test_polarity_colour_and_alpha_do_not_matter():
    reference = prepare_digit(bar()).image
    white_on_black = bar(ink=1.0, paper=0.0)
    red_rgb = np.stack([np.where(bar() < 0.5, 200, 255)] + [np.where(bar() < 0.5, 20, 255)] * 2, axis=2).astype(np.uint8)
    transparent = np.zeros((200, 200, 4), np.uint8)
    transparent[..., 3] = (bar() < 0.5) * 255  # ink only in the alpha channel
    for variant in (white_on_black, red_rgb, transparent, Image.fromarray((bar() * 255).astype(np.uint8))):
        np.testing.assert_allclose(prepare_digit(variant).image, reference, atol=0.05)


@pytest.mark.unit
def test_sixteen_bit_greys_are_rescaled_not_clipped():
    sixteen = Image.fromarray((bar() * 65535).astype(np.uint16))
    np.testing.assert_allclose(prepare_digit(sixteen).image, prepare_digit(bar()).image, atol=0.05)


@pytest.mark.unit
def test_blank_images_have_no_ink():
    for blank in (np.ones((280, 280)), np.zeros((50, 50)), np.full((10, 10, 4), 255, np.uint8), np.zeros((0, 0))):
        with pytest.raises(NoInkError):
            prepare_digit(blank)


@pytest.mark.unit
def test_a_thin_stroke_survives_a_huge_canvas():
    thin = bar(2000, 2000, box=(200, 999, 1800, 1001))  # a 2-pixel line on a 2000-pixel canvas
    field = prepare_digit(thin).image
    assert field.max() > 0.9  # still full-strength ink
    assert field.sum(axis=1).max() >= 1.8  # about two MNIST pixels of ink across the stroke


@pytest.mark.unit
def test_uneven_light_is_not_ink():
    yy, xx = np.mgrid[0:300, 0:300] / 300.0
    photo = (0.95 - 0.5 * xx - 0.3 * yy).astype(np.float32)  # bright corner to dim corner
    photo[60:240, 140:156] -= 0.35  # a pencil stroke, darker than its surroundings
    field = prepare_digit(np.clip(photo, 0, 1)).image
    cols = np.flatnonzero(field.max(axis=0) > 0.3)
    assert cols[-1] - cols[0] + 1 <= 6  # only the stroke, not the dim half of the paper


@pytest.mark.unit
@pytest.mark.parametrize("k", [1, 3, 5, 7, 9, 15, 17, 31])
def test_max_filter_equals_the_window_by_window_maximum(k):
    rng = np.random.default_rng(k)
    for shape in [(1, 1), (5, 40), (64, 64), (37, 3)]:
        array = rng.random(shape).astype(np.float32)
        padded = np.pad(array, k // 2, mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k))
        np.testing.assert_array_equal(preprocess._max_filter(array, k), windows.max(axis=(-2, -1)))


@pytest.mark.unit
def test_source_map_puts_the_field_back_on_the_ink():
    prepared = prepare_digit(bar())
    back = preprocess.to_source_map(prepared, prepared.image)
    assert back.shape == prepared.ink.shape
    assert back[100, 100] > 0.5 and back[100, 20] == 0.0


@pytest.mark.unit
def test_huge_inputs_are_worked_on_at_a_bounded_size():
    prepared = prepare_digit(bar(4000, 3000, box=(500, 1400, 3500, 1600)))
    assert max(prepared.ink.shape) == preprocess.WORK_SIDE


# ---------- reference: the shipped CNN on real MNIST digits ----------


@pytest.fixture(scope="module")
def test_digits(mnist_dir):
    images, labels = mnist_tensors(train=False, root=mnist_dir)
    return images[:200].numpy(), labels[:200]


@pytest.fixture(scope="module")
def cnn():
    return load_digit_model("cnn")


def predict(model, prepared_images) -> torch.Tensor:
    batch = torch.cat([preprocess.to_model_input(p) for p in prepared_images])
    return torch.from_numpy(class_probabilities(model, batch).argmax(1))


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize(
    "style",
    [
        CanvasStyle(canvas=800, height=0.7),  # enlarged
        CanvasStyle(canvas=400, height=0.3, centre=(0.25, 0.7)),  # moved and small
        CanvasStyle(canvas=280, height=0.6, ink=(30, 60, 200)),  # re-coloured: blue ink on white
        CanvasStyle(canvas=280, height=0.6, white_on_black=True, mode="RGBA"),
        CanvasStyle(canvas=600, height=0.5, mode="LA-transparent", stroke=3),  # thicker, transparent
    ],
    ids=["enlarged", "moved", "recoloured", "rgba-white-on-black", "transparent-thick"],
)
def test_a_drawn_mnist_digit_gets_the_originals_prediction(style, test_digits, cnn):
    images, _ = test_digits
    original = predict(cnn, [prepare_digit(img) for img in images])
    drawn = predict(cnn, [prepare_digit(render(img, style)) for img in images])
    agreement = (original == drawn).float().mean().item()
    assert agreement >= 0.97, f"{agreement:.1%} of 200 digits kept their prediction"


@pytest.mark.reference
def test_preprocessing_leaves_mnist_digits_nearly_unchanged(test_digits):
    images, _ = test_digits
    prepared = np.stack([prepare_digit(img).image for img in images])
    assert np.abs(prepared - images / 255.0).mean() < 0.05  # MNIST was made this way already

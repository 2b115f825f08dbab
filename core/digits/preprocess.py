"""Any drawing or photo of a digit -> the 28x28 input the digit models expect.

This follows how MNIST itself was made: find the ink, crop it to its bounding box, scale it into
a 20x20 box keeping the aspect ratio, and place it in a 28x28 field so that its centre of mass is
in the middle. The training data goes through the very same `prepare_digit`, so a canvas and an
MNIST digit reach the network the same way (tests/test_preprocess.py proves it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from core.errors import UserError
from core.images import common_mode

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
WORK_SIDE = 512  # huge uploads are shrunk to this longest side first: caps the cost
FIELD, BOX = 28, 20  # MNIST: a 20x20 box inside a 28x28 field
DETAIL = 4  # crops are resampled at 4x the box size before the final shrink
MIN_STROKE = 2.0  # pixels at the 20x20 scale; thinner strokes are thickened so they survive
MIN_CONTRAST = 0.08  # below this spread of lightness, the image is blank


class NoInkError(UserError):
    """The image has nothing that looks like ink (an empty canvas, a blank photo)."""

    def __init__(self, message: str = "No digit found in that image: draw a digit (dark on light, or light on dark)."):
        super().__init__(message)


@dataclass(frozen=True)
class PreparedDigit:
    """The 28x28 image (0 = background, 1 = ink) and where it came from in the ink map."""

    image: np.ndarray  # (28, 28) float32 in [0, 1]
    ink: np.ndarray  # (H, W) float32 ink found in the input, longest side at most WORK_SIDE
    box: tuple[int, int, int, int]  # ink bounding box (top, left, bottom, right) in `ink` pixels
    offset: tuple[int, int]  # where the scaled box was placed in the 28x28 field (row, col)
    scaled_shape: tuple[int, int]  # (h, w) of the ink box after scaling, at most 20x20


def to_lightness(image) -> np.ndarray:
    """PIL image or array (H,W), (H,W,3), (H,W,4), any dtype -> (H, W) float32 lightness in [0, 1].

    A transparent background with opaque strokes (alpha that varies) is read as ink = alpha, dark
    on light; an opaque RGBA image (Gradio's Sketchpad composite) is read by its colour.
    """
    if isinstance(image, Image.Image):  # Pillow's own greyscale uses the same ITU-R 601 weights, in C
        image = common_mode(image)
        if image.mode == "RGBA":
            alpha = np.asarray(image.getchannel("A"), np.float32) / 255.0
            if alpha.min() < 0.5 <= alpha.max():
                return 1.0 - alpha  # strokes on a transparent layer: ink is where paint is
        return np.asarray(image.convert("L"), np.float32) / 255.0
    array = np.asarray(image)
    if array.dtype == np.bool_:
        array = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / float(np.iinfo(array.dtype).max)
    else:
        array = array.astype(np.float32)
        if array.size and array.max() > 1.0:
            array = array / 255.0
    if array.ndim == 3 and array.shape[2] in (2, 4):
        alpha = array[..., -1]
        colour = array[..., :-1]
        grey = colour.mean(axis=2) if colour.shape[2] == 1 else colour @ np.array([0.299, 0.587, 0.114], np.float32)
        if alpha.min() < 0.5 <= alpha.max():
            return 1.0 - alpha  # strokes on a transparent layer: ink is where paint is
        return grey
    if array.ndim == 3 and array.shape[2] == 3:
        return array @ np.array([0.299, 0.587, 0.114], np.float32)
    if array.ndim == 3 and array.shape[2] == 1:
        return array[..., 0]
    if array.ndim != 2:
        raise ValueError(f"expected an image of shape (H, W) or (H, W, C), got {array.shape}")
    return array


def _resize(array: np.ndarray, size: tuple[int, int], resample=Image.BILINEAR) -> np.ndarray:
    """Resize a float (H, W) array to (h, w) with PIL's float mode (BOX averages when shrinking)."""
    h, w = size
    return np.asarray(Image.fromarray(array.astype(np.float32), mode="F").resize((w, h), resample), np.float32)


def _shrink_to(array: np.ndarray, side: int) -> np.ndarray:
    h, w = array.shape
    scale = side / max(h, w)
    if scale >= 1:
        return array
    return _resize(array, (max(1, round(h * scale)), max(1, round(w * scale))), Image.BOX)


def _running_max(array: np.ndarray, k: int) -> np.ndarray:
    """Maximum over every run of k consecutive rows: (n, ...) -> (n - k + 1, ...).

    Doubling: after the loop each row holds the max of `span` rows from it; one more shifted
    maximum, overlapping, covers k. log2(k) whole-array operations instead of k.
    """
    out, span = array, 1
    while 2 * span <= k:
        out = np.maximum(out[:-span], out[span:])
        span *= 2
    if span < k:
        out = np.maximum(out[: span - k], out[k - span :])
    return out


def _max_filter(array: np.ndarray, k: int) -> np.ndarray:
    """k x k maximum filter (k odd), same size, edges repeated."""
    padded = np.pad(array, k // 2, mode="edge")
    return _running_max(_running_max(padded, k).T, k).T  # max is separable


def _background(darkness: np.ndarray) -> np.ndarray | float:
    """The paper's own darkness, which varies with uneven light: a wide minimum filter, smoothed.
    A single number when the light is even (a canvas, an MNIST digit)."""
    small = _shrink_to(darkness, 64)
    h, w = small.shape
    k = max(3, (max(h, w) // 4) | 1)  # wider than any stroke, narrower than the light's gradient
    floor = -_max_filter(-small, k)
    if floor.min() == floor.max():  # evenly lit: no need to spread it out
        return float(floor.min())
    return _resize(floor, darkness.shape, Image.BILINEAR)


def ink_map(lightness: np.ndarray) -> np.ndarray:
    """(H, W) lightness -> float32 ink in [0, 1] (1 = ink), whatever the polarity or lighting.

    Huge images come back shrunk to WORK_SIDE. Raises NoInkError when the image is blank.
    """
    if lightness.size == 0:
        raise NoInkError()
    lightness = _shrink_to(lightness, WORK_SIDE)
    if float(lightness.max() - lightness.min()) < MIN_CONTRAST:
        raise NoInkError()
    # Ink covers less than half of a digit image, so most pixels are the paper.
    light_paper = 2 * np.count_nonzero(lightness >= 0.5) > lightness.size
    ink = np.subtract(1.0, lightness, dtype=np.float32) if light_paper else np.array(lightness, np.float32)
    ink -= _background(ink)
    np.maximum(ink, 0.0, out=ink)
    inked = ink[ink > 0]
    peak = float(np.percentile(inked, 99)) if inked.size else 0.0
    if peak < MIN_CONTRAST:
        raise NoInkError()
    np.divide(ink, peak, out=ink)
    np.minimum(ink, 1.0, out=ink)
    ink[ink < 0.2] = 0.0  # paper grain and shadows
    return ink


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: 2 * area / perimeter (a long stroke's two edges)."""
    area = mask.sum()
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    perimeter = max(1, int((mask & ~interior).sum()))
    return 2.0 * float(area) / perimeter


def center_digit(ink: np.ndarray) -> PreparedDigit:
    """Crop the ink, fit it in 20x20 keeping its aspect ratio, centre its mass in 28x28."""
    rows = np.flatnonzero((ink > 0.35).any(axis=1))
    cols = np.flatnonzero((ink > 0.35).any(axis=0))
    if rows.size == 0:
        raise NoInkError()
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[top:bottom, left:right]
    h, w = crop.shape
    scale = BOX / max(h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))

    # Resample at DETAIL x the final size, thicken strokes that would vanish, then shrink.
    detail = _resize(crop, (sh * DETAIL, sw * DETAIL), Image.BOX if scale < 1 else Image.BILINEAR)
    detail = np.clip(detail / max(float(detail.max()), 1e-6), 0.0, 1.0)
    width = _stroke_width(detail > 0.35) / DETAIL  # in 20x20-box pixels
    if width < MIN_STROKE:
        grow = int(np.ceil((MIN_STROKE - width) * DETAIL)) | 1
        pad = -(-(grow // 2) // DETAIL) * DETAIL  # room for the thicker stroke, whole field pixels
        detail = _max_filter(np.pad(detail, pad), grow)
        sh, sw = sh + 2 * pad // DETAIL, sw + 2 * pad // DETAIL
    scaled = np.clip(_resize(detail, (sh, sw), Image.BOX), 0.0, 1.0)

    # Centre of mass to the middle of the field, keeping the whole box inside it.
    mass = scaled.sum()
    cy = (scaled.sum(axis=1) @ np.arange(sh)) / mass
    cx = (scaled.sum(axis=0) @ np.arange(sw)) / mass
    row = int(np.clip(round(FIELD / 2 - cy), 0, FIELD - sh))
    col = int(np.clip(round(FIELD / 2 - cx), 0, FIELD - sw))
    field = np.zeros((FIELD, FIELD), np.float32)
    field[row : row + sh, col : col + sw] = scaled
    return PreparedDigit(field, ink, (int(top), int(left), int(bottom), int(right)), (row, col), (sh, sw))


def prepare_digit(image) -> PreparedDigit:
    """The one preprocessing function: any image -> centred 28x28 digit (raises NoInkError)."""
    return center_digit(ink_map(to_lightness(image)))


def normalize(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] ink -> the standardised input the models were trained on (MNIST mean and std)."""
    return (images - MNIST_MEAN) / MNIST_STD


def to_model_input(prepared: PreparedDigit | np.ndarray) -> torch.Tensor:
    """A prepared digit -> (1, 1, 28, 28) normalised float tensor."""
    image = prepared.image if isinstance(prepared, PreparedDigit) else prepared
    return normalize(torch.from_numpy(np.ascontiguousarray(image, np.float32))[None, None])


def to_source_map(prepared: PreparedDigit, field_map: np.ndarray) -> np.ndarray:
    """Carry a (28, 28) map (e.g. saliency) back onto the ink map's pixels: (H, W) float32."""
    row, col = prepared.offset
    sh, sw = prepared.scaled_shape
    top, left, bottom, right = prepared.box
    out = np.zeros(prepared.ink.shape, np.float32)
    patch = field_map[row : row + sh, col : col + sw].astype(np.float32)
    out[top:bottom, left:right] = _resize(patch, (bottom - top, right - left), Image.BILINEAR)
    return out

"""What the sketcher shows of a digit and of its attributions, as arrays: no torch, so the page can
draw and name its colours before a model is loaded.

- `seen_image`: the 28 x 28 digit as the networks see it (white ink on black, like MNIST).
- `attribution_overlay`: attributions over the ink, in the palette's diverging colours
  (core.palette): the positive end for strokes that pushed towards the answer, the negative end against.
- `smudged`: the digit with a thumb's smudge on it, for the "Smudge it" experiment.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.palette import DIVERGING, checked

COLOUR_NAMES = {"default": ("blue", "red"), "safe": ("blue", "orange")}  # (negative, positive), as the legends say them


def seen_image(field: np.ndarray, zoom: int = 8) -> np.ndarray:
    """(28, 28) ink in [0, 1] -> an enlarged uint8 image, white ink on black like MNIST."""
    pixels = (np.clip(field, 0, 1) * 255).astype(np.uint8)
    return pixels.repeat(zoom, axis=0).repeat(zoom, axis=1)


def attribution_overlay(ink: np.ndarray, attributions: np.ndarray, palette: str = "default") -> np.ndarray:
    """Ink (H, W) in [0, 1] and same-size attributions -> RGB uint8: grey strokes, coloured by the
    palette's positive end where they pushed towards the answer and its negative end against."""
    negative, positive = (np.array(c, np.float32) for c in DIVERGING[checked(palette)])
    scale = float(np.abs(attributions).max()) or 1.0
    strength = np.clip(np.abs(attributions) / scale, 0, 1)[..., None] ** 0.7
    paper = (255 - 150 * ink)[..., None].repeat(3, axis=2)
    colour = np.where((attributions >= 0)[..., None], positive, negative)
    return (paper * (1 - strength) + colour * strength).astype(np.uint8)


def method_picture(field: np.ndarray, attributions: np.ndarray, palette: str = "default", zoom: int = 8) -> np.ndarray:
    """(28, 28) ink and attributions -> (28 * zoom, 28 * zoom, 3) uint8 overlay."""
    return attribution_overlay(field, attributions, palette).repeat(zoom, axis=0).repeat(zoom, axis=1)


def fit(picture: np.ndarray, side: int) -> np.ndarray:
    """Shrink an RGB picture to at most `side` pixels a side (an upload's map can be 512 px)."""
    if max(picture.shape[:2]) <= side:
        return picture
    image = Image.fromarray(picture)
    image.thumbnail((side, side), Image.BILINEAR)
    return np.asarray(image)


def colour_words(palette: str = "default") -> tuple[str, str]:
    """(negative, positive) colour names of the palette, for the legends."""
    return COLOUR_NAMES[checked(palette)]


def smudged(field: np.ndarray, centre: tuple[float, float] = (20.0, 8.0), sigma: float = 2.2, strength: float = 0.9) -> np.ndarray:
    """(28, 28) ink in [0, 1] -> the same digit with a soft blot of ink at `centre` (row, col): a
    thumb's smudge in the lower left, where few digits have strokes."""
    rows, cols = np.mgrid[0:28, 0:28]
    blot = strength * np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * sigma**2))
    return np.clip(np.maximum(field, blot), 0, 1).astype(np.float32)

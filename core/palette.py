"""The gallery's colour scales, in two palettes: "default" and "safe" (colour-blind safe).

- Diverging maps (attributions, feature maps, kernels, word scores): negative -> white -> positive.
  The default is RdBu's ends (blue / red); the safe one is Okabe and Ito's blue / orange, which keeps
  its two ends apart under deuteranopia and protanopia (tests/test_palette.py simulates both).
- One-sided maps (Grad-CAM heat, how sure a model is): the default is a black-red-yellow "hot" ramp;
  the safe one is viridis.
- Classes (the playground's points and regions): tab10's first three, or Okabe and Ito's.

numpy only: light enough for start-up, and the pages' own JavaScript takes its colours from `css`.
"""

from __future__ import annotations

import numpy as np

from core.errors import UserError

PALETTES = ("default", "safe")

# (negative, positive) end colours, RGB.
DIVERGING = {
    "default": ((33, 102, 172), (178, 24, 43)),  # RdBu's ends: blue < 0 < red
    "safe": ((0, 114, 178), (230, 97, 1)),  # Okabe-Ito blue < 0 < PuOr's orange
}
WHITE = np.array([255, 255, 255], np.float32)

# Viridis at 17 evenly spaced points (matplotlib's table; tests/test_palette.py compares).
VIRIDIS = np.array(
    [
        [68, 1, 84],
        [72, 24, 106],
        [71, 45, 123],
        [66, 64, 134],
        [59, 82, 139],
        [51, 99, 141],
        [44, 114, 142],
        [38, 130, 142],
        [33, 145, 140],
        [31, 160, 136],
        [40, 174, 128],
        [63, 188, 115],
        [94, 201, 98],
        [132, 212, 75],
        [173, 220, 48],
        [216, 226, 25],
        [253, 231, 37],
    ],
    np.float32,
)

CLASSES = {
    "default": ((31, 119, 180), (255, 127, 14), (44, 160, 44)),  # tab10's first three
    "safe": ((0, 114, 178), (230, 159, 0), (0, 158, 115)),  # Okabe-Ito blue, orange, bluish green
}


def checked(palette: str | None) -> str:
    """A palette name from a visitor or an API client -> itself; None -> "default"; else a UserError."""
    if palette is None:
        return "default"
    if palette not in PALETTES:
        raise UserError(f"Unknown palette {str(palette)[:40]!r}: choose one of {', '.join(PALETTES)}.")
    return palette


def diverging(values: np.ndarray, scale: float | None = None, palette: str = "default") -> np.ndarray:
    """Any-shape array -> RGB uint8 (..., 3): white at 0, the full negative / positive colour at -scale / +scale."""
    negative, positive = (np.array(c, np.float32) for c in DIVERGING[checked(palette)])
    scale = float(np.abs(values).max()) if scale is None else float(scale)
    t = np.clip(np.asarray(values, np.float32) / (scale or 1.0), -1.0, 1.0)[..., None]
    colour = np.where(t >= 0, positive, negative)
    return (WHITE + (colour - WHITE) * np.abs(t)).astype(np.uint8)


def one_sided(values: np.ndarray, palette: str = "default") -> np.ndarray:
    """Values in [0, 1] (clipped), any shape -> RGB uint8 (..., 3) on the palette's one-sided scale."""
    t = np.clip(np.asarray(values, np.float32), 0.0, 1.0)
    if checked(palette) == "safe":
        position = t * (len(VIRIDIS) - 1)
        low = np.minimum(position.astype(np.int64), len(VIRIDIS) - 2)
        frac = (position - low)[..., None]
        return np.rint(VIRIDIS[low] * (1 - frac) + VIRIDIS[low + 1] * frac).astype(np.uint8)
    hot = np.stack([np.clip(3 * t, 0, 1), np.clip(3 * t - 1, 0, 1), np.clip(3 * t - 2, 0, 1)], axis=-1)
    return np.rint(255 * hot).astype(np.uint8)


def hex_colour(rgb) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def css(palette: str = "default") -> dict:
    """The palette as CSS colours, for what the pages draw in the browser."""
    negative, positive = DIVERGING[checked(palette)]
    return {
        "negative": hex_colour(negative),
        "positive": hex_colour(positive),
        "classes": [hex_colour(c) for c in CLASSES[palette]],
    }

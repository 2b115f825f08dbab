"""Render 28x28 MNIST digits as the drawings people make on a canvas: any size, position, stroke
width, polarity and colour mode. The preprocessing tests and benchmark use it to check that the
app reads a drawing as the model reads the original digit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter


@dataclass(frozen=True)
class CanvasStyle:
    canvas: int = 280  # side of the square canvas, pixels
    height: float = 0.6  # digit height as a fraction of the canvas
    centre: tuple[float, float] = (0.5, 0.5)  # where the digit sits, fractions of the canvas (y, x)
    stroke: int = 0  # >0 thickens, <0 thins the stroke, in canvas pixels
    white_on_black: bool = False  # MNIST's own polarity instead of a paper-like canvas
    mode: str = "RGB"  # "RGB", "RGBA" (opaque) or "LA-transparent" (ink only in the alpha channel)
    ink: tuple[int, int, int] = (0, 0, 0)  # ink colour for dark-on-light drawings


def random_style(rng: np.random.Generator) -> CanvasStyle:
    canvas = int(rng.choice([140, 280, 400, 800, 1600]))
    height = float(rng.uniform(0.25, 0.85))
    margin = height / 2
    return CanvasStyle(
        canvas=canvas,
        height=height,
        centre=(float(rng.uniform(margin, 1 - margin)), float(rng.uniform(0.2, 0.8))),
        stroke=int(rng.integers(-1, 4)) * canvas // 200,
        white_on_black=bool(rng.random() < 0.3),
        mode=str(rng.choice(["RGB", "RGBA", "LA-transparent"])),
        ink=tuple(int(v) for v in rng.integers(0, 90, 3)),
    )


def render(digit: np.ndarray, style: CanvasStyle) -> Image.Image:
    """(28, 28) uint8 MNIST digit (255 = ink) -> a PIL canvas drawn in `style`."""
    rows = np.flatnonzero(digit.max(axis=1) > 30)
    cols = np.flatnonzero(digit.max(axis=0) > 30)
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = style.height * style.canvas / crop.shape[0]
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    # Thicken or thin at a working size of at most 200 px, then enlarge: rank filters cost k^2.
    work = min(1.0, 200 / max(h, w))
    stroke = Image.fromarray(crop).resize((max(1, round(w * work)), max(1, round(h * work))), Image.BICUBIC)
    radius = round(abs(style.stroke) * work)
    if radius and style.stroke > 0:
        stroke = stroke.filter(ImageFilter.MaxFilter(2 * radius + 1))
    elif radius and style.stroke < 0:
        stroke = stroke.filter(ImageFilter.MinFilter(2 * radius + 1))
    stroke = stroke.resize((w, h), Image.BICUBIC)
    ink = np.zeros((style.canvas, style.canvas), np.float32)
    top = int(np.clip(style.centre[0] * style.canvas - h / 2, 0, max(0, style.canvas - h)))
    left = int(np.clip(style.centre[1] * style.canvas - w / 2, 0, max(0, style.canvas - w)))
    patch = np.asarray(stroke, np.float32)[: style.canvas - top, : style.canvas - left] / 255.0
    ink[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    ink = np.clip((ink - 0.35) * 4, 0, 1)  # crisp like a brush, with a soft anti-aliased edge

    if style.mode == "LA-transparent":
        rgba = np.zeros((style.canvas, style.canvas, 4), np.uint8)
        rgba[..., :3] = style.ink
        rgba[..., 3] = (ink * 255).astype(np.uint8)
        return Image.fromarray(rgba, "RGBA")
    if style.white_on_black:
        paper, colour = np.zeros(3), np.full(3, 255.0)
    else:
        paper, colour = np.full(3, 255.0), np.array(style.ink, np.float64)
    rgb = (paper * (1 - ink[..., None]) + colour * ink[..., None]).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    return image.convert("RGBA") if style.mode == "RGBA" else image


def naive_28x28(image: Image.Image) -> np.ndarray:
    """What most demos do: greyscale, resize the whole canvas to 28x28, invert if light. [0, 1]."""
    grey = np.asarray(image.convert("L").resize((28, 28), Image.BILINEAR), np.float32) / 255.0
    return 1.0 - grey if grey.mean() > 0.5 else grey


def surface_raster(image: Image.Image, side: int = 140) -> np.ndarray:
    """A canvas drawing -> what the drawing surface sends: (side, side) uint8 grey, 0 = ink, 255 = paper
    (the browser averages the canvas's pixels down to `side`; here Pillow's BOX filter does)."""
    grey = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA")).convert("L")  # on white paper
    return np.asarray(grey.resize((side, side), Image.BOX), np.uint8)

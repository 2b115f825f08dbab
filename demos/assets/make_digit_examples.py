"""Draw the sketcher's example images: a few hand-drawn-style digits and one 'photo' of a digit
on paper with uneven light. Run `python -m demos.assets.make_digit_examples` to remake them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).parent
STROKES = {  # digit -> strokes, each a list of points on a 280x280 canvas
    "3": [[(80, 70), (140, 45), (195, 75), (185, 125), (130, 140), (195, 160), (205, 215), (140, 245), (75, 220)]],
    "4": [[(170, 245), (165, 40), (70, 170), (215, 170)]],
    "7": [[(70, 60), (210, 60), (150, 150), (115, 245)], [(105, 150), (190, 150)]],
    "9": [[(190, 90), (150, 50), (95, 65), (85, 120), (130, 145), (185, 115), (190, 90), (175, 250)]],
    "1 serif": [[(95, 100), (165, 40), (130, 245)]],  # a long slanted serif: the sketcher's hard 1 (the MLP reads a 7)
}


def draw(strokes, width: int, ink=(0, 0, 0), paper=(255, 255, 255), size=(280, 280)) -> Image.Image:
    image = Image.new("RGB", size, paper)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        pen.line(stroke, fill=ink, width=width, joint="curve")
        for x, y in (stroke[0], stroke[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return image


def photo_of(strokes) -> Image.Image:
    """Pencil-grey strokes on off-white paper lit from one corner, with grain: like a phone photo."""
    rng = np.random.default_rng(0)
    sharp = np.asarray(draw(strokes, 9, ink=(70, 70, 80), size=(280, 280)).resize((560, 560)), np.float32)
    yy, xx = np.mgrid[0:560, 0:560] / 560.0
    light = 0.55 + 0.45 * (1 - 0.6 * xx - 0.4 * yy)  # bright top-left, dim bottom-right
    paper = np.array([235, 228, 215], np.float32) * light[..., None]
    ink = sharp.mean(axis=2, keepdims=True) < 200
    pixels = np.where(ink, sharp * light[..., None] * 0.9, paper) + rng.normal(0, 6, (560, 560, 1))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))


if __name__ == "__main__":
    draw(STROKES["3"], 22).save(HERE / "digit_3.png")
    draw(STROKES["7"], 18, ink=(255, 255, 255), paper=(0, 0, 0)).save(HERE / "digit_7_white_on_black.png")
    draw(STROKES["4"], 6).save(HERE / "digit_4_thin.png")
    photo_of(STROKES["9"]).save(HERE / "digit_9_photo.jpg", quality=85)
    draw(STROKES["1 serif"], 18).save(HERE / "hard_1_serif.png")

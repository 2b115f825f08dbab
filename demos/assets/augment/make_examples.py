"""Draw the augmentation previewer's example digits (a 6 and a 2, whose flips read as other digits)
in the sketcher's style. Run `python -m demos.assets.augment.make_examples` to remake them."""

from __future__ import annotations

from pathlib import Path

from demos.assets.make_digit_examples import draw

HERE = Path(__file__).parent
STROKES = {  # digit -> strokes on a 280x280 canvas
    "6": [[(185, 50), (130, 70), (95, 130), (90, 195), (130, 240), (180, 225), (195, 180), (160, 145), (110, 155), (92, 190)]],
    "2": [[(80, 90), (120, 50), (180, 55), (200, 105), (160, 160), (80, 235), (210, 235)]],
}

if __name__ == "__main__":
    for digit, strokes in STROKES.items():
        draw(strokes, width=22).save(HERE / f"digit_{digit}.png")

"""A reading's words as the page shows them: each read word with its attribution scaled to [-1, 1],
the cut-off middle folded into one marker, the words that pushed hardest, and each word's colours
on a palette (`core.palette`). numpy only: a `Reading` (core.sentiment.predict) is read, not made."""

from __future__ import annotations

import re

import numpy as np

from core.palette import diverging, hex_colour

MODELS = ("scratch", "transfer")  # the two models, in the order pages show them
NAMES = {"scratch": "From scratch (GRU)", "transfer": "Transfer (MiniLM)"}  # the two models, as pages name them
CUT_MARKER = re.compile(r" ✂ … [\d,]+ words cut off, not read … ✂ ")
Segment = tuple[str, float | None]  # a piece of the text and its score; None: between words, or the cut marker


def segments(reading) -> list[Segment]:
    """A Reading -> every read word with its score in [-1, 1] (1: the model's strongest word), the
    text between words unscored, and the cut-off middle folded into one ✂ marker."""
    units, text = reading.units, reading.text
    scale = float(abs(reading.scores).max()) if reading.scores is not None and len(units) else 0.0
    pieces: list[Segment] = []
    position = 0
    for i, (start, end) in enumerate(units):
        if reading.head_end <= i < reading.tail_start:
            if i == reading.head_end:
                cut = reading.tail_start - reading.head_end
                pieces.append((text[position:start], None))
                pieces.append((cut_marker(cut), None))
            position = end
            continue
        pieces.append((text[position:start], None))
        score = float(reading.scores[i]) / scale if scale else 0.0
        pieces.append((text[start:end], round(score, 3)))
        position = end
    pieces.append((text[position:], None))
    return [(s, v) for s, v in pieces if s]


def cut_marker(words: int) -> str:
    return f" ✂ … {words:,} words cut off, not read … ✂ "


def is_cut_marker(piece: str) -> bool:
    return CUT_MARKER.fullmatch(piece) is not None


def cut_off_text(reading) -> str:
    """The part of the text the model did not read ("" when it read everything)."""
    if reading.head_end >= reading.tail_start:
        return ""
    return reading.text[reading.units[reading.head_end][0] : reading.units[reading.tail_start - 1][1]]


def read_count(reading) -> tuple[int, int]:
    """(words read, words in the text)."""
    return reading.head_end + len(reading.units) - max(reading.tail_start, reading.head_end), len(reading.units)


def strongest(pieces: list[Segment], most: int = 3, least: float = 0.1) -> tuple[list[Segment], list[Segment]]:
    """The words that pushed hardest towards positive and towards negative: up to `most` of each,
    strongest first, leaving out pushes weaker than `least` (on the [-1, 1] scale)."""
    scored = [(word.strip(), score) for word, score in pieces if score is not None and word.strip()]
    positive = sorted((p for p in scored if p[1] >= least), key=lambda p: -p[1])[:most]
    negative = sorted((p for p in scored if p[1] <= -least), key=lambda p: p[1])[:most]
    return positive, negative


def luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    c = np.asarray(rgb, np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def ink_for(rgb) -> str:
    """Black or white text, whichever contrasts more with a background of colour `rgb`."""
    background = luminance(rgb)
    return "#000000" if (background + 0.05) / 0.05 >= 1.05 / (background + 0.05) else "#ffffff"


def word_colours(scores: list[float], palette: str = "default") -> list[tuple[str, str]]:
    """Scores in [-1, 1] -> (background, text) CSS colours for each: the palette's diverging scale
    (white at 0, its full colours at -1 and 1), with the text black or white for contrast."""
    if not scores:
        return []
    backgrounds = diverging(np.asarray(scores, np.float32), 1.0, palette)  # (N, 3)
    return [(hex_colour(rgb), ink_for(rgb)) for rgb in backgrounds]

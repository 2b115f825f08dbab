"""The words each model leaned on, as the sentiment page draws them in HTML: each word coloured by its
score on the palette (the score also in text), the strongest pushes written out, the legend in the
palette's colour names, and the CSS these pieces share. numpy only: the scores and colours are
`core.sentiment.words`."""

from __future__ import annotations

from html import escape

from core.palette import checked as checked_palette
from core.sentiment import words

COLOUR_NAMES = {"default": ("blue", "red"), "safe": ("blue", "orange")}  # (negative, positive), as core.palette draws them
WORDS_CSS = """
.word { padding: 0 0.2em; border-radius: 0.25em; }
.score { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.cut { font-style: italic; border: 1px dashed currentColor; border-radius: 0.25em; padding: 0 0.3em; }
.words .text { line-height: 1.9; overflow-wrap: anywhere; }
.words figcaption { font-weight: 600; }
.words { margin: 0; }
"""


def legend_html(palette: str = "default") -> str:
    """How to read the coloured words, in the palette's colours and colour names."""
    negative, positive = COLOUR_NAMES[checked_palette(palette)]
    (neg_bg, neg_ink), (pos_bg, pos_ink) = words.word_colours([-1.0, 1.0], palette)
    return (
        '<p class="legend"><strong>What you see:</strong> the words each model leaned on, by the method you choose. '
        f'<span class="word" style="background:{pos_bg};color:{pos_ink}">{positive.capitalize()}</span> words pushed it towards '
        f'<em>positive</em>, <span class="word" style="background:{neg_bg};color:{neg_ink}">{negative}</span> words towards '
        "<em>negative</em>; the stronger the colour, the bigger the push, scaled to each model's strongest word (+1 or −1: "
        "hover a word for its number). ✂ marks the middle of a long text that the model did not read.</p>"
    )


def words_html(title: str, pieces: list[words.Segment], palette: str = "default") -> str:
    """One model's words coloured by their scores on the palette, each score also in text (a tooltip,
    and read out by screen readers), and the strongest pushes written out below."""
    colours = iter(words.word_colours([score for _, score in pieces if score is not None], palette))
    shown = []
    for piece, score in pieces:
        if score is None:
            shown.append(f'<span class="cut">{escape(piece)}</span>' if words.is_cut_marker(piece) else escape(piece))
            continue
        background, ink = next(colours)
        shown.append(
            f'<span class="word" style="background:{background};color:{ink}" title="{score:+.2f}">'
            f'{escape(piece)}<span class="score"> ({score:+.2f})</span></span>'
        )
    positive, negative = words.strongest(pieces)
    listed = [", ".join(f"{escape(word)} ({score:+.2f})" for word, score in side) or "no word" for side in (positive, negative)]
    return (
        f'<figure class="words"><figcaption>{escape(title)}</figcaption><p class="text">{"".join(shown)}</p>'
        f"<p><strong>Pushed hardest towards positive:</strong> {listed[0]}. "
        f"<strong>Towards negative:</strong> {listed[1]}.</p></figure>"
    )


def readings_html(views: dict | None, palette: str) -> tuple[str, str]:
    """Both models' word views ({"scratch": segments, "transfer": segments}) drawn on the palette."""
    return tuple(words_html(f"{words.NAMES[model]}: which words mattered", views[model], palette) for model in words.MODELS)

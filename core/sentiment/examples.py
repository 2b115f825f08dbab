"""The texts the sentiment page offers: its examples, the text it opens on, and the Try-this
experiments, each with what to look for. Plain Python."""

from __future__ import annotations

LONG_REVIEW = " ".join(
    ["I went in expecting a quiet drama and for the first half hour that is what I got."]
    + ["The story wanders from one dinner party to another, and the conversations circle the same two ideas."] * 30
    + ["By the end, though, every thread came together. A moving, beautifully acted film; I loved it."]
)
EXAMPLES = [
    "not bad at all",
    "great cast, terrible plot",
    "Oh great, another 'masterpiece'. I walked out after twenty minutes, wishing I had those minutes back.",
    "I expected to hate it, but it turned out to be the most charming film I have seen this year.",
    "The acting was wooden, the jokes fell flat and the ending made no sense.",
    LONG_REVIEW,
]
OPENING = EXAMPLES[1]  # the page opens on this text, read by both models (they disagree on it)
BATCH_EXAMPLE = "\n".join(EXAMPLES[:5])  # the Many lines tab opens on these
SARCASM = "Oh great, another three hours of my life I will never get back."
# Try this: button label -> (text, what to look for, whether to open the cut-off part)
TRY_THIS = {
    "Negation: “not bad at all”": (
        "not bad at all",
        "**Negation.** Two negative words that make a positive phrase. Does each model read *not* with *bad*, "
        "or *bad* alone? Compare the verdicts, then the colour of *not* and *bad* in each model's words.",
        False,
    ),
    "Sarcasm: “Oh great, another three hours…”": (
        SARCASM,
        "**Sarcasm.** The words are cheerful, the meaning is not. Both models learnt from plain reviews: "
        "see whether they are fooled, and which words fooled them.",
        False,
    ),
    "A long review: what each model cuts off": (
        LONG_REVIEW,
        "**A long review.** Each model reads only the start and the end of a long text: the from-scratch model "
        "100 + 300 words, the transfer model 32 + 94 word pieces. ✂ marks the middle it never saw; the part "
        "below, *Cut off*, is opened to show it.",
        True,
    ),
}

"""The sentiment page's words: its examples, the text it opens on, the Try-this experiments (each with
what to look for), its notes and messages, and what it says about a reading (the verdict, how much of
a long text each model read, each attribution method's note)."""

from __future__ import annotations

from core.attribution_methods import METHODS, TEXT_METHODS, WORDS_NOTE, checked_method
from core.sentiment import words  # numpy only

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
METHOD_CHOICES = [("Integrated gradients", "integrated_gradients"), ("Saliency", "saliency"), ("SmoothGrad", "smoothgrad")]
METHOD_CHOICES += [("Occlusion of words", "occlusion")]
READINGS_NOTE = (
    "**What you see:** each model's answer and how sure it is. The from-scratch GRU learnt every word from "
    "25,000 IMDB reviews; the transfer model started from MiniLM, pretrained on a billion sentence pairs. "
    "When they disagree, the words below show what each leaned on."
)
COLUMNS = ["text", "from scratch", "scratch p(positive)", "transfer", "transfer p(positive)", "agree"]  # the Many lines table
NO_TEXT = "Type or paste some text first: a sentence or a review."
NO_WORDS = "No words or symbols found: only spaces or invisible control characters."
STAYS = " The last reading stays shown."
NO_LINES = "Paste one text per line."
NO_LINES_ON_PAGE = "Paste one text per line first. The last table stays shown."


def verdict(scratch, transfer) -> str:
    a, b = ("positive" if p[1] >= 0.5 else "negative" for p in (scratch, transfer))
    if a == b:
        return f"**Both models agree: {a}** (from scratch {max(scratch):.0%}, transfer {max(transfer):.0%} sure)."
    return f"**They disagree:** from scratch says *{a}* ({max(scratch):.0%}), transfer says *{b}* ({max(transfer):.0%})."


def method_note(method: str) -> str:
    """A word-attribution method's note: what it computes, where it misleads, and how it reads words."""
    about = METHODS[checked_method(method, TEXT_METHODS)]
    return f"**{about.title}**: {about.computes} *Misleads:* {about.misleads}\n\n{WORDS_NOTE}"


def reach(scratch, transfer) -> str:
    """How much of a long text each model read ("" when both read all of it)."""
    (a, total), (b, _) = words.read_count(scratch), words.read_count(transfer)
    if a == b == total:
        return ""
    return f"Of {total:,} words, the from-scratch model read {a:,} and the transfer model {b:,}: the middle is cut off. "

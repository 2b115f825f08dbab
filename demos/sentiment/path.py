"""The sentiment page's guided path (demos/lessons/paths/sentiment.yaml, judged by core.sentiment.guide):
what "Set up and run" puts in the text box for each step, and the run, which reads the text box as it
is now with the page's own handler (`explain`: both models and their words), shows the reading in the
page's outputs, and hands the judge the probabilities and the words' scores it just showed."""

from __future__ import annotations

import re

import gradio as gr

from core.device import gpu
from core.errors import UserError
from core.sentiment import words
from demos.sentiment.handlers import classify_sentiment, explain, missing
from demos.sentiment.texts import EXAMPLES, LONG_REVIEW, OPENING, SARCASM

# Each step's text, as the page's examples and Try this buttons put it in the box.
TEXT_OF_STEP = {
    "strongest-words": OPENING,  # "great cast, terrible plot"
    "negation": "not bad at all",
    "not-flip": "I did not enjoy this film.",
    "top-word": EXAMPLES[3],  # "I expected to hate it, but it turned out to be the most charming film ..."
    "sarcasm": SARCASM,
    "long-review": LONG_REVIEW,
}
METHOD = "integrated_gradients"  # the steps' words are judged by the page's default attribution method
NOT = re.compile(r"\bnot\b\s*", re.IGNORECASE)
NO_NOT = "This step compares the text with and without “not”: put a “not” in the text box, then run it again."


def set_up_step(step_id: str) -> list:
    """The step's text into the box, the default attribution method, the Try-this note cleared, and the
    cut-off part opened for the long review: [text, method, try_note, cut_part]."""
    cut_part = gr.Accordion(open=True) if step_id == "long-review" else gr.skip()
    return [TEXT_OF_STEP[step_id], METHOD, "", cut_part]


def without_not(text: str) -> str:
    """The text with every word "not" taken out ("" when it has none)."""
    return NOT.sub("", text) if NOT.search(text) else ""


def read_words(view: list) -> tuple[list[list], int]:
    """One model's words as the page shows them (words.segments) -> [[word, score]] of the words it
    read, and how many words in the middle it did not read (the ✂ marker's count)."""
    read = [[piece.strip(), float(score)] for piece, score in view if score is not None and piece.strip()]
    cut = sum(int(re.sub(r"\D", "", piece)) for piece, score in view if score is None and words.is_cut_marker(piece))
    return read, cut


def positive(label: dict) -> float:
    return float(label["positive"])


@gpu
def run_step(step_id: str, text: str, method: str, palette: str = "default") -> list:
    """The text box as it is now -> the page's outputs (as Classify gives them), the Try-this note (the
    text without "not" and the from-scratch model's answer on it, for the negation step), and the
    result the step's judge reads."""
    problem = missing(text)
    if problem:
        raise UserError(problem)
    shown = explain(text, method, palette)
    scratch_label, transfer_label, *_, views = shown
    (scratch_words, scratch_cut), (transfer_words, transfer_cut) = (read_words(views[model]) for model in words.MODELS)
    result = {
        "scratch": positive(scratch_label),
        "transfer": positive(transfer_label),
        "scratch_words": scratch_words,
        "transfer_words": transfer_words,
        "scratch_read": len(scratch_words),
        "scratch_cut": scratch_cut,
        "transfer_read": len(transfer_words),
        "transfer_cut": transfer_cut,
    }
    note = gr.skip()
    if step_id == "not-flip":
        changed = without_not(text)
        if not changed.strip():
            raise UserError(NO_NOT)
        answer = classify_sentiment(changed, "scratch")
        result["scratch_without_not"] = next(c["confidence"] for c in answer["confidences"] if c["label"] == "positive")
        sure = max(c["confidence"] for c in answer["confidences"])
        note = f"**Without “not”:** “{changed[:200]}”: the from-scratch model says *{answer['label']}* ({sure:.0%} sure)."
    return [*shown, note, result]

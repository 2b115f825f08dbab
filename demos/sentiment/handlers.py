"""The sentiment page's pure functions (readings in, the page's values out) and its event handlers,
which only convert Gradio values. The models and their explanations are core.sentiment; the words are
demos.sentiment.texts and the coloured words demos.sentiment.markup."""

from __future__ import annotations

import functools

import gradio as gr
import pandas as pd  # Gradio has imported it already

from core.attribution_methods import TEXT_METHODS, checked_method
from core.device import gpu
from core.errors import UserError
from core.palette import checked as checked_palette
from core.sentiment import words  # numpy only: the words as the page colours them
from core.sentiment.text import MAX_CHARACTERS, tokenize  # no torch: the tokenizer is plain Python
from core.sentiment.words import MODELS, NAMES
from demos import lazy_module, user_errors
from demos.palette import palette_from_url
from demos.png import named_file
from demos.sentiment.markup import legend_html, readings_html  # numpy only
from demos.sentiment.texts import (
    BATCH_EXAMPLE,
    COLUMNS,
    NO_LINES,
    NO_LINES_ON_PAGE,
    NO_TEXT,
    NO_WORDS,
    OPENING,
    STAYS,
    TRY_THIS,
    method_note,
    reach,
    verdict,
)

predict = lazy_module("core.sentiment.predict")  # torch and the models: loaded with the first text
sentiment_explain = lazy_module("core.sentiment.explain")  # Captum: imported with the first explanation
models = lazy_module("core.sentiment.models")
checkpoints = lazy_module("core.checkpoints")
curve = lazy_module("core.sentiment.curve")  # matplotlib (~0.6 s): loaded with the learning-curve plot, not at start-up

MAX_LINES = 200  # batch mode: more lines than this are not classified


# ---------- pure functions: readings in, plain values out ----------


def checked(text: str | None) -> tuple[str, str]:
    """Input text -> (text to read, note for the user). Empty or blank text is a UserError."""
    if text is None or not str(text).strip():
        raise UserError(NO_TEXT)
    text = str(text)
    note = ""
    if len(text) > MAX_CHARACTERS:
        note = f"Only the first {MAX_CHARACTERS:,} of {len(text):,} characters were read. "
        text = text[:MAX_CHARACTERS]
    if not tokenize(text):
        raise UserError(NO_WORDS)
    return text, note


def label_value(probabilities) -> dict[str, float]:
    """(2,) probabilities -> the gr.Label value {"negative": p, "positive": p}."""
    return {"negative": float(probabilities[0]), "positive": float(probabilities[1])}


def label_payload(probabilities) -> dict:
    """The gr.Label value as an API client receives it: top label and both confidences."""
    order = sorted(range(2), key=lambda i: -float(probabilities[i]))
    names = ("negative", "positive")
    return {"label": names[order[0]], "confidences": [{"label": names[i], "confidence": float(probabilities[i])} for i in order]}


def missing(text: str | None) -> str | None:
    """What is missing from the text box before the page can read it, or None when nothing is."""
    if text is None or not str(text).strip():
        return NO_TEXT + STAYS
    if not tokenize(str(text)[:MAX_CHARACTERS]):
        return NO_WORDS + STAYS
    return None


def batch_rows(text: str) -> tuple[list[list], str]:
    """Many lines -> table rows [line, scratch, p(positive), transfer, p(positive), agree] and a note."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if not lines:
        raise UserError(NO_LINES)
    note = f"{len(lines):,} lines; the first {MAX_LINES} were classified." if len(lines) > MAX_LINES else f"{len(lines)} lines."
    lines = [line[:MAX_CHARACTERS] for line in lines[:MAX_LINES]]
    scratch, transfer = predict.probabilities(lines, "scratch"), predict.probabilities(lines, "transfer")
    rows = []
    for line, s, t in zip(lines, scratch, transfer):
        a, b = ("positive" if p[1] >= 0.5 else "negative" for p in (s, t))
        shown = line if len(line) <= 120 else line[:117] + "..."
        rows.append([shown, a, round(float(s[1]), 3), b, round(float(t[1]), 3), "yes" if a == b else "NO"])
    return rows, note


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def explain(text: str, method: str = "integrated_gradients", palette: str = "default"):
    """Text, a word-attribution method and a palette -> both labels, the verdict, both models' words,
    both cut-off parts, and the words' scores (kept to redraw them in another palette). A missing text
    keeps what is shown and says what is missing."""
    method, palette = checked_method(method, TEXT_METHODS), checked_palette(palette)
    problem = missing(text)
    if problem:
        gr.Warning(problem)
        return (gr.skip(),) * 8
    text, note = checked(text)
    scratch, transfer = sentiment_explain.read_scratch(text, method=method), sentiment_explain.read_transfer(text, method=method)
    views = {"scratch": words.segments(scratch), "transfer": words.segments(transfer)}
    return (
        label_value(scratch.probabilities),
        label_value(transfer.probabilities),
        note + reach(scratch, transfer) + verdict(scratch.probabilities, transfer.probabilities),
        *readings_html(views, palette),
        words.cut_off_text(scratch),
        words.cut_off_text(transfer),
        views,
    )


@user_errors
@gpu
def explain_on_load(text: str, method: str, request: gr.Request):
    """The page opens on the text in the box (OPENING) read by both models, in the URL's palette."""
    return explain(text, method, palette_from_url(request))


@user_errors
@gpu
def explain_again(text: str, method: str, palette: str):
    """A new method for the text already shown: explain it again (nothing to do while the box is empty)."""
    if missing(text):
        return (gr.skip(),) * 8
    return explain(text, method, palette)


@user_errors
@gpu
def try_this(label: str, method: str, palette: str):
    """A Try-this button (its label) -> its text in the box, what to look for, the cut-off part opened
    when it is about that, and the text read by both models."""
    if label not in TRY_THIS:
        raise UserError(f"No experiment called {str(label)[:60]!r}.")
    text, note, open_cut = TRY_THIS[label]
    return (text, note, gr.Accordion(open=True) if open_cut else gr.skip(), *explain(text, method, palette))


@user_errors
def redraw_words(views: dict | None, palette: str):
    """Another palette: both models' words and the legend redrawn from the scores kept (no model runs)."""
    palette = checked_palette(palette)
    drawn = readings_html(views, palette) if views else (gr.skip(), gr.skip())
    return (*drawn, legend_html(palette))


@user_errors
def show_method_note(method: str) -> str:
    return method_note(method)


@user_errors
@gpu
def classify_sentiment(text: str, model: str = "scratch") -> dict:
    """Classify the sentiment of `text` with model "scratch" (GRU) or "transfer" (MiniLM).

    Returns the gr.Label value: {"label": "positive"|"negative", "confidences": [{"label", "confidence"}, ...]}.
    """
    if model not in MODELS:
        raise UserError(f'model must be "scratch" or "transfer", not {str(model)[:40]!r}.')
    text, _ = checked(text)
    return label_payload(predict.probabilities([text], model)[0])


@user_errors
@gpu
def classify_lines(text: str = BATCH_EXAMPLE) -> tuple[dict, str]:
    """Many lines of text (the first 200 are read) -> a table with both models' predictions for each
    line, as gr.Dataframe sends one ({"headers", "data", "metadata"}), and a note."""
    rows, note = batch_rows(text)
    return {"headers": COLUMNS, "data": rows, "metadata": None}, note


@user_errors
@gpu
def classify_lines_on_page(text: str):
    """The Many lines tab: the table and a note; an empty box keeps the table shown and says so."""
    if not str(text or "").strip():
        gr.Warning(NO_LINES_ON_PAGE)
        return gr.skip(), gr.skip()
    rows, note = batch_rows(text)
    return pd.DataFrame(rows, columns=COLUMNS), note


@user_errors
def show_curve():
    """The learning curve, and its downloads (one event: when the figure shows, so do its files)."""
    return curve.curve_figure(models.learning_curve()), *curve_files()


@functools.cache
def curve_bytes(kind: str) -> bytes:
    """The learning curve saved as "png" or "svg": made once, as its numbers are a file that training wrote."""
    return curve.figure_bytes(curve.curve_figure(models.learning_curve()), kind)


def curve_files() -> tuple[str, str]:
    """The learning curve's downloads: the paths of sentiment-learning-curve.png and .svg."""
    return named_file(curve_bytes("png"), "sentiment-learning-curve.png"), named_file(curve_bytes("svg"), "sentiment-learning-curve.svg")


@user_errors
def show_cards() -> str:
    lines = []
    for model in MODELS:
        try:
            test = checkpoints.load_card(f"sentiment_{model}").get("test", {})
        except checkpoints.MissingCheckpointError:
            test = {}
        parts = [f"{r['accuracy']:.1%} on {key.replace('_', ' ')} ({r['examples']:,})" for key, r in test.items()]
        lines.append(f"{NAMES[model]}: " + ", ".join(parts))
    return "Measured: " + " · ".join(lines)


def warm_up() -> None:
    """Load both models and explain the opening text, so the page opens at full speed."""
    explain(OPENING)

"""Sentiment classifier: a network trained from scratch against transfer learning, word by word.

Its lesson (embeddings, RNNs, transformers and transfer) is demos/lessons/sentiment.md.
"""

from __future__ import annotations

import gradio as gr
import pandas as pd  # Gradio has imported it already

from core.attribution_methods import METHODS, TEXT_METHODS, WORDS_NOTE, checked_method
from core.device import gpu
from core.errors import UserError
from core.palette import checked as checked_palette
from core.sentiment import words  # numpy only: the words as the page colours them
from core.sentiment.examples import BATCH_EXAMPLE, EXAMPLES, OPENING, TRY_THIS  # plain text
from core.sentiment.html import WORDS_CSS, legend_html, readings_html  # numpy only
from core.sentiment.text import MAX_CHARACTERS, tokenize  # no torch: the tokenizer is plain Python
from core.sentiment.words import MODELS, NAMES
from demos import DELETE_CACHE, launch, lazy_module, lesson, user_errors
from demos.palette import keep_in_url, palette_control, palette_from_url

predict = lazy_module("core.sentiment.predict")  # torch and the models: loaded with the first text
sentiment_explain = lazy_module("core.sentiment.explain")  # Captum: imported with the first explanation
models = lazy_module("core.sentiment.models")
checkpoints = lazy_module("core.checkpoints")
curve = lazy_module("core.sentiment.curve")  # matplotlib (~0.6 s): loaded with the learning-curve plot, not at start-up

MAX_LINES = 200  # batch mode: more lines than this are not classified
METHOD_CHOICES = [("Integrated gradients", "integrated_gradients"), ("Saliency", "saliency"), ("SmoothGrad", "smoothgrad")]
METHOD_CHOICES += [("Occlusion of words", "occlusion")]
READINGS_NOTE = (
    "**What you see:** each model's answer and how sure it is. The from-scratch GRU learnt every word from "
    "25,000 IMDB reviews; the transfer model started from MiniLM, pretrained on a billion sentence pairs. "
    "When they disagree, the words below show what each leaned on."
)
COLUMNS = ["text", "from scratch", "scratch p(positive)", "transfer", "transfer p(positive)", "agree"]


# ---------- pure functions: readings in, plain values out ----------


def checked(text: str | None) -> tuple[str, str]:
    """Input text -> (text to read, note for the user). Empty or blank text is a UserError."""
    if text is None or not str(text).strip():
        raise UserError("Type or paste some text first: a sentence or a review.")
    text = str(text)
    note = ""
    if len(text) > MAX_CHARACTERS:
        note = f"Only the first {MAX_CHARACTERS:,} of {len(text):,} characters were read. "
        text = text[:MAX_CHARACTERS]
    if not tokenize(text):
        raise UserError("No words or symbols found: only spaces or invisible control characters.")
    return text, note


def label_value(probabilities) -> dict[str, float]:
    """(2,) probabilities -> the gr.Label value {"negative": p, "positive": p}."""
    return {"negative": float(probabilities[0]), "positive": float(probabilities[1])}


def label_payload(probabilities) -> dict:
    """The gr.Label value as an API client receives it: top label and both confidences."""
    order = sorted(range(2), key=lambda i: -float(probabilities[i]))
    names = ("negative", "positive")
    return {"label": names[order[0]], "confidences": [{"label": names[i], "confidence": float(probabilities[i])} for i in order]}


def verdict(scratch, transfer) -> str:
    a, b = ("positive" if p[1] >= 0.5 else "negative" for p in (scratch, transfer))
    if a == b:
        return f"**Both models agree: {a}** (from scratch {max(scratch):.0%}, transfer {max(transfer):.0%} sure)."
    return f"**They disagree:** from scratch says *{a}* ({max(scratch):.0%}), transfer says *{b}* ({max(transfer):.0%})."


def method_note(method: str) -> str:
    """A word-attribution method's note: what it computes, where it misleads, and how it reads words."""
    about = METHODS[checked_method(method, TEXT_METHODS)]
    return f"**{about.title}**: {about.computes} *Misleads:* {about.misleads}\n\n{WORDS_NOTE}"


def missing(text: str | None) -> str | None:
    """What is missing from the text box before the page can read it, or None when nothing is."""
    if text is None or not str(text).strip():
        return "Type or paste some text first: a sentence or a review. The last reading stays shown."
    if not tokenize(str(text)[:MAX_CHARACTERS]):
        return "No words or symbols found: only spaces or invisible control characters. The last reading stays shown."
    return None


def reach(scratch, transfer) -> str:
    """How much of a long text each model read ("" when both read all of it)."""
    (a, total), (b, _) = words.read_count(scratch), words.read_count(transfer)
    if a == b == total:
        return ""
    return f"Of {total:,} words, the from-scratch model read {a:,} and the transfer model {b:,}: the middle is cut off. "


def batch_rows(text: str) -> tuple[list[list], str]:
    """Many lines -> table rows [line, scratch, p(positive), transfer, p(positive), agree] and a note."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if not lines:
        raise UserError("Paste one text per line.")
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
        gr.Warning("Paste one text per line first. The last table stays shown.")
        return gr.skip(), gr.skip()
    rows, note = batch_rows(text)
    return pd.DataFrame(rows, columns=COLUMNS), note


@user_errors
def show_curve():
    return curve.curve_figure(models.learning_curve())


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


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    with gr.Blocks(title="Sentiment classifier", delete_cache=DELETE_CACHE) as page:
        gr.Markdown(
            "# 💬 Sentiment classifier\nA network trained from scratch against transfer learning, with the words each one leaned on."
        )
        with gr.Tab("One text"):
            with gr.Row():
                with gr.Column(scale=3):
                    text = gr.Textbox(OPENING, label="Text or review", lines=4, max_length=200_000, elem_id="sentiment-text")
                    with gr.Row():
                        run = gr.Button("Classify", variant="primary")
                        gr.ClearButton(text)
                    gr.Markdown("**Try this** (one click: the text is loaded and read)")
                    with gr.Row():
                        tries = [gr.Button(label, size="sm", elem_id=f"sentiment-try-{n}") for n, label in enumerate(TRY_THIS)]
                    try_note = gr.Markdown(elem_id="sentiment-try-note")
                with gr.Column(scale=2):
                    with gr.Column(elem_id="sentiment-result", variant="panel"):
                        answer = gr.Markdown(elem_id="sentiment-verdict")
                        scratch_label = gr.Label(label=NAMES["scratch"], elem_id="scratch-label")
                        transfer_label = gr.Label(label=NAMES["transfer"], elem_id="transfer-label")
                    gr.Markdown(READINGS_NOTE)
            with gr.Row():
                method = gr.Dropdown(
                    METHOD_CHOICES, value="integrated_gradients", label="Word attribution method", elem_id="sentiment-method", min_width=300
                )
                palette = palette_control("sentiment")
            legend = gr.HTML(legend_html(), css_template=WORDS_CSS, js_on_load=None, elem_id="sentiment-legend")
            with gr.Row():
                with gr.Column(min_width=300):
                    scratch_words = gr.HTML(css_template=WORDS_CSS, js_on_load=None, elem_id="scratch-words")
                with gr.Column(min_width=300):
                    transfer_words = gr.HTML(css_template=WORDS_CSS, js_on_load=None, elem_id="transfer-words")
            method_text = gr.Markdown(method_note("integrated_gradients"), elem_id="sentiment-method-note")
            with gr.Accordion("Cut off: the part of a long text each model did not read", open=False) as cut_part:
                with gr.Row():
                    scratch_cut = gr.Textbox(label="Not read by the from-scratch model", lines=3)
                    transfer_cut = gr.Textbox(label="Not read by the transfer model", lines=3)
            gr.Examples([[e] for e in EXAMPLES], inputs=text, label="More examples (they fill the box: then Classify)")
            views = gr.State(None)  # both models' word scores, to redraw them in another palette
        with gr.Tab("Many lines"):
            lines = gr.Textbox(label="One text per line", lines=8, value=BATCH_EXAMPLE, max_length=200_000)
            run_lines = gr.Button("Classify every line", variant="primary")
            lines_note = gr.Markdown()
            table = gr.Dataframe(label="Predictions", wrap=True, interactive=False)
        with gr.Accordion("From scratch vs transfer: accuracy against the number of labels", open=True):
            curve_plot = gr.Plot(label="Learning curve", show_label=False)
            cards = gr.Markdown()
        with gr.Accordion("The lesson: embeddings, RNNs, transformers and transfer", open=True):
            gr.Markdown(lesson("sentiment"))

        outputs = [scratch_label, transfer_label, answer, scratch_words, transfer_words, scratch_cut, transfer_cut, views]
        shared = dict(concurrency_limit=2, concurrency_id="sentiment_models")
        page.load(explain_on_load, [text, method], outputs, api_visibility="private", **shared)
        gr.on([run.click, text.submit], explain, [text, method, palette], outputs, api_visibility="private", **shared)
        for button in tries:
            button.click(try_this, [button, method, palette], [text, try_note, cut_part, *outputs], api_visibility="private", **shared)
        method.change(explain_again, [text, method, palette], outputs, api_visibility="private", **shared)
        method.change(show_method_note, method, method_text, api_visibility="private", show_progress="hidden")
        keep_in_url(page, palette)
        palette.change(
            redraw_words, [views, palette], [scratch_words, transfer_words, legend], api_visibility="private", show_progress="hidden"
        )
        run_lines.click(classify_lines_on_page, lines, [table, lines_note], api_visibility="private", **shared)
        page.load(show_curve, None, curve_plot, api_visibility="private")
        page.load(show_cards, None, cards, api_visibility="private")
        gr.api(classify_sentiment, api_name="classify_sentiment", concurrency_limit=4)
        gr.api(classify_lines, api_name="classify_lines", **shared)
    return page


if __name__ == "__main__":
    launch(build())

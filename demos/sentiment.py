"""Sentiment classifier: a network trained from scratch against transfer learning, word by word.

Its lesson (embeddings, RNNs, transformers and transfer) is demos/lessons/sentiment.md.
"""

from __future__ import annotations

import gradio as gr
import pandas as pd  # Gradio has imported it already

from core.attribution_methods import METHODS, TEXT_METHODS, WORDS_NOTE, checked_method
from core.device import gpu
from core.errors import UserError
from core.sentiment.text import MAX_CHARACTERS, tokenize  # no torch: the tokenizer is plain Python
from demos import DELETE_CACHE, launch, lazy_module, lesson, user_errors

predict = lazy_module("core.sentiment.predict")  # torch and the models: loaded with the first text
sentiment_explain = lazy_module("core.sentiment.explain")  # Captum: imported with the first explanation
models = lazy_module("core.sentiment.models")
checkpoints = lazy_module("core.checkpoints")
figure = lazy_module("matplotlib.figure")  # ~0.6 s: loaded with the learning-curve plot, not at start-up

MODELS = ("scratch", "transfer")
NAMES = {"scratch": "From scratch (GRU)", "transfer": "Transfer (MiniLM)"}
MAX_LINES = 200  # batch mode: more lines than this are not classified
METHOD_CHOICES = [("Integrated gradients", "integrated_gradients"), ("Saliency", "saliency"), ("SmoothGrad", "smoothgrad")]
METHOD_CHOICES += [("Occlusion of words", "occlusion")]
LEGEND = (
    "**Word attributions** by the method you choose (integrated gradients: from a blank text to yours, over each word's embedding). "
    "<span style='color:#ef443c'>**Red**</span> words pushed the model towards *positive*, "
    "<span style='color:#805ad5'>**purple**</span> words towards *negative*; the stronger the colour, the bigger the push. "
    "✂ marks the middle of a long text that the model did not read."
)
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
BATCH_EXAMPLE = "\n".join(EXAMPLES[:5])
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


def highlighted(reading) -> list[tuple[str, float | None]]:
    """A Reading -> gr.HighlightedText value: every read word with its score in [-1, 1], the text
    between words unscored, and the cut-off middle folded into one ✂ marker."""
    units, text = reading.units, reading.text
    scale = float(abs(reading.scores).max()) if reading.scores is not None and len(units) else 0.0
    segments: list[tuple[str, float | None]] = []
    position = 0
    for i, (start, end) in enumerate(units):
        if reading.head_end <= i < reading.tail_start:
            if i == reading.head_end:
                cut = reading.tail_start - reading.head_end
                segments.append((text[position:start], None))
                segments.append((f" ✂ … {cut:,} words cut off, not read … ✂ ", None))
            position = units[i][1]
            continue
        segments.append((text[position:start], None))
        score = float(reading.scores[i]) / scale if scale else 0.0
        segments.append((text[start:end], round(score, 3)))
        position = end
    segments.append((text[position:], None))
    return [(s, v) for s, v in segments if s]


def method_note(method: str) -> str:
    """A word-attribution method's note: what it computes, where it misleads, and how it reads words."""
    about = METHODS[checked_method(method, TEXT_METHODS)]
    return f"**{about.title}**: {about.computes} *Misleads:* {about.misleads}\n\n{WORDS_NOTE}"


def cut_off_text(reading) -> str:
    """The part of the text the model did not read ("" when it read everything)."""
    if reading.head_end >= reading.tail_start:
        return ""
    return reading.text[reading.units[reading.head_end][0] : reading.units[reading.tail_start - 1][1]]


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


def curve_figure(curve: dict | None):
    """The learning-curve results -> a matplotlib Figure (accuracy against number of labels)."""
    plot = figure.Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = plot.add_subplot()
    if not curve:
        axes.text(0.5, 0.5, "Not measured yet:\npython -m train.sentiment curve", ha="center", va="center")
        axes.set_axis_off()
        return plot
    for model, style in (("scratch", "o-"), ("transfer", "s-")):
        points = sorted((p["labels"], p["accuracy"]) for p in curve["points"] if p["model"] == model)
        if points:
            axes.plot(*zip(*points), style, label=NAMES[model])
    axes.set_xscale("log")
    axes.set_xlabel("training labels (SST-2 phrases)")
    axes.set_ylabel(f"accuracy on {curve.get('test_set', 'the test set')}")
    axes.axhline(0.5, color="grey", lw=0.8, ls=":")
    axes.grid(alpha=0.3)
    axes.legend()
    return plot


def load_curve() -> dict | None:
    return models.learning_curve()


# ---------- handlers: convert Gradio values only ----------


@user_errors
@gpu
def explain(text: str, method: str = "integrated_gradients"):
    """Text and a word-attribution method -> both labels, the verdict, both attribution views, both cut-off parts."""
    method = checked_method(method, TEXT_METHODS)
    text, note = checked(text)
    scratch, transfer = sentiment_explain.read_scratch(text, method=method), sentiment_explain.read_transfer(text, method=method)
    return (
        label_value(scratch.probabilities),
        label_value(transfer.probabilities),
        note + verdict(scratch.probabilities, transfer.probabilities),
        highlighted(scratch),
        highlighted(transfer),
        cut_off_text(scratch),
        cut_off_text(transfer),
    )


@user_errors
@gpu
def explain_again(text: str, method: str):
    """A new method for the text already shown: explain it again (nothing to do while the box is empty)."""
    if text is None or not str(text).strip():
        return (gr.skip(),) * 7
    return explain(text, method)


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
    rows, note = batch_rows(text)
    return pd.DataFrame(rows, columns=COLUMNS), note


@user_errors
def show_curve():
    return curve_figure(load_curve())


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
    """Load both models and explain one sentence, so the first request answers at full speed."""
    explain("not bad at all")


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    with gr.Blocks(title="Sentiment classifier", delete_cache=DELETE_CACHE) as page:
        gr.Markdown(
            "## 💬 Sentiment classifier\nA network trained from scratch against transfer learning, with the words each one leaned on."
        )
        with gr.Tab("One text"):
            text = gr.Textbox(label="Text or review", lines=4, max_length=200_000, elem_id="sentiment-text")
            with gr.Row():
                run = gr.Button("Classify", variant="primary")
                gr.ClearButton(text)
            gr.Examples([[e] for e in EXAMPLES], inputs=text, label="Examples: negation, contrast, sarcasm, a long review")
            answer = gr.Markdown(elem_id="sentiment-verdict")
            with gr.Row():
                scratch_label = gr.Label(label=NAMES["scratch"], elem_id="scratch-label")
                transfer_label = gr.Label(label=NAMES["transfer"], elem_id="transfer-label")
            gr.Markdown(LEGEND)
            with gr.Row():
                method = gr.Dropdown(
                    METHOD_CHOICES, value="integrated_gradients", label="Word attribution method", elem_id="sentiment-method", scale=1
                )
                method_text = gr.Markdown(method_note("integrated_gradients"), elem_id="sentiment-method-note")
            with gr.Row():
                scratch_words = gr.HighlightedText(label=f"{NAMES['scratch']}: which words mattered", elem_id="scratch-words")
                transfer_words = gr.HighlightedText(label=f"{NAMES['transfer']}: which words mattered", elem_id="transfer-words")
            with gr.Accordion("Cut off: the part of a long text each model did not read", open=False):
                with gr.Row():
                    scratch_cut = gr.Textbox(label="Not read by the from-scratch model", lines=3)
                    transfer_cut = gr.Textbox(label="Not read by the transfer model", lines=3)
        with gr.Tab("Many lines"):
            lines = gr.Textbox(label="One text per line", lines=8, value=BATCH_EXAMPLE, max_length=200_000)
            run_lines = gr.Button("Classify every line", variant="primary")
            lines_note = gr.Markdown()
            table = gr.Dataframe(label="Predictions", wrap=True, interactive=False)
        with gr.Accordion("From scratch vs transfer: accuracy against the number of labels", open=True):
            curve = gr.Plot(label="Learning curve", show_label=False)
            cards = gr.Markdown()
        with gr.Accordion("The lesson: embeddings, RNNs, transformers and transfer", open=False):
            gr.Markdown(lesson("sentiment"))

        outputs = [scratch_label, transfer_label, answer, scratch_words, transfer_words, scratch_cut, transfer_cut]
        shared = dict(concurrency_limit=2, concurrency_id="sentiment_models")
        gr.on([run.click, text.submit], explain, [text, method], outputs, api_visibility="private", **shared)
        method.change(explain_again, [text, method], outputs, api_visibility="private", **shared)
        method.change(show_method_note, method, method_text, api_visibility="private", show_progress="hidden")
        run_lines.click(classify_lines_on_page, lines, [table, lines_note], api_visibility="private", **shared)
        page.load(show_curve, None, curve, api_visibility="private")
        page.load(show_cards, None, cards, api_visibility="private")
        gr.api(classify_sentiment, api_name="classify_sentiment", concurrency_limit=4)
        gr.api(classify_lines, api_name="classify_lines", **shared)
    return page


if __name__ == "__main__":
    launch(build())

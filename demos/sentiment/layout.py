"""The sentiment page's layout and wiring: what is where, and which event runs which handler."""

from __future__ import annotations

import gradio as gr

from core.sentiment.words import NAMES
from demos import DELETE_CACHE, lesson, live
from demos.guide import guided_path
from demos.palette import keep_in_url, palette_control
from demos.sentiment.handlers import (
    classify_lines,
    classify_lines_on_page,
    classify_sentiment,
    explain,
    explain_again,
    explain_on_load,
    redraw_words,
    show_cards,
    show_curve,
    show_method_note,
    try_this,
)
from demos.sentiment.markup import WORDS_CSS, legend_html
from demos.sentiment.path import run_step, set_up_step
from demos.sentiment.texts import BATCH_EXAMPLE, EXAMPLES, METHOD_CHOICES, OPENING, READINGS_NOTE, TRY_THIS, method_note


def build() -> gr.Blocks:
    with gr.Blocks(title="Sentiment classifier", delete_cache=DELETE_CACHE) as page:
        gr.Markdown(
            "# 💬 Sentiment classifier\nA network trained from scratch against transfer learning, with the words each one leaned on."
        )
        guided = guided_path("sentiment")
        with gr.Tab("One text"):
            with gr.Row():
                with gr.Column(scale=3):
                    text = gr.Textbox(OPENING, label="Text or review", lines=4, max_length=200_000, elem_id="sentiment-text")
                    with gr.Row():  # side by side even on a phone, so the reading below stays in view as one types
                        run = gr.Button("Classify", variant="primary", min_width=100)
                        gr.ClearButton(text, min_width=100)
                    gr.Markdown("**Try this** (one click: the text is loaded and read)")
                    with gr.Row():
                        tries = [gr.Button(label, size="sm", elem_id=f"sentiment-try-{n}") for n, label in enumerate(TRY_THIS)]
                    try_note = gr.Markdown(elem_id="sentiment-try-note")
                with gr.Column(scale=2):
                    with gr.Column(elem_id="sentiment-result", variant="panel"):
                        answer = gr.Markdown(elem_id="sentiment-verdict")
                        scratch_label = live.label_chart("sentiment-scratch", label=NAMES["scratch"], elem_id="scratch-label")
                        transfer_label = live.label_chart("sentiment-transfer", label=NAMES["transfer"], elem_id="transfer-label")
                    gr.Markdown(READINGS_NOTE)
            with gr.Row():
                method = gr.Dropdown(
                    METHOD_CHOICES, value="integrated_gradients", label="Word attribution method", elem_id="sentiment-method", min_width=300
                )
                palette = palette_control("sentiment")
            legend = gr.HTML(legend_html(), css_template=WORDS_CSS, js_on_load=None, elem_id="sentiment-legend")
            with gr.Row(elem_id="sentiment-words"):
                with gr.Column(min_width=300):
                    scratch_words = gr.HTML(css_template=WORDS_CSS, js_on_load=None, elem_id="scratch-words")
                with gr.Column(min_width=300):
                    transfer_words = gr.HTML(css_template=WORDS_CSS, js_on_load=None, elem_id="transfer-words")
            method_text = gr.Markdown(method_note("integrated_gradients"), elem_id="sentiment-method-note")
            with gr.Accordion("Cut off: the part of a long text each model did not read", open=False, elem_id="sentiment-cut") as cut_part:
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
            curve_plot = gr.Plot(label="Learning curve", show_label=False, elem_id="sentiment-curve")
            with gr.Row():  # gr.Plot has no download of its own: matplotlib's PNG and SVG of the same figure
                curve_png = gr.DownloadButton("Download PNG", size="sm", scale=0, min_width=120, elem_id="sentiment-curve-png")
                curve_svg = gr.DownloadButton("Download SVG", size="sm", scale=0, min_width=120, elem_id="sentiment-curve-svg")
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
            redraw_words,
            [views, palette],
            [scratch_words, transfer_words, legend],
            api_visibility="private",
            show_progress="hidden",
        )
        guided.wire(
            page,
            setup=set_up_step,
            setup_outputs=[text, method, try_note, cut_part],
            run=run_step,
            run_inputs=[text, method, palette],
            run_outputs=[*outputs, try_note],
            **shared,
        )
        run_lines.click(classify_lines_on_page, lines, [table, lines_note], api_visibility="private", **shared)
        page.load(show_curve, None, [curve_plot, curve_png, curve_svg], api_visibility="private")
        page.load(show_cards, None, cards, api_visibility="private")
        gr.api(classify_sentiment, api_name="classify_sentiment", concurrency_limit=4)
        gr.api(classify_lines, api_name="classify_lines", **shared)
    return page

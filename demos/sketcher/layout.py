"""The sketcher page's layout and wiring: what is where, and which event runs which handler."""

from __future__ import annotations

from functools import partial

import gradio as gr

from demos import DELETE_CACHE, drawing, handoff, lesson
from demos.guide import guided_path
from demos.palette import WRITE_URL_JS, palette_control
from demos.sketcher.handlers import (
    EXAMPLES,
    ON_CANVAS,
    classify_digit,
    compare_again,
    explain_digit_file,
    finish_drawing,
    look_inside,
    open_page,
    predict_upload,
    put_example,
    read_while_drawing,
    receive_digit,
    recolour,
    send_to_class,
    show_accuracies,
    try_methods,
    try_serif,
    try_smudge,
)
from demos.sketcher.mlp import layer_view, wire_layer_view
from demos.sketcher.path import run, set_up
from demos.sketcher.texts import CLASS_DRAWING, DRAW_PROMPT, METHOD_CHOICES, WHAT_BARS, WHAT_PICTURES, compare_legend, legend, method_note

QUIET = dict(show_progress="hidden", concurrency_limit=4, concurrency_id="digit_models", api_visibility="private")


def try_this(canvas, tabs, field):
    """One-click experiments, each with a note on what to look at. Returns the method controls' setter."""
    gr.Markdown("**Try this** (one click each)")
    with gr.Row():
        serif = gr.Button("A 1 with a long serif", size="sm", elem_id="sketcher-try-serif")
        smudge = gr.Button("Smudge it", size="sm", elem_id="sketcher-try-smudge")
        methods = gr.Button("Compare two methods", size="sm", elem_id="sketcher-try-methods")
    note = gr.Markdown(elem_id="sketcher-try-note")
    serif.click(try_serif, None, [canvas, tabs, note], **QUIET)
    smudge.click(try_smudge, field, [canvas, tabs, note], **QUIET)
    return methods, note


def comparison_section(field, palette, methods, note):
    """Two attribution methods side by side on the current digit, chosen from core/explain.py's five.
    They follow the readings (`.then`), so they never hold up the readings."""
    gr.Markdown("### Four ways to explain (five for the CNN)")
    legend_shown = gr.Markdown(compare_legend())
    with gr.Row():
        kind = gr.Radio([("CNN", "cnn"), ("MLP", "mlp")], value="cnn", label="Model", elem_id="compare-model")
        left = gr.Dropdown(METHOD_CHOICES, value="integrated_gradients", label="Left method", elem_id="compare-left")
        right = gr.Dropdown(METHOD_CHOICES, value="gradcam", label="Right method", elem_id="compare-right")
    with gr.Row():
        with gr.Column():
            left_map = drawing.picture("compare-left-map", "Left method")
            left_note = gr.Markdown(method_note("integrated_gradients"), elem_id="compare-left-note")
        with gr.Column():
            right_map = drawing.picture("compare-right-map", "Right method")
            right_note = gr.Markdown(method_note("gradcam"), elem_id="compare-right-note")
    methods.click(try_methods, None, [left, right, kind, note], **QUIET)
    again = dict(
        fn=compare_again,
        inputs=[field, left, right, kind, palette],
        outputs=[left_map, right_map, left_note, right_note, legend_shown],
    )
    gr.on([left.change, right.change, kind.change], **again, **QUIET)
    return again


def build() -> gr.Blocks:
    with gr.Blocks(title="MNIST digit sketcher", delete_cache=DELETE_CACHE) as page:
        gr.Markdown("# ✏️ MNIST digit sketcher\nDraw a digit. Two networks read it as you draw; on pen-up they show why.")
        path = guided_path("sketcher")
        field = gr.State(None)  # this visitor's last digit (28 x 28): for Look inside, Smudge it and the methods
        source = gr.State(None)  # and what it came from (the canvas's raster or the photo's path), for the palette
        # The drawing and the readings in one row, the rest in the next: on a phone the columns stack,
        # and the readings come right under the canvas, on the same screen as the finger drawing.
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tabs(selected="draw") as tabs:
                    with gr.Tab("Draw", id="draw"):
                        canvas = drawing.drawing_surface("sketcher-canvas", "Draw a digit", reader=True)
                        with gr.Row():
                            examples = {name: gr.Button(f"Load a {name}", size="sm", min_width=60) for name in ON_CANVAS}
                    with gr.Tab("Upload a photo", id="upload"):
                        photo = gr.Image(label="Photo of a handwritten digit", type="filepath", sources=["upload", "clipboard"])
                        gr.Examples(EXAMPLES, inputs=photo, label="Examples")
            with gr.Column(scale=2):
                with gr.Column(elem_id="sketcher-result"):
                    answer = drawing.reading_text("verdict", DRAW_PROMPT)
                    with gr.Row():
                        cnn_label = drawing.probability_bars("cnn-label", "CNN", reads="sketcher-canvas:cnn")
                        mlp_label = drawing.probability_bars("mlp-label", "MLP", reads="sketcher-canvas:mlp")
                    gr.Markdown(WHAT_BARS)
                    mlp_view = layer_view("sketcher-mlp", "sketcher-canvas")  # the MLP opened: its layers follow the pen
                with gr.Column(variant="panel", elem_classes=["class-only"], elem_id="sketcher-class-drawing"):  # shown in a class only
                    gr.Markdown(CLASS_DRAWING)
                    with gr.Row():
                        meant = gr.Radio([str(d) for d in range(10)], label="Which digit did you mean?", elem_id="sketcher-class-meant")
                        send = gr.Button("Send this digit to the class", size="sm", elem_id="sketcher-class-send")
                    sent_note = gr.Markdown(elem_id="sketcher-class-sent")
        with gr.Row():
            with gr.Column(scale=1):
                methods, note = try_this(canvas, tabs, field)
                palette = palette_control("sketcher")
                look = gr.Button("Look inside ↗ (the filter visualiser)", size="md", elem_id="sketcher-look-inside")
                sent = handoff.sender("sketcher-send")
                received = handoff.receiver("sketcher")
            with gr.Column(scale=2):
                accuracies = gr.Markdown()
                with gr.Row():
                    seen = drawing.picture("sketcher-seen", "What the networks see (28×28)", pixelated=True)
                    cnn_map = drawing.picture("sketcher-cnn-map", "CNN: which strokes mattered")
                    mlp_map = drawing.picture("sketcher-mlp-map", "MLP: which strokes mattered")
                gr.Markdown(WHAT_PICTURES)
                legend_shown = gr.Markdown(legend(), elem_id="sketcher-legend")
        compare = comparison_section(field, palette, methods, note)
        with gr.Accordion("The lesson: weights, loss, probabilities, and why the CNN wins", open=True):
            gr.Markdown(lesson("sketcher"))

        outputs = [cnn_label, mlp_label, seen, cnn_map, mlp_map, answer]
        # While the pen moves: one reading at a time, the latest drawing next (always_last). On pen-up,
        # Undo, Clear and a picture put on the canvas: everything, sent at once; the page drops whichever answer is older.
        canvas.input(read_while_drawing, canvas, outputs, trigger_mode="always_last", **QUIET)
        # On pen-up one event (one request): the readings and maps first, then the comparison, streamed.
        finished = [canvas, palette, *compare["inputs"][1:4]]  # the drawing, the palette, left, right, kind
        canvas.release(finish_drawing, finished, [*outputs, field, source, *compare["outputs"]], trigger_mode="always_last", **QUIET)
        photo.change(predict_upload, [photo, palette], [*outputs, field, source], **QUIET).then(**compare, **QUIET)
        palette.change(recolour, [source, palette], [cnn_map, mlp_map, legend_shown], **QUIET).then(**compare, **QUIET)
        palette.change(None, palette, None, js=WRITE_URL_JS)
        for name, button in examples.items():
            button.click(partial(put_example, ON_CANVAS[name]), None, [canvas, tabs], **QUIET)
        received.change(receive_digit, received, [canvas, tabs], **QUIET)
        look.click(look_inside, field, sent, **QUIET)
        send.click(send_to_class, [canvas, meant, path.member], sent_note, **QUIET)
        wire_layer_view(mlp_view, palette)
        # One load event sets the palette from the address and then the example, so its first reading is in that palette.
        page.load(open_page, None, [palette, canvas], **QUIET)
        page.load(show_accuracies, None, accuracies, api_visibility="private")
        path.wire(
            page,
            setup=set_up,
            setup_outputs=[canvas, tabs],
            run=run,
            run_inputs=[canvas, palette],
            run_outputs=[*outputs, field, source],
            concurrency_limit=4,
            concurrency_id="digit_models",
        )
        gr.api(classify_digit, api_name="classify_digit", concurrency_limit=4, concurrency_id="digit_models")
        gr.api(explain_digit_file, api_name="explain_digit", concurrency_limit=4, concurrency_id="digit_models")
    return page

"""The playground's points painter: a <canvas> of a visitor's own points (a click adds one, a drag
erases), and the handlers that keep it in step with the CSV box. The drawing and the gestures are
demos/assets/live/points.js; the pixel <-> data mapping is core.playground.paint's."""

from __future__ import annotations

import gradio as gr

import core.playground.paint as paint  # numpy only: the painter's box and values for a visitor's own points
from demos import live, user_errors

PAINT_MODES = [("add class 0 (blue)", "0"), ("add class 1 (orange)", "1")]  # a drag erases, whatever the choice


def points_painter(data_csv: str, elem_id: str, class_radio: str) -> gr.HTML:
    """A <canvas> of the visitor's points over the playground's axes: a click adds a point, a drag
    erases (pointer events, so mouse, pen and touch). A click takes its class from the radio with id
    `class_radio` as it is checked at that moment, in the page: a class sent later could meet a newer
    choice. Its value is `paint.view`'s; the drawing and the gestures are demos/assets/live/points.js."""
    template = (
        f'<div class="painter"><div class="caption">Your points: click to add one, press and drag to erase'
        f" {live.export_tools(elem_id, 'your points')}</div>"
        f'<canvas width="{paint.CANVAS}" height="{paint.CANVAS}" role="img" '
        'aria-label="Your points: click to add a point of the chosen class, press and drag to erase"></canvas></div>'
    )
    css = (
        f"canvas {{ display: block; width: 100%; max-width: {paint.CANVAS}px; aspect-ratio: 1; touch-action: none; cursor: crosshair;"
        " border: 1px solid var(--border-color-primary); border-radius: 6px; }"
        " .caption { font-size: var(--text-sm); margin-bottom: 4px; }"
    )
    script = live.export_script() + "\n" + (live.JS / "points.js").read_text(encoding="utf-8")
    return gr.HTML(
        paint.view(data_csv), html_template=template, css_template=css, js_on_load=script, elem_id=elem_id, class_radio=class_radio
    )


@user_errors
def paint_points(painted: dict) -> str:
    """A click (a new point of the chosen class) or a drag (points erased) on the painter -> the CSV."""
    return paint.edited_csv(painted)


@user_errors
def show_points(data_csv: str):
    """The painter's value for the points in the box, and a line on what a run will train on."""
    return paint.view(data_csv), paint.note(data_csv)


@user_errors
def upload_points(path: str) -> str:
    """An uploaded CSV -> its text, or a message on what is wrong with it."""
    return paint.read_file(path)


@user_errors
def clear_points():
    return ""


@user_errors
def saved_text(saved) -> str:
    """The points kept in the browser ([text]) -> the CSV box's text; anything else -> no points."""
    saved = saved[0] if isinstance(saved, list) and len(saved) == 1 else saved
    return saved if isinstance(saved, str) else ""


def points_section(data_csv: str) -> gr.Textbox:
    """The painter, its CSV box, Upload and Clear, laid out where it is called and wired. Returns the
    CSV box, the value a run trains on."""
    paint_class = gr.Radio(PAINT_MODES, value="0", label="A click on the canvas will", interactive=True, elem_id="overfit-paint-mode")
    canvas = points_painter(data_csv, "overfit-points-canvas", paint_class.elem_id)
    note = gr.Markdown(elem_id="overfit-points-note")
    box = gr.Textbox(
        data_csv,
        label="Your points as CSV (x,y,label; label 0/1, or numbers for a regression)",
        lines=4,
        max_lines=12,
        elem_id="overfit-points-csv",
    )
    with gr.Row():
        upload = gr.UploadButton("Upload a CSV", file_types=[".csv", ".txt"], type="filepath")
        clear = gr.Button("Clear my points")
    box.change(show_points, box, [canvas, note], api_visibility="private", show_progress="hidden")
    # Each value holds every point shown, so the last one queued is all that matters.
    canvas.input(paint_points, canvas, box, trigger_mode="always_last", api_visibility="private", show_progress="hidden")
    upload.upload(upload_points, upload, box, api_visibility="private")
    clear.click(clear_points, None, box, api_visibility="private")
    return box


def keep_points_in_browser(page: gr.Blocks, box: gr.Textbox, secret: str) -> None:
    """Keep the CSV box in the visitor's browser (gr.BrowserState, encrypted with `secret`) and put it
    back when the page opens. Call it outside any closed accordion: a component in one is not in the
    page until it opens, so its stored value would not be read."""
    # Stored as [text]: gr.BrowserState does not store a value that JavaScript finds false, so "" (cleared) would not stick.
    saved = gr.BrowserState([""], storage_key="overfit-points", secret=secret)
    page.load(saved_text, saved, box, api_visibility="private", show_progress="hidden")
    box.change(None, box, saved, js="(text) => [[text]]")  # a JS function returns the list of its outputs

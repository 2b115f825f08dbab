"""Outputs that change many times a second, drawn in the page from arrays (gr.HTML with a <canvas>).

Sending a few numbers and drawing them in the browser beats making, sending and fetching an image
file per frame: the GAN's moved digit, its live 2-D training view, and the playground's curves.
The drawing code is JavaScript beside this file (demos/assets/live/); each component's `js_on_load`
draws its value, and draws again on every new value (`watch("value", ...)`). Each new frame also
changes an attribute (`data-frame`), so a test or a benchmark sees it in the DOM.

The values are plain dicts: a digit's from `digit_value` here, the GAN's live view from demos/gan.py
(out of `core.gan.toy.ToyFrame.since`), and the playground's curves from `core.playground.draw.curve_update`.

Each chart has a small toolbar, `export_tools`: PNG and, where the chart is made of lines, bars or
points, SVG, saved in the browser by assets/live/export.js (the SVG from the chart's own drawing
code; a map of pixels has no vector form and offers PNG only). Files are named `<page>-<chart>`.
A gr.Label's confidences get the same two downloads from `label_chart` (buttons in its toolbar).
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from pathlib import Path

import gradio as gr
import numpy as np

JS = Path(__file__).resolve().parent / "assets" / "live"
FRAME = "data-frame=\"${value && value.seq !== undefined ? value.seq : ''}\""  # changes with every new value
# In the template, not in css_template: Gradio rewrites a css_template's <style> on every new value,
# and the page then restyles every element: on a busy machine a chart then misses many of the updates
# that reach it (`python -m bench.feel` counts the frames drawn). Text takes the theme's colour
# (light or dark), never a fixed grey.
CSS = """
.live-view canvas { display: block; max-width: 100%; }
.live-view { color: var(--body-text-color); }
.live-view .legend { font-size: 12px; display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 4px; }
.live-view .legend .key i { display: inline-block; width: 18px; margin: 0 4px 3px 0; vertical-align: middle; }
.live-view .caption { font-size: 13px; margin-bottom: 4px; }
.live-view .head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
"""
# Inline, so that the toolbar looks the same in every template (css_template or a <style> in the template).
_TOOLS_STYLE = "display: inline-flex; gap: 4px; flex: none;"
_BUTTON_STYLE = (
    "font-size: 11px; font-weight: normal; line-height: 1.4; padding: 1px 6px; border: 1px solid var(--border-color-primary); border-radius: 4px;"
    " background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color); cursor: pointer;"
)


def _styled(css: str, body: str) -> str:
    return f"<style>{CSS}{css}</style>{body}"


def _script(*names: str) -> str:
    return "\n".join((JS / f"{name}.js").read_text(encoding="utf-8") for name in names)


def export_tools(file: str, label: str, chart: str = "canvas", svg: bool = True) -> str:
    """The download buttons of a chart drawn in the page, for its template: PNG, and SVG when `svg`
    (the chart's script then calls export.js's `remember`). `chart`: the chart's element in the
    component (a CSS selector); `file`: the name saved, `<page>-<chart>`, without its extension.
    The component's js_on_load must start with `export_script()`."""
    kinds = ["PNG", "SVG"] if svg else ["PNG"]
    buttons = "".join(
        f'<button type="button" data-export="{kind.lower()}" data-chart="{html.escape(chart)}" data-file="{html.escape(file)}"'
        f' aria-label="Download {html.escape(label)} as {kind}" title="Download as {kind}" style="{_BUTTON_STYLE}">{kind}</button>'
        for kind in kinds
    )
    return f'<span class="export-tools" role="group" aria-label="Download {html.escape(label)}" style="{_TOOLS_STYLE}">{buttons}</span>'


def export_script() -> str:
    """assets/live/svg.js and export.js: what the toolbar's buttons do (first in a component's js_on_load)."""
    return _script("svg", "export")


def grey_bytes(image: np.ndarray) -> str:
    """(H, W) floats in [0, 1] -> base64 of its uint8 grey levels, row by row (what the page decodes)."""
    return base64.b64encode((np.clip(image, 0, 1) * 255).round().astype(np.uint8).tobytes()).decode("ascii")


def points_bytes(points: np.ndarray) -> str:
    """(N, 2) points -> base64 of int16 thousandths, x0 y0 x1 y1 ... (a tenth of the JSON's size)."""
    return base64.b64encode((np.clip(points, -32, 32) * 1000).round().astype("<i2").tobytes()).decode("ascii")


def digit_value(image: np.ndarray) -> dict:
    """A digit_view's value: an (H, W) image in [0, 1] as grey levels, numbered by its pixels (a new
    digit is a new frame)."""
    height, width = image.shape
    pixels = grey_bytes(image)
    return {"seq": zlib.crc32(pixels.encode()), "width": width, "height": height, "pixels": pixels}


def digit_view(label: str, elem_id: str, size: int = 224) -> gr.HTML:
    """A grey image drawn with crisp pixels on a canvas `size` pixels wide."""
    return gr.HTML(
        value=None,
        html_template=_styled(
            f".live-digit canvas {{ width: {size}px; height: {size}px; image-rendering: pixelated; background: #000; }}",
            f'<div class="live-view live-digit" {FRAME}><div class="head"><div class="caption">{label}</div>'
            f"{export_tools(elem_id, label, svg=False)}</div>"
            '<canvas width="28" height="28"></canvas></div>',
        ),
        js_on_load=_script("svg", "export", "digit"),
        elem_id=elem_id,
    )


def toy_gan_view(elem_id: str) -> gr.HTML:
    """Real (green) and generated (purple) points over D's score of the plane, G's manifold (the
    noise grid as G warps it), arrows where G's loss pushes a sample of generated points, and both
    losses. The manifold and the arrows each have a checkbox that only redraws (no request)."""
    legend = [("#1a7a1a", "real", False), ("#7a1aa0", "generated", False), ("#1f5fa8", "discriminator loss", False)]
    legend += [("#a81f5f", "generator loss", False)]
    keys = "".join(f'<span class="key"><i style="border-top: 3px solid {c}"></i>{w}</span>' for c, w, _ in legend)
    toggles = (
        '<label class="key"><input type="checkbox" class="show-manifold" checked> G\'s manifold (the noise grid, warped by G)</label>'
        '<label class="key"><input type="checkbox" class="show-arrows" checked> arrows: where G\'s loss pushes generated points</label>'
    )
    template = (
        f'<div class="live-view live-gan" {FRAME}><div class="caption title">Press Train, or Step D / Step G.</div>'
        '<div class="panes"><div><canvas class="plane" width="300" height="300"></canvas>'
        f'<div class="tools">{export_tools(f"{elem_id}-points", "the points and D", "canvas.plane", svg=False)}</div></div>'
        '<div><canvas class="losses" width="380" height="300"></canvas>'
        f'<div class="tools">{export_tools(f"{elem_id}-losses", "the losses", "canvas.losses")}</div></div></div>'
        '<div class="legend">'
        + keys
        + '<span class="key"><i class="bar"></i>D: how real (blue) or fake (red)</span>'
        + toggles
        + "</div></div>"
    )
    css = (
        ".live-gan .panes { display: flex; gap: 12px; flex-wrap: wrap; } .live-gan canvas.plane { border: 1px solid #ccc; }"
        " .live-gan .legend .key i.bar { width: 60px; height: 10px; border: 0;"
        " background: linear-gradient(90deg, #67001f, #d6604d, #f7f7f7, #4393c3, #053061); opacity: 0.55; }"
        " .live-gan .legend label.key input { margin: 0 4px 0 0; vertical-align: middle; }"
        " .live-gan .tools { display: flex; justify-content: flex-end; margin-top: 2px; }"
    )
    script = _script("svg", "export", "chart", "toy_gan")  # the losses are a lineChart: SVG too; the plane is a map of pixels
    return gr.HTML(value=None, html_template=_styled(css, template), js_on_load=script, elem_id=elem_id)


def line_plot_svg(file: str, x: str, y: str, size: tuple[int, int] = (460, 150)) -> str:
    """The `js` of a click on an "SVG" button in a gr.LinePlot's toolbar (`buttons=["export", button]`):
    Gradio's export saves the plot as PNG, and has no SVG. This draws the plot's value (its data, as the
    browser holds it) with the live charts' `lineChart` on svg.js's SvgContext and saves it as
    `file`.svg, in the browser: a line of `y` against `x`."""
    width, height = size
    draw = f"""
  const columns = value ? value.columns : [], rows = value ? value.data : [];
  const xs = rows.map((row) => row[columns.indexOf({json.dumps(x)})]), ys = rows.map((row) => row[columns.indexOf({json.dumps(y)})]);
  const canvas = document.createElement("canvas"), ctx = new SvgContext({width}, {height});
  canvas.width = {width}; canvas.height = {height};
  lineChart(canvas, {{ series: [{{ x: xs, y: ys, colour: "#ea580c" }}], xMax: Math.max(1, ...xs), xLabel: {json.dumps(x)} }}, ctx);
  saveFile(new Blob([ctx.document()], {{ type: "image/svg+xml" }}), {json.dumps(file + ".svg")});
"""
    return "(value) => {\n" + _script("svg", "chart") + draw + "}"


def label_chart(file: str, **label) -> gr.Label:
    """A gr.Label (`label`: its arguments) whose toolbar has PNG and SVG buttons: its confidences drawn as bars
    by assets/live/label.js, in the browser, and saved as `file`.png or .svg. Gradio's Label has no download."""
    title = str(label.get("label") or "")
    buttons = {kind: gr.Button(kind.upper(), size="sm") for kind in ("png", "svg")}
    chart = gr.Label(buttons=list(buttons.values()), **label)
    for kind, button in buttons.items():
        save = f"saveLabel(value, {json.dumps(title)}, {json.dumps(kind)}, {json.dumps(file)});"
        button.click(None, chart, None, js="(value) => {\n" + _script("svg", "label") + save + "\n}")
    return chart


def curve_chart(metric: str, label: str, elem_id: str | None, colours: dict) -> gr.HTML:
    """The playground's train and validation curves for `metric` ("loss" or "accuracy").

    colours: {"train": [...], "val": [...], "slots": [...], "marker": colour, "marker_text": words}, newest run first."""
    file = elem_id or f"chart-{metric}"
    template = (
        f'<div class="live-view live-curves" {FRAME}><div class="head"><div class="caption">{label}</div>{export_tools(file, label)}</div>'
        '<canvas width="460" height="280"></canvas><div class="legend"></div></div>'
    )
    return gr.HTML(
        value=None,
        html_template=_styled(".live-curves canvas { width: 100%; height: auto; }", template),
        js_on_load=_script("svg", "export", "chart", "curves"),
        elem_id=elem_id,
        metric=metric,
        train_colours=colours["train"],
        val_colours=colours["val"],
        slots=colours["slots"],
        marker_colour=colours["marker"],
        marker_text=colours["marker_text"],
        empty="Train to draw the curves." if metric == "loss" else "Train to draw the curves (no accuracy for the regression).",
    )

"""The toy GAN's drawable target (#gan-target): a brush on the same [-3, 3]^2 plane as the live view.

A <canvas> in a gr.HTML (demos/assets/live/gan_target.js): pressing and dragging, by mouse, pen or
finger (pointer events), lays points along the stroke; each stroke's end sends every point drawn so
far, in the plane's units, as the component's value {"points": [[x, y], ...]}, and fires `input`.
The server checks them (core.gan.target) before a run trains on them.
"""

from __future__ import annotations

import gradio as gr

from core.gan.target import MAX_DRAWN, PLANE
from demos import live

SIDE = 240  # canvas pixels: the plane's 6 units at 40 px each
SPACING = 6  # canvas pixels between two points laid along a stroke


def target_brush(elem_id: str) -> gr.HTML:
    """The brush's canvas, its caption and a Clear button (in the page: it sends no points)."""
    template = (
        '<div class="gan-target"><div class="caption">Draw your own real data: press and drag on the plane (mouse or finger)</div>'
        f'<canvas width="{SIDE}" height="{SIDE}" role="img" aria-label="The plane from -3 to 3 on both axes: '
        'drag on it to draw where the real points lie"></canvas>'
        '<div class="row"><button type="button" class="clear">Clear the drawing</button><span class="count"></span></div></div>'
    )
    css = (
        f"canvas {{ display: block; width: 100%; max-width: {SIDE}px; aspect-ratio: 1; touch-action: none; cursor: crosshair;"
        " border: 1px solid var(--border-color-primary); border-radius: 6px; background: #fcfcfc; }"
        " .caption { font-size: var(--text-sm); margin-bottom: 4px; }"
        " .row { display: flex; gap: 8px; align-items: center; margin-top: 4px; font-size: var(--text-sm); }"
        " button.clear { border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 2px 8px; background: var(--button-secondary-background-fill); color: var(--body-text-color); }"
    )
    return gr.HTML(
        {"points": []},
        html_template=template,
        css_template=css,
        js_on_load=(live.JS / "gan_target.js").read_text(encoding="utf-8"),
        elem_id=elem_id,
        extent=PLANE,
        max_points=MAX_DRAWN,
        spacing=SPACING,
    )

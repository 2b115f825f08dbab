"""The "Palette" control that every page drawing diverging colours has (sketcher, filters, playground,
sentiment), kept in the address bar as `?palette=safe` like the playground's settings.

    palette = palette_control("sketcher")      # a gr.Radio, elem_id "sketcher-palette"
    keep_in_url(page, palette)                 # read on load, written on change
    palette.change(redraw, [..., palette], [...])

Its value is a name from `core.palette.PALETTES`; functions check it with `core.palette.checked`.
In the gallery every page reads the same `palette` parameter, so the choice carries across tabs on reload.
"""

from __future__ import annotations

import gradio as gr

from core.palette import PALETTES
from demos import user_errors

CHOICES = [("Red / blue", "default"), ("Colour-blind safe (blue / orange)", "safe")]

WRITE_URL_JS = """(palette) => {
    const u = new URL(window.location);
    if (palette && palette !== 'default') u.searchParams.set('palette', palette); else u.searchParams.delete('palette');
    history.replaceState(null, '', u);
}"""


def palette_control(slug: str) -> gr.Radio:
    return gr.Radio(
        CHOICES,
        value="default",
        label="Palette",
        info="For every map and legend on this page",
        elem_id=f"{slug}-palette",
    )


@user_errors  # an event handler too (keep_in_url): every demo event goes through the one converter
def palette_from_url(request: gr.Request) -> str:
    """The page's `?palette=` parameter, or "default" when it is absent or unknown."""
    asked = request.query_params.get("palette") if request is not None else None
    return asked if asked in PALETTES else "default"


def keep_in_url(page: gr.Blocks, control: gr.Radio) -> None:
    """Set `control` from the address bar when the page loads, and write it back when it changes."""
    page.load(palette_from_url, None, control, api_visibility="private", show_progress="hidden")
    control.change(None, control, None, js=WRITE_URL_JS)

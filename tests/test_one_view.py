"""Action and reaction in one view: wherever a learner acts, the output that answers fits on the
same screen, at laptop size (1280 x 720) and at phone size (390 x 844, touch).

For each page's live action, the control and the output it changes, laid out as the page opens
(each demo alone at /demos/<slug>/): the union of their boxes is no taller than the window and both
lie within its width, so one scroll position shows both.
"""

from __future__ import annotations

import pytest

from harness.browser import PHONE, open_gradio

LAPTOP = {"viewport": {"width": 1280, "height": 720}}
SIZES = {"laptop": LAPTOP, "phone": PHONE}

# page -> (the tab to open first, if the pair is not on the opening one; the control; the output it changes)
PAIRS = {
    "sketcher": (None, "#sketcher-canvas canvas", "#cnn-label"),  # draw -> the CNN's reading beside the canvas
    "augment": (None, "#augment-run", "#augment-result"),  # Sample -> the grid
    "filters": ("Draw", "#filters-canvas canvas", "#filters-maps"),  # draw -> the feature maps
    "overfit": (None, "#overfit-train", "#overfit-loss"),  # Train -> the loss curves
    "sentiment": (None, "#sentiment-text textarea", "#sentiment-result"),  # type -> both models' readings
    "gan": ("Latent space", "#gan-direction-1 input[type=range]", "#gan-moved"),  # drag a direction -> the moved digit
}

BOXES_JS = """([control, output]) => {
    const box = (selector) => {
        const node = document.querySelector(selector);
        if (!node) return null;
        const r = node.getBoundingClientRect();
        return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, left: r.left, right: r.right};
    };
    return {control: box(control), output: box(output), width: window.innerWidth, height: window.innerHeight};
}"""


def apart(measured: dict) -> str | None:
    """Why the control and its output cannot be on screen together, or None when they can."""
    control, output = measured["control"], measured["output"]
    if control is None or output is None:
        return f"not on the page: {measured}"
    span = max(control["bottom"], output["bottom"]) - min(control["top"], output["top"])
    if span > measured["height"]:
        return f"{span:.0f} px from the control's edge to the output's, in a window {measured['height']} px high"
    if min(control["left"], output["left"]) < 0 or max(control["right"], output["right"]) > measured["width"] + 1:
        return f"outside the window's width: {measured}"
    return None


@pytest.mark.unit
def test_apart_measures_the_span_of_both_boxes():
    near = {"control": {"top": 100, "bottom": 140, "left": 0, "right": 200}, "output": {"top": 500, "bottom": 800, "left": 0, "right": 300}}
    assert apart({**near, "width": 400, "height": 720}) is None
    assert "700 px" in apart({**near, "width": 400, "height": 699})
    assert "width" in apart({**near, "width": 250, "height": 720})
    assert "not on the page" in apart({**near, "output": None, "width": 400, "height": 720})


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("slug", PAIRS)
def test_the_control_and_the_output_it_changes_fit_in_one_screen(browser, app_url, slug, size):
    context = browser.new_context(**SIZES[size])
    try:
        page = context.new_page()
        open_gradio(page, f"{app_url}/demos/{slug}/")
        tab, control, output = PAIRS[slug]
        if tab:
            page.get_by_role("tab", name=tab).click()
        page.locator(output).first.wait_for(state="visible", timeout=30_000)
        page.locator(control).first.wait_for(state="visible", timeout=30_000)
        why = apart(page.evaluate(BOXES_JS, [control, output]))
        assert why is None, f"{slug} at {size} size: {why}"
    finally:
        context.close()

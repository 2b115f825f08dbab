"""The outputs drawn in the page from arrays (demos/live.py), in a real browser: the GAN's moved digit
follows a dragged slider, its live training view animates and stops with Stop, and the playground's
loss chart grows during a run and ends with the whole curve."""

from __future__ import annotations

import re

import pytest

from harness.browser import open_gradio, wait_until_streaming_ends

pytestmark = pytest.mark.browser

# Collects the distinct pictures (canvas contents) drawn inside an element, once per animation frame.
COLLECT = """selector => {
  const seen = new Set();
  window.__seen = seen;
  const tick = () => {
    const root = document.querySelector(selector);
    if (root) seen.add([...root.querySelectorAll('canvas')].map(c => c.toDataURL()).join());
    requestAnimationFrame(tick);
  };
  tick();
}"""


def test_dragging_a_latent_slider_redraws_the_digit_many_times(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.get_by_role("tab", name="Latent space").click()
    moved = page.locator("#gan-moved .live-digit")
    page.wait_for_function("el => el.dataset.frame !== ''", arg=moved.element_handle(), timeout=30_000)
    inked = "el => { const c = el.querySelector('canvas'); return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 0 && v > 128); }"
    assert page.evaluate(inked, moved.element_handle())  # seed A's digit is drawn: white ink on black
    page.evaluate(COLLECT, "#gan-moved")
    box = page.locator("#gan-direction-1 input[type=range]").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for stop in (0.6, 0.7, 0.8, 0.9, 0.4, 0.3, 0.2, 0.1):  # one drag, pausing at each place until its digit is drawn
        before = moved.get_attribute("data-frame")
        page.mouse.move(box["x"] + box["width"] * stop, y, steps=4)
        page.wait_for_function("([el, before]) => el.dataset.frame !== before", arg=[moved.element_handle(), before], timeout=30_000)
    page.mouse.up()
    page.wait_for_function("() => window.__seen.size >= 8", timeout=10_000)  # each of those digits was drawn on the canvas
    assert float(page.locator("#gan-direction-1 input[type=number]").input_value()) < 0  # the thumb followed the mouse


def test_the_gan_live_view_animates_while_training_and_stops_with_stop(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.get_by_role("tab", name="Watch it learn").click()
    page.evaluate(COLLECT, "#gan-live")
    page.locator("#gan-train").click()
    page.wait_for_function("() => window.__seen.size >= 5", timeout=60_000)  # the points move over D's surface, frame by frame
    page.locator("#gan-stop").click()
    status = page.locator("#gan-status")
    wait_until_streaming_ends(page, status)
    step, total = map(int, re.search(r"step (\d+) of (\d+)", status.inner_text()).groups())
    assert step < total  # Stop ended the run
    title = page.locator("#gan-live .title").inner_text()
    assert title.startswith(f"step {step}/{total}")  # the view shows the last frame sent, the one the status names
    legend = page.locator("#gan-live .legend").inner_text()
    assert all(words in legend for words in ("real", "generated", "discriminator loss", "generator loss", "how real (blue) or fake (red)"))


def test_a_playground_run_grows_the_loss_chart_and_ends_with_the_whole_curve(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/?epochs=300&seed=3")
    page.wait_for_function("el => el.value === '3'", arg=page.locator("#overfit-seed input").element_handle(), timeout=15_000)
    page.evaluate(COLLECT, "#overfit-loss")
    page.locator("#overfit-train").click()
    summary = page.locator("#overfit-summary")
    page.wait_for_function("el => /all 300 epochs done/.test(el.innerText)", arg=summary.element_handle(), timeout=60_000)
    wait_until_streaming_ends(page, summary)
    chart = page.locator("#overfit-loss .live-curves")
    assert chart.get_attribute("data-points") == "300"  # the last update drew every epoch of the run
    assert page.evaluate("window.__seen.size") >= 6  # and the chart was redrawn many times on the way
    legend = page.locator("#overfit-loss .legend").inner_text()
    assert all(words in legend for words in ("this run · train", "this run · validation", "overfitting starts here"))

"""Accessibility on every page: axe-core's audit, a phone's width, and the keyboard.

- axe-core (tests/conftest.py's `axe_violations`): no critical violation on any page, and no more
  colour-contrast failures than a plain Gradio page with the same kinds of components, served
  with the same theme and measured in the same run (`plain_page` below).
- At 390 x 844 with touch, no page scrolls sideways and nothing on it is cut off at the edge.
- Tab reaches every control on a page, and Enter on one representative control does what a
  click does.

Pages: each demo alone at /demos/<slug>/, and the gallery at / (its first tab).
"""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from playwright.sync_api import expect

from demos import DEMOS, SERVER_SETTINGS
from harness.browser import PHONE, open_gradio
from harness.serving import free_port
from tests.conftest import axe_violations

pytestmark = pytest.mark.browser

PAGES = [f"/demos/{demo.slug}/" for demo in DEMOS] + ["/"]


def plain_page() -> gr.Blocks:
    """Gradio's own components, of every kind the demos use, with values in them and nothing of ours."""
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (64, 1))
    picture = np.stack([ramp, ramp.T, 255 - ramp], axis=-1)
    with gr.Blocks(title="A plain Gradio page") as page:
        gr.Markdown("# A plain page\nSome text with a [link](https://www.gradio.app) and `code`.")
        with gr.Tabs():
            with gr.Tab("First"):
                with gr.Row():
                    with gr.Column():
                        gr.Radio(["one", "two", "three"], value="one", label="Radio", info="Pick one")
                        gr.Slider(0, 10, value=3, step=1, label="Slider", info="From 0 to 10")
                        gr.Dropdown(["a", "b"], value="a", label="Dropdown", info="Pick a letter")
                        gr.Number(4, label="Number", minimum=0, maximum=10)
                        gr.Checkbox(True, label="Checkbox", info="Ticked")
                        gr.Textbox(label="Textbox", placeholder="Type here", info="Any text")
                        with gr.Row():
                            gr.Button("Primary", variant="primary")
                            gr.Button("Secondary")
                            gr.Button("Stop", variant="stop")
                    with gr.Column():
                        gr.Image(picture, label="Image", alt_text="A colour ramp")
                        gr.Label({"cat": 0.7, "dog": 0.2, "bird": 0.1}, label="Label")
                        gr.HighlightedText([("good", 0.8), (" and ", None), ("bad", -0.6)], label="HighlightedText")
            with gr.Tab("Second"):
                gr.Gallery([(picture, "a ramp"), (255 - picture, "its negative")], label="Gallery")
        with gr.Accordion("An accordion", open=True):
            gr.HTML("<p>Some HTML, as a page's own markup would be.</p>")
    return page


def contrast_failures(page, url: str) -> int:
    open_gradio(page, url)
    return sum(v["count"] for v in axe_violations(page, rules=["color-contrast"]))


@pytest.fixture(scope="module")
def plain_page_url():
    page = plain_page()
    page.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, **SERVER_SETTINGS)
    try:
        yield page.local_url.rstrip("/")
    finally:
        page.close()


@pytest.fixture(scope="module")
def baseline(browser, plain_page_url) -> int:
    """Colour-contrast failures on the plain page, with the app's theme."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        return contrast_failures(context.new_page(), plain_page_url + "/")
    finally:
        context.close()


def test_the_theme_fixes_contrast_on_a_plain_page(page, baseline):
    """The same plain page served with Gradio's default theme fails contrast; with ours it does not."""
    default = plain_page()
    default.launch(
        server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, **dict(SERVER_SETTINGS, theme=None)
    )
    try:
        with_default_theme = contrast_failures(page, default.local_url)
    finally:
        default.close()
    assert with_default_theme > 0, "the plain page has nothing the contrast check can catch: it measures nothing"
    assert baseline == 0, (
        f"{baseline} colour-contrast failures on a plain page with the app's theme (Gradio's default: {with_default_theme})"
    )


def summary(violations) -> str:
    return "\n".join(f"  {v['id']} ({v['impact']}): {v['count']} nodes, e.g. {v['targets'][:3]}" for v in violations)


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_nothing_critical_and_no_more_contrast_failures_than_plain_gradio(page, app_url, baseline, path):
    open_gradio(page, app_url + path)
    violations = axe_violations(page)
    critical = [v for v in violations if v["impact"] == "critical"]
    contrast = sum(v["count"] for v in violations if v["id"] == "color-contrast")
    assert not critical, f"{path}: critical axe violations:\n{summary(critical)}"
    assert contrast <= baseline, f"{path}: {contrast} colour-contrast failures, a plain Gradio page has {baseline}:\n{summary(violations)}"
    # Every page, standalone ones included, has a level-one heading: its title (screen readers jump by it).
    assert not [v for v in violations if v["id"] == "page-has-heading-one"], f"{path}: no level-one heading"


@pytest.mark.parametrize("path", PAGES)
def test_a_phone_never_scrolls_sideways_and_cuts_nothing_off(phone_page, app_url, path):
    open_gradio(phone_page, app_url + path)
    # Against the screen's width, not innerWidth: a mobile browser widens its layout viewport to fit
    # a page that is too wide (and zooms out), so innerWidth grows with the page.
    screen = PHONE["viewport"]["width"]
    scroll_width = phone_page.evaluate("document.scrollingElement.scrollWidth")
    wide = phone_page.evaluate(WIDER_THAN_THE_SCREEN, screen)
    assert scroll_width <= screen, f"{path}: the page is {scroll_width} px wide on a {screen} px screen; too wide: {wide}"
    cut = phone_page.evaluate(CUT_OFF, screen)
    assert not cut, f"{path}: on a {screen} px screen these reach past its edge, clipped (not in a strip that scrolls): {cut}"


# The outermost elements that reach past the right edge of the screen, to say what to fix.
WIDER_THAN_THE_SCREEN = """screen => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > screen + 1 && el.parentElement.getBoundingClientRect().right <= screen + 1)
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + [...el.classList].map(c => '.' + c).join(''))"""

# Controls, pictures and canvases that a container clips at the screen's edge: the page does not
# scroll, but part of them cannot be seen or touched. Not those in a strip that scrolls sideways on
# purpose (a gallery, a table), nor Gradio's visually hidden copies (a 1 px box that clips them).
CUT_OFF = """screen => {
    const inside = (el, test) => { for (let a = el.parentElement; a; a = a.parentElement) if (test(a, getComputedStyle(a))) return true; return false; };
    const scrolls = (a, s) => ['auto', 'scroll'].includes(s.overflowX) && a.scrollWidth > a.clientWidth;
    const hidden = (a, s) => s.overflowX !== 'visible' && (a.getBoundingClientRect().width <= 1 || a.getBoundingClientRect().height <= 1);
    return [...document.querySelectorAll('canvas, img, svg, button, input, select, textarea')]
        .filter(el => el.closest('.gradio-container') && !el.closest('footer'))
        .filter(el => el.checkVisibility({visibilityProperty: true, opacityProperty: true}))
        .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > screen + 1 || r.left < -1); })
        .filter(el => !inside(el, scrolls) && !inside(el, hidden))
        .slice(0, 5).map(el => el.outerHTML.slice(0, 100));
}"""


# What Tab stops on: controls and anything else a page made focusable. One radio button per group.
CONTROLS = """() => {
    const selector = 'button, input, select, textarea, a[href], [tabindex]';
    const visible = el => el.checkVisibility() && !el.disabled && el.tabIndex >= 0 && !el.closest('footer, [inert]');
    const radios = new Set();
    return [...document.querySelector('.gradio-container').querySelectorAll(selector)].filter(visible).filter(el => {
        if (el.type !== 'radio') return true;
        if (radios.has(el.name)) return false;
        radios.add(el.name);
        return true;
    }).map(el => el.dataset.a11y = (el.type === 'radio' ? 'radio:' + el.name : String(Math.random()).slice(2)));
}"""
FOCUSED = "() => { const el = document.activeElement; return el && (el.type === 'radio' ? 'radio:' + el.name : el.dataset.a11y); }"
DESCRIBE = """keys => keys.map(key => {
    const el = key.startsWith('radio:') ? document.querySelector(`input[name="${key.slice(6)}"]`) : document.querySelector(`[data-a11y="${key}"]`);
    return el.outerHTML.slice(0, 120);
})"""


def unreachable(page) -> list[str]:
    """The controls that Tab never stops on, walking once through the page from its top."""
    controls = page.evaluate(CONTROLS)
    reached = set()
    for _ in range(len(controls) + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUSED))
    return page.evaluate(DESCRIBE, [key for key in controls if key not in reached])


def test_the_tab_walk_notices_a_control_it_cannot_reach(page):
    """A field that swallows Tab (a focus trap) hides the controls after it from the keyboard."""
    page.set_content(
        '<div class="gradio-container"><input id="before"><input id="trap"><button id="after">Go</button></div>'
        "<script>document.getElementById('trap').addEventListener('keydown', e => e.key === 'Tab' && e.preventDefault())</script>"
    )
    missed = unreachable(page)
    assert len(missed) == 1 and 'id="after"' in missed[0], missed


# One control per page that a keyboard user presses, how to find it, and what pressing it does:
# "event" is a call to the server (Gradio's queue), "selected" is a tab that opens.
KEYBOARD = {
    "/demos/sketcher/": ("tab", "Upload a photo", "selected"),
    "/demos/augment/": ("button", "Sample", "event"),
    "/demos/filters/": ("tab", "Kernels", "selected"),
    "/demos/overfit/": ("button", "Train", "event"),
    "/demos/sentiment/": ("button", "Classify", "event"),
    "/demos/gan/": ("button", "Generate", "event"),
}


@pytest.mark.parametrize("path", list(KEYBOARD))
def test_tab_reaches_every_control_and_enter_presses_one(page, app_url, path):
    open_gradio(page, app_url + path)
    missed = unreachable(page)
    assert not missed, f"{path}: Tab never reaches {len(missed)} controls: {missed}"

    role, name, effect = KEYBOARD[path]
    target = page.get_by_role(role, name=name, exact=True).first
    for _ in range(200):  # on from where the walk ended, round to the top, to the control
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    expect(target).to_be_focused()
    if effect == "event":
        with page.expect_request(lambda request: "/queue/join" in request.url, timeout=10_000):
            page.keyboard.press("Enter")
    else:
        page.keyboard.press("Enter")
        expect(target).to_have_attribute("aria-selected", "true")

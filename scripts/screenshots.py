"""Remake the README's screenshots: `python scripts/screenshots.py`.

Starts the app as a user does (`python app.py`, on a free port), drives Debian's chromium with
Playwright (never `playwright install`), and writes
- docs/screenshot.png: the gallery on the digit sketcher, a 7 drawn on its canvas;
- docs/sketcher_live.png: the sketcher mid-stroke, the pen still down, the bars already reading a 7;
- docs/gan/screenshot.png: the GAN page as it opens, on its first 20 digits (seed 0);
- docs/screenshots/<slug>.png and <slug>-phone.png: each demo's own page as it opens, at 1280 x 1000
  and at a phone's 390 x 844 (with touch).
The tests never write these files; run this after a change that shows on either page, look at the
pictures, and commit them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file: the repository's packages are importable

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from demos import DEMOS  # noqa: E402
from harness.browser import CHROMIUM, FLAGS, PHONE, SEVEN, draw, open_gradio  # noqa: E402
from harness.serving import free_port, stop, wait_for_http  # noqa: E402

VIEWPORT = {"width": 1280, "height": 1000}
MAPS_DRAWN = "() => [...document.querySelectorAll('#sketcher-seen canvas, #sketcher-cnn-map canvas, #sketcher-mlp-map canvas')]"
MAPS_DRAWN += ".filter(c => !c.classList.contains('empty')).length === 3"
IMAGES_SHOWN = "(n) => document.querySelectorAll('img').length >= n && [...document.images].every(i => i.complete && i.naturalWidth > 0)"
PHONE_SHOT = dict(PHONE, device_scale_factor=1)  # the picture at the screen's own size, to keep the file small
# Gradio marks an output whose event is still running; a page has settled when none is.
SETTLED = "() => !document.querySelector('.pending, .generating, .translucent')"
# Pictures on the screen have loaded (those below it load lazily, when scrolled to).
ON_SCREEN_IMAGES_SHOWN = "() => [...document.images].filter(i => i.getBoundingClientRect().top < innerHeight).every(i => i.complete)"


def clear(page) -> None:
    """The sketcher opens on an example 7: clear it, and wait until both models' bars are empty."""
    page.get_by_role("button", name="Clear", exact=True).first.click()
    page.wait_for_function("() => [...document.querySelectorAll('.bars')].every(b => b.dataset.digit === '')", timeout=30_000)


def sketcher(page, url: str, path: Path) -> None:
    open_gradio(page, f"{url}/?tab=sketcher")
    clear(page)
    draw(page, page.locator("#sketcher-canvas canvas").last, SEVEN)  # ready on load: no tool to pick
    page.mouse.move(0, 0)  # no hover highlight in the picture
    expect(page.locator("#verdict")).to_contain_text("7", timeout=30_000)
    page.wait_for_function(MAPS_DRAWN, timeout=30_000)  # the 28x28 view and both attribution maps
    page.screenshot(path=str(path))


def sketcher_live(page, url: str, path: Path) -> None:
    """The sketcher mid-stroke: the pen is still down on a 7's diagonal and the bars already read it."""
    open_gradio(page, f"{url}/demos/sketcher/")
    clear(page)
    canvas = page.locator("#sketcher-canvas canvas")
    box = canvas.bounding_box()
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    page.mouse.move(*at(0.25, 0.22))
    page.mouse.down()
    page.mouse.move(*at(0.75, 0.22), steps=20)
    page.mouse.move(*at(0.55, 0.6), steps=20)
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === '7'", timeout=30_000)
    page.wait_for_timeout(300)  # the last reading is drawn
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": 560})
    page.mouse.up()


def gan(page, url: str, path: Path) -> None:
    open_gradio(page, f"{url}/demos/gan/")  # the page's load event has drawn its first grid by then
    verdict = page.locator("#gan-verdict")
    page.wait_for_function("el => /reads \\d+ of 20/.test(el.innerText)", arg=verdict.element_handle(), timeout=60_000)
    page.wait_for_function(IMAGES_SHOWN, arg=20, timeout=30_000)
    page.mouse.move(0, 0)
    page.screenshot(path=str(path))


def every_page(browser, url: str, out: Path) -> None:
    """Each demo's own page as it opens (its load events done, pictures drawn), at desktop and phone size."""
    for demo in DEMOS:
        for path, size in [(out / f"{demo.slug}.png", dict(viewport=VIEWPORT)), (out / f"{demo.slug}-phone.png", PHONE_SHOT)]:
            context = browser.new_context(**size)
            page = context.new_page()
            open_gradio(page, f"{url}/demos/{demo.slug}/")
            page.wait_for_function(SETTLED, timeout=60_000)
            page.wait_for_function(ON_SCREEN_IMAGES_SHOWN, timeout=30_000)
            page.wait_for_timeout(500)  # canvases drawn in the page paint on the next frames
            page.screenshot(path=str(path))
            context.close()
            print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="folder for the pictures (default: docs/, as the README shows them)"
    )
    out = parser.parse_args().out
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            shots = [(sketcher, out / "screenshot.png"), (sketcher_live, out / "sketcher_live.png"), (gan, out / "gan" / "screenshot.png")]
            for shoot, path in shots:
                path.parent.mkdir(parents=True, exist_ok=True)
                page = browser.new_page(viewport=VIEWPORT)
                shoot(page, url, path)
                page.close()
                print(f"wrote {path}")
            (out / "screenshots").mkdir(parents=True, exist_ok=True)
            every_page(browser, url, out / "screenshots")
            browser.close()
    finally:
        stop(app)


if __name__ == "__main__":
    main()

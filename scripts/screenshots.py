"""Remake the README's screenshots: `python scripts/screenshots.py`.

Starts the app as a user does (`python app.py`, on a free port), drives Debian's chromium with
Playwright (never `playwright install`), and writes
- docs/screenshot.png: the gallery on the digit sketcher, a 7 drawn on its canvas;
- docs/sketcher_live.png: the sketcher mid-stroke, the pen still down, the bars already reading a 7;
- docs/gan/screenshot.png: the GAN page as it opens, on its first 20 digits (seed 0).
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

from tests.conftest import CHROMIUM, FLAGS, free_port, open_gradio, wait_for_http  # noqa: E402
from tests.test_browser import SEVEN, draw  # noqa: E402

VIEWPORT = {"width": 1280, "height": 1000}
MAPS_DRAWN = "() => [...document.querySelectorAll('#sketcher-seen canvas, #sketcher-cnn-map canvas, #sketcher-mlp-map canvas')]"
MAPS_DRAWN += ".filter(c => !c.classList.contains('empty')).length === 3"
IMAGES_SHOWN = "(n) => document.querySelectorAll('img').length >= n && [...document.images].every(i => i.complete && i.naturalWidth > 0)"


def sketcher(page, url: str, path: Path) -> None:
    open_gradio(page, f"{url}/?tab=sketcher")
    draw(page, page.locator("#sketcher-canvas canvas").last, SEVEN)  # ready on load: no tool to pick
    page.mouse.move(0, 0)  # no hover highlight in the picture
    expect(page.locator("#verdict")).to_contain_text("7", timeout=30_000)
    page.wait_for_function(MAPS_DRAWN, timeout=30_000)  # the 28x28 view and both attribution maps
    page.screenshot(path=str(path))


def sketcher_live(page, url: str, path: Path) -> None:
    """The sketcher mid-stroke: the pen is still down on a 7's diagonal and the bars already read it."""
    open_gradio(page, f"{url}/demos/sketcher/")
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
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=15)


if __name__ == "__main__":
    main()

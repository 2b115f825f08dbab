"""Remake the README's screenshots: `python scripts/screenshots.py`.

Starts the app as a user does (`python app.py`, on a free port), drives Debian's chromium with
Playwright (never `playwright install`), and writes
- docs/screenshot.png: the gallery on the digit sketcher, a 7 drawn on its canvas;
- docs/sketcher_live.png: the sketcher mid-stroke, the pen still down, the bars already reading a 7;
- docs/gan/screenshot.png: the GAN page as it opens, on its first 20 digits (seed 0);
- docs/guide_question.png and docs/guide_reveal.png: a guided path at laptop size (1280 x 720), one
  step asking its question, another after its run, the reveal judged from that run;
- docs/class_board.png: the teacher's board (/class) during a lesson: twelve students' answers to a
  step (sent through the class API, as their pages send them) and four digits one student's sketcher
  page sent, each read by the CNN, one cell's drawings open;
- docs/screenshots/<slug>.png and <slug>-phone.png: each demo's own page as it opens, at 1280 x 1000
  and at a phone's 390 x 844 (with touch).
Each shot waits until every picture on its page is shown (no <img> loading, broken or empty, no
array-drawn canvas left blank) and painted, and fails naming the missing ones after a deadline,
writing nothing: a screenshot shows what a visitor sees once the page has loaded. The titles' emoji
need a colour emoji font (Debian: fonts-noto-color-emoji), or chromium draws them as boxes.
The tests never write these files; run this after a change that shows on either page, look at the
pictures, and commit them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file: the repository's packages are importable

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from demos import DEMOS  # noqa: E402
from demos.guide import load_path  # noqa: E402
from harness.browser import CHROMIUM, EVENT_COUNTER_JS, FLAGS, PHONE, SEVEN, draw, open_gradio  # noqa: E402
from harness.guide import choose, open_step, run_step  # noqa: E402
from harness.serving import free_port, stop, wait_for_http  # noqa: E402

VIEWPORT = {"width": 1280, "height": 1000}
LAPTOP = {"width": 1280, "height": 720}
QUESTION = ("overfit", 2)  # the guided step shown asking (page, step number)
REVEAL = ("sketcher", 1)  # the guided step shown after its run
MAPS_DRAWN = "() => [...document.querySelectorAll('#sketcher-seen canvas, #sketcher-cnn-map canvas, #sketcher-mlp-map canvas')]"
MAPS_DRAWN += ".filter(c => !c.classList.contains('empty')).length === 3"
PHONE_SHOT = dict(PHONE, device_scale_factor=1)  # the picture at the screen's own size, to keep the file small
# Gradio marks an output whose event is still running; a page has settled when none is.
SETTLED = "() => !document.querySelector('.pending, .generating, .translucent')"
# The pictures a visitor would see but that are not shown, each described. An <img> is shown once it
# is complete with a picture in it (naturalWidth > 0): one still loading is not complete, and a broken
# one (or one with no source) is complete with naturalWidth 0, its alt text standing in. Every <img>
# the page renders counts, not only those on the screen: Gradio's gallery loads its thumbnails lazily,
# so these are told to load now. A canvas drawn from an array (demos/assets/drawing/picture.js) is
# marked `empty` until it has a picture; `canvases` false leaves those out, for a shot whose page has
# not drawn them yet by design.
PICTURES_NOT_SHOWN = """(canvases) => {
    const rendered = (el) => el.getClientRects().length > 0;  // not inside a hidden block or tab
    const images = [...document.images].filter(rendered);
    images.filter((img) => img.loading === "lazy").forEach((img) => { img.loading = "eager"; });
    const name = (el) => (el.alt || el.getAttribute("aria-label") || el.getAttribute("src") || "").slice(0, 60);
    return [
        ...images.filter((img) => !img.complete).map((img) => `loading: ${name(img)}`),
        ...images.filter((img) => img.complete && img.naturalWidth === 0).map((img) => `broken or empty: ${name(img)}`),
        ...(canvases ? [...document.querySelectorAll("canvas.empty")] : []).filter(rendered).map((c) => `canvas not drawn: ${name(c)}`),
    ];
}"""
PAINTED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def new_page(browser, **options):
    """A page in its own context that counts its Gradio events (see harness.browser.open_gradio)."""
    context = browser.new_context(**options)
    context.add_init_script(EVENT_COUNTER_JS)
    return context.new_page()


def shoot(page, path: Path, canvases: bool = True, timeout: float = 60.0, **options) -> None:
    """Screenshot `page` to `path` once every picture on it is shown (PICTURES_NOT_SHOWN) and painted.
    After `timeout` seconds, fails naming the pictures still missing, and writes nothing."""
    try:
        page.wait_for_function(f"(canvases) => ({PICTURES_NOT_SHOWN})(canvases).length === 0", arg=canvases, timeout=timeout * 1000)
    except PlaywrightTimeoutError:
        missing = page.evaluate(PICTURES_NOT_SHOWN, canvases)
        raise RuntimeError(f"{page.url}: {len(missing)} pictures not shown after {timeout:g} s, so no {path}: {missing}") from None
    page.evaluate(PAINTED)  # the next frame has been painted with them
    page.screenshot(path=str(path), **options)
    print(f"wrote {path}")


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
    shoot(page, path)


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
    # The attribution maps are drawn on pen-up (the page says so), so mid-stroke they are still clear.
    shoot(page, path, canvases=False, clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": 560})
    page.mouse.up()


def gan(page, url: str, path: Path) -> None:
    open_gradio(page, f"{url}/demos/gan/")  # the page's load event has drawn its first grid by then
    verdict = page.locator("#gan-verdict")
    page.wait_for_function("el => /reads \\d+ of 20/.test(el.innerText)", arg=verdict.element_handle(), timeout=60_000)
    page.wait_for_function("() => document.images.length >= 20", timeout=30_000)  # the grid's 20 digits are in the page
    page.mouse.move(0, 0)
    shoot(page, path)


def guide_question(page, url: str, path: Path) -> None:
    """A guided step as it opens: the part of the page it is about outlined, its question asked."""
    open_step(page, url, *QUESTION)
    page.wait_for_function(SETTLED, timeout=60_000)
    page.wait_for_timeout(1000)  # the spotlight's smooth scroll
    shoot(page, path)


def guide_reveal(page, url: str, path: Path) -> None:
    """A guided step after its run: the usual answer chosen, the reveal judged from what the run made."""
    slug, number = REVEAL
    open_step(page, url, slug, number)
    step = load_path(slug).steps[number - 1]
    choose(page, slug, step.answers[step.usual])
    run_step(page, slug)
    page.wait_for_function(SETTLED, timeout=60_000)
    page.wait_for_timeout(1000)
    shoot(page, path)


NICKNAMES = ["Ada", "Alan", "Grace", "Edsger", "", "Barbara", "", "Donald", "Frances", "", "Ken", "Radia"]
ANSWERS = ["mlp", "mlp", "cnn", "mlp", "both", "mlp", "neither", "mlp", "cnn", "mlp", "mlp", "cnn"]  # a class's spread, for the picture


def post(url: str, body: dict, secret: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"X-Teacher-Secret": secret} if secret else {})}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def class_board(page, url: str, path: Path) -> None:
    """The teacher's board during a lesson (the students' answers through the class API, the digits
    through a real student page, each read by the CNN), one confusion-matrix cell opened."""
    new = post(f"{url}/class/api/classes", {"settings": {"tab": "sketcher", "step": 2}})
    for number, (nickname, answer) in enumerate(zip(NICKNAMES, ANSWERS)):
        student = f"screenshot-student-{number:04d}"
        post(f"{url}/class/api/join", {"code": new["code"], "student": student, "nickname": nickname or None})
        post(f"{url}/class/api/answer", {"code": new["code"], "student": student, "question": "sketcher-2", "answer": answer})
    student = page.context.browser.new_context(viewport=VIEWPORT).new_page()
    open_gradio(student, f"{url}/demos/sketcher/?class={new['code']}")
    student.locator("#sketcher-class-meant").wait_for(state="visible", timeout=30_000)
    for name in ("3", "4", "7", "9"):
        student.get_by_role("button", name=f"Load a {name}").click()
        student.locator("#sketcher-class-meant label").filter(has_text=name).click()
        student.locator("#sketcher-class-sent").evaluate("(node) => { node.dataset.before = node.innerText; }")
        student.locator("#sketcher-class-send").click()
        student.wait_for_function(
            "() => { const n = document.querySelector('#sketcher-class-sent'); return /CNN read/.test(n.innerText) && n.innerText !== n.dataset.before; }",
            timeout=30_000,
        )
    student.context.close()
    page.goto(f"{url}/class#code={new['code']}&key={new['secret']}")
    page.locator('[data-question="sketcher-2"] [data-answer="mlp"][data-count="7"]').wait_for(timeout=30_000)
    page.locator('#class-confusion button[data-meant="9"]:not([data-count="0"])').first.click()
    page.locator("#class-drawings img").first.wait_for(timeout=30_000)
    shoot(page, path, full_page=True)


def every_page(browser, url: str, out: Path) -> None:
    """Each demo's own page as it opens (its load events done, pictures shown), at desktop and phone size."""
    for demo in DEMOS:
        for path, size in [(out / f"{demo.slug}.png", dict(viewport=VIEWPORT)), (out / f"{demo.slug}-phone.png", PHONE_SHOT)]:
            page = new_page(browser, **size)
            open_gradio(page, f"{url}/demos/{demo.slug}/")
            page.wait_for_function(SETTLED, timeout=60_000)
            shoot(page, path)
            page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="folder for the pictures (default: docs/, as the README shows them)"
    )
    out = parser.parse_args().out
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    env["GALLERY_CLASS_DB"] = str(out / ".screenshot-classes.db")  # a store of its own, removed after

    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            shots = [(sketcher, out / "screenshot.png"), (sketcher_live, out / "sketcher_live.png"), (gan, out / "gan" / "screenshot.png")]
            shots += [(guide_question, out / "guide_question.png"), (guide_reveal, out / "guide_reveal.png")]
            shots += [(class_board, out / "class_board.png")]
            for take, path in shots:
                path.parent.mkdir(parents=True, exist_ok=True)
                page = new_page(browser, viewport=LAPTOP if take in (guide_question, guide_reveal) else VIEWPORT)
                take(page, url, path)
                page.context.close()
            (out / "screenshots").mkdir(parents=True, exist_ok=True)
            every_page(browser, url, out / "screenshots")
            browser.close()
    finally:
        stop(app)
        for made in out.glob(".screenshot-classes.db*"):
            made.unlink()


if __name__ == "__main__":
    main()

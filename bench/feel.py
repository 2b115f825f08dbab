"""How the drawing pages feel, in a real browser (headless chromium), today's app beside the old one.

    python -m bench.feel [--old dbaf943] [--strokes 12] [--no-live] [--phone]

The old app is the commit before the drawing surface (dbaf943), checked out into a temporary git
worktree; both apps run as `python app.py` on free ports and are measured by the same code, in
the same run, one after the other. On the digit sketcher (/demos/sketcher/):

- ready without a click: a 7 drawn with the mouse straight after the page loads is read (yes/no);
- readings a second while one slow stroke (3 s) is drawn: the readings made in the browser where the
  page reads there (issue 28: goal >= 30), else how often the CNN's reading (#cnn-label) changes in
  the page between pen-down and pen-up; and the requests that reached the server meanwhile (<= 2);
- pen-up to settled outputs: for each of `--strokes` strokes, the time from the pointerup event to
  the last change of any output (a DOM mutation, or an image that finished loading), timed in the
  page with a MutationObserver and performance.now(); settled = nothing changed for 1.5 s
  (goal: median <= 150 ms, max <= 300 ms). The method comparison below the readings (G1's
  `compare-*` elements) is left out of this figure and timed on its own.

With --phone, every page is measured as a phone: a 390 x 844 screen at 3x with touch, and the page's
CPU slowed 4 times (Chrome's CPU throttling, as its DevTools emulate a mid-tier phone); the server is
not slowed.

Then the figures of bench/feel_live.py (GAN slider, playground chart, GAN live view), from the same
two servers. The old app's Sketchpad needs its Brush tool clicked before it draws: for the readings
and the latency it is clicked, as a visitor would.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
from playwright.sync_api import sync_playwright

from bench import feel_live
from bench.timing import machine
from core.digits import pictures, reading
from demos import drawing
from harness.browser import CHROMIUM, FLAGS

ROOT = Path(__file__).resolve().parent.parent
OLD_COMMIT = "dbaf943"  # the last landed main before the drawing surface
SEVEN = [(0.25, 0.22), (0.75, 0.22), (0.45, 0.82)]
# Short strokes, each in a new place, so that each pen-up adds ink and changes what is read (a stroke
# drawn over ink already there would change nothing, and an unchanged output is not an answer).
STROKES = [[(0.12 + 0.06 * i, 0.15), (0.12 + 0.06 * i, 0.45)] for i in range(6)]
STROKES += [[(0.15, 0.55 + 0.06 * i), (0.85, 0.55 + 0.06 * i)] for i in range(6)]
OUTPUTS_IGNORED = "#sketcher-canvas, [id^=compare-]"  # the surface itself and the method comparison
COMPARISON = "[id^=compare-]"

# Gradio's status tracker inside each output keeps a hidden timer ticking while an event runs
# (show_progress="hidden" hides it, and its text still changes), and a screen-reader-only announcer:
# neither is something a visitor sees change.
UNSEEN = ".wrap.hide, .progress-text, .sr-only"

# Installs window.__outputs: page times (ms) of every change to the page outside `ignore`: DOM
# mutations and images that finished loading (an <img> whose src changed is shown only then).
OBSERVER = """([ignore, only]) => {
  const state = { times: [] };
  window.__outputs = state;
  const counts = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    if (!el || el.closest(UNSEEN)) return false;
    if (only) return !!el.closest(only);
    return !el.closest(ignore);
  };
  new MutationObserver(records => {
    if (records.some(r => counts(r.target))) state.times.push(performance.now());
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener('load', e => { if (e.target.tagName === 'IMG' && counts(e.target)) state.times.push(performance.now()); }, true);
  window.__ups = [];
  window.addEventListener('pointerup', () => window.__ups.push(performance.now()), true);
}"""

READINGS = """() => {
  const root = document.querySelector('#cnn-label');
  const seen = () => [...root.querySelectorAll('*')].filter(e => !e.closest(UNSEEN))  // what is drawn: widths, text, seq
    .map(e => (e.getAttribute('style') || '') + (e.dataset.seq || '') + (e.childElementCount ? '' : e.textContent)).join('|');
  const state = { times: [], last: seen() };
  window.__readings = state;
  new MutationObserver(() => {
    const now = seen();
    if (now !== state.last) { state.last = now; state.times.push(performance.now()); }
  }).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
}"""


# ---------- one page, one figure ----------


def open_sketcher(page, base_url: str) -> None:
    feel_live.open_page(page, f"{base_url}/demos/sketcher/")
    page.locator("#sketcher-canvas canvas").last.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # the page's load events (accuracies) have answered
    # Today's page opens on an example (a 7) drawn and read; every measure here starts from a blank canvas.
    shown = "() => { const bars = document.querySelector('#cnn-label .bars'); return bars ? bars.dataset.digit : ''; }"
    try:
        page.wait_for_function(f"() => ({shown})() !== ''", timeout=10_000)
    except Exception:  # Playwright's TimeoutError: an older page, which opens blank
        return
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function(f"() => ({shown})() === ''", timeout=60_000)
    # A page that reads in the browser (issue 28) has loaded its runtime once its first result is shown.
    state = "() => { const s = document.querySelector('#sketcher-canvas [data-reader-state]'); return s ? s.dataset.readerState : 'none'; }"
    page.wait_for_function(f"() => ['ready', 'failed', 'none'].includes(({state})())", timeout=60_000)


def pick_brush_if_asked(page) -> None:
    """The old Sketchpad draws only once its Brush tool is picked; the new surface has no such button."""
    brush = page.get_by_role("button", name="Brush", exact=True)
    if brush.count():
        brush.first.click()


def canvas_points(page, stroke, steps: int) -> list[tuple[float, float]]:
    canvas = page.locator("#sketcher-canvas canvas").last
    canvas.scroll_into_view_if_needed()  # on a phone the page is a column, the canvas below the fold
    box = canvas.bounding_box()
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        points += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]


def draw(page, stroke, steps: int = 12, every_ms: float = 0) -> tuple[float, float]:
    """One stroke with the mouse; returns (pen-down, pen-up) in page seconds. `every_ms`: a move is
    due every that many ms from pen-down (a move that is late goes at once, the next is not delayed
    for it), so that the driver's own round trips do not slow the pointer down."""
    points = canvas_points(page, stroke, steps)
    page.mouse.move(*points[0])
    page.mouse.down()
    began = feel_live.page_now(page)
    start = time.perf_counter()
    for i, point in enumerate(points[1:], 1):
        page.mouse.move(*point)
        if every_ms:
            time.sleep(max(0.0, start + i * every_ms / 1000 - time.perf_counter()))
    ended = feel_live.page_now(page)
    page.mouse.up()
    return began, ended


def ready_without_click(page, base_url: str) -> bool:
    """A 7 drawn straight after load (no tool picked) is read within 10 s."""
    open_sketcher(page, base_url)
    draw(page, SEVEN)
    verdict = page.locator("#verdict")
    try:
        page.wait_for_function("el => /reads? an? 7/.test(el.innerText)", arg=verdict.element_handle(), timeout=10_000)
    except Exception:  # Playwright's TimeoutError: nothing was read
        return False
    return True


# Counts readings, not DOM changes: each browser reading is a 'digit-reading' event; each server reading an
# answer to a live event (a completed event on the page's stream, counted by EVENT_COUNTER_JS's joins).
BROWSER_READINGS = """() => {
  window.__browserReadings = [];
  window.__readingMs = [];  // each reading's own time, raster to answer (the event's ms, where the page says it)
  const scope = document.querySelector('.gradio-container');
  window.__pointerMoves = [];
  document.addEventListener('pointermove', () => window.__pointerMoves.push(performance.now()), true);
  scope.addEventListener('digit-reading', e => {
    window.__browserReadings.push(performance.now());
    if (typeof e.detail.ms === 'number') window.__readingMs.push([performance.now(), e.detail.ms]);
  });
}"""


def readings_per_second(page, base_url: str, seconds: float = 3.0) -> tuple[float, int, float | None, float]:
    """Readings a second while one slow stroke (a 7, `seconds` long, a pointer move every ~17 ms) is
    drawn, the requests that reached the server meanwhile (event joins, API calls, uploads), and a
    browser reading's median ms during it (None where the page does not time them), and the pointer
    moves a second the page received (the most readings the pointer allows). A page that
    reads in the browser counts its readings; one that asks the server, the CNN's changes."""
    open_sketcher(page, base_url)
    pick_brush_if_asked(page)
    page.evaluate(READINGS.replace("UNSEEN", repr(UNSEEN)))
    page.evaluate(BROWSER_READINGS)
    sent: list[float] = []
    watch = lambda request: sent.append(time.perf_counter()) if re.search(r"/queue/join|/gradio_api/call/|/upload", request.url) else None  # noqa: E731
    page.on("request", watch)
    steps = 90
    start = time.perf_counter()
    began, ended = draw(page, SEVEN, steps=steps, every_ms=seconds * 1000 / (2 * steps))
    stop = time.perf_counter()
    page.remove_listener("request", watch)
    browser = [t / 1000 for t in page.evaluate("window.__browserReadings")]
    changes = [t / 1000 for t in page.evaluate("window.__readings.times")]
    times = browser or changes
    took = [ms for t, ms in page.evaluate("window.__readingMs") if began <= t / 1000 <= ended]
    rate = sum(began <= t <= ended for t in times) / (ended - began)
    moves = sum(began <= t / 1000 <= ended for t in page.evaluate("window.__pointerMoves")) / (ended - began)
    return rate, sum(start <= t <= stop for t in sent), statistics.median(took) if took else None, moves


def settle_times(page, count: int, only: str | None = None, quiet: float = 1.5, wait: float = 6.0) -> list[float]:
    """Pen-up to the last change of the outputs, in ms, for `count` strokes drawn one after another."""
    page.evaluate(OBSERVER.replace("UNSEEN", repr(UNSEEN)), [OUTPUTS_IGNORED, only])
    found = []
    for i in range(count):
        page.evaluate("window.__outputs.times = []")
        draw(page, STROKES[i % len(STROKES)])
        up = page.evaluate("window.__ups[window.__ups.length - 1]")
        start = time.perf_counter()
        while time.perf_counter() - start < wait:  # poll until quiet for `quiet` seconds after a change
            page.wait_for_timeout(100)
            times = [t for t in page.evaluate("window.__outputs.times") if t >= up]
            if times and feel_live.page_now(page) * 1000 - times[-1] > quiet * 1000:
                break
        times = [t for t in page.evaluate("window.__outputs.times") if t >= up]
        found.append(times[-1] - up if times else float("nan"))
    return found


def pen_up_to_settled(page, base_url: str, strokes: int = 12) -> list[float]:
    open_sketcher(page, base_url)
    pick_brush_if_asked(page)
    draw(page, SEVEN)  # a first drawing, so each measured stroke changes a digit already read
    page.wait_for_timeout(2500)
    return settle_times(page, strokes)


def comparison_settled(page, base_url: str, strokes: int = 6) -> list[float] | None:
    """The same, for the method comparison alone (None where the page has none)."""
    open_sketcher(page, base_url)
    if not page.locator(COMPARISON).count():
        return None
    draw(page, SEVEN)
    page.wait_for_timeout(2500)
    return settle_times(page, strokes, only=COMPARISON)


# ---------- the pictures: PNG files or arrays ----------


def picture_costs(repeats: int = 50) -> list[tuple[str, float, int, float, int]]:
    """Server time (ms, median) and bytes of each sketcher picture sent the old way (gr.Image: a PNG
    written to Gradio's cache, then fetched by the browser) and the new way (a PNG at compression level
    1, base64, in the event's JSON; before issue 28's class figures, the raw RGB bytes, base64). The
    browser's side is in the pen-up figure above."""
    raster = np.full((drawing.SEND_SIDE, drawing.SEND_SIDE), 255, np.uint8)
    raster[30:110, 62:76] = 0  # a 1
    found = reading.read_digit(raster)
    prepared = found.prepared
    overlay = pictures.attribution_overlay(prepared.ink, found.cnn_map)  # the CNN's integrated-gradients map
    cases = [
        ("28x28 view (old: enlarged 224x224)", pictures.seen_image(prepared.image), pictures.seen_image(prepared.image, zoom=1)),
        ("attribution map (140x140 RGB)", overlay, overlay),
    ]
    image = gr.Image(type="numpy", format="png")
    rows = []
    for name, old_picture, new_picture in cases:
        old_times, new_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            path = image.postprocess(old_picture).path
            old_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            value = drawing.picture_value(new_picture)
            new_times.append(time.perf_counter() - start)
        rows.append(
            (name, 1000 * statistics.median(old_times), Path(path).stat().st_size, 1000 * statistics.median(new_times), len(value["png"]))
        )
    return rows


# ---------- both apps ----------


@contextlib.contextmanager
def old_worktree(commit: str):
    """`commit` checked out into a temporary git worktree, removed afterwards."""
    where = Path(tempfile.mkdtemp(prefix="feel-base-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(where), commit], cwd=ROOT, check=True, timeout=120)
    try:
        yield where
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False, timeout=120)


# A phone, as Chrome's DevTools emulates a mid-tier one: a 390 x 844 screen at 3x, touch, and the
# page's CPU slowed 4 times. The server stays as fast as it is: it is not the phone.
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
PHONE_CPU_SLOWDOWN = 4


def fresh_page(browser, phone: bool = False):
    context = browser.new_context(**PHONE) if phone else browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    if phone:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
    return context, page


def measure(browser, url: str, strokes: int, live: bool, phone: bool = False) -> dict:
    figures = {}
    for name, run in [
        ("ready", lambda page: ready_without_click(page, url)),
        ("readings", lambda page: readings_per_second(page, url)),
        ("settled", lambda page: pen_up_to_settled(page, url, strokes)),
        ("comparison", lambda page: comparison_settled(page, url)),
    ]:
        context, page = fresh_page(browser, phone)
        try:
            figures[name] = run(page)
        finally:
            context.close()
    if live:  # bench/feel_live.py: E2's pages, on the same server; one that fails is reported, not fatal
        figures["live"] = {}
        for name in feel_live.MEASURES:
            try:
                figures["live"][name] = f"{feel_live.measure_app(browser, url, [name])[name]:.1f}"
            except Exception as error:  # a timeout on a page that lacks the element, say
                figures["live"][name] = f"failed ({type(error).__name__})"
    return figures


def describe(times: list[float] | None) -> str:
    if not times:
        return "-"
    real = [t for t in times if t == t]
    if not real:
        return "no change"
    missed = f", {len(times) - len(real)} never" if len(real) < len(times) else ""
    return f"{statistics.median(real):.0f} / {max(real):.0f}{missed}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=OLD_COMMIT, help="the commit to compare with (default %(default)s)")
    parser.add_argument("--strokes", type=int, default=len(STROKES), help="strokes timed from pen-up to settled outputs")
    parser.add_argument("--no-live", action="store_true", help="skip bench/feel_live.py's figures")
    parser.add_argument("--only-new", action="store_true", help="measure today's tree only")
    parser.add_argument(
        "--phone",
        action="store_true",
        help=f"as a phone: 390 x 844, touch, the page's CPU slowed {PHONE_CPU_SLOWDOWN}x (Chrome's emulation)",
    )
    args = parser.parse_args(argv)

    results = {}
    with sync_playwright() as playwright, contextlib.ExitStack() as stack:
        trees = [("new", ROOT)] if args.only_new else [(f"old ({args.old})", stack.enter_context(old_worktree(args.old))), ("new", ROOT)]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for label, tree in trees:
            with feel_live.serve(tree) as url:
                results[label + (" phone" if args.phone else "")] = measure(browser, url, args.strokes, not args.no_live, args.phone)
        browser.close()

    labels = list(results)
    rows = [
        ("sketcher ready without a click", lambda r: "yes" if r["ready"] else "no", "yes"),
        ("readings/s during one slow stroke", lambda r: f"{r['readings'][0]:.1f}", ">= 30"),
        ("requests to the server during that stroke", lambda r: str(r["readings"][1]), "<= 2"),
        ("pointer moves/s the page received meanwhile", lambda r: f"{r['readings'][3]:.1f}", "-"),
        ("a browser reading during it, median ms", lambda r: "-" if r["readings"][2] is None else f"{r['readings'][2]:.1f}", "-"),
        (f"pen-up to settled, median / max ms ({args.strokes} strokes)", lambda r: describe(r["settled"]), "<= 150 / 300"),
        ("method comparison settled, median / max ms", lambda r: describe(r["comparison"]), "-"),
    ]
    if not args.no_live:
        rows += [(name, lambda r, n=name: r["live"][n], f">= {goal:g}") for name, (_, goal) in feel_live.MEASURES.items()]
    width = max(len(name) for name, _, _ in rows)
    seen = f"as a phone (390 x 844, touch, CPU slowed {PHONE_CPU_SLOWDOWN}x)" if args.phone else "1280 x 1000"
    print(f"machine: {machine()}, headless chromium, {seen}")
    column = max(16, *(len(label) for label in labels))
    print(f"{'':{width}}  " + "  ".join(f"{label:>{column}}" for label in labels) + "  goal")
    for name, cell, goal in rows:
        print(f"{name:{width}}  " + "  ".join(f"{cell(results[label]):>{column}}" for label in labels) + f"  {goal}")
    print("\npictures, server side: old = gr.Image PNG file (then fetched), new = PNG, base64, in the event's JSON")
    for name, old_ms, old_bytes, new_ms, new_bytes in picture_costs():
        print(f"  {name:<36} old {old_ms:5.2f} ms, {old_bytes:>6,} B file   new {new_ms:5.2f} ms, {new_bytes:>6,} B base64")


if __name__ == "__main__":
    main()

"""How the sketcher's MLP view keeps up with the pen, in headless chromium (issue 30), beside the
page before the view, in the same run.

    python -m bench.sketcher_mlp [--old COMMIT] [--strokes 3]

Two apps, each `python app.py` on a free port, served at once: the last commit before the MLP view
(by default the parent of the commit that added core/digits/mlp_view.py and the MLP's layers to the
browser's reader, checked out into a temporary git worktree, as bench/feel.py does) and today's tree.
On /demos/sketcher/ of each, once the browser's reader is ready, the apps' strokes alternate (old,
new, new, old, ...); each is bench/feel.py's slow 7 (3 s, a pointer move every ~17 ms).
During each stroke it counts, a second: the browser's readings ('digit-reading' events), the CNN's
and the MLP's bars' visible changes (#cnn-label, #mlp-label), and, today, the MLP view's layer
updates (#sketcher-mlp's data-updates) and its first-layer strip's visible changes; and the requests
that reached the server meanwhile; then, after one short stroke more, bench/feel.py's pen-up to
settled outputs (the MLP view among them). It prints each figure's median for both apps and their ratio
(today / before), and today's strip changes over today's MLP bars' changes (the view moves as the
bars do: about 1). Goals: readings >= 30/s, bars and strip >= 8/s (bench/feel.py's), no request
while the pen moves. Prints the machine's load average before and after, as the figures depend on it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import time

from playwright.sync_api import sync_playwright

from bench import feel, feel_live
from bench.timing import machine
from harness.browser import CHROMIUM, FLAGS

# Page times (ms) of each MLP view update and of each visible change of its first-layer strip.
LAYERS = """() => {
  const view = document.querySelector('#sketcher-mlp .mlp');
  const strip = () => [...view.querySelectorAll('.h1 .cell')].map(c => c.style.background).join('|');
  const state = { updates: [], strip: [], last: strip() };
  window.__layers = state;
  new MutationObserver(() => {
    state.updates.push(performance.now());
    const now = strip();
    if (now !== state.last) { state.last = now; state.strip.push(performance.now()); }
  }).observe(view, { attributes: true, attributeFilter: ['data-updates'] });
}"""
# bench/feel.py's count of the CNN bars' visible changes, for the MLP's bars.
MLP_BARS = feel.READINGS.replace("#cnn-label", "#mlp-label").replace("__readings", "__mlpBars").replace("UNSEEN", repr(feel.UNSEEN))
HAS_VIEW = "() => !!document.querySelector('#sketcher-mlp .mlp')"


def before_the_view() -> str:
    """The parent of the MLP view's first commit (the one that added core/digits/mlp_view.py and
    exported the MLP's layers in digit_reader.onnx)."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%h", "--", "core/digits/mlp_view.py"],
        cwd=feel.ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    if not added:
        raise SystemExit("core/digits/mlp_view.py is not committed yet: give --old")
    return f"{added[-1]}^"


def watch_page(page, view: bool) -> None:
    """Install the counters once per page (each keeps the page times of what it counts, filtered per stroke)."""
    page.evaluate(feel.READINGS.replace("UNSEEN", repr(feel.UNSEEN)))
    page.evaluate(MLP_BARS)
    page.evaluate(feel.BROWSER_READINGS)
    if view:
        page.evaluate(LAYERS)


def one_stroke(page, view: bool, seconds: float = 3.0) -> dict[str, float]:
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === ''", timeout=60_000)
    page.wait_for_timeout(500)
    sent: list[float] = []

    def watch(request) -> None:
        if re.search(r"/queue/join|/gradio_api/(call|run)/|/upload", request.url):
            sent.append(time.perf_counter())

    page.on("request", watch)
    steps = 90
    start = time.perf_counter()
    began, ended = feel.draw(page, feel.SEVEN, steps=steps, every_ms=seconds * 1000 / (2 * steps))
    stop = time.perf_counter()
    page.remove_listener("request", watch)

    def rate(times_ms: list[float]) -> float:
        return sum(began <= t / 1000 <= ended for t in times_ms) / (ended - began)

    figures = {
        "readings": rate(page.evaluate("window.__browserReadings")),
        "bars": rate(page.evaluate("window.__readings.times")),
        "mlp_bars": rate(page.evaluate("window.__mlpBars.times")),
        "requests": float(sum(start <= t <= stop for t in sent)),
    }
    if view:
        layers = page.evaluate("window.__layers")
        figures |= {"layers": rate(layers["updates"]), "strip": rate(layers["strip"])}
    page.wait_for_timeout(2500)  # the slow stroke's pen-up has settled
    # bench/feel.py's pen-up to settled outputs, for one short stroke added to the 7 (ms; the MLP view counts).
    figures["settled"] = feel.settle_times(page, 1)[0]
    return figures


def open_app(browser, url: str):
    """A page of the app's sketcher, its reader ready, blank; returns (page, whether it has the MLP view)."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    feel.open_sketcher(page, url)
    state = "() => document.querySelector('#sketcher-canvas [data-reader-state]').dataset.readerState"
    page.wait_for_function(f"() => ({state})() === 'ready'", timeout=120_000)
    view = page.evaluate(HAS_VIEW)
    if view:
        page.wait_for_function("() => document.querySelector('#sketcher-mlp .mlp').dataset.shown !== undefined", timeout=60_000)
    watch_page(page, view)
    return page, view


def median(strokes: list[dict[str, float]], key: str) -> float | None:
    values = [s[key] for s in strokes if key in s and s[key] == s[key]]  # NaN: a pen-up after which nothing changed
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=None, help="the commit to compare with (default: the last one before the MLP view)")
    parser.add_argument("--strokes", type=int, default=3, help="slow strokes measured on each app (medians are printed)")
    args = parser.parse_args(argv)
    old = args.old or before_the_view()
    load_before = os.getloadavg()
    trees = {f"old ({old})": None, "new": feel.ROOT}
    results = {label: [] for label in trees}
    with sync_playwright() as playwright, contextlib.ExitStack() as stack:
        trees[f"old ({old})"] = stack.enter_context(feel.old_worktree(old))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # Both apps served at once, a page each, their strokes alternated (old, new, new, old, ...), so that
        # the machine's load, which other work changes during a run, weighs on both alike.
        pages = {label: open_app(browser, stack.enter_context(feel_live.serve(tree))) for label, tree in trees.items()}
        for label in feel_live.alternated(list(trees), args.strokes):
            page, view = pages[label]
            results[label].append(one_stroke(page, view))
        browser.close()
    load_after = os.getloadavg()
    (old_label, before), (_, today) = results.items()
    print(f"machine: {machine()}, headless chromium; load average (1, 5, 15 min) before {load_before}, after {load_after}")
    print(f"medians of {args.strokes} slow strokes (3 s each) per app; each stroke's figures follow")
    rows = [
        ("browser readings/s during one slow stroke", "readings", ">= 30"),
        ("CNN bars' visible changes/s", "bars", ">= 8"),
        ("MLP bars' visible changes/s", "mlp_bars", ">= 8"),
        ("MLP view: layer updates/s", "layers", "as the readings"),
        ("MLP view: first-layer strip's visible changes/s", "strip", ">= 8"),
        ("requests to the server during the stroke", "requests", "<= 2"),
        ("pen-up to settled, ms (a short stroke after it)", "settled", "<= 150"),
    ]
    show = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    print(f"{'':<48} {old_label:>16} {'new':>8} {'new/old':>8}  goal")
    for name, key, goal in rows:
        a, b = median(before, key), median(today, key)
        ratio = f"{b / a:.2f}" if a and b is not None else "-"
        print(f"{name:<48} {show(a):>16} {show(b):>8} {ratio:>8}  {goal}")
    strip, bars = median(today, "strip"), median(today, "mlp_bars")
    if strip is not None and bars:
        print(f"new: the strip's changes / the MLP bars' changes, medians: {strip / bars:.2f} (goal: about 1)")
    for label, strokes in results.items():
        for s in strokes:
            print(f"  {label}: " + ", ".join(f"{key} {value:.1f}" for key, value in s.items()))


if __name__ == "__main__":
    main()

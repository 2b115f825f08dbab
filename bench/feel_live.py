"""How live the GAN's and the playground's pages feel, in a real browser (headless chromium).

Three figures, each the number of times a second an element visibly changed:
- GAN slider: the moved digit (#gan-moved) while the first latent slider is dragged with the mouse;
- playground: the loss chart (#overfit-loss) during a training run;
- GAN live view: the toy GAN's training picture (#gan-live, or the old page's plot) while it trains.

"Changed" is counted once per animation frame in which anything drawn inside the element differs
from what was last seen: an image's source (once loaded: an image still loading is not seen, so a
swap through an empty state counts once), a canvas's pixels, an SVG's markup, or a `data-frame`
attribute. A Gradio status tracker is not part of what is hashed.

The functions take a Playwright page and a base URL and open the standalone pages
(/demos/gan/, /demos/overfit/), so they work on today's app and on the commit before this work
(dbaf943). `python -m bench.feel_live` serves both with `python app.py` and prints them side by side;
`--figures playground --repeats 3` measures one figure three times, the two apps in turn, and prints medians;
bench/feel.py (the drawing surface's benchmark) imports the same functions.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.browser import CHROMIUM, FLAGS
from harness.serving import served_app

ROOT = Path(__file__).resolve().parent.parent
OLD_COMMIT = "dbaf943"  # the last landed main before the live views
WARM_UP_SECONDS = 180.0  # the longest a server's start-up warm-up is waited for before it is measured

# Installs window.__feel[name]: the page times (ms) of each animation frame in which the element's
# drawing changed. Hashes are cheap (a canvas: its pixels as 32-bit words; an image: its source).
SAMPLER = """([name, selector]) => {
  const hashText = (h, text) => { for (let i = 0; i < text.length; i += Math.max(1, text.length >> 12)) h = (h * 31 + text.charCodeAt(i)) | 0; return (h * 31 + text.length) | 0; };
  const signature = (root) => {
    let h = 7;
    for (const e of root.querySelectorAll('[data-frame]')) h = hashText(h, e.dataset.frame);
    const images = root.querySelectorAll('img');
    if ([...images].some(img => !img.complete || !img.naturalWidth)) return null;  // still loading: not seen yet
    for (const img of images) h = hashText(h, img.getAttribute('src') || '');
    for (const svg of root.querySelectorAll('svg')) if (!svg.closest('[data-testid="status-tracker"]')) h = hashText(h, svg.innerHTML);
    for (const canvas of root.querySelectorAll('canvas')) {
      if (!canvas.width || !canvas.height) continue;
      const words = new Uint32Array(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data.buffer);
      for (let i = 0; i < words.length; i++) h = (h * 31 + words[i]) | 0;
    }
    return h;
  };
  const state = { times: [], last: null, stop: false };
  (window.__feel = window.__feel || {})[name] = state;
  const tick = () => {
    const root = document.querySelector(selector);
    const now = root ? signature(root) : null;
    if (now !== null) {
      if (state.last !== null && now !== state.last) state.times.push(performance.now());
      state.last = now;
    }
    if (!state.stop) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def watch(page, name: str, selector: str) -> None:
    page.evaluate(SAMPLER, [name, selector])


def change_times(page, name: str) -> list[float]:
    """Seconds (page clock) at which the watched element changed, and stop watching."""
    return [t / 1000 for t in page.evaluate("name => { const s = window.__feel[name]; s.stop = true; return s.times; }", name)]


def page_now(page) -> float:
    return page.evaluate("performance.now()") / 1000


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".gradio-container", timeout=90_000)


def _drag(page, left: float, width: float, y: float, seconds: float) -> None:
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:  # a full sweep each 1.5 s, as a hand would
        phase = (elapsed / 1.5) % 1.0
        page.mouse.move(left + width * (phase * 2 if phase < 0.5 else 2 - phase * 2), y)
        page.wait_for_timeout(15)


def gan_slider_rate(page, base_url: str, seconds: float = 3.0) -> float:
    """Images a second in #gan-moved while the first latent slider is dragged to and fro for `seconds`
    (after a 1 s drag that is not counted: the first moves of a fresh page warm the server up)."""
    open_page(page, f"{base_url}/demos/gan/")
    page.get_by_role("tab", name="Latent space").click()
    shown = "() => { const r = document.querySelector('#gan-moved'); return r && (r.querySelector('img[src]') || r.querySelector('[data-frame]:not([data-frame=\"\"])')); }"
    page.wait_for_function(shown, timeout=60_000)  # the opening walk has drawn seed A's digit
    page.wait_for_function("() => [...document.querySelectorAll('#gan-walk img')].some(i => i.complete && i.naturalWidth)", timeout=60_000)
    page.wait_for_timeout(300)  # the strip above the sliders has laid out: they no longer move
    slider = page.locator("#gan-direction-1 input[type=range]")
    box = slider.bounding_box()
    y, left, width = box["y"] + box["height"] / 2, box["x"] + 4, box["width"] - 8
    page.mouse.move(left + width / 2, y)
    page.mouse.down()
    watch(page, "warm", "#gan-moved")
    _drag(page, left, width, y, 1.0)
    page.wait_for_function("() => window.__feel.warm.times.length > 0", timeout=60_000)  # the server answers drags
    change_times(page, "warm")
    watch(page, "slider", "#gan-moved")
    began = page_now(page)
    _drag(page, left, width, y, seconds)
    ended = page_now(page)
    page.mouse.up()
    page.wait_for_timeout(300)  # the last answer may still be on its way: counted only inside the drag
    times = change_times(page, "slider")
    return sum(began <= t <= ended for t in times) / (ended - began)


def overfit_chart_rate(page, base_url: str, epochs: int = 1000) -> float:
    """Loss-chart updates a second during a playground run (moons, `epochs` epochs)."""
    open_page(page, f"{base_url}/demos/overfit/?epochs={epochs}")
    page.wait_for_function("() => window.location.search.includes('epochs') && document.querySelector('#overfit-loss')", timeout=30_000)
    page.wait_for_timeout(1000)  # the URL's settings are restored after load
    watch(page, "loss", "#overfit-loss")
    page.locator("#overfit-train").click()
    summary = page.locator("#overfit-summary")
    page.wait_for_function(f"el => /Epoch \\d+\\/{epochs}/.test(el.innerText)", arg=summary.element_handle(), timeout=60_000)
    page.wait_for_function(
        f"el => /Epoch {epochs}\\/{epochs}|Stopped/.test(el.innerText) && !el.querySelector('.generating')",
        arg=summary.element_handle(),
        timeout=120_000,
    )
    page.wait_for_timeout(500)
    times = change_times(page, "loss")
    if len(times) < 2:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def _mark_old_live_view(page) -> str:
    """The element to watch: #gan-live, or on the old page the Plot block under its label."""
    return page.evaluate(
        """() => {
          if (document.querySelector('#gan-live')) return '#gan-live';
          const label = [...document.querySelectorAll('[data-testid="block-label"], label, span')]
            .find(e => e.textContent.trim().startsWith("Points over D's decision surface"));
          label.closest('.block').id = 'feel-gan-live';
          return '#feel-gan-live';
        }"""
    )


def gan_live_rate(page, base_url: str, seconds: float = 4.0) -> float:
    """Frames a second of the GAN's live training view over `seconds` from its first frame, then Stop."""
    open_page(page, f"{base_url}/demos/gan/")
    page.get_by_role("tab", name="Watch it learn").click()
    page.locator("#gan-train").wait_for(timeout=30_000)
    selector = _mark_old_live_view(page)
    watch(page, "live", selector)
    page.locator("#gan-train").click()
    page.wait_for_function("() => window.__feel.live.times.length > 0", timeout=60_000)
    first = page.evaluate("() => window.__feel.live.times[0]") / 1000
    page.wait_for_timeout(seconds * 1000)
    times = change_times(page, "live")
    page.locator("#gan-stop").click()
    return sum(first <= t < first + seconds for t in times) / seconds


MEASURES = {
    "GAN slider, images/s while dragging": (gan_slider_rate, 15.0),
    "playground, loss-chart updates/s": (overfit_chart_rate, 10.0),
    "GAN live view, frames/s while training": (gan_live_rate, 10.0),
}


# ---------- serving today's tree and the old commit ----------


def old_tree(commit: str = OLD_COMMIT) -> Path:
    """The files of `commit` (git archive, no worktree), unpacked once into the temp folder."""
    resolve = ["git", "rev-parse", "--short", f"{commit}^{{commit}}"]  # a name such as HEAD moves: the folder is named by hash
    commit = subprocess.run(resolve, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    where = Path(tempfile.gettempdir()) / f"feel_live_{commit}"
    if not (where / "app.py").exists():
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True, timeout=120).stdout
        where.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(where, filter="data")
    return where


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process `pid` has used so far (Linux: /proc/PID/stat's utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # after the name: field 3 onwards
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warmed_up(pid: int, share: float = 0.2, window: float = 2.0, timeout: float = WARM_UP_SECONDS) -> bool:
    """Wait until the server uses less than `share` of a core over `window` seconds: app.py warms its
    models up in the background after its first HTTP 200, and an app measured meanwhile shares the
    cores with the other's warm-up. False if it is still busy after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        used = cpu_seconds(pid)
        time.sleep(window)  # the window the CPU share is measured over
        if (cpu_seconds(pid) - used) / window < share:
            return True
    return False


@contextlib.contextmanager
def serve(tree: Path):
    """`python app.py` in `tree` on a free port, once its start-up warm-up is over; yields its base URL."""
    data = os.environ.get("GALLERY_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    with served_app(cwd=tree, env={"GALLERY_DATA_DIR": data}) as app:
        if not warmed_up(app.pid):
            print(f"note: {tree} was still busy {WARM_UP_SECONDS:g} s after it started: measured anyway")
        yield app.url


def measure_app(browser, url: str, names: list[str]) -> dict[str, float]:
    figures = {}
    for name in names:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            figures[name] = MEASURES[name][0](context.new_page(), url)
        finally:
            context.close()
    return figures


def alternated(labels: list[str], repeats: int) -> list[str]:
    """The order the apps are measured in: each round reverses the last (old, new, new, old, ...), so that a
    load that rises or falls during the run weighs on every app alike."""
    return [label for r in range(repeats) for label in (labels if r % 2 == 0 else labels[::-1])]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=OLD_COMMIT, help="the commit to compare with (default %(default)s)")
    parser.add_argument("--new", help="measure this commit's files instead of the working tree (which may hold edits in progress)")
    parser.add_argument("--only-new", action="store_true", help="measure today's tree only")
    parser.add_argument("--figures", default="", help="only the figures whose name holds this text (e.g. playground)")
    parser.add_argument("--repeats", type=int, default=1, help="measure each figure this many times, the apps in turn; prints the median")
    args = parser.parse_args(argv)

    names = [name for name in MEASURES if args.figures in name]
    new = old_tree(args.new) if args.new else ROOT
    trees = {"new": new} if args.only_new else {f"old ({args.old})": old_tree(args.old), "new": new}
    runs = {label: {name: [] for name in names} for label in trees}
    with sync_playwright() as playwright, contextlib.ExitStack() as servers:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        urls = {label: servers.enter_context(serve(tree)) for label, tree in trees.items()}  # all served at once, measured in turn
        for label in alternated(list(trees), args.repeats):
            for name, figure in measure_app(browser, urls[label], names).items():
                runs[label][name].append(figure)
        browser.close()
    width = max(map(len, names))
    print(f"{'':{width}}  " + "  ".join(f"{label:>14}" for label in runs) + "    goal")
    for name in names:
        cells = "  ".join(f"{statistics.median(runs[label][name]):>14.1f}" for label in runs)
        print(f"{name:{width}}  {cells}    >= {MEASURES[name][1]:g}")
    if args.repeats > 1:
        print(f"each a median of {args.repeats}, measured in this order: {', '.join(alternated(list(runs), args.repeats))}")
        for name in names:
            print(f"{name}: " + "; ".join(f"{label} " + ", ".join(f"{v:.1f}" for v in runs[label][name]) for label in runs))


if __name__ == "__main__":
    main()

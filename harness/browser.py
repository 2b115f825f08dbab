"""Gradio pages in Debian's chromium, driven by Playwright (never `playwright install`).

Nothing here imports Playwright or gradio: the functions take the page they are given, and
gradio's version and folder are read from its installed metadata.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}

GRADIO_VERSION = importlib.metadata.version("gradio")
FRONTEND = Path(importlib.util.find_spec("gradio").submodule_search_locations[0]) / "templates" / "frontend"
CDN_HOST = "https://gradio.s3-us-west-2.amazonaws.com/"
CDN = f"{CDN_HOST}{GRADIO_VERSION}/"  # where the README's web component loads gradio.js from


def serve_cdn_from_package(route) -> None:
    """Offline stand-in for Gradio's CDN (a Playwright route handler for CDN_HOST + "**"): the same
    files ship in the gradio package."""
    path = route.request.url[len(CDN_HOST) :].split("?")[0]
    if path.startswith(GRADIO_VERSION + "/"):
        path = path[len(GRADIO_VERSION) + 1 :]
    route.fulfill(path=str(FRONTEND / path))


# Which of a page's events are still running, read from the page itself. Gradio's client joins each event
# (POST queue/join, answered with its event_id) and reads every result from one event stream per page
# (GET queue/data), which the server closes once nothing it knows of is pending. The stream cannot
# tell a test that the page is done: when an event's join is answered after the stream has already
# delivered that event's result and closed (a fast event on a busy machine), Gradio's client opens a
# fresh stream for it, which then waits, idle, for the page's next event. Harmless to a visitor (the
# next event uses it), but a page that keeps it open never looks finished by its open requests. So
# this script counts events: joined, and not yet seen completed on any stream. Add it to a context
# with `context.add_init_script(EVENT_COUNTER_JS)` (tests/conftest.py's pages have it).
EVENT_COUNTER_JS = """(() => {
    if (window.__gradioEvents) return;
    const joined = new Set(), completed = new Set();
    window.__gradioEvents = {joined: () => joined.size, pending: () => [...joined].filter(id => !completed.has(id)).length};
    const read = async (response) => {
        const reader = response.body.getReader(), decoder = new TextDecoder();
        let buffer = "";
        try {
            for (;;) {
                const {value, done} = await reader.read();
                if (done) return;
                buffer += decoder.decode(value, {stream: true});
                const messages = buffer.split("\\n\\n");
                buffer = messages.pop();
                for (const line of messages.join("\\n").split("\\n")) {
                    if (!line.startsWith("data:")) continue;
                    try {
                        const message = JSON.parse(line.slice(5));
                        if (message.msg === "process_completed" && message.event_id) completed.add(message.event_id);
                    } catch (error) {}
                }
            }
        } catch (error) {}  // the page closed the stream
    };
    const fetched = window.fetch;
    window.fetch = async function (...args) {
        const response = await fetched.apply(this, args);
        const url = String(args[0] instanceof Request ? args[0].url : args[0]);
        if (url.includes("/queue/join")) {
            response.clone().json().then(body => body && body.event_id && joined.add(body.event_id), () => {});
        } else if (url.includes("/queue/data") && response.body) {
            read(response.clone());
        }
        return response;
    };
})()"""

PENDING_EVENTS_JS = "() => window.__gradioEvents ? window.__gradioEvents.pending() : null"


def open_gradio(page, url: str, timeout: float = 90.0) -> None:
    """Go to a Gradio page and wait until it has rendered and it is quiet for half a second: every
    request it made has answered and every event it started has finished.

    Not Playwright's "networkidle": Gradio keeps a heartbeat stream open for as long as the page lives,
    and sometimes an idle event stream too (EVENT_COUNTER_JS).
    """

    def go() -> None:
        page.goto(url)
        page.wait_for_selector(".gradio-container", timeout=timeout * 1000)

    settle(page, go, timeout)


def settle(page, action, timeout: float = 90.0) -> None:
    """Do `action()`, then wait until `page` has been quiet for half a second (see `open_gradio`);
    TimeoutError, naming what it still waits on, after `timeout` seconds."""
    requests: set = set()

    def on_request(request) -> None:
        if "/heartbeat/" not in request.url:
            requests.add(request)

    def on_end(request) -> None:
        requests.discard(request)

    page.on("request", on_request)
    page.on("requestfinished", on_end)
    page.on("requestfailed", on_end)
    try:
        action()
        deadline, quiet_since, waiting_on = time.monotonic() + timeout, None, []
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            events = page.evaluate(PENDING_EVENTS_JS)
            # Where the page has no event counter, its event stream counts as a request like any other.
            waiting_on = [r.url for r in requests if events is None or "/queue/data" not in r.url]
            waiting_on += [f"{events} unfinished events"] if events else []
            quiet_since = (quiet_since or time.monotonic()) if not waiting_on else None
            if quiet_since and time.monotonic() - quiet_since > 0.5:
                return
        raise TimeoutError(f"{page.url}: still waiting after {timeout}s on {waiting_on}")
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("requestfinished", on_end)
        page.remove_listener("requestfailed", on_end)


def wait_until_streaming_ends(page, output, timeout: float = 30.0) -> None:
    """Wait until Gradio no longer marks `output` (a locator for one of an event's outputs) as
    streaming: the event has finished or was cancelled, so no further update will reach it."""
    page.wait_for_function("el => !el.querySelector('.generating')", arg=output.element_handle(), timeout=timeout * 1000)


def draw(page, canvas, strokes) -> None:
    """Draw polylines, given in fractions of the canvas box, with the mouse."""
    box = canvas.bounding_box()
    for stroke in strokes:
        points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=12)
        page.mouse.up()


SEVEN = [[(0.25, 0.22), (0.75, 0.22), (0.45, 0.82)]]  # one stroke: the bar, then the diagonal

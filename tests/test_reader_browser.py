"""The browser's digit reader in chromium: onnxruntime-web reads what the server reads, and the
sketcher reads a stroke in the browser with no request to the server until pen-up, alone, in the
gallery, in an iframe on another origin and in the <gradio-app> web component."""

from __future__ import annotations

import base64
import http.server
import io
import re
import threading
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from core.data import mnist_tensors
from core.digits import reading
from core.digits.synthetic import random_style, render
from harness.browser import CDN, open_gradio, settle

pytestmark = pytest.mark.browser

READY = 30_000  # ms for the runtime (3.8 MB) and the models (1.5 MB) to load on a busy machine


def canvas_pictures(count: int, seed: int) -> list[str]:
    """MNIST test digits drawn as the surface's 280-pixel canvas in every style: PNG data URLs."""
    images, _ = mnist_tensors(False)
    rng = np.random.default_rng(seed)
    pictures = []
    for i in range(count):
        style = random_style(rng)
        style = replace(style, canvas=280, stroke=style.stroke * 280 // style.canvas)
        drawn = render(images[i].numpy(), style).convert("RGBA")
        on_paper = Image.alpha_composite(Image.new("RGBA", drawn.size, "white"), drawn)
        buffer = io.BytesIO()
        on_paper.convert("RGB").save(buffer, "PNG")
        pictures.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return pictures


# In the page: each picture drawn on a 280-pixel canvas and shrunk to the surface's raster as the
# surface does (drawImage, the browser's own averaging), then read by reader.mjs from the app.
READ_PICTURES_JS = """async ([folder, pictures]) => {
    const base = new URL(folder, document.baseURI).href;
    const { openReader } = await import(base + 'reader.mjs');
    const reader = await openReader(base);
    const big = document.createElement('canvas'), small = document.createElement('canvas');
    big.width = big.height = 280; small.width = small.height = 140;
    const bigCtx = big.getContext('2d'), smallCtx = small.getContext('2d', { willReadFrequently: true });
    const out = [];
    for (const url of pictures) {
        const image = new Image();
        image.src = url;
        await image.decode();
        bigCtx.drawImage(image, 0, 0);
        smallCtx.drawImage(big, 0, 0, 140, 140);
        const rgba = smallCtx.getImageData(0, 0, 140, 140).data;
        const raster = new Uint8Array(140 * 140);
        for (let i = 0; i < raster.length; i++) raster[i] = rgba[4 * i];
        const reading = await reader.read(raster);
        let text = '';
        for (const v of raster) text += String.fromCharCode(v);
        out.push({ raster: btoa(text), ...reading });
    }
    return out;
}"""


def test_the_browser_reads_200_canvas_digits_as_the_server_does(page, app_url):
    open_gradio(page, f"{app_url}/demos/sketcher/")
    folder = page.locator("#sketcher-canvas canvas").get_attribute("data-reader")
    readings = page.evaluate(READ_PICTURES_JS, [folder, canvas_pictures(200, seed=4)])
    assert len(readings) == 200
    for browser in readings:
        raster = np.frombuffer(base64.b64decode(browser["raster"]), np.uint8).reshape(140, 140)
        prepared = reading.prepared(raster)  # the server's reading of the same raster
        assert browser["found"] == (prepared is not None)
        cnn, mlp = reading.read_probabilities(prepared)
        np.testing.assert_allclose(browser["cnn"], cnn, atol=1e-3)
        np.testing.assert_allclose(browser["mlp"], mlp, atol=1e-3)
        assert np.argmax(browser["cnn"]) == cnn.argmax() and np.argmax(browser["mlp"]) == mlp.argmax()


def stroke_is_read_in_the_browser(page, surface, bars) -> None:
    """Draw a 7: the bars follow it while no request leaves the page, then the server answers pen-up."""
    expect(surface).to_have_attribute("data-reader-state", "ready", timeout=READY)
    # The runtime reads in a worker of its own (ONNX Runtime Web's proxy), not on the page's thread.
    assert any("ort.wasm.bundle" in worker.url for worker in page.workers), [worker.url for worker in page.workers]
    sent = []
    page.on("request", lambda request: sent.append((request.url, request.post_data)) if "/queue/join" in request.url else None)
    canvas = surface.locator("canvas")
    box = canvas.bounding_box()
    before = int(surface.get_attribute("data-readings") or 0)
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.22 * box["height"])
    page.mouse.down()
    for x, y in ((0.75, 0.22), (0.45, 0.82)):
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=15)
    expect(bars).to_have_attribute("data-digit", "7", timeout=10_000)  # read before pen-up
    assert int(surface.get_attribute("data-readings")) > before
    assert sent == [], f"requests while the pen moved: {sent}"
    page.mouse.up()
    expect(page.locator("#verdict")).to_contain_text("7", timeout=20_000)  # the server's answer to pen-up
    # and, in the same event, the method comparison on the digit: one request for the whole pen-up
    expect(page.locator("#compare-right-map canvas")).not_to_have_class(re.compile(r"\bempty\b"), timeout=20_000)
    assert len(sent) == 1, f"requests on pen-up: {sent}"


def test_the_sketcher_reads_while_drawing_in_the_browser_and_asks_the_server_on_pen_up(page, app_url):
    open_gradio(page, f"{app_url}/demos/sketcher/")
    settle(page, page.get_by_role("button", name="Clear").first.click)  # the opening 7 cleared, and its events over
    stroke_is_read_in_the_browser(page, page.locator("#sketcher-canvas [data-reader-state]"), page.locator("#cnn-label .bars"))


@pytest.fixture
def blog_post():
    """A page of its own on another origin (localhost, another port) that embeds what it is given."""
    pages: dict[str, bytes] = {}

    class Blog(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("localhost", 0), Blog)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def publish(html: str) -> str:
        pages["/post.html"] = html.encode()
        return f"http://localhost:{server.server_address[1]}/post.html"

    yield publish
    server.shutdown()


def test_the_sketcher_reads_in_the_browser_in_an_iframe_and_a_web_component_on_another_origin(page, app_url, blog_post):
    post = blog_post(
        f'<script type="module" src="{CDN}gradio.js"></script>'
        f'<iframe id="frame" src="{app_url}/demos/sketcher/" width="1100" height="900"></iframe>'
        f'<gradio-app src="{app_url}/demos/sketcher/"></gradio-app>'
    )
    page.goto(post)
    frame = page.frame_locator("#frame")
    for surface in (frame.locator("#sketcher-canvas [data-reader-state]"), page.locator("gradio-app #sketcher-canvas [data-reader-state]")):
        expect(surface).to_have_attribute("data-reader-state", "ready", timeout=READY * 2)


def test_where_wasm_cannot_run_the_server_reads_while_the_pen_moves(page, app_url):
    page.add_init_script("delete window.WebAssembly")  # a browser that cannot run WASM
    open_gradio(page, f"{app_url}/demos/sketcher/")
    settle(page, page.get_by_role("button", name="Clear").first.click)
    surface = page.locator("#sketcher-canvas [data-reader-state]")
    joins = []
    page.on("request", lambda request: joins.append(request.url) if "/queue/join" in request.url else None)
    box = surface.locator("canvas").bounding_box()
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.22 * box["height"])
    page.mouse.down()
    for x, y in ((0.75, 0.22), (0.45, 0.82)):
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=15)
    expect(page.locator("#cnn-label .bars")).to_have_attribute("data-digit", "7", timeout=20_000)  # the server's live reading
    assert surface.get_attribute("data-reader-state") == "failed" and joins
    page.mouse.up()

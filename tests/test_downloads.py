"""Every chart and map downloads (issue 30): PNG, and SVG where the chart has a vector form.

How each kind downloads:
- gradio: a picture the server makes (gr.Image, gr.Gallery) keeps Gradio's own download button, which saves the
  file the server made (demos/png.py: PNG; the augmentation gallery's photos JPEG). A map of pixels has no
  vector form.
- export+svg: the playground's learning-rate gr.LinePlot: Gradio's export (PNG) and an SVG button in its toolbar
  (demos/live.py's line_plot_svg: the plot's data drawn by the live charts' lineChart, in the browser).
- label: a gr.Label's confidences, drawn as bars in the browser (demos/live.py's label_chart, assets/live/label.js),
  from PNG and SVG buttons in its toolbar. Gradio's Label has no download of its own.
- toolbar: a chart or map drawn in the page (gr.HTML) has a toolbar (demos/live.py's export_tools, assets/live/
  export.js): PNG from its canvas or its drawing, SVG from the chart's own drawing code. `file` is the name saved.
- buttons: the sentiment learning curve (a matplotlib gr.Plot) is saved as PNG and SVG on the server
  (core.sentiment.curve.figure_bytes) and offered by two gr.DownloadButtons, `file`-png and `file`-svg.
- input: a canvas a visitor draws on, or an upload box: not a chart (an upload box keeps its download too).

The inventory: every chart, map and picture on the six pages (a component by its elem_id, else its label).
test_every_chart_and_map_is_listed_with_its_download reads this table: a chart added to a page and not listed
here with a working download fails it, as does a row whose component has gone.

    page       component                                      kinds      how          file
    sketcher   sketcher-canvas                                -          input        -
    sketcher   Photo of a handwritten digit                   -          input        -
    sketcher   cnn-label                                      png svg    toolbar      cnn-label
    sketcher   mlp-label                                      png svg    toolbar      mlp-label
    sketcher   sketcher-mlp                                   png        toolbar      sketcher-mlp-weights
    sketcher   sketcher-mlp                                   png        toolbar      sketcher-mlp-product
    sketcher   sketcher-seen                                  png        toolbar      sketcher-seen
    sketcher   sketcher-cnn-map                               png        toolbar      sketcher-cnn-map
    sketcher   sketcher-mlp-map                               png        toolbar      sketcher-mlp-map
    sketcher   compare-left-map                               png        toolbar      compare-left-map
    sketcher   compare-right-map                              png        toolbar      compare-right-map
    augment    Photo                                          -          input        -
    augment    augment-canvas                                 -          input        -
    augment    augment-result                                 jpeg       gradio       -
    filters    filters-canvas                                 -          input        -
    filters    Image                                          -          input        -
    filters    filters-maps                                   png        gradio       -
    filters    filters-large                                  png        gradio       -
    filters    Learned kernels of the layer                   png        gradio       -
    filters    filters-excited                                png        gradio       -
    filters    Where the evidence is                          png        gradio       -
    filters    The grid the kernel slides over | the output   png        gradio       -
    filters    filters-prediction                             png svg    label        filters-prediction
    overfit    overfit-points-canvas                          png svg    toolbar      overfit-points-canvas
    overfit    overfit-loss                                   png svg    toolbar      overfit-loss
    overfit    overfit-accuracy                               png svg    toolbar      overfit-accuracy
    overfit    overfit-lr                                     png svg    export+svg   overfit-lr
    overfit    overfit-picture                                png        gradio       -
    overfit    overfit-network                                png svg    toolbar      overfit-network
    sentiment  scratch-label                                  png svg    label        sentiment-scratch
    sentiment  transfer-label                                 png svg    label        sentiment-transfer
    sentiment  sentiment-curve                                png svg    buttons      sentiment-curve
    gan        gan-result                                     png        gradio       -
    gan        gan-walk                                       png        gradio       -
    gan        gan-moved                                      png        toolbar      gan-moved
    gan        gan-class-walk-frames                          png        gradio       -
    gan        gan-target                                     -          input        -
    gan        gan-live                                       png        toolbar      gan-live-points
    gan        gan-live                                       png svg    toolbar      gan-live-losses
    gan        Fixed-noise samples during training            png        gradio       -

The overfit network's SVG holds its links as paths and each neuron's map as an embedded PNG (<image>); the map
shown large on hover is one of those. Gradio's Label has no download of its own, hence `label`.

The browser tests click each kind of download and read the file: a PNG decodes (Pillow) to the chart's size
and is not blank; an SVG parses and holds the chart's marks (a curve's path has a vertex per epoch drawn, a
bar per digit or class, a circle per point, a path per link of the network).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from core.sentiment import curve
from demos import DEMOS
from harness.browser import SEVEN, draw, open_gradio, wait_until_streaming_ends

SVG = "{http://www.w3.org/2000/svg}"
POINTS_CSV = "x,y,label\n-1,1,0\n-0.5,0.5,0\n0,-1,0\n1,-1,1\n0.5,0.2,1\n1,1,1\n"


# ---------- unit: the inventory, and what the server makes ----------


def inventory() -> dict[str, list[dict]]:
    """The docstring's table: {page: [{component, kinds, how, file}]}."""
    pages = {demo.slug: [] for demo in DEMOS}
    for line in __doc__.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 5 and cells[0] in pages:
            page, component, kinds, how, file = cells
            pages[page].append({"component": component, "kinds": kinds.split() if kinds != "-" else [], "how": how, "file": file})
    return pages


# The config's type of every picture-like component (gr.LinePlot, BarPlot and ScatterPlot are all "nativeplot").
PICTURES = {"image", "gallery", "plot", "nativeplot", "label", "annotatedimage", "imageslider", "imageeditor", "model3d", "video"}


def charts_on(config: dict) -> dict[str, list[dict]]:
    """Every component of a page's config that shows a picture, chart or map: {elem_id, else label: [its configs]}."""
    found = {}
    for component in config["components"]:
        props, template = component["props"], component["props"].get("html_template") or ""
        if component["type"] in PICTURES or any(mark in template for mark in ("<canvas", "<svg", "data-export")):
            found.setdefault(props.get("elem_id") or str(props.get("label")), []).append(component)
    return found


def js_clicks(config: dict) -> dict[int, str]:
    """{a button's id: the JavaScript its click runs} (the toolbar buttons of a gr.LinePlot or a gr.Label)."""
    return {target: event["js"] for event in config["dependencies"] for target, name in event["targets"] if name == "click" and event["js"]}


def check_download(config: dict, component: dict, row: dict) -> None:
    """The component (its config) downloads as its row says (see the module's docstring)."""
    props, how, kinds, file = component["props"], row["how"], row["kinds"], row["file"]
    if how == "input":
        return
    if how == "gradio":
        assert component["type"] in ("image", "gallery") and "download" in props["buttons"]  # the file the server made
    elif how in ("export+svg", "label"):
        clicks, buttons = js_clicks(config), [b for b in props["buttons"] if isinstance(b, dict)]  # custom gr.Buttons
        if how == "export+svg":
            assert "export" in props["buttons"] and [b["value"] for b in buttons] == ["SVG"]
            assert f'"{file}.svg"' in clicks[buttons[0]["id"]]
        else:
            assert [b["value"] for b in buttons] == ["PNG", "SVG"]
            for button, kind in zip(buttons, ("png", "svg")):
                assert f'"{kind}", "{file}"' in clicks[button["id"]]
    elif how == "toolbar":
        template = props["html_template"]
        offered = re.findall(r'<button[^>]*data-export="(\w+)"[^>]*data-file="([^"]+)"[^>]*aria-label="Download [^"]+ as (\w+)"', template)
        assert sorted(kind for kind, name, _ in offered if name == file) == kinds
        assert all(kind == words.lower() for kind, _, words in offered)
        assert "function exportChart" in props["js_on_load"]  # export.js answers the buttons
    elif how == "buttons":
        ids = {c["props"].get("elem_id") for c in config["components"] if c["type"] == "downloadbutton"}
        assert {f"{file}-{kind}" for kind in kinds} <= ids
    else:
        raise AssertionError(f"unknown way to download: {how}")


@pytest.mark.unit
@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.slug)
def test_every_chart_and_map_is_listed_with_its_download(demo):
    config, rows = demo.load().build().get_config_file(), inventory()[demo.slug]
    charts, listed = charts_on(config), {row["component"] for row in rows}
    assert sorted(set(charts) - listed) == [], f"{demo.slug}: charts or maps not in the inventory (add each with its download)"
    assert sorted(listed - set(charts)) == [], f"{demo.slug}: rows of the inventory whose component is not on the page"
    for row in rows:
        for component in charts[row["component"]]:
            check_download(config, component, row)


@pytest.mark.unit
def test_the_inventory_lists_every_page():
    assert all(inventory().values())


def curve_results() -> dict:
    return {
        "test_set": "a test set",
        "points": [{"model": m, "labels": n, "accuracy": a} for m, base in (("scratch", 0.6), ("transfer", 0.8)) for n, a in
                   ((100, base), (1000, base + 0.05), (10000, base + 0.1))],
    }  # fmt: skip


def curves_in(svg: bytes) -> dict[str, int]:
    """The SVG's curves ({model: vertices of its line}), found by the gid each curve is drawn with."""
    root = ET.fromstring(svg)
    found = {}
    for group in root.iter(SVG + "g"):
        name = group.get("id", "")
        if name.startswith("curve-"):
            line = next(group.iter(SVG + "path"))
            found[name.removeprefix("curve-")] = len(re.findall(r"[ML]", line.get("d")))
    return found


@pytest.mark.unit
def test_the_learning_curve_saves_as_an_svg_with_both_curves():
    figure = curve.curve_figure(curve_results())
    svg = curve.figure_bytes(figure, "svg")
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert curves_in(svg) == {"scratch": 3, "transfer": 3}  # a line per model, a vertex per measured point
    assert curve.figure_bytes(figure, "svg") == svg  # the same figure, the same file


@pytest.mark.unit
def test_the_learning_curve_saves_as_a_png_of_the_figure_size():
    figure = curve.curve_figure(curve_results())
    picture = Image.open(io.BytesIO(curve.figure_bytes(figure, "png")))
    assert picture.format == "PNG"
    assert picture.size == (640, 380)  # figsize (6.4, 3.8) at 100 dpi
    assert len(np.unique(np.asarray(picture.convert("L")))) > 10  # lines, text and axes, not a blank page


@pytest.mark.unit
def test_a_figure_is_saved_only_as_png_or_svg():
    with pytest.raises(ValueError, match="png or svg"):
        curve.figure_bytes(curve.curve_figure(None), "pdf")


# ---------- browser: click each download and read the file ----------


def download(page, button) -> bytes:
    """Click a download button; the file's name and bytes."""
    with page.expect_download(timeout=30_000) as info:
        button.click()
    saved = info.value
    return saved.suggested_filename, open(saved.path(), "rb").read()


def png_of(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    picture.load()
    return picture


def not_blank(picture: Image.Image) -> bool:
    pixels = np.asarray(picture.convert("RGBA")).reshape(-1, 4)
    return len(np.unique(pixels, axis=0)) > 1


def canvas_size(locator) -> tuple[int, int]:
    return tuple(locator.evaluate("c => [c.width, c.height]"))


def export_button(page, root: str, kind: str, chart: str = "canvas"):
    return page.locator(f'{root} button[data-export="{kind}"][data-chart="{chart}"]')


def check_png(page, root: str, name: str, chart: str = "canvas") -> Image.Image:
    """The toolbar's PNG: named `name`.png, the canvas's own size, not blank."""
    filename, data = download(page, export_button(page, root, "png", chart))
    assert filename == f"{name}.png"
    picture = png_of(data)
    canvas = page.locator(f"{root} {chart}").first
    if canvas.evaluate("node => node instanceof HTMLCanvasElement"):
        assert picture.size == canvas_size(canvas)
    assert not_blank(picture), f"{filename} is blank"
    return picture


def check_svg(page, root: str, name: str, chart: str = "canvas") -> ET.Element:
    filename, data = download(page, export_button(page, root, "svg", chart))
    assert filename == f"{name}.svg"
    svg = ET.fromstring(data)
    assert svg.tag == SVG + "svg"
    return svg


def paths(svg: ET.Element, stroke: str | None = None) -> list[ET.Element]:
    return [p for p in svg.iter(SVG + "path") if stroke is None or p.get("stroke") == stroke]


def vertices(path: ET.Element) -> int:
    return len(re.findall(r"[ML]", path.get("d")))


@pytest.mark.browser
def test_playground_charts_download_as_png_and_svg(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/?epochs=60&seed=3")
    page.locator("#overfit-train").click()
    summary = page.locator("#overfit-summary")
    page.wait_for_function("el => /all 60 epochs done/.test(el.innerText)", arg=summary.element_handle(), timeout=90_000)
    wait_until_streaming_ends(page, summary)

    for metric, elem in (("loss", "#overfit-loss"), ("accuracy", "#overfit-accuracy")):
        epochs = int(page.locator(f"{elem} .live-curves").get_attribute("data-points"))
        assert epochs == 60
        check_png(page, elem, elem[1:])
        svg = check_svg(page, elem, elem[1:])
        # This run's train and validation curves: a path each, with a vertex for every epoch drawn.
        curves = [p for p in paths(svg) if p.get("stroke-width") == "2.5"]
        assert sorted(vertices(p) for p in curves) == [epochs, epochs], (metric, [vertices(p) for p in curves])
        texts = [t.text for t in svg.iter(SVG + "text")]
        assert "epoch" in texts  # the axis's words come with it

    # The learning rate per epoch (a gr.LinePlot): Gradio's export is its PNG; the SVG is the plot's data drawn
    # by the live charts' lineChart, in the browser.
    lr = page.locator("#overfit-lr")
    lr.scroll_into_view_if_needed()
    lr.hover()
    filename, data = download(page, lr.get_by_role("button", name="Export"))
    assert filename.endswith(".png") and not_blank(png_of(data))
    lr.hover()
    filename, data = download(page, lr.get_by_role("button", name="SVG"))
    assert filename == "overfit-lr.svg"
    line = paths(ET.fromstring(data), "#ea580c")
    assert [vertices(p) for p in line] == [60]  # one line, a vertex per epoch

    # The visitor's own points, typed as a CSV: the painter draws each as a dot.
    page.get_by_text("Your own points (click to paint, or upload a CSV)").click()
    page.locator("#overfit-points-canvas [data-ready=true] canvas").wait_for(timeout=10_000)
    page.locator("#overfit-points-csv textarea").fill(POINTS_CSV)
    # Asked of the page each time, not of one element held: an element the component drew again would be stale.
    page.wait_for_function("() => document.querySelector('#overfit-points-canvas [data-points]')?.dataset.points === '6'", timeout=15_000)
    points = "#overfit-points-canvas"
    check_png(page, points, points[1:])
    svg = check_svg(page, points, points[1:])
    dots = [p for p in paths(svg) if "A" in p.get("d")]
    assert len(dots) == 2 * 6  # each point is filled, then ringed: two paths of one circle
    assert len({p.get("d").split("A")[0] for p in dots}) == 6  # at six places

    # The picture of the model and its data: Gradio's own download button, a PNG.
    filename, data = download(page, page.locator("#overfit-picture").get_by_role("button", name="Download"))
    assert filename.endswith(".png") and not_blank(png_of(data))

    # The network: drawn as HTML (a neuron a button holding its map's canvas, the links an SVG), saved as one
    # drawing: the PNG is the stage's size; the SVG has an image per neuron and a path per link, coloured alike.
    network = "#overfit-network"
    stage = page.locator(f"{network} .stage")
    stage.locator("[data-neuron]").first.wait_for(timeout=30_000)
    filename, data = download(page, export_button(page, network, "png", ".stage"))
    assert filename == "overfit-network.png"
    picture = png_of(data)
    assert picture.size == tuple(stage.evaluate("s => [Math.round(s.clientWidth), s.clientHeight]")) and not_blank(picture)
    svg = check_svg(page, network, "overfit-network", ".stage")
    neurons = stage.locator("button.node").count()
    assert len(list(svg.iter(SVG + "image"))) == neurons > 2
    drawn = stage.locator("svg.links path").evaluate_all("ps => ps.map(p => p.getAttribute('stroke'))")
    links = [p for p in paths(svg) if "C" in p.get("d")]
    assert sorted(p.get("stroke") for p in links) == sorted(drawn)  # each link, in its weight's colour
    assert {"inputs", "outputs"} <= {t.text for t in svg.iter(SVG + "text")}


@pytest.mark.browser
def test_sketcher_bars_and_pictures_download(page, app_url):
    open_gradio(page, f"{app_url}/demos/sketcher/")
    draw(page, page.locator("#sketcher-canvas canvas").last, SEVEN)
    bars = page.locator("#cnn-label .bars")
    page.wait_for_function("el => el.dataset.digit === '7'", arg=bars.element_handle(), timeout=30_000)
    seen = page.locator("#sketcher-seen canvas")
    page.wait_for_function("c => !c.classList.contains('empty')", arg=seen.element_handle(), timeout=30_000)

    picture = check_png(page, "#cnn-label", "cnn-label", ".bars")
    svg = check_svg(page, "#cnn-label", "cnn-label", ".bars")
    assert picture.size == (int(svg.get("width")), int(svg.get("height")))  # the PNG is the same drawing
    rects = [r for r in svg.iter(SVG + "rect") if r.get("fill") in ("#9ca3af", "#ea580c")]
    assert len(rects) == 10  # a bar per digit
    widest = max(range(10), key=lambda digit: float(rects[digit].get("width")))
    assert widest == 7 and rects[7].get("fill") == "#ea580c"  # the top bar is the 7 the page reads
    assert {str(digit) for digit in range(10)} <= {t.text for t in svg.iter(SVG + "text")}  # each bar's digit

    check_png(page, "#sketcher-seen", "sketcher-seen")
    assert export_button(page, "#sketcher-seen", "svg").count() == 0  # a map of pixels: no vector form


@pytest.mark.browser
def test_sentiment_learning_curve_downloads(page, app_url):
    open_gradio(page, f"{app_url}/demos/sentiment/")
    page.locator("#sentiment-curve img").wait_for(timeout=30_000)  # the figure and its files come in one event
    filename, data = download(page, page.locator("#sentiment-curve-png"))
    assert filename == "sentiment-learning-curve.png"
    picture = png_of(data)
    assert picture.size == (640, 380) and not_blank(picture)
    filename, data = download(page, page.locator("#sentiment-curve-svg"))
    assert filename == "sentiment-learning-curve.svg"
    assert set(curves_in(data)) == {"scratch", "transfer"}

    # Each model's reading (a gr.Label): its toolbar's PNG and SVG draw the confidences as bars, the top one first.
    label = page.locator("#scratch-label")
    label.get_by_text("%").first.wait_for(timeout=60_000)  # the opening text read on load
    top = label.locator("h2").first.inner_text().strip()  # Gradio's Label shows its top class as the heading
    label.hover()
    filename, data = download(page, label.get_by_role("button", name="PNG"))
    assert filename == "sentiment-scratch.png"
    picture = png_of(data)
    assert picture.size == (380, 28 + 2 * 22 + 6) and not_blank(picture)  # a row per class: negative, positive
    label.hover()
    filename, data = download(page, label.get_by_role("button", name="SVG"))
    assert filename == "sentiment-scratch.svg"
    svg = ET.fromstring(data)
    bars = [r for r in svg.iter(SVG + "rect") if r.get("fill") in ("#ea580c", "#9ca3af")]
    assert [r.get("fill") for r in bars] == ["#ea580c", "#9ca3af"]  # a bar per class, the top one highlighted
    assert float(bars[0].get("width")) >= float(bars[1].get("width"))
    texts = [t.text for t in svg.iter(SVG + "text")]
    assert texts[0].endswith(top) and {"negative", "positive"} <= set(texts)


@pytest.mark.browser
def test_gan_live_view_and_moved_digit_download(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.get_by_role("tab", name="Watch it learn").click()
    page.locator("#gan-train").click()
    live = page.locator("#gan-live .live-gan")
    page.wait_for_function("el => Number(el.dataset.step || 0) > 0", arg=live.element_handle(), timeout=90_000)
    page.locator("#gan-stop").click()
    wait_until_streaming_ends(page, page.locator("#gan-status"))
    check_png(page, "#gan-live", "gan-live-points", "canvas.plane")
    assert export_button(page, "#gan-live", "svg", "canvas.plane").count() == 0  # D's surface is a map of pixels
    check_png(page, "#gan-live", "gan-live-losses", "canvas.losses")
    svg = check_svg(page, "#gan-live", "gan-live-losses", "canvas.losses")
    assert len(paths(svg, "#1f5fa8")) == 1 and len(paths(svg, "#a81f5f")) == 1  # D's loss and G's loss

    page.get_by_role("tab", name="Latent space").click()
    moved = page.locator("#gan-moved .live-digit")
    page.wait_for_function("el => el.dataset.frame !== ''", arg=moved.element_handle(), timeout=30_000)
    assert check_png(page, "#gan-moved", "gan-moved").size == (28, 28)


@pytest.mark.browser
def test_filter_maps_download_with_gradios_own_button(page, app_url):
    """A map of pixels made by the server: Gradio's download button saves the PNG the page shows."""
    open_gradio(page, f"{app_url}/demos/filters/")
    shown = page.locator("#filters-maps img")
    shown.wait_for(timeout=30_000)
    size = tuple(shown.evaluate("img => [img.naturalWidth, img.naturalHeight]"))
    filename, data = download(page, page.locator("#filters-maps").get_by_role("button", name="Download"))
    picture = png_of(data)
    assert filename.endswith(".png") and picture.size == size and not_blank(picture)

"""The drawing surface and the outputs it feeds (demos/drawing.py): its values, one preprocessing
for a raster from the surface, and, in a browser, drawing with a mouse and with a finger on both
pages that use it, readings while the pen moves, and late answers that never overwrite newer ones."""

from __future__ import annotations

import base64

import gradio as gr
import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.digits import predict, preprocess
from demos import drawing
from demos.sketcher import handlers as sketcher
from harness.browser import open_gradio
from harness.serving import free_port

SEVEN = [[(0.25, 0.22), (0.75, 0.22), (0.45, 0.82)]]  # a 7, in fractions of the canvas
ONE = [[(0.5, 0.15), (0.5, 0.85)]]


def surface_value(raster: np.ndarray, seq: int = 1, done: bool = True) -> dict:
    return {"seq": seq, "done": done, "side": raster.shape[0], "ink": base64.b64encode(raster.tobytes()).decode()}


def drawn(strokes, side: int = drawing.SEND_SIDE) -> np.ndarray:
    """Strokes (fractions of the canvas) drawn black on white, as the surface sends them."""
    image = Image.new("L", (side, side), 255)
    for stroke in strokes:
        ImageDraw.Draw(image).line([(x * side, y * side) for x, y in stroke], fill=0, width=side // 18, joint="curve")
    return np.asarray(image)


# ---------- unit: the values ----------


@pytest.mark.unit
def test_the_surfaces_ink_is_decoded_to_the_raster_it_sent():
    raster = drawn(SEVEN)
    assert np.array_equal(drawing.ink_raster(surface_value(raster)), raster)
    assert drawing.drawing_seq(surface_value(raster, seq=12)) == 12
    assert drawing.is_finished(surface_value(raster, done=True)) and not drawing.is_finished(surface_value(raster, done=False))


@pytest.mark.unit
@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        {},
        {"seq": 1, "ink": ""},
        {"side": 140, "ink": "not base64!"},
        {"side": 2, "ink": "AAAA"},
        {"side": 10**6, "ink": "AA=="},
        {"side": 2, "ink": "AAAAé=="},  # not ASCII
        {"side": 2, "ink": "AA=A"},  # padding inside
        {"side": 2, "ink": "AAAAAAAA"},  # six bytes for a 2x2 raster
    ],
)
def test_a_malformed_value_reads_as_nothing_drawn(value):
    assert drawing.ink_raster(value) is None


@pytest.mark.unit
def test_picture_and_bars_values_carry_the_array_and_the_seq():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    value = drawing.picture_value(grey, seq=4)
    assert (value["width"], value["height"], value["seq"], value["zoom"]) == (4, 3, 4, 1)
    assert base64.b64decode(value["png"]).startswith(b"\x89PNG")
    rgb = drawing.picture_pixels(value)
    assert np.array_equal(rgb[..., 1], grey) and np.array_equal(rgb[..., 0], rgb[..., 2])
    twice = drawing.picture_pixels(drawing.picture_value(grey, zoom=2))  # each pixel a 2 x 2 square on the page
    assert twice.shape == (6, 8, 3) and np.array_equal(twice[::2, ::2], rgb) and np.array_equal(twice[1::2, 1::2], rgb)
    assert drawing.picture_pixels(drawing.picture_value(None)) is None
    bars = drawing.bars_value(np.eye(10)[3], seq=9)
    assert bars["seq"] == 9 and bars["probabilities"][3] == 1.0 and sum(bars["probabilities"]) == 1.0


def mnist_like(digit: str = "7") -> np.ndarray:
    """A (28, 28) digit, ink in [0, 1] (1 = ink), centred in its 20 x 20 box as MNIST's are."""
    image = Image.new("L", (28, 28), 0)
    strokes = {"7": [(7, 6), (21, 6), (12, 22)], "1": [(14, 5), (14, 23)]}[digit]
    ImageDraw.Draw(image).line(strokes, fill=255, width=3, joint="curve")
    return np.asarray(image, np.float32) / 255.0


@pytest.mark.unit
@pytest.mark.parametrize("dtype", ["float", "uint8"])
def test_surface_with_is_a_finished_drawing_of_the_picture(dtype):
    digit = mnist_like()
    value = drawing.surface_with(digit if dtype == "float" else np.rint(digit * 255).astype(np.uint8))
    raster = drawing.ink_raster(value)  # read as any drawing: lightness, 0 = ink, 255 = paper
    assert raster.shape == (28, 28) and drawing.is_finished(value)
    np.testing.assert_array_equal(raster, np.rint(255 * (1 - digit)).astype(np.uint8))
    assert drawing.surface_with(digit)["start"] != value["start"]  # the same digit twice is still a new picture
    big = drawing.ink_raster(drawing.surface_with(np.kron(digit, np.ones((10, 10)))))  # a larger raster too
    assert big.shape == (280, 280) and np.array_equal(big[::10, ::10], raster)


@pytest.mark.unit
@pytest.mark.parametrize("shape", [(28, 27), (28,), (3, 28, 28), (0, 0), (drawing.MAX_SEND_SIDE + 1,) * 2])
def test_surface_with_refuses_what_the_surface_cannot_show(shape):
    with pytest.raises(ValueError):
        drawing.surface_with(np.zeros(shape))


@pytest.mark.reference
def test_a_raster_from_the_surface_goes_through_prepare_digit(monkeypatch):
    """One preprocessing: the sketcher reads the surface's ink with the same prepare_digit as an
    upload or the training data, and answers what the models say about prepare_digit's output."""
    raster, seen = drawn(SEVEN), []
    original = preprocess.prepare_digit

    def spy(image):
        seen.append(np.array(image))
        return original(image)

    monkeypatch.setattr(preprocess, "prepare_digit", spy)
    live = sketcher.read_while_drawing(surface_value(raster, seq=3, done=False))
    assert len(seen) == 1 and np.array_equal(seen[0], raster)
    inputs = preprocess.to_model_input(original(raster))
    expected = predict.class_probabilities(predict.answering_cnn(), inputs)[0]
    np.testing.assert_allclose(live[0]["probabilities"], expected, atol=1e-4)
    assert int(np.argmax(live[0]["probabilities"])) == 7


# ---------- browser: the pages that draw ----------


def stroke_points(box, stroke, steps: int = 12):
    """A stroke in fractions of `box` -> page coordinates, `steps` points per segment."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        points += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]


def draw_with_mouse(page, canvas, strokes) -> None:
    box = canvas.bounding_box()
    for stroke in strokes:
        points = stroke_points(box, stroke)
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def draw_with_finger(page, canvas, strokes) -> None:
    """Touch events through Chrome's DevTools protocol, as a phone sends them."""
    cdp = page.context.new_cdp_session(page)
    box = canvas.bounding_box()
    for stroke in strokes:
        points = stroke_points(box, stroke)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


@pytest.fixture
def touch_page(browser):
    """A phone-like page: touch enabled, console errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"browser console errors: {errors}"


def read_digit_shown(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} .bars").get_attribute("data-digit")


def cleared_sketcher(page) -> None:
    """The sketcher opens on an example (a 7) drawn and read: wait for it, then Clear the canvas."""
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === '7'", timeout=60_000)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === ''", timeout=20_000)


@pytest.mark.browser
@pytest.mark.parametrize("draw,strokes,digit", [(draw_with_mouse, SEVEN, "7"), (draw_with_finger, ONE, "1")], ids=["mouse", "touch"])
def test_sketcher_reads_a_drawing_without_a_click_first(request, app_url, draw, strokes, digit):
    page = request.getfixturevalue("touch_page" if draw is draw_with_finger else "page")
    open_gradio(page, f"{app_url}/demos/sketcher/")
    canvas = page.locator("#sketcher-canvas canvas")
    assert page.locator("#sketcher-canvas [data-ready=true]").count() == 1
    cleared_sketcher(page)
    draw(page, canvas, strokes)  # no tool to pick first
    page.wait_for_function(f"() => document.querySelector('#cnn-label .bars').dataset.digit === '{digit}'", timeout=20_000)
    page.wait_for_function("() => !document.querySelector('#sketcher-cnn-map canvas').classList.contains('empty')", timeout=20_000)
    assert read_digit_shown(page, "mlp-label") == digit
    assert page.locator("#verdict .shown").inner_text().startswith("Both models read a")
    # The page did not scroll under the finger, and the surface asks the browser not to.
    assert page.evaluate("window.scrollY") == 0
    assert canvas.evaluate("el => getComputedStyle(el).touchAction") == "none"


@pytest.mark.browser
def test_readings_arrive_while_the_pen_moves_and_undo_clear_are_buttons(page, app_url):
    open_gradio(page, f"{app_url}/demos/sketcher/")
    cleared_sketcher(page)
    canvas = page.locator("#sketcher-canvas canvas")
    box = canvas.bounding_box()
    points = stroke_points(box, SEVEN[0], steps=30)
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point)
        page.wait_for_timeout(20)
    # Still drawing: the CNN's bars already answer (the last send before pen-up is live).
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit !== ''", timeout=20_000)
    sent_while_drawing = int(page.locator("#sketcher-canvas [data-seq]").first.get_attribute("data-seq"))
    page.mouse.up()
    assert sent_while_drawing >= 2
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === '7'", timeout=20_000)
    # Undo and Clear are real buttons, reached with Tab from the canvas's neighbours.
    undo = page.get_by_role("button", name="Undo")
    undo.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Clear"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === ''", timeout=20_000)
    assert "Draw a digit" in page.locator("#verdict").inner_text()
    assert page.get_by_label("Brush size").is_visible()


@pytest.mark.browser
@pytest.mark.parametrize("draw,strokes", [(draw_with_mouse, SEVEN), (draw_with_finger, SEVEN)], ids=["mouse", "touch"])
def test_filter_visualiser_reads_a_drawing_on_pen_up(request, app_url, draw, strokes):
    page = request.getfixturevalue("touch_page" if draw is draw_with_finger else "page")
    open_gradio(page, f"{app_url}/demos/filters/")
    status = page.locator("#filters-status")
    page.wait_for_function("el => el.innerText.includes('32 feature maps')", arg=status.element_handle(), timeout=30_000)
    page.get_by_role("tab", name="Draw").click()
    canvas = page.locator("#filters-canvas canvas")
    canvas.wait_for(timeout=10_000)
    before = page.locator("#filters-maps img").first.get_attribute("src")
    draw(page, canvas, strokes)
    page.wait_for_function(
        "src => { const img = document.querySelector('#filters-maps img'); return img && img.getAttribute('src') !== src; }",
        arg=before,
        timeout=30_000,
    )
    assert page.get_by_role("radio", name="the drawing").is_checked()
    page.get_by_role("tab", name="Grad-CAM").click()  # the prediction is on that tab
    prediction = page.locator("#filters-prediction")
    # gr.Label's text: its downloads (PNG, SVG), its label, then the top class, then each class with its probability.
    top_class = "el => { const lines = el.innerText.split('\\n'); return lines[lines.indexOf('Prediction') + 1]; }"
    page.wait_for_function(f"el => ({top_class})(el) === '7'", arg=prediction.element_handle(), timeout=30_000)


@pytest.mark.browser
def test_an_example_upload_is_read_into_the_same_bars_and_pictures(page, app_url):
    """The text alternative to drawing: the Upload tab's first example (digit_3.png)."""
    open_gradio(page, f"{app_url}/demos/sketcher/")
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === '7'", timeout=60_000)  # the opening example
    page.get_by_role("tab", name="Upload a photo").click()
    page.locator(".gallery-item, button.gallery-item, [data-testid='examples'] button").first.click()
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === '3'", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('#sketcher-mlp-map canvas').classList.contains('empty')", timeout=30_000)
    assert page.locator("#verdict .spoken").inner_text().startswith("Both models read a 3")  # what a screen reader hears


# ---------- browser: a picture put on the surface by the server (surface_with) ----------


def served(page):
    """Serve a small page built by a fixture on a free port: yields its URL, then closes it."""
    port = free_port()
    page.launch(prevent_thread_lock=True, server_port=port, server_name="127.0.0.1")
    yield f"http://127.0.0.1:{port}/"
    page.close()


@pytest.fixture(scope="module")
def starting_picture_url():
    """A surface, a button that puts a 7 on it with surface_with, and a box that shows every finished
    drawing the server receives (release): its seq and how far its ink is from the 7."""
    seven = mnist_like()

    def put():
        return drawing.surface_with(seven)

    def received(value):
        raster = drawing.ink_raster(value)
        if raster is None:
            return f"{drawing.drawing_seq(value)}: nothing"
        ink = 1 - np.asarray(Image.fromarray(raster).resize((28, 28), Image.BILINEAR), np.float32) / 255
        return f"{drawing.drawing_seq(value)}: {np.abs(ink - seven).mean():.3f} {ink.sum():.0f}"

    with gr.Blocks() as page:
        surface = drawing.drawing_surface("surface", "Draw a digit", live=False)
        gr.Button("put a 7").click(put, None, surface)
        got = gr.Textbox(elem_id="got")
        surface.release(received, surface, got)
    yield from served(page)


@pytest.mark.browser
def test_a_picture_put_on_the_surface_is_sent_as_if_drawn(page, starting_picture_url):
    open_gradio(page, starting_picture_url)
    got = page.locator("#got textarea")

    def seen(seq: int) -> list[float]:
        page.wait_for_function(f"el => el.value.startsWith('{seq}:')", arg=got.element_handle(), timeout=20_000)
        return [float(x) for x in got.input_value().split(":")[1].split()] if "nothing" not in got.input_value() else []

    page.get_by_role("button", name="put a 7").click()
    difference, total = seen(1)  # released by the surface itself, with the 7 as its ink
    assert difference < 0.08 and total > 20
    canvas = page.locator("#surface canvas")
    draw_with_mouse(page, canvas, [[(0.1, 0.9), (0.9, 0.9)]])  # a bar under the 7
    assert seen(2)[1] > total + 10  # the picture plus the stroke
    page.get_by_role("button", name="Undo").click()
    assert seen(3) == [difference, total]  # the stroke is gone, the picture stays
    page.get_by_role("button", name="Clear").click()
    assert seen(4) == []  # everything is gone
    page.get_by_role("button", name="put a 7").click()
    assert seen(5) == [difference, total]  # the same picture again is shown again


# ---------- browser: a late answer never overwrites a newer one ----------


@pytest.fixture(scope="module")
def ordering_page_url():
    """A page with one set of bars and two buttons: one answers for drawing 9 (a 7), one for the
    older drawing 3 (a 1), as a slow answer to an earlier drawing would arrive after a newer one."""

    def answer(seq: int, digit: int):
        return (
            drawing.bars_value(np.eye(10)[digit], seq),
            drawing.picture_value(np.full((2, 2), 30 * digit, np.uint8), seq),
            f"answered {seq}",
        )

    def newer():
        return answer(9, 7)

    def older():
        return answer(3, 1)

    with gr.Blocks() as page:
        bars = drawing.probability_bars("bars", "CNN")
        picture = drawing.picture("picture", "Seen", pixelated=True)
        done = gr.Textbox(elem_id="done")
        gr.Button("newer").click(newer, None, [bars, picture, done])
        gr.Button("older").click(older, None, [bars, picture, done])
    yield from served(page)


@pytest.mark.browser
def test_an_answer_to_an_older_drawing_never_overwrites_a_newer_one(page, ordering_page_url):
    open_gradio(page, ordering_page_url)
    done = page.locator("#done textarea")
    page.get_by_role("button", name="newer").click()
    page.wait_for_function("el => el.value === 'answered 9'", arg=done.element_handle(), timeout=20_000)
    assert read_digit_shown(page, "bars") == "7"
    page.get_by_role("button", name="older").click()
    page.wait_for_function("el => el.value === 'answered 3'", arg=done.element_handle(), timeout=20_000)
    assert read_digit_shown(page, "bars") == "7"  # drawing 3's answer arrived, and was dropped
    assert page.locator("#bars [data-seq]").first.get_attribute("data-seq") == "9"
    assert page.locator("#picture [data-seq]").first.get_attribute("data-seq") == "9"

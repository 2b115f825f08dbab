"""The sketcher's MLP opened (#sketcher-mlp, issue 30): a first-layer unit's weight picture is its row
of the checkpoint, the browser's layers are torch's hidden activations (exported in digit_reader.onnx),
and in chromium a unit is picked with the mouse and the keyboard while the layers follow the pen with
no request to the server."""

from __future__ import annotations

import base64
import re

import gradio as gr
import numpy as np
import onnxruntime
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from playwright.sync_api import expect
from safetensors.torch import load_file

from core.checkpoints import weights_path
from core.digits import mlp_view, preprocess, reading
from core.digits.export import READER_FILE
from core.digits.models import DigitMLP
from core.digits.predict import load_digit_model
from core.errors import UserError
from core.palette import diverging
from demos import drawing
from demos.sketcher import handlers, mlp
from harness.browser import open_gradio, settle
from tests.test_onnx import canvas_rasters  # MNIST digits drawn in random styles, as the surface sends them
from train.export_onnx import READER_DIR

SIDE = drawing.SEND_SIDE
READY = 60_000  # ms: the runtime and the models load after the page's first result, on a busy machine


@pytest.fixture(scope="module")
def checkpoint() -> dict[str, torch.Tensor]:
    """The shipped MLP's tensors, read from the file itself (not through the app's loaders)."""
    return load_file(str(weights_path("digit_mlp")))


def reference_layers(checkpoint, inputs: torch.Tensor) -> dict[str, np.ndarray]:
    """(1, 1, 28, 28) normalised input -> each layer, written out with F.linear on the checkpoint's tensors."""
    x = inputs.reshape(1, 784)
    pre1 = F.linear(x, checkpoint["net.1.weight"], checkpoint["net.1.bias"])
    h1 = torch.relu(pre1)
    h2 = torch.relu(F.linear(h1, checkpoint["net.3.weight"], checkpoint["net.3.bias"]))
    logits = F.linear(h2, checkpoint["net.5.weight"], checkpoint["net.5.bias"])
    return {k: v[0].numpy() for k, v in {"input": x, "pre1": pre1, "h1": h1, "h2": h2, "mlp": torch.softmax(logits, 1)}.items()}


def decoded(value: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(value["weights"]), "<f4").reshape(28, 28)


# ---------- the weight picture and the layers, by reference ----------


@pytest.mark.reference
@pytest.mark.parametrize("unit", [0, 17, 127])
def test_a_units_weight_picture_is_its_row_of_the_checkpoint(checkpoint, unit):
    row = checkpoint["net.1.weight"][unit].reshape(28, 28).numpy()
    index, weights, bias = mlp_view.shipped_unit_weights(unit)
    assert index == unit and np.array_equal(weights, row) and bias == float(checkpoint["net.1.bias"][unit])
    sent = mlp.show_unit({"unit": unit}, "safe")  # what the page receives: the row's own float32 bytes
    assert sent["unit"] == unit and np.array_equal(decoded(sent), row) and sent["bias"] == bias
    assert sent["colours"]["positive"] == "#e66101"  # the safe palette's orange, as the picture is drawn


@pytest.mark.reference
def test_the_exported_layers_are_torchs_hidden_activations(checkpoint):
    """digit_reader.onnx's MLP outputs (what the browser draws as the pen moves) for canvas digits equal
    each layer computed from the checkpoint for the digit the server prepares from the same raster."""
    session = onnxruntime.InferenceSession(str(READER_DIR / READER_FILE), providers=["CPUExecutionProvider"])
    names = ["found", "mlp", "mlp_input", "mlp_pre1", "mlp_h1", "mlp_h2"]
    compared = 0
    for raster in canvas_rasters(40, seed=5):
        found, probabilities, x, pre1, h1, h2 = session.run(names, {"raster": raster})
        prepared = reading.prepared(raster)
        assert bool(found) == (prepared is not None)
        if prepared is None:
            continue
        expected = reference_layers(checkpoint, preprocess.to_model_input(prepared))
        np.testing.assert_allclose(x, expected["input"], atol=1e-4)
        for name, got in (("pre1", pre1), ("h1", h1), ("h2", h2)):  # sums of 784 or 128 products of up to tens
            np.testing.assert_allclose(got, expected[name], atol=1e-3, err_msg=name)
        np.testing.assert_allclose(probabilities, expected["mlp"], atol=1e-5)
        assert (h1 > 0).sum() >= 10 and np.array_equal(h1 > 0, expected["h1"] > 0)  # the same units fire
        compared += 1
    assert compared >= 35


@pytest.mark.reference
def test_the_servers_readings_carry_the_same_layers_and_weight_times_input_adds_up(checkpoint):
    """Pen-up (and the server's live reading where WASM cannot run) sends the layers in the MLP bars'
    value; a unit's weight x input, added up with its bias, is its pre-activation."""
    raster = canvas_rasters(1, seed=6)[0]
    prepared = reading.prepared(raster)
    expected = reference_layers(checkpoint, preprocess.to_model_input(prepared))
    drawn = drawing.surface_with(1 - raster / 255.0)  # ink in [0, 1]: the surface's value of this very raster
    finished = handlers.predict_drawing(drawn)[1]
    live = handlers.read_while_drawing({**drawn, "seq": 3, "done": False})[1]
    for value in (finished, live):
        for name in ("input", "pre1", "h1", "h2"):
            np.testing.assert_allclose(mlp.floats(value["layers"][name]), expected[name], atol=1e-5, err_msg=name)
        np.testing.assert_allclose(value["probabilities"], expected["mlp"], atol=1e-4)
    assert live["seq"] == 3
    inputs = preprocess.to_model_input(prepared)
    for unit in (3, int(expected["h1"].argmax())):
        product = mlp_view.contributions(load_digit_model("mlp"), unit, inputs)
        assert product.shape == (28, 28)
        assert abs(product.sum() + float(checkpoint["net.1.bias"][unit]) - expected["pre1"][unit]) < 1e-3


@pytest.mark.unit
def test_a_blank_drawing_carries_no_layers_and_the_view_matches_the_model():
    blank = drawing.surface_with(np.zeros((SIDE, SIDE)))
    assert handlers.predict_drawing(blank)[1]["layers"] is None
    model = DigitMLP()
    assert (mlp.HIDDEN1, mlp.HIDDEN2, mlp.CLASSES) == (model.net[1].out_features, model.net[3].out_features, model.net[5].out_features)
    assert mlp.layers_value(None) is None


@pytest.mark.unit
@pytest.mark.parametrize("unit", [-1, 128, 1.5, "seven", None])
def test_a_unit_outside_the_layer_is_refused_with_the_range(unit):
    if unit is None:
        assert mlp.show_unit({"unit": None}) == gr.skip()
        return
    with pytest.raises(gr.Error, match="between 0 and 127"):
        mlp.show_unit({"unit": unit})
    with pytest.raises(UserError):
        mlp_view.checked_unit(unit, DigitMLP())


# ---------- in the browser ----------

PIXELS = """(selector) => Array.from(document.querySelector(selector).getContext('2d').getImageData(0, 0, 28, 28).data)"""
STRIP = """() => [...document.querySelectorAll('#sketcher-mlp .h1 .cell')].map(c => c.style.background).join('|')"""


def weight_pixels(page) -> np.ndarray:
    return np.array(page.evaluate(PIXELS, "#sketcher-mlp canvas.weights"), np.int64).reshape(28, 28, 4)[..., :3]


def wait_for_picture(page, expected: np.ndarray, timeout: float = 30.0) -> None:
    """Until the weight picture shows `expected` (RGB, each channel within 1: float rounding)."""
    deadline = page.evaluate("performance.now()") + timeout * 1000
    while True:
        difference = int(np.abs(weight_pixels(page) - expected).max())
        if difference <= 1:
            return
        if page.evaluate("performance.now()") > deadline:
            raise AssertionError(f"the weight picture differs from the expected one by up to {difference}")
        page.wait_for_timeout(100)


@pytest.mark.browser
def test_pick_a_unit_by_mouse_keyboard_and_number_and_see_its_weights(page, app_url, checkpoint):
    open_gradio(page, f"{app_url}/demos/sketcher/")
    view = page.locator("#sketcher-mlp .mlp")
    expect(view).to_have_attribute("data-shown", re.compile(r"^\d+$"), timeout=READY)  # the opening 7: the unit it excites most
    opened = int(view.get_attribute("data-shown"))
    rows = checkpoint["net.1.weight"].reshape(128, 28, 28).numpy()

    other = 5 if opened != 5 else 6
    page.locator(f'#sketcher-mlp [role="option"][data-unit="{other}"]').click()
    expect(view).to_have_attribute("data-shown", str(other), timeout=30_000)
    wait_for_picture(page, diverging(rows[other]))
    assert np.abs(weight_pixels(page) - diverging(rows[opened])).max() > 1  # the picture changed with the unit
    assert page.locator(f'#sketcher-mlp [role="option"][data-unit="{other}"]').get_attribute("aria-selected") == "true"

    page.keyboard.press("ArrowDown")  # the strip has the focus: one row down is a row of units on
    below = other + mlp.COLUMNS
    expect(view).to_have_attribute("data-shown", str(below), timeout=30_000)
    wait_for_picture(page, diverging(rows[below]))

    page.get_by_label("First-layer unit, 0 to 127").fill("127")
    page.keyboard.press("Tab")
    expect(view).to_have_attribute("data-shown", "127", timeout=30_000)
    wait_for_picture(page, diverging(rows[127]))
    assert "Unit 127" in page.locator("#sketcher-mlp canvas.weights").get_attribute("aria-label")
    # Weight x input added up in the page, with the bias, is the unit's pre-activation the model gave.
    total, pre = float(view.get_attribute("data-sum")), float(view.get_attribute("data-pre"))
    assert abs(total - pre) < 1e-3 * max(1.0, abs(pre)), (total, pre)
    # How strongly the drawing excites it, in words: its activation after the ReLU, or that the ReLU turns it off.
    excited = f"its activation is {pre:.2f}" if pre > 0 else "the ReLU turns it off"
    expect(view.locator(".readout")).to_contain_text(excited)

    page.get_by_role("radio", name="Colour-blind safe (blue / orange)").click()
    wait_for_picture(page, diverging(rows[127], palette="safe"))
    # Its PNG download is the picture shown: 28 x 28, a pixel a weight.
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download the unit's weights as PNG").click()
    assert download.value.suggested_filename == "sketcher-mlp-weights.png"
    saved = np.asarray(Image.open(download.value.path()).convert("RGB"), np.int64)
    assert saved.shape == (28, 28, 3) and np.abs(saved - diverging(rows[127], palette="safe")).max() <= 1


def stroke(page, box, points, steps: int = 15) -> None:
    for x, y in points:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=steps)


@pytest.mark.browser
def test_the_layers_follow_the_pen_in_the_browser_with_no_request_to_the_server(page, app_url):
    open_gradio(page, f"{app_url}/demos/sketcher/")
    view = page.locator("#sketcher-mlp .mlp")
    expect(view).to_have_attribute("data-shown", re.compile(r"^\d+$"), timeout=READY)
    surface = page.locator("#sketcher-canvas [data-reader-state]")
    expect(surface).to_have_attribute("data-reader-state", "ready", timeout=READY)
    settle(page, page.get_by_role("button", name="Clear").first.click)
    blank = page.evaluate(STRIP)
    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if "/gradio_api/" in request.url and "/file=" not in request.url and "heartbeat" not in request.url
            else None
        ),
    )
    box = surface.locator("canvas").bounding_box()
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.22 * box["height"])
    page.mouse.down()
    seen = [blank]
    for point in ((0.75, 0.22), (0.45, 0.82)):  # a 7, in two segments: the layers change after each
        before = int(view.get_attribute("data-updates"))
        stroke(page, box, [point])
        page.wait_for_function(
            f"([n, last]) => Number(document.querySelector('#sketcher-mlp .mlp').dataset.updates) > n && ({STRIP})() !== last",
            arg=[before, seen[-1]],
            timeout=20_000,
        )
        seen.append(page.evaluate(STRIP))
    assert len(set(seen)) == 3
    assert "in your browser" in view.locator(".source").inner_text()
    assert len(sent) <= 2 and not [url for url in sent if "/queue/join" in url], f"requests while the pen moved: {sent}"  # issue 28
    page.mouse.up()
    expect(page.locator("#verdict")).to_contain_text("7", timeout=30_000)
    total, pre = float(view.get_attribute("data-sum")), float(view.get_attribute("data-pre"))
    assert abs(total - pre) < 1e-3 * max(1.0, abs(pre)), (total, pre)


@pytest.mark.browser
def test_where_wasm_cannot_run_the_server_brings_the_layers_and_says_so(page, app_url):
    page.add_init_script("delete window.WebAssembly")
    open_gradio(page, f"{app_url}/demos/sketcher/")
    view = page.locator("#sketcher-mlp .mlp")
    expect(view).to_have_attribute("data-shown", re.compile(r"^\d+$"), timeout=READY)  # the opening 7, read by the server
    settle(page, page.get_by_role("button", name="Clear").first.click)
    before = int(view.get_attribute("data-updates"))
    box = page.locator("#sketcher-canvas canvas").bounding_box()
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.22 * box["height"])
    page.mouse.down()
    stroke(page, box, [(0.75, 0.22), (0.45, 0.82)])
    page.wait_for_function(f"() => Number(document.querySelector('#sketcher-mlp .mlp').dataset.updates) > {before}", timeout=30_000)
    assert "cannot run the reader" in view.locator(".source").inner_text()
    page.mouse.up()

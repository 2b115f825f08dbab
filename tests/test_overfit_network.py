"""The playground's network drawn (#overfit-network, issue 30): each neuron's map over the plane, the
links' weights, and the page that draws them, hovered, focused and tapped."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

import core.playground.experiment as pg
from core.palette import css
from core.playground.neurons import neuron_maps
from demos.overfit import handlers as overfit
from demos.overfit.network import GRID, NO_PLANE, SHOWN, WIDTH, decoded, link_styles, network_value
from harness.browser import open_gradio, wait_until_streaming_ends

SMALL = replace(pg.DEFAULTS, points=60, depth=2, width=4, epochs=15)


def trained(settings) -> pg.PlaygroundRun:
    run = pg.PlaygroundRun(settings)
    list(run.records())
    return run


def hooked(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Each activation's output, caught by forward hooks on the model (this test's own model), and the logits."""
    seen = []
    handles = [
        m.register_forward_hook(lambda _m, _i, out: seen.append(out.clone())) for m in model.modules() if type(m) in (nn.ReLU, nn.Tanh)
    ]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen, logits


def plane(extent, size: int) -> torch.Tensor:
    """The boundary picture's grid, written out: row 0 is the top (largest y), x grows to the right."""
    x_min, x_max, y_min, y_max = extent
    rows = [
        [(x_min + (x_max - x_min) * j / (size - 1), y_max - (y_max - y_min) * i / (size - 1)) for j in range(size)] for i in range(size)
    ]
    return torch.tensor(rows, dtype=torch.float32).reshape(-1, 2)


# ---------- reference: the maps are the neurons' outputs, the links the layers' weights ----------


@pytest.mark.reference
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_each_neurons_map_is_its_output_over_the_pictures_plane(activation):
    # Batch norm and dropout act differently when training: the maps are the model as it predicts.
    run = trained(replace(SMALL, activation=activation, batch_norm=True, dropout=0.3))
    maps = neuron_maps(run.model, run.data.extent, GRID)
    outputs, logits = hooked(run.model, plane(run.data.extent, GRID))
    assert len(maps.hidden) == len(outputs) == 2
    for layer, output in zip(maps.hidden, outputs):
        assert layer.shape == (4, GRID, GRID)
        for unit in range(4):
            torch.testing.assert_close(layer[unit], output[:, unit].reshape(GRID, GRID), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(maps.outputs, torch.softmax(logits, 1).T.reshape(-1, GRID, GRID), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(maps.inputs, plane(run.data.extent, GRID).T.reshape(2, GRID, GRID))

    # What the page receives decodes to the same maps, to one level of 255 of each map's scale.
    value = network_value(run.model, run.data)
    shown = [maps.inputs, *maps.hidden, maps.outputs]
    expected = torch.cat(shown).numpy()
    assert value["grid"] == [GRID, GRID] and [len(layer["names"]) for layer in value["layers"]] == [2, 4, 4, 2]
    scales = np.array(json.loads(value["scales"]))
    assert np.all(np.abs(decoded(value["maps"], scales, GRID, GRID) - expected) <= scales[:, None, None] / 127.5 + 1e-3)
    assert np.all(scales[-2:] == 1.0)  # class probabilities: full colour at 1


@pytest.mark.reference
def test_the_curves_neurons_are_drawn_along_x():
    run = trained(replace(SMALL, problem="curve"))
    x_min, x_max, _, _ = run.data.extent
    xs = torch.linspace(x_min, x_max, GRID)[:, None]
    maps = neuron_maps(run.model, run.data.extent, GRID, classification=False)
    outputs, prediction = hooked(run.model, xs)
    for layer, output in zip(maps.hidden, outputs):
        torch.testing.assert_close(layer, output.T.reshape(-1, 1, GRID), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(maps.outputs, prediction.T.reshape(1, 1, GRID), atol=1e-5, rtol=1e-5)
    assert network_value(run.model, run.data)["layers"][-1]["names"] == ["the prediction"]


@pytest.mark.reference
def test_the_links_are_the_layers_weights_drawn_by_sign_and_size():
    run = trained(replace(SMALL, width=12))  # wider than the drawing: the first SHOWN units of each layer
    linears = [m for m in run.model.net if isinstance(m, nn.Linear)]
    value = network_value(run.model, run.data)
    assert [layer["units"] for layer in value["layers"]] == [2, 12, 12, 2]
    assert [len(layer["names"]) for layer in value["layers"]] == [2, SHOWN, SHOWN, 2]
    styles = json.loads(value["links"])
    for linear, links in zip(linears, styles):
        weights = linear.weight.detach()[:SHOWN, :SHOWN].numpy().ravel()  # (to, from), row by row
        np.testing.assert_allclose(links["weight"], weights, rtol=5e-3)
        strength = np.abs(weights)
        for kind in ("width", "opacity"):  # a larger weight is never drawn thinner or paler
            drawn = np.array(links[kind])[np.argsort(strength, kind="stable")]
            assert np.all(np.diff(drawn) >= 0), kind
    widths = np.concatenate([links["width"] for links in styles])
    assert widths.max() == WIDTH[1] and widths.min() >= WIDTH[0]  # the largest shown weight is the widest


@pytest.mark.unit
def test_link_styles_grow_with_the_weight_on_one_scale_for_the_whole_network():
    styles = link_styles([np.array([[0.5, -2.0]]), np.array([[0.0], [1.0]])])
    assert styles[0]["weight"] == [0.5, -2.0] and styles[1]["weight"] == [0.0, 1.0]
    assert styles[0]["width"][1] == WIDTH[1] and styles[1]["width"][0] == WIDTH[0]  # |-2| is the largest; 0 the thinnest
    assert styles[0]["width"][0] < styles[1]["width"][1] < styles[0]["width"][1]  # 0.5 < 1 < 2, across layers


@pytest.mark.unit
def test_a_network_without_a_plane_says_so_and_a_dead_unit_is_white():
    settings = replace(SMALL, depth=1, width=3)
    mnist = pg.PlaygroundMLP(784, 10, settings, torch.Generator().manual_seed(0))
    assert network_value(mnist, SimpleNamespace(extent=(0, 1, 0, 1), regression=False))["note"] == NO_PLANE
    run = trained(settings)
    with torch.no_grad():
        run.model.net[0].bias[1] = -1e3  # unit 2 of layer 1 never fires (ReLU)
    value = network_value(run.model, run.data)
    scales = json.loads(value["scales"])
    maps = decoded(value["maps"], scales, GRID, GRID)
    assert scales[3] == 0 and np.all(maps[3] == 0)  # after the two inputs: unit 1, unit 2


@pytest.mark.unit
def test_the_network_is_drawn_with_each_picture_of_a_run_in_its_palette():
    values = {name: getattr(replace(SMALL, epochs=150), name) for name in overfit.ps.setting_names()}
    updates = list(overfit.train_on_page(*values.values(), "safe", []))
    skip = overfit.gr.skip()
    pictured = [update[2] != skip for update in updates]  # outputs: curves, picture, gap, summary, runs list, network, runs kept
    networks = [update[6] for update in updates if update[6] != skip]
    assert pictured == [update[6] != skip for update in updates] and pictured[0] and pictured[-1]
    assert all(len(network["layers"]) == 4 for network in networks)
    assert networks[-1]["seq"] == "150" and networks[-1]["colours"]["positive"] == css("safe")["positive"]
    assert overfit.clear_history()[-1] is None


# ---------- the page ----------

NEURON = "#overfit-network [data-neuron]"
LARGE = "#overfit-network .large"
SAME_PIXELS = """([small, large]) => {
    const pixels = (canvas) => Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
    const a = pixels(small), b = pixels(large);
    return a.length > 0 && a.length === b.length && a.every((v, i) => v === b[i]);
}"""
FRAMES = """() => {
    const root = document.querySelector('#overfit-network .live-network');
    window.__networkFrames = new Set();
    new MutationObserver(() => window.__networkFrames.add(root.dataset.frame)).observe(root, {attributes: true, attributeFilter: ['data-frame']});
}"""


def shows_large(page, neuron: str) -> None:
    """The large map shows `neuron`: its name, and the same pixels as the neuron's own small map."""
    page.wait_for_function(f"() => document.querySelector('{LARGE}').dataset.shown === '{neuron}'", timeout=10_000)
    small = page.locator(f'#overfit-network [data-neuron="{neuron}"] canvas')
    large = page.locator(f"{LARGE} canvas")
    assert large.is_visible() and large.bounding_box()["width"] > 2 * small.bounding_box()["width"]
    assert page.evaluate(SAME_PIXELS, [small.element_handle(), large.element_handle()])
    assert re.match(rf"layer {neuron[0]}, unit {neuron[2]}", page.locator(f"{LARGE} figcaption").inner_text())


@pytest.mark.browser
def test_the_network_trains_live_and_a_hovered_or_focused_neuron_is_shown_large(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/?depth=2&width=4&epochs=150&points=100&seed=3", timeout=180)
    page.wait_for_function("() => document.querySelector('#overfit-seed input').value === '3'", timeout=15_000)
    page.evaluate(FRAMES)
    page.locator("#overfit-train").click()
    summary = page.locator("#overfit-summary")
    page.wait_for_function(
        "el => /Stopped: /.test(el.innerText) && /Epoch 150\\/150/.test(el.innerText)", arg=summary.element_handle(), timeout=120_000
    )
    wait_until_streaming_ends(page, summary)
    page.wait_for_function(f"() => document.querySelectorAll('{NEURON}').length === 8", timeout=10_000)  # 2 layers of 4 units
    # The maps were redrawn while it trained: an epoch before the end, and the end. (How many frames depends
    # on the machine's speed: the network comes with each picture, the first epoch's, then at most 4 a second.)
    frames = {int(frame) for frame in page.evaluate("[...window.__networkFrames]") if frame}
    assert 150 in frames and min(frames) < 150
    assert page.locator("#overfit-network .live-network").get_attribute("data-frame") == "150"

    # The links: coloured by the weight's sign, never thinner for a larger weight.
    links = page.eval_on_selector_all(
        "#overfit-network path[data-link]",
        "paths => paths.map(p => [Number(p.dataset.weight), p.getAttribute('stroke'), Number(p.getAttribute('stroke-width'))])",
    )
    assert len(links) == 2 * 4 + 4 * 4 + 4 * 2
    colours = css("default")
    assert all(stroke == (colours["negative"] if w < 0 else colours["positive"]) for w, stroke, _ in links)
    assert all(a[2] <= b[2] for a in links for b in links if abs(a[0]) < abs(b[0]))  # the weights shown (3 digits) may tie
    assert max(width for _, _, width in links) == WIDTH[1]

    page.hover('#overfit-network [data-neuron="2-3"]')
    shows_large(page, "2-3")
    page.mouse.move(5, 5)  # away: nothing is shown large
    page.wait_for_function(f"() => !document.querySelector('{LARGE}').dataset.shown", timeout=10_000)

    page.locator('#overfit-network [data-neuron="1-1"]').focus()
    shows_large(page, "1-1")
    page.keyboard.press("Tab")  # the next neuron, from the keyboard
    assert page.evaluate("document.activeElement.dataset.neuron") == "1-2"
    assert page.locator('#overfit-network [data-neuron="1-2"]').get_attribute("aria-label").startswith("layer 1, unit 2")
    shows_large(page, "1-2")


@pytest.mark.browser
def test_a_tap_shows_a_neuron_large_on_a_phone(phone_page, app_url):
    open_gradio(phone_page, f"{app_url}/demos/overfit/", timeout=180)  # the opening run, drawn as the page opens
    neuron = phone_page.locator('#overfit-network [data-neuron="1-2"]')
    neuron.wait_for(timeout=90_000)
    neuron.tap()
    shows_large(phone_page, "1-2")

"""The toy GAN's GAN Lab controls (issue 30): the drawn target, Step D / Step G, G's manifold and the
gradient arrows, and the visitor's own run.

- unit: a drawing's checks (count, shape, finite, inside the plane) and their messages on the page;
  a drawn target trains; Train continues a run and a changed setting starts another; the arrows'
  wire form keeps their directions;
- reference: the arrows equal autograd on each generated point's own term of G's loss, written here
  from the losses' formulas; the manifold equals G on the noise grid built here; Step D and Step G
  each equal one Adam step computed here, and change only their own network;
- browser: a target drawn with the mouse and with a finger (touch events, in a page that has touch),
  Step D and Step G each change the chart, and a second visitor's run is their own.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import math
import re

import gradio as gr
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.errors import UserError
from core.gan import target as gan_target
from core.gan import toy as gan_toy
from core.gan import toy_views
from core.gan.config import DRAWN, ToyConfig
from demos.gan import lab as page_lab
from harness.browser import open_gradio
from tests.conftest import watched_page

SMALL = dataclasses.replace(ToyConfig(), batch_size=32, hidden=16, frame_every=5)
RING = [[2 * math.cos(a), 2 * math.sin(a)] for a in np.linspace(0, 2 * math.pi, 60, endpoint=False)]

# Each generated point's own term of G's loss, from D's logit f (what the page's Loss control names).
G_LOSS_TERM = {
    "non-saturating": lambda f: F.softplus(-f),  # -log sigmoid(f)
    "minimax": lambda f: torch.log1p(-torch.sigmoid(f)),  # log(1 - sigmoid(f))
    "least squares": lambda f: 0.5 * (f - 1) ** 2,
}


def trained_lab(loss: str = "non-saturating", steps: int = 30, **changes) -> gan_toy.ToyLab:
    """A small lab some steps in: Adam's moments are not zero, and D is not its initial self."""
    lab = gan_toy.ToyLab(dataclasses.replace(SMALL, loss=loss, **changes))
    for _ in lab.train(steps):
        pass
    return lab


# ---------- unit: the drawing ----------


@pytest.mark.unit
@pytest.mark.parametrize(
    "value,message",
    [
        ({"points": []}, "at least 10 points"),
        (None, "holds no points"),
        ("0,0", "holds no points"),
        ({"points": [[0.0, 0.0]] * 9}, "at least 10 points, and the drawing has 9"),
        ({"points": [[0.0, 0.0]] * (gan_target.MAX_DRAWN + 1)}, "at most 2,000"),
        ({"points": [[0.0, 0.0]] * 12 + [[0.0, float("nan")]]}, "not a finite number"),
        ({"points": [[0.0, 0.0]] * 12 + [[float("inf"), 0.0]]}, "not a finite number"),
        ({"points": [[0.0, 0.0]] * 12 + [[3.5, 0.0]]}, "outside the plane"),
        ({"points": [[0.0, 0.0]] * 12 + [[0.0, -3.01]]}, "outside the plane"),
        ({"points": [[0.0, 0.0]] * 12 + [[0.0]]}, "two numbers"),
        ({"points": [[0.0, 0.0]] * 12 + [["1", "2"]]}, "two numbers"),
        ({"points": [[0.0, 0.0]] * 12 + [[True, 0.0]]}, "two numbers"),
    ],
)
def test_a_drawing_that_is_not_a_target_is_refused_with_what_is_wrong(value, message):
    with pytest.raises(UserError, match=message):
        gan_target.drawn_target(value)


@pytest.mark.unit
def test_a_drawing_becomes_plain_points_and_the_page_says_so():
    assert gan_target.drawn_target({"points": RING})[:2] == ((2.0, 0.0), tuple(RING[1]))
    assert gan_target.drawn_target({"points": [[-3, 3]] * 10}) == ((-3.0, 3.0),) * 10  # the plane's corners are in it
    distribution, note = page_lab.use_drawing({"points": RING})
    assert distribution == DRAWN and "60 points" in note
    assert page_lab.use_drawing({"points": []})[0] == {"__type__": "update"}  # a cleared drawing leaves the choice as it is
    with pytest.raises(gr.Error, match="outside the plane"):  # a bad drawing reaches the visitor as its message
        page_lab.use_drawing({"points": RING + [[9.0, 0.0]]})
    controls = (DRAWN, 1e-3, 1e-3, 1, "non-saturating", 100, 0, {"points": [[0.0, float("inf")]] * 20})
    with pytest.raises(gr.Error, match="not a finite number"):  # and the server checks it again before it trains
        page_lab.step_d_once(*controls, None)
    with pytest.raises(gr.Error, match="holds no points"):
        page_lab.step_g_once(*controls[:-1], None, None)


@pytest.mark.unit
def test_a_drawn_target_is_what_the_run_trains_on():
    lab = gan_toy.ToyLab(dataclasses.replace(SMALL, distribution=DRAWN, drawn={"points": RING}))
    radius = np.linalg.norm(lab.real, axis=1)
    assert lab.config.drawn == tuple(map(tuple, RING))
    assert abs(radius.mean() - 2.0) < 0.02 and radius.std() < 4 * gan_target.DRAWN_SPREAD  # the ring drawn, not a preset
    batch = gan_toy.sample_real(lab.config, 500, torch.Generator().manual_seed(0)).numpy()
    assert abs(np.linalg.norm(batch, axis=1).mean() - 2.0) < 0.02
    frame = next(lab.train(5, frame_every=5))
    assert frame.step == 5 and frame.modes is None  # a drawing has no named modes to count
    preset = gan_toy.check_config(dataclasses.replace(SMALL, drawn={"points": RING}))
    assert preset.drawn == ()  # a preset's run keeps no drawing, so it does not tell two preset runs apart


@pytest.mark.unit
def test_train_continues_the_run_and_a_changed_setting_starts_another():
    lab = gan_toy.ToyLab(SMALL)
    first = list(lab.train(10))
    again = list(lab.train(10))
    assert [f.step for f in first] == [5, 10] and [f.step for f in again] == [15, 20] and again[-1].total_steps == 20
    assert again[-1].history["step"] == [5, 10, 15, 20]  # one history, continued
    assert lab.continues(dataclasses.replace(SMALL, steps=3000))  # Steps is how far a press trains: the same run
    assert not lab.continues(dataclasses.replace(SMALL, g_lr=2e-3)) and not lab.continues(dataclasses.replace(SMALL, seed=1))
    fresh = gan_toy.ToyLab(SMALL)
    assert page_lab.current_lab(lab, SMALL) is lab and page_lab.current_lab(None, SMALL).step == 0
    assert page_lab.current_lab(lab, dataclasses.replace(SMALL, loss="minimax")) is not lab
    assert fresh.step == 0 and fresh.run_id != lab.run_id


@pytest.mark.unit
def test_slow_motion_shows_every_step_and_a_press_sends_its_run_whole_first():
    lab = gan_toy.ToyLab(SMALL)
    for _ in lab.train(10):
        pass
    shown = list(page_lab.stream(lab, 3, slow=True))
    assert [frame.step for _, _, frame in shown] == [11, 12, 13]  # a frame after each step, the last one saying it is done
    first, last = shown[0][0], shown[-1][0]
    assert first["from"] == 0 and first["steps"] == [5, 10, 11] and "real" in first  # the run's history so far, and its real points
    assert last["from"] == 4 and last["steps"] == [13] and "real" not in last  # only what came since
    assert shown[-1][1].startswith("Done: 13 steps")


@pytest.mark.unit
def test_the_arrows_wire_form_keeps_each_direction_and_the_longest_length():
    at = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]])
    arrows = np.array([[3e-4, -4e-4], [1e-5, 0.0], [0.0, 0.0]])  # gradients this small round to 0 as raw thousandths
    value = page_lab.arrow_values(at, arrows)
    unit = np.frombuffer(base64.b64decode(value["arrows"]), "<i2").reshape(-1, 2) / 1000
    assert value["arrow_scale"] == pytest.approx(5e-4)
    assert np.allclose(unit * value["arrow_scale"], arrows, atol=1e-6) and np.allclose(unit[0], [0.6, -0.8])


# ---------- reference: against torch, computed here ----------


@pytest.mark.reference
@pytest.mark.parametrize("loss", list(G_LOSS_TERM))
def test_the_arrows_are_minus_the_gradient_of_each_points_own_term_of_gs_loss(loss):
    lab = trained_lab(loss)
    grads = [None if p.grad is None else p.grad.clone() for p in lab.d.parameters()]
    frame = lab.frame()
    z = lab.z[: toy_views.ARROWS]
    with torch.no_grad():
        points = lab.g(z)
    assert np.allclose(frame.arrows_at, points.numpy(), atol=1e-6)
    for i in range(0, toy_views.ARROWS, 7):  # one point at a time: its own term, alone in the graph
        x = points[i : i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(G_LOSS_TERM[loss](lab.d(x)).sum(), x)
        assert np.allclose(frame.arrows[i], -grad[0].numpy(), rtol=1e-4, atol=1e-7), (i, frame.arrows[i], -grad[0])
    assert np.abs(frame.arrows).max() > 0
    after = [p.grad for p in lab.d.parameters()]
    assert all(
        a is None and b is None or torch.equal(a, b) for a, b in zip(grads, after, strict=True)
    )  # drawing them left D's gradients be


@pytest.mark.reference
def test_the_manifold_is_g_on_a_regular_grid_over_the_noise_plane():
    lab = trained_lab()
    axis = np.linspace(-toy_views.NOISE_EXTENT, toy_views.NOISE_EXTENT, toy_views.GRID_CELLS + 1)
    grid = np.array([(zx, zy) for zy in axis for zx in axis], dtype=np.float32)  # row by row, y upwards
    with torch.no_grad():
        expected = lab.g(torch.from_numpy(grid)).numpy()
    manifold = lab.frame().manifold
    assert manifold.shape == (21 * 21, 2) and np.allclose(manifold, expected, atol=1e-6)
    assert np.allclose(toy_views.generator_manifold(lab.g), expected, atol=1e-6)


def snapshot(lab) -> dict:
    """Copies of everything a step may change, and the generators' states it draws from."""
    return {
        "g": copy.deepcopy(lab.g),
        "d": copy.deepcopy(lab.d),
        "g_optimizer": copy.deepcopy(lab.g_optimizer.state_dict()),
        "d_optimizer": copy.deepcopy(lab.d_optimizer.state_dict()),
        "noise": lab.noise.get_state(),
        "data": lab.data.get_state(),
    }


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def adam(module: torch.nn.Module, lr: float, state: dict) -> torch.optim.Adam:
    optimizer = torch.optim.Adam(module.parameters(), lr, betas=(0.5, 0.999))
    optimizer.load_state_dict(copy.deepcopy(state))
    return optimizer


@pytest.mark.reference
def test_step_d_is_one_adam_step_of_d_alone():
    lab = trained_lab()
    before = snapshot(lab)
    g, d = before["g"], copy.deepcopy(before["d"])
    optimizer = adam(d, lab.config.d_lr, before["d_optimizer"])
    data, noise = torch.Generator(), torch.Generator()
    data.set_state(before["data"]), noise.set_state(before["noise"])
    real = gan_toy.sample_toy(lab.config.distribution, lab.config.batch_size, data)
    fake = g(torch.randn(lab.config.batch_size, 2, generator=noise)).detach()
    real_logits, fake_logits = d(real), d(fake)
    loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    loss = loss + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))  # D's loss, written out
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    reported, _ = lab.step_d()
    assert reported == pytest.approx(float(loss.detach()), rel=1e-5)
    assert same_weights(lab.g, before["g"])  # G did not move
    assert not same_weights(lab.d, before["d"])  # D did
    for mine, theirs in zip(lab.d.parameters(), d.parameters(), strict=True):
        assert torch.allclose(mine, theirs, atol=1e-7)
    assert int(lab.d_optimizer.state_dict()["state"][0]["step"]) == int(before["d_optimizer"]["state"][0]["step"]) + 1
    assert lab.g_optimizer.state_dict()["state"][0]["step"] == before["g_optimizer"]["state"][0]["step"]


@pytest.mark.reference
def test_step_g_is_one_adam_step_of_g_alone():
    lab = trained_lab()
    before = snapshot(lab)
    g, d = copy.deepcopy(before["g"]), before["d"]
    optimizer = adam(g, lab.config.g_lr, before["g_optimizer"])
    noise = torch.Generator()
    noise.set_state(before["noise"])
    logits = d(g(torch.randn(lab.config.batch_size, 2, generator=noise)))
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))  # -log D(G(z)), the non-saturating loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    reported, _ = lab.step_g()
    assert reported == pytest.approx(float(loss.detach()), rel=1e-5)
    assert same_weights(lab.d, before["d"])  # D did not move
    assert not same_weights(lab.g, before["g"])
    for mine, theirs in zip(lab.g.parameters(), g.parameters(), strict=True):
        assert torch.allclose(mine, theirs, atol=1e-7)
    assert lab.data.get_state().equal(before["data"])  # G's step draws no real batch
    assert lab.d_optimizer.state_dict()["state"][0]["step"] == before["d_optimizer"]["state"][0]["step"]


# ---------- in a browser ----------

LEARN = "Watch it learn"
STATUS_STEP = re.compile(r"Stepped ([DG]) once \(step (\d+) of this run\)")


def open_learn(page, app_url: str):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.get_by_role("tab", name=LEARN).click()
    page.locator("#gan-target[data-ready], #gan-target [data-ready]").first.wait_for(state="attached", timeout=30_000)
    return page.locator("#gan-target canvas")


def chart_picture(page) -> str:
    return page.evaluate("() => document.querySelector('#gan-live canvas.plane').toDataURL()")


def press_step(page, network: str) -> int:
    """Press Step D or Step G; wait until the status names that step and the chart has changed; its step number."""
    before_frame = page.locator("#gan-live .live-gan").get_attribute("data-frame")
    before_picture = chart_picture(page)
    page.locator(f"#gan-step-{network.lower()}").click()
    status = page.locator("#gan-status")
    page.wait_for_function(
        "([el, network]) => new RegExp(`Stepped ${network} once`).test(el.innerText)",
        arg=[status.element_handle(), network],
        timeout=60_000,
    )
    chart = page.locator("#gan-live .live-gan")
    page.wait_for_function("([el, before]) => el.dataset.frame !== before", arg=[chart.element_handle(), before_frame], timeout=30_000)
    assert chart_picture(page) != before_picture  # what the visitor sees changed: points, surface, mesh or arrows
    network_shown, step = STATUS_STEP.search(status.inner_text()).groups()
    assert network_shown == network
    return int(step)


@pytest.mark.browser
def test_a_target_drawn_with_the_mouse_trains_and_step_d_and_g_each_change_the_chart(page, app_url, browser):
    canvas = open_learn(page, app_url)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    for t in np.linspace(0, 2 * math.pi, 40):  # a ring, by hand
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.3 * math.cos(t + math.pi)), box["y"] + box["height"] * (0.5 + 0.3 * math.sin(t)))
    page.mouse.up()
    note = page.locator("#gan-target-note")
    page.wait_for_function("el => /Your drawing: [\\d,]+ points/.test(el.innerText)", arg=note.element_handle(), timeout=30_000)
    assert int(re.search(r"([\d,]+) points", note.inner_text()).group(1).replace(",", "")) >= 30
    assert (
        page.locator("#gan-target [data-last-pointer], #gan-target[data-last-pointer]").first.get_attribute("data-last-pointer") == "mouse"
    )
    assert page.locator("#gan-distribution input").input_value() == DRAWN
    assert press_step(page, "D") == 1
    assert page.locator("#gan-live .title").inner_text() == "step 1/1"  # a drawing has no modes to count
    assert press_step(page, "G") == 2  # the same run, one step on

    # Another visitor (another browser context) has a run of their own: their first step is step 1.
    other = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        second = other.new_page()
        open_learn(second, app_url)
        assert press_step(second, "G") == 1
    finally:
        other.close()
    assert press_step(page, "D") == 3  # and this visitor's run went on where it was


@pytest.fixture
def touch_page(browser):
    """A laptop-sized page that takes touch events (a touchscreen laptop): console errors fail the test."""
    yield from watched_page(browser, viewport={"width": 1280, "height": 1000}, has_touch=True)


@pytest.mark.browser
def test_a_target_drawn_with_a_finger_is_taken(touch_page, app_url):
    page = touch_page  # the finger's touches reach the canvas as pointer events of type "touch"
    canvas = open_learn(page, app_url)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    touch = page.context.new_cdp_session(page)
    scrolled = page.evaluate("() => window.scrollY")
    points = [(box["x"] + box["width"] * (0.2 + 0.6 * i / 30), box["y"] + box["height"] * (0.3 + 0.4 * i / 30)) for i in range(31)]
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    note = page.locator("#gan-target-note")
    page.wait_for_function("el => /Your drawing: [\\d,]+ points/.test(el.innerText)", arg=note.element_handle(), timeout=30_000)
    assert (
        page.locator("#gan-target [data-last-pointer], #gan-target[data-last-pointer]").first.get_attribute("data-last-pointer") == "touch"
    )
    assert int(re.search(r"([\d,]+) points", note.inner_text()).group(1).replace(",", "")) >= 20  # a diagonal stroke, ~0.85 of the canvas
    assert page.evaluate("() => window.scrollY") == scrolled  # the finger drew: it did not scroll the page (touch-action: none)

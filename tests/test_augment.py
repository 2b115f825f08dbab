"""The augmentation previewer: settings checks, exact reference checks against torchvision, seeds,
boxes, caps and bad files, the digit label check, the API endpoints and the page in a browser."""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import replace

import gradio as gr
import numpy as np
import pytest
import torch
from gradio.media import get_image
from gradio_client import Client, handle_file
from PIL import Image
from playwright.sync_api import expect
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from core.augment.catalogue import parse_boxes
from core.augment.experiments import EXPERIMENTS, steps_from_widgets, widgets_from_steps
from core.augment.grid import DEFAULTS, caption, digit_grid, digit_image, photo_grid, shown_parameters, shown_records
from core.augment.transforms import CATALOGUE, MAX_COUNT, parse_pipeline, parse_settings, pipeline_code, sample_grid, to_v2
from core.digits.preprocess import prepare_digit
from core.errors import UserError
from demos import augment
from harness.browser import SEVEN, draw, open_gradio
from harness.serving import ROOT
from tests.conftest import axe_violations, need

SIZE = (48, 64)  # (H, W) of the test picture: small, not square, so width and height cannot be mixed up


def picture(mode: str = "RGB") -> Image.Image:
    """A smooth, asymmetric test picture (a gradient and a bright square), not noise."""
    y, x = np.mgrid[0 : SIZE[0], 0 : SIZE[1]]
    rgb = np.stack([x * 4, y * 5, (x + y) * 2], axis=2).astype(np.uint8)
    rgb[8:20, 10:30] = 250
    return Image.fromarray(rgb).convert(mode)


def same(a: Image.Image, b: Image.Image) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


@pytest.fixture(scope="module")
def cheetah() -> str:
    return get_image("cheetah.jpg")


# ---------- unit: settings ----------


@pytest.mark.unit
def test_a_step_gets_its_defaults_and_ranges_are_checked():
    step = parse_pipeline([{"transform": "rotation"}])[0]
    assert step == {"transform": "rotation", "degrees": 15.0}
    assert parse_pipeline([{"transform": "blur", "kernel_size": 8}])[0]["kernel_size"] == 9  # kernels are odd
    crop = parse_pipeline([{"transform": "resized_crop", "scale_min": 0.9, "scale_max": 0.2}])[0]
    assert (crop["scale_min"], crop["scale_max"]) == (0.2, 0.9)
    for bad, message in [
        ({"transform": "teleport"}, "one of"),
        ({"transform": "rotation", "degrees": 1e9}, "between 0 and 180"),
        ({"transform": "rotation", "degrees": "lots"}, "must be a number"),
        ({"transform": "rotation", "degrees": math.nan}, "must be a number"),
        ({"transform": "rotation", "angle": 3}, "no parameter angle"),
        ({"transform": "auto_augment", "policy": "mnist"}, "imagenet"),
    ]:
        with pytest.raises(UserError, match=message):
            parse_pipeline([bad])
    with pytest.raises(UserError, match="at most"):
        parse_pipeline([{"transform": "hflip"}] * 50)


@pytest.mark.unit
def test_api_settings_are_json_steps_optionally_with_boxes():
    steps, boxes = parse_settings('{"steps": [{"transform": "hflip", "p": 1}], "boxes": [[1, 2, 30, 40]]}')
    assert steps == [{"transform": "hflip", "p": 1.0}] and boxes == [[1, 2, 30, 40]]
    assert parse_settings('[{"transform": "grayscale"}]') == ([{"transform": "grayscale", "p": 0.2}], [])
    with pytest.raises(UserError, match="not valid JSON"):
        parse_settings("[{")
    with pytest.raises(UserError, match="20,000"):
        parse_settings("x" * 200_000)
    assert parse_boxes("82, 116, 378, 236\n1,2,3,4") == [[82, 116, 378, 236], [1, 2, 3, 4]]
    with pytest.raises(UserError, match="x1 < x2"):
        parse_boxes("10, 10, 5, 50")


@pytest.mark.unit
def test_widgets_become_steps_in_the_order_picked():
    values = [p.default for spec in CATALOGUE.values() for p in spec.params]
    values[[p for s in CATALOGUE.values() for p in s.params].index(CATALOGUE["rotation"].params[0])] = 90.0
    steps = augment.steps_from_widgets(["rotation", "hflip"], values)
    assert steps == [{"transform": "rotation", "degrees": 90.0}, {"transform": "hflip", "p": 0.5}]


@pytest.mark.unit
def test_an_experiment_sets_every_widget_and_reads_back_as_its_steps():
    for experiment in EXPERIMENTS:
        chosen, values = widgets_from_steps(experiment.steps)
        assert len(values) == sum(len(spec.params) for spec in CATALOGUE.values())
        assert parse_pipeline(steps_from_widgets(chosen, values)) == parse_pipeline(list(experiment.steps))
        assert f"Example {experiment.digit}" in augment.EXAMPLE_DIGITS  # its digit is on the page
    # parameters an experiment does not give go back to their defaults, undoing an earlier experiment
    _, values = widgets_from_steps([{"transform": "rotation", "degrees": 90.0}])
    assert values == [90.0 if v == 90.0 else p.default for v, p in zip(values, [p for s in CATALOGUE.values() for p in s.params])]
    assert values.count(90.0) == 1


NOTHING_DRAWN = {"seq": 3, "done": True, "side": 140, "ink": ""}  # the surface's value after Clear


@pytest.mark.unit
def test_a_missing_input_keeps_every_output_and_says_what_is_missing():
    chosen, values = widgets_from_steps([{"transform": "hflip"}])
    for source, photo, sketch, picked, message in [
        ("digit", None, NOTHING_DRAWN, chosen, "Nothing drawn"),
        ("photo", None, None, chosen, "No photo"),
        ("photo", augment.DIGITS[0], None, [], "Pick at least one transform"),
    ]:
        with pytest.warns(UserWarning, match=message):  # gr.Warning outside a request: a toast in the page
            out = augment.sample_ui(source, photo, "", sketch, picked, 0, 4, *values)
        assert list(out) == [gr.skip()] * augment.SAMPLE_OUTPUTS
    # a cleared canvas is not a mistake: the grid stays, silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(augment.sample_drawing("digit", None, "", NOTHING_DRAWN, chosen, 0, 4, *values)) == [gr.skip()] * 9


# ---------- reference: torchvision itself ----------


def replay(image, record: dict):
    """The shown parameters fed straight to v2.functional: the reference each sample must equal."""
    r, k, bl = record, record["transform"], v2.InterpolationMode.BILINEAR
    if not r.get("applied", True):
        return image
    policy_op = v2.AutoAugment()._apply_image_or_video_transform  # torchvision's own op table
    calls = {
        "hflip": lambda: F.horizontal_flip(image),
        "vflip": lambda: F.vertical_flip(image),
        "rotation": lambda: F.rotate(image, r["angle"], interpolation=bl, fill=0),
        "resized_crop": lambda: F.resized_crop(image, r["top"], r["left"], r["height"], r["width"], r["size"], interpolation=bl),
        "affine": lambda: F.affine(image, r["angle"], r["translate"], r["scale"], r["shear"], interpolation=bl, fill=0),
        "perspective": lambda: F.perspective(image, r["startpoints"], r["endpoints"], interpolation=bl, fill=0),
        "blur": lambda: F.gaussian_blur(image, r["kernel_size"], r["sigma"]),
        "grayscale": lambda: F.rgb_to_grayscale(image, r["num_output_channels"]),
        "erasing": lambda: F.erase(image, r["i"], r["j"], r["h"], r["w"], torch.tensor([[[r["value"]]]])),
        "elastic": lambda: F.elastic(image, r["displacement"], interpolation=bl, fill=0),
    }
    if k in calls:
        return calls[k]()
    if k == "color_jitter":
        for name in r["order"]:
            image = getattr(F, f"adjust_{name}")(image, r[f"{name}_factor"])
        return image
    if k == "augmix":
        batch = F.pil_to_tensor(image)[None].float()
        mix = r["original_weight"] * batch
        for weight, chain in zip(r["chain_weights"], r["chains"]):
            out = F.pil_to_tensor(image)[None]
            for op, magnitude in chain:
                out = policy_op(out, op, magnitude, interpolation=bl, fill={})
            mix = mix + torch.tensor(weight) * out
        return F.to_pil_image(mix[0].to(torch.uint8))
    for op, magnitude in r["ops"]:
        image = policy_op(image, op, magnitude, interpolation=v2.InterpolationMode.NEAREST, fill={})
    return image


@pytest.mark.reference
@pytest.mark.parametrize("key", list(CATALOGUE))
def test_each_sample_equals_v2_functional_with_the_shown_parameters(key):
    image = picture()
    samples = sample_grid(image, parse_pipeline([{"transform": key}]), seed=11, count=6)
    for sample in samples:
        (record,) = sample.records
        if key != "elastic":  # the elastic field is a tensor; everything else round-trips through JSON
            record = shown_records(sample)[0]
        assert np.abs(np.asarray(replay(image, record), np.int16) - np.asarray(sample.image, np.int16)).max() <= (
            1 if key == "augmix" else 0
        )
    assert any(not same(s.image, image) for s in samples)  # the transform did something


@pytest.mark.reference
@pytest.mark.parametrize("key", list(CATALOGUE))
def test_our_generator_draws_exactly_what_torchvision_draws_from_the_same_seed(key):
    """torch.manual_seed(s) + the v2 transform == our samples from torch.Generator().manual_seed(s)."""
    for mode in ("RGB", "L"):
        image = picture(mode)
        steps = parse_pipeline([{"transform": key}])
        samples = sample_grid(image, steps, seed=5, count=5)
        transform = to_v2(steps[0], SIZE)
        torch.manual_seed(5)
        assert all(same(s.image, transform(image)) for s in samples)


@pytest.mark.reference
def test_the_shown_code_reproduces_the_grid():
    image = picture()
    steps = parse_pipeline([{"transform": k} for k in ("hflip", "resized_crop", "color_jitter", "erasing", "rand_augment", "elastic")])
    samples = sample_grid(image, steps, seed=42, count=8)
    scope = {"image": image}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(pipeline_code(steps, SIZE, 42, 8), scope)  # the text the page shows, run as is
    assert len(scope["samples"]) == 8
    assert all(same(ours, theirs) for ours, theirs in zip((s.image for s in samples), scope["samples"]))


@pytest.mark.unit
def test_same_seed_same_samples_other_seed_other_samples():
    image, steps = picture(), parse_pipeline([{"transform": "rotation", "degrees": 40}, {"transform": "color_jitter"}])
    first, again, other = (sample_grid(image, steps, seed, 8) for seed in (3, 3, 4))
    assert all(same(a.image, b.image) and a.records == b.records for a, b in zip(first, again))
    assert sum(not same(a.image, b.image) for a, b in zip(first, other)) == 8
    assert len({caption(s, 0) for s in first}) == 8  # every sample shows its own parameters


@pytest.mark.unit
def test_the_details_box_shows_the_selected_samples_steps_one_a_line():
    second = [{"transform": "rotation", "angle": 12.5}, {"transform": "hflip", "applied": True}]
    shown = shown_parameters([[{"transform": "hflip", "applied": False}], second], 1)
    assert shown.splitlines() == ["sample #2:", '{"transform": "rotation", "angle": 12.5}', '{"transform": "hflip", "applied": true}']


@pytest.mark.reference
def test_boxes_follow_the_image():
    image, box = picture(), [[10.0, 8.0, 30.0, 20.0]]
    (flipped,) = sample_grid(image, parse_pipeline([{"transform": "hflip", "p": 1}]), 0, 1, torch.tensor(box))
    assert flipped.boxes.tolist() == [[SIZE[1] - 30.0, 8.0, SIZE[1] - 10.0, 20.0]]
    steps = parse_pipeline([{"transform": "resized_crop"}, {"transform": "affine", "degrees": 20}])
    for sample in sample_grid(image, steps, 9, 4, torch.tensor(box)):
        expected = tv_tensors.BoundingBoxes(box, format="XYXY", canvas_size=SIZE)
        for record in sample.records:
            expected = replay(expected, record)
        assert torch.allclose(sample.boxes, expected.as_subclass(torch.Tensor))
    # torchvision's policies refuse boxes; the grid then carries none rather than wrong ones
    assert sample_grid(image, parse_pipeline([{"transform": "auto_augment"}]), 0, 1, torch.tensor(box))[0].boxes is None


@pytest.mark.unit
def test_boxes_are_drawn_on_the_cheetah(cheetah):
    full_size = replace(DEFAULTS, display_side=1024)
    out = photo_grid(cheetah, parse_pipeline([{"transform": "hflip", "p": 1}]), augment.BOXES["cheetah.jpg"], 0, 1, full_size)
    pixels = np.asarray(out["gallery"][0][0])
    x1 = 502 - 378  # the box's left edge after a left-right flip
    green = pixels[150:200, x1 : x1 + 2]
    assert (green[..., 1] > 200).all() and (green[..., 0] < 90).all()


@pytest.mark.unit
def test_costs_are_capped(tmp_path):
    image = picture()
    assert len(sample_grid(image, parse_pipeline([{"transform": "hflip"}]), 0, 10_000)) == MAX_COUNT
    big = tmp_path / "big.png"
    Image.new("RGB", (3000, 1500), "white").save(big)
    out = photo_grid(str(big), parse_pipeline([{"transform": "hflip"}]), [[0, 0, 3000, 1500]], 0, 1)
    assert "1 samples of a 512×256 image" in out["summary"]
    assert max(out["gallery"][0][0].size) == DEFAULTS.display_side
    with pytest.raises(UserError, match="at least 28"):
        sample_grid(Image.new("RGB", (20, 100)), [], 0, 1)


@pytest.mark.unit
@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n not really a png", b"just some text, not an image"])
def test_a_corrupt_or_non_image_file_is_a_clear_error(tmp_path, content):
    bad = tmp_path / "photo.png"
    bad.write_bytes(content)
    with pytest.raises(gr.Error, match="Could not read that image"):
        augment.augment_image(handle_file(str(bad)), "[]", 0, 4)


# ---------- the digit CNN: does the label survive? ----------


def need_digit_cnn():
    need((ROOT / "checkpoints" / "digit_cnn.safetensors").exists(), "the digit CNN checkpoint is not there yet")


def six() -> np.ndarray:
    return prepare_digit(Image.open(augment.ASSETS / "digit_6.png")).image


@pytest.mark.reference
def test_a_six_turned_upside_down_reads_as_a_nine():
    need_digit_cnn()
    steps = parse_pipeline([{"transform": "hflip", "p": 1}, {"transform": "vflip", "p": 1}])
    out = digit_grid(six(), steps, seed=0, count=4)
    assert out["original_class"] == 6
    assert out["classes"] == [9, 9, 9, 9]
    assert out["table"][-1] == ["whole pipeline", 4, 4]
    assert "4 of 4" in out["summary"]
    assert np.asarray(out["gallery"][0][0])[0, 0].tolist() == list(DEFAULTS.changed)  # framed red
    upside_down = np.rot90(np.asarray(digit_image(six())), 2)  # flipped both ways: the sample the sketcher receives
    assert all(d.dtype == np.uint8 and np.array_equal(d, upside_down) for d in out["digits"]) and len(out["digits"]) == 4


@pytest.mark.reference
def test_gentle_augmentation_keeps_the_label():
    need_digit_cnn()
    steps = parse_pipeline([{"transform": "rotation", "degrees": 8}, {"transform": "color_jitter"}])
    out = digit_grid(six(), steps, seed=1, count=16)
    assert out["original_class"] == 6 and out["classes"].count(6) >= 15
    assert [row[0] for row in out["table"]] == ["rotation", "color_jitter", "whole pipeline"]


@pytest.mark.reference
def test_each_try_this_experiment_shows_what_it_says():
    need_digit_cnn()
    found = {}
    for experiment in EXPERIMENTS:
        chosen, values = widgets_from_steps(experiment.steps)
        steps = parse_pipeline(steps_from_widgets(chosen, values))
        found[experiment.title] = digit_grid(augment.example_digit(f"Example {experiment.digit}"), steps, seed=0, count=16)
    flip = found["Flip a 6"]
    turned = [c for c, r in zip(flip["classes"], flip["records"]) if r[0]["applied"] and r[1]["applied"]]
    assert flip["original_class"] == 6 and turned and set(turned) == {9}  # flipped both ways: a half turn, a 9
    rotated = found["Too much rotation"]
    assert rotated["original_class"] == 6 and rotated["classes"].count(6) <= 12 and 9 in rotated["classes"]
    safe = found["Label-safe pipeline"]
    assert safe["original_class"] == 2 and safe["classes"] == [2] * 16
    assert len({picture.tobytes() for picture, _ in safe["gallery"]}) == 16  # and every sample differs


# ---------- end to end: the API and the page ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/augment/", verbose=False)


@pytest.mark.e2e
def test_augment_image_endpoint_is_seeded_and_shows_parameters(client, cheetah):
    settings = json.dumps(
        {"steps": [{"transform": "rotation", "degrees": 30}, {"transform": "color_jitter"}], "boxes": [[82, 116, 378, 236]]}
    )
    gallery, details = client.predict(handle_file(cheetah), settings, 7, 16, api_name="/augment_image")
    again, _ = client.predict(handle_file(cheetah), settings, 7, 16, api_name="/augment_image")
    other, _ = client.predict(handle_file(cheetah), settings, 8, 16, api_name="/augment_image")
    assert len(gallery) == 16 and len(details["samples"]) == 16
    assert gallery[0]["caption"].startswith("#1: rotate") and "v2.RandomRotation(degrees=30.0" in details["code"]
    pixels = [np.asarray(Image.open(item["image"])) for item in (gallery[0], again[0], other[0])]
    assert np.array_equal(pixels[0], pixels[1]) and not np.array_equal(pixels[0], pixels[2])
    assert [c["caption"] for c in gallery] == [c["caption"] for c in again]


@pytest.mark.e2e
def test_augment_image_endpoint_refuses_bad_input_clearly(client, cheetah, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(Exception, match="Could not read that image"):
        client.predict(handle_file(str(text)), "[]", 0, 4, api_name="/augment_image")
    with pytest.raises(Exception, match="count must be between 1 and 64"):
        client.predict(handle_file(cheetah), "[]", 0, 10**9, api_name="/augment_image")
    with pytest.raises(Exception, match="between 0 and 180"):
        client.predict(handle_file(cheetah), '[{"transform": "rotation", "degrees": 1e9}]', 0, 4, api_name="/augment_image")


@pytest.mark.e2e
def test_augment_digit_endpoint_counts_changed_classes(client):
    need_digit_cnn()
    settings = json.dumps([{"transform": "vflip", "p": 1}, {"transform": "hflip", "p": 1}])
    gallery, details = client.predict(handle_file(str(augment.ASSETS / "digit_6.png")), settings, 0, 3, api_name="/augment_digit")
    assert details["original_class"] == 6 and details["classes"] == [9, 9, 9]
    assert gallery[0]["caption"].startswith("reads 9 ✗")


@pytest.mark.browser
def test_the_page_opens_on_a_grid_of_the_cheetah_with_its_box(page, app_url):
    open_gradio(page, f"{app_url}/demos/augment/")
    gallery, summary = page.locator("#augment-result"), page.locator("#augment-summary")
    page.wait_for_function("el => el.innerText.includes('16 samples of a 502×343 image')", arg=summary.element_handle(), timeout=60_000)
    assert gallery.locator("img").count() >= 16 and "#1:" in gallery.inner_text()
    assert "82, 116" in page.get_by_label("Bounding boxes: x1, y1, x2, y2 per line (photo pixels)").input_value()
    code = page.locator("#augment-code").inner_text()
    assert "v2.RandomRotation(degrees=15.0" in code and "torch.manual_seed(0)" in code


@pytest.mark.browser
def test_the_page_samples_another_photo_with_its_box(page, app_url):
    open_gradio(page, f"{app_url}/demos/augment/")
    summary = page.locator("#augment-summary")
    page.wait_for_function("el => el.innerText.includes('502×343')", arg=summary.element_handle(), timeout=60_000)
    page.locator("img[src*='lion']").first.click()  # the example fills the photo and its box
    page.wait_for_function("() => [...document.querySelectorAll('textarea')].some(t => t.value.includes('60, 4'))", timeout=10_000)
    page.locator("#augment-run").click()
    page.wait_for_function("el => el.innerText.includes('16 samples of a 256×256 image')", arg=summary.element_handle(), timeout=60_000)
    assert page.locator("#augment-result img").count() >= 16


def open_digit_tab(page, url: str) -> None:
    """Open the page, wait for its opening grid, then open the Digit tab and wait for the example's grid."""
    open_gradio(page, url)
    summary = page.locator("#augment-summary")
    expect(summary).to_contain_text("16 samples of a 502×343 image", timeout=60_000)
    page.get_by_role("tab", name="Digit").click()
    expect(summary).to_contain_text("reads the original as a 6", timeout=60_000)


@pytest.mark.browser
def test_the_digit_tab_opens_on_a_sampled_six_keeps_it_when_nothing_is_drawn_and_samples_a_drawing(page, app_url):
    need_digit_cnn()
    open_digit_tab(page, f"{app_url}/demos/augment/")  # no click on the canvas, no tool to pick
    summary, result = page.locator("#augment-summary"), page.locator("#augment-result")
    assert result.locator("img").count() >= 16 and "reads 6 ·" in result.inner_text()
    page.locator("#augment-canvas .clear").click()
    page.locator("#augment-run").click()  # nothing drawn: a toast says so, and the grid stays
    expect(page.locator(".toast-body")).to_contain_text("Nothing drawn", timeout=10_000)
    assert "reads the original as a 6" in summary.inner_text() and result.locator("img").count() >= 16
    assert page.get_by_text("Error", exact=True).count() == 0  # no red Error badge on any output
    canvas = page.locator("#augment-canvas canvas")
    canvas.scroll_into_view_if_needed()  # pressing Sample scrolled the page
    draw(page, canvas, SEVEN)  # pen-up samples the drawing: no click
    expect(summary).to_contain_text("reads the original as a 7", timeout=60_000)
    assert "of 16" in summary.inner_text() and "reads " in result.inner_text()
    expect(page.locator("#augment-table")).to_contain_text("whole pipeline", timeout=10_000)
    assert "color_jitter" in page.locator("#augment-table").inner_text()


@pytest.mark.browser
def test_each_try_this_button_sets_up_its_experiment_in_one_click(page, app_url):
    need_digit_cnn()
    open_gradio(page, f"{app_url}/demos/augment/")
    summary, table, code = page.locator("#augment-summary"), page.locator("#augment-table"), page.locator("#augment-code")
    expect(summary).to_contain_text("502×343", timeout=60_000)  # from the Photo tab
    for button, original, rows, in_code in [
        ("Flip a 6", "a 6", ["hflip", "vflip"], "v2.RandomVerticalFlip(p=0.5)"),
        ("Too much rotation", "a 6", ["rotation"], "v2.RandomRotation(degrees=180.0"),
        ("Label-safe pipeline", "a 2", ["rotation", "affine", "elastic"], "v2.ElasticTransform(alpha=30.0"),
    ]:
        page.get_by_role("button", name=button, exact=True).click()
        expect(code).to_contain_text(in_code, timeout=60_000)
        expect(table).to_contain_text(rows[-1])
        shown = [line.split("\t")[0].strip() for line in table.inner_text().splitlines()]
        assert [row for row in shown if row in CATALOGUE] == rows, shown
        assert f"reads the original as {original}" in summary.inner_text()
        assert page.get_by_role("tab", name="Digit").get_attribute("aria-selected") == "true"
        assert button in page.locator("#augment-try-note").inner_text()
        if button == "Flip a 6":  # Sample still reads the digit put on the canvas (a fresh page's first Try-this)
            page.get_by_label("Seed").fill("1")
            page.locator("#augment-run").click()
            expect(code).to_contain_text("torch.manual_seed(1)", timeout=60_000)
            page.get_by_label("Seed").fill("0")
    assert "0 of 16" in summary.inner_text()  # the label-safe pipeline keeps every label


def send_a_nine(page) -> None:
    """Flip a 6, pick a sample the CNN reads as a 9, and send it to the sketcher."""
    page.get_by_role("button", name="Flip a 6", exact=True).click()
    expect(page.locator("#augment-code")).to_contain_text("RandomVerticalFlip", timeout=60_000)
    nine = page.locator("#augment-result button", has_text="reads 9").first
    number = re.search(r"#(\d+)", nine.inner_text()).group(1)
    nine.click()
    expect(page.locator("#augment-details")).to_contain_text(f"sample #{number}")
    page.locator("#augment-send-to-sketcher").click()


@pytest.mark.browser
def test_a_digit_sample_goes_to_the_sketcher_in_the_gallery(page, app_url):
    need_digit_cnn()
    open_gradio(page, f"{app_url}/?tab=augment")
    expect(page.locator("#augment-summary")).to_contain_text("502×343", timeout=60_000)
    send_a_nine(page)
    expect(page.get_by_role("tab", name="Digit sketcher")).to_have_attribute("aria-selected", "true", timeout=10_000)
    expect(page.locator("#verdict")).to_contain_text(re.compile(r"reads? an? 9\b"), timeout=60_000)


@pytest.mark.browser
def test_a_digit_sample_goes_to_the_sketcher_from_the_standalone_page(page, app_url):
    need_digit_cnn()
    open_gradio(page, f"{app_url}/demos/augment/")
    expect(page.locator("#augment-summary")).to_contain_text("502×343", timeout=60_000)
    with page.context.expect_page() as opened:
        send_a_nine(page)
    sketcher = opened.value
    assert "/demos/sketcher/?digit=" in sketcher.url
    assert page.locator("#augment-send a").get_attribute("href") == sketcher.url  # the link, if the new tab was blocked
    expect(sketcher.locator("#verdict")).to_contain_text(re.compile(r"reads? an? 9\b"), timeout=90_000)


@pytest.mark.browser
def test_axe_finds_no_critical_violation_and_no_contrast_failure_on_the_page(page, app_url):
    open_digit_tab(page, f"{app_url}/demos/augment/")
    violations = axe_violations(page)
    assert not [v for v in violations if v["impact"] == "critical"], violations
    assert not [v for v in violations if v["id"] in ("color-contrast", "button-name", "image-alt", "label")], violations

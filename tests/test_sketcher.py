"""The digit sketcher: its pure functions, its handlers on real drawings, and its API endpoint."""

from __future__ import annotations

import base64

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image, ImageDraw

from demos import drawing, sketcher

EXAMPLE_DIGITS = {"digit_3.png": "3", "digit_7_white_on_black.png": "7", "digit_4_thin.png": "4", "digit_9_photo.jpg": "9"}


@pytest.mark.unit
def test_label_payload_is_what_gr_label_sends_an_api_client():
    probabilities = np.array([0.05, 0.7, 0.25] + [0.0] * 7)
    payload = sketcher.label_payload(probabilities)
    assert payload["label"] == "1"
    assert [c["label"] for c in payload["confidences"][:3]] == ["1", "2", "0"]
    assert sum(c["confidence"] for c in payload["confidences"]) == pytest.approx(1.0)


@pytest.mark.unit
def test_seen_image_is_white_ink_on_black_and_enlarged():
    field = np.zeros((28, 28), np.float32)
    field[10, 12] = 1.0
    seen = sketcher.seen_image(field, zoom=8)
    assert seen.shape == (224, 224) and seen.dtype == np.uint8
    assert seen[80:88, 96:104].min() == 255 and seen[0, 0] == 0


@pytest.mark.unit
def test_attribution_overlay_colours_for_and_against():
    ink = np.ones((4, 4), np.float32)
    attributions = np.array([[1.0, -1.0, 0.0, 0.0]] * 4, np.float32)
    overlay = sketcher.attribution_overlay(ink, attributions)
    assert overlay.shape == (4, 4, 3)
    red, blue, plain = overlay[0, 0], overlay[0, 1], overlay[0, 2]
    assert red[0] > 200 and red[2] < 60  # pushed towards the answer: red
    assert blue[2] > 200 and blue[0] < 60  # pushed against: blue
    assert plain[0] == plain[1] == plain[2]  # no push: grey ink


def surface_value(raster: np.ndarray | None, seq: int, done: bool) -> dict:
    """What the drawing surface sends: its ink shrunk to a grey square, base64."""
    ink = "" if raster is None else base64.b64encode(raster.astype(np.uint8).tobytes()).decode()
    return {"seq": seq, "done": done, "side": drawing.SEND_SIDE, "ink": ink}


def drawn_seven() -> np.ndarray:
    """A 7 as the surface sends it: black strokes on white, SEND_SIDE pixels a side."""
    image = Image.new("L", (drawing.SEND_SIDE,) * 2, 255)
    ImageDraw.Draw(image).line([(35, 30), (105, 30), (63, 115)], fill=0, width=8, joint="curve")
    return np.asarray(image)


@pytest.mark.unit
def test_empty_canvas_asks_for_a_digit_instead_of_failing():
    blank = surface_value(np.full((drawing.SEND_SIDE,) * 2, 255, np.uint8), seq=5, done=True)
    for value in (blank, surface_value(None, seq=5, done=True)):
        cnn, mlp, seen, cnn_map, mlp_map, verdict = sketcher.predict_drawing(value)
        assert cnn == {"seq": 5, "probabilities": None} and mlp["probabilities"] is None
        assert seen["rgb"] == cnn_map["rgb"] == mlp_map["rgb"] == ""
        assert "Draw a digit" in verdict["text"] and verdict["seq"] == 5
    assert sketcher.predict_drawing(None)[5]["text"] == sketcher.DRAW_PROMPT


@pytest.mark.reference
def test_while_the_pen_moves_only_the_readings_change_and_on_pen_up_everything():
    live = sketcher.predict_drawing(surface_value(drawn_seven(), seq=7, done=False))
    assert int(np.argmax(live[0]["probabilities"])) == 7 and live[0]["seq"] == 7
    assert int(np.argmax(live[1]["probabilities"])) == 7
    assert all(value == gr.skip() for value in live[2:5])  # the explanations wait for pen-up
    assert "**7**" in live[5]["text"] and live[5]["final"] is False  # not read aloud while drawing
    cnn, mlp, seen, cnn_map, mlp_map, verdict = sketcher.predict_drawing(surface_value(drawn_seven(), seq=8, done=True))
    assert cnn["probabilities"] == live[0]["probabilities"] and cnn["seq"] == 8
    assert (seen["width"], seen["height"]) == (28, 28)
    assert (cnn_map["width"], cnn_map["height"]) == (drawing.SEND_SIDE,) * 2 and mlp_map["rgb"]
    assert verdict["final"] is True
    # The page's change event reads while drawing; a finished drawing is the release event's (pen-up).
    assert sketcher.read_while_drawing(surface_value(drawn_seven(), seq=8, done=True)) == (gr.skip(),) * 6
    assert sketcher.read_while_drawing(surface_value(drawn_seven(), seq=9, done=False))[0]["seq"] == 9


@pytest.mark.reference
@pytest.mark.parametrize("name,digit", EXAMPLE_DIGITS.items())
def test_examples_are_read_correctly_by_both_models(name, digit):
    cnn, mlp, seen, cnn_map, mlp_map, verdict = sketcher.predict_upload(str(sketcher.ASSETS / name))
    assert str(int(np.argmax(cnn["probabilities"]))) == digit
    assert str(int(np.argmax(mlp["probabilities"]))) == digit
    assert (seen["width"], seen["height"]) == (28, 28)
    assert max(cnn_map["width"], cnn_map["height"]) <= sketcher.MAP_SIDE and cnn_map["rgb"]
    assert f"**{digit}**" in verdict["text"]


@pytest.mark.reference
def test_integrated_gradients_complete_to_the_logit_difference():
    """IG's completeness axiom: attributions add up to f(input) - f(baseline)."""
    import torch

    from core.digits.explain import integrated_gradients
    from core.digits.predict import load_digit_model
    from core.digits.preprocess import normalize, prepare_digit, to_model_input

    model = load_digit_model("cnn")
    inputs = to_model_input(prepare_digit(np.asarray(Image.open(sketcher.ASSETS / "digit_3.png"))))
    inputs = inputs.to(next(model.parameters()).device)  # the model's device: the CPU here, CUDA under GALLERY_DEVICE=cuda
    attributions = integrated_gradients(model, inputs, target=3, steps=256)
    with torch.no_grad():
        gap = model(inputs)[0, 3] - model(normalize(torch.zeros_like(inputs)))[0, 3]
    assert attributions.sum() == pytest.approx(float(gap), rel=0.1)


@pytest.mark.reference
def test_the_folded_cnn_has_the_shipped_cnns_integrated_gradients():
    """The pen-up maps use the folded CNN: same function, so the same input gradients."""
    from core.digits.explain import integrated_gradients
    from core.digits.predict import answering_cnn, load_digit_model
    from core.digits.preprocess import prepare_digit, to_model_input

    inputs = to_model_input(prepare_digit(np.asarray(Image.open(sketcher.ASSETS / "digit_3.png"))))
    shipped = integrated_gradients(load_digit_model("cnn"), inputs, target=3)
    np.testing.assert_allclose(integrated_gradients(answering_cnn(), inputs, target=3), shipped, atol=1e-5 * np.abs(shipped).max())


@pytest.mark.unit
def test_a_corrupt_upload_is_a_clear_error(tmp_path):
    import gradio as gr

    bad = tmp_path / "digit.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(gr.Error, match="Could not read that image"):
        sketcher.predict_upload(str(bad))


# ---------- end to end through gradio_client ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/sketcher/", verbose=False)


@pytest.mark.e2e
def test_classify_digit_endpoint_returns_the_label_value(client):
    result = client.predict(handle_file(str(sketcher.ASSETS / "digit_3.png")), api_name="/classify_digit")
    assert result["label"] == "3"
    assert len(result["confidences"]) == 10
    assert result["confidences"][0]["confidence"] > 0.5


@pytest.mark.e2e
def test_classify_digit_on_a_blank_image_says_draw_a_digit(client, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), "white").save(blank)
    with pytest.raises(Exception, match="draw a digit"):
        client.predict(handle_file(str(blank)), api_name="/classify_digit")


@pytest.mark.reference
def test_the_answering_cnn_is_the_shipped_cnn_with_batch_norms_folded():
    import torch

    from core.digits.predict import answering_cnn, load_digit_model

    folded, shipped = answering_cnn(), load_digit_model("cnn")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in shipped.modules())  # the original is untouched
    inputs = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)).to(next(shipped.parameters()).device)
    with torch.inference_mode():
        torch.testing.assert_close(folded(inputs), shipped(inputs), rtol=1e-4, atol=1e-4)


# ---------- comparing attribution methods, and /explain_digit ----------


@pytest.mark.unit
def test_method_notes_say_what_each_method_computes_and_where_it_misleads():
    assert [value for _, value in sketcher.METHOD_CHOICES] == ["saliency", "integrated_gradients", "smoothgrad", "occlusion", "gradcam"]
    assert "*Misleads:*" in sketcher.method_note("occlusion") and "Occlusion" in sketcher.method_note("occlusion")
    assert "MLP has none" in sketcher.method_note("gradcam", "mlp") and "Misleads" in sketcher.method_note("gradcam", "cnn")
    with pytest.raises(gr.Error, match="method must be one of saliency, integrated_gradients"):
        sketcher.compare_again(None, "deeplift", "gradcam", "cnn")


@pytest.mark.reference
def test_two_methods_side_by_side_on_a_drawn_digit():
    field = sketcher.prepared_field(Image.open(sketcher.ASSETS / "digit_3.png"))
    left, right, left_note, right_note = sketcher.compare_again(field, "integrated_gradients", "gradcam", "cnn")
    assert left.shape == right.shape == (224, 224, 3) and not np.array_equal(left, right)
    assert "Integrated gradients" in left_note and "Grad-CAM" in right_note
    left, right, _, right_note = sketcher.compare_again(field, "occlusion", "gradcam", "mlp")  # no Grad-CAM without convolutions
    assert left.shape == (224, 224, 3) and right is None and "MLP has none" in right_note
    assert sketcher.compare_again(None, "saliency", "smoothgrad", "cnn")[:2] == (None, None)  # nothing drawn yet


@pytest.mark.reference
def test_the_comparison_waits_for_pen_up_and_keeps_the_drawn_digit():
    moving = sketcher.compare_drawing(surface_value(drawn_seven(), seq=3, done=False), "saliency", "gradcam", "cnn")
    assert all(value == gr.skip() for value in moving)  # nothing while the pen moves
    field, left, right, left_note, right_note = sketcher.compare_drawing(
        surface_value(drawn_seven(), seq=4, done=True), "saliency", "gradcam", "cnn"
    )
    assert field.shape == (28, 28) and left.shape == right.shape == (224, 224, 3)
    assert "Saliency" in left_note and "Grad-CAM" in right_note
    cleared = sketcher.compare_drawing(surface_value(None, seq=5, done=True), "saliency", "gradcam", "cnn")
    assert cleared[:3] == (None, None, None)  # Clear: no digit, no pictures


@pytest.mark.e2e
@pytest.mark.parametrize("method", ["saliency", "integrated_gradients", "smoothgrad", "occlusion", "gradcam"])
def test_explain_digit_endpoint_returns_a_png_map_for_every_method(client, method):
    path = client.predict(handle_file(str(sketcher.ASSETS / "digit_3.png")), method, api_name="/explain_digit")
    with Image.open(path) as picture:
        assert picture.format == "PNG" and picture.size == (224, 224)
        pixels = np.asarray(picture.convert("RGB")).astype(int)
    reds = (pixels[..., 0] > pixels[..., 2] + 60).sum()  # pushed towards the answer
    assert reds > 100, reds


@pytest.mark.e2e
def test_explain_digit_refuses_an_unknown_method_and_a_blank_image(client, tmp_path):
    digit = handle_file(str(sketcher.ASSETS / "digit_3.png"))
    with pytest.raises(Exception, match="method must be one of saliency, integrated_gradients, smoothgrad, occlusion, gradcam"):
        client.predict(digit, "deeplift", api_name="/explain_digit")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), "white").save(blank)
    with pytest.raises(Exception, match="draw a digit"):
        client.predict(handle_file(str(blank)), "gradcam", api_name="/explain_digit")


@pytest.mark.browser
def test_browser_two_methods_side_by_side_follow_the_choices(page, app_url):
    from tests.conftest import open_gradio

    open_gradio(page, f"{app_url}/demos/sketcher/")
    page.get_by_role("tab", name="Upload a photo").click()
    page.locator(".gallery-item, button.gallery-item, [data-testid='examples'] button").first.click()
    left, right = page.locator("#compare-left-map img").first, page.locator("#compare-right-map img").first
    left.wait_for(timeout=30_000)
    right.wait_for(timeout=30_000)
    before = right.get_attribute("src")
    assert "Grad-CAM" in page.locator("#compare-right-note").inner_text()
    page.locator("#compare-right input").click()
    page.get_by_role("option", name="Occlusion", exact=True).click()
    note = page.locator("#compare-right-note")
    page.wait_for_function("el => el.innerText.includes('Occlusion')", arg=note.element_handle(), timeout=30_000)
    page.wait_for_function(
        "([el, before]) => el.querySelector('img') && el.querySelector('img').src !== before",
        arg=[page.locator("#compare-right-map").element_handle(), before],
        timeout=30_000,
    )
    page.get_by_role("radio", name="MLP").click()
    page.locator("#compare-right input").click()
    page.get_by_role("option", name="Grad-CAM (CNN only)").click()
    page.wait_for_function("el => el.innerText.includes('MLP has none')", arg=note.element_handle(), timeout=30_000)
    assert page.locator("#compare-left-map img").count() == 1  # the left method still explains the MLP

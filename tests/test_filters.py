"""The CNN filter visualiser: pictures and arithmetic, reference checks against F.conv2d and forward
hooks, activation maximisation on the shipped digit CNN, the ImageNet option offline with a tiny
random torchvision model, and the demo through gradio_client and a browser."""

from __future__ import annotations

import base64
import threading

import gradio as gr
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradio_client import Client, handle_file
from PIL import Image
from torchvision.models import ResNet18_Weights
from torchvision.models.resnet import BasicBlock, ResNet

from core.digits.models import DigitCNN
from core.errors import UserError
from core.vision import convolution as conv
from core.vision import imagenet, visualiser
from core.vision.filters import channel_activation, digit_vision_model, excite, feature_maps, grad_cam, layer_grid, vision_model
from core.vision.imagenet import RESNET18, WeightsMissingError, download_weights, to_imagenet_input, weights_file
from core.vision.model import conv_layers
from core.vision.pictures import diverging, heat_overlay, kernel_grid, map_grid, notes
from demos import drawing, handoff, lesson
from demos.filters import build, choices
from demos.filters import handlers as demo
from harness.browser import open_gradio, settle
from harness.serving import join
from tests.conftest import axe_violations

DIGIT_3 = str(demo.ASSETS / "digit_3.png")
PHOTO = str(demo.ASSETS / "filters" / "grace_hopper.jpg")


def picture_pixels(path: str) -> np.ndarray:
    """A picture a handler sent (the path of its PNG) -> its pixels."""
    return np.asarray(Image.open(path))


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # One-image passes on a shared 2-core machine: a second intra-op thread only adds contention.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():

    return digit_vision_model()


@pytest.fixture(scope="module")
def digit_input(digits):
    return digits.prepare(np.asarray(Image.open(DIGIT_3)))[0].to(digits.device)  # the CPU, or CUDA under GALLERY_DEVICE=cuda


# ---------- unit: pictures and arithmetic ----------


@pytest.mark.unit
def test_the_demo_names_every_convolution_of_the_digit_cnn():

    assert list(conv_layers(DigitCNN(), short_names=True)) == choices.DIGIT_LAYERS


@pytest.mark.unit
def test_diverging_colours_are_red_for_positive_blue_for_negative_white_for_zero():
    red, white, blue = diverging(np.array([2.0, 0.0, -2.0]))
    assert red[0] > 150 and red[2] < 60
    assert blue[2] > 150 and blue[0] < 60
    assert tuple(white) == (255, 255, 255)


@pytest.mark.unit
def test_a_click_on_the_grid_of_maps_finds_its_channel():
    maps = np.random.default_rng(0).normal(size=(20, 7, 7))
    grid = map_grid(maps)  # 7x7 maps are enlarged to 28x28 tiles, 8 a row
    assert (grid.tile, grid.columns, grid.count) == (28, 8, 20)
    assert grid.image.shape == (3 * 29 - 1, 8 * 29 - 1, 3)
    assert grid.channel_at(14, 14) == 0
    assert grid.channel_at(29 * 3 + 5, 29 * 2 + 5) == 19
    assert grid.channel_at(28, 5) is None  # the gap between tiles
    assert grid.channel_at(29 * 4 + 5, 29 * 2 + 5) is None  # past the last map


@pytest.mark.unit
def test_kernel_grid_shares_one_scale_and_says_so():
    weight = np.zeros((4, 2, 3, 3), np.float32)
    weight[1, 0, 1, 1], weight[2, 1, 0, 0] = 0.5, -0.25
    image, scale, how = kernel_grid(weight, zoom=2)
    assert scale == pytest.approx(0.5)
    assert "+0.50" in how and "−0.50" in how
    assert image.shape == (4 * 6 + 3 * 2, 2 * 6 + 2, 3)
    assert tuple(image[8, 0]) == (255, 255, 255)  # filter 1, input 0, corner weight 0: white
    centre = image[8 + 2, 2]  # filter 1, input 0, centre weight 0.5: full red
    assert centre[0] > 150 and centre[2] < 60


@pytest.mark.unit
def test_output_size_formula():
    assert conv.output_size(8, 3, 1, 0) == 6
    assert conv.output_size(8, 3, 2, 1) == 4
    assert conv.output_size(5, 3, 3, 1) == 2


@pytest.mark.unit
@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("1 2; 3", "same number"),
        ("1 x", "not a number"),
        ("1 inf", "finite"),
        ("; ".join(["1 " * 17] * 17), "at most 16x16"),
        ("1 " * 5000, "too long"),
    ],
)
def test_sandbox_numbers_are_checked(text, message):
    with pytest.raises(UserError, match=message):
        conv.parse_matrix(text, "input", conv.MAX_INPUT_SIDE)


@pytest.mark.unit
def test_sandbox_refuses_a_kernel_that_does_not_fit_with_a_clear_message():

    with pytest.raises(gr.Error, match="does not fit"):
        demo.run_sandbox("1 2; 3 4", "1 1 1; 1 1 1; 1 1 1", 1, 0, 0, 0)
    with pytest.raises(gr.Error, match="stride must be"):
        demo.run_sandbox("1 2; 3 4", "1", 99, 0, 0, 0)


@pytest.mark.unit
def test_one_output_value_is_worked_through_step_by_step():
    image = conv.INPUTS["vertical edge"].astype(float)
    kernel = np.array(conv.KERNELS["edge (vertical, Sobel)"], float)
    worked = conv.work_through(image, kernel, stride=1, padding=0, row=0, col=2)
    assert worked.patch.tolist() == [[0, 0, 1]] * 3
    assert worked.value == -4.0 == conv.convolve(image, kernel)[0, 2]
    text = conv.explain_value(worked, kernel, 1, 0)
    assert "0·1 + 0·0 + 1·-1" in text and "**-4**" in text


@pytest.mark.unit
def test_maps_kernels_heat_sandbox_and_their_notes_follow_the_palette():

    maps = np.zeros((1, 3, 3), np.float32)
    maps[0, 1, 1], maps[0, 0, 0] = 2.0, -1.0
    for name, positive, negative in [("default", (178, 24, 43), (33, 102, 172)), ("safe", (230, 97, 1), (0, 114, 178))]:
        grid = map_grid(maps, min_side=3, palette=name)
        assert tuple(grid.image[1, 1]) == positive and tuple(grid.image[0, 0])[2] > tuple(grid.image[0, 0])[0]
        assert tuple(np.asarray(grid.paletted().convert("RGB"))[1, 1]) == positive  # the API's PNG too
        picture = conv.sandbox("0 0; 0 1", "1", 1, 0, 0, 0, palette=name)[0]
        assert positive in {tuple(c) for c in picture.reshape(-1, 3)}
        assert tuple(diverging(np.array([-1.0]), 1.0, name)[0]) == negative
    assert "orange = positive" in kernel_grid(np.ones((2, 2, 3, 3), np.float32), palette="safe")[2]
    safe, default = notes(lesson("filters_notes"), "safe"), notes(lesson("filters_notes"))
    assert "**orange = positive**" in safe["maps"] and "red" not in safe["maps"]
    assert "**red = positive**" in default["maps"] and "viridis" in safe["cam"]
    hot, viridis = (heat_overlay(np.zeros((1, 1)), np.ones((1, 1)), strength=1.0, palette=name)[0, 0] for name in ("default", "safe"))
    assert tuple(hot) == (255, 255, 255) and tuple(viridis) == (253, 231, 37)  # each scale's top: white-hot, viridis yellow
    with pytest.raises(UserError, match="Unknown palette"):
        visualiser.digit_maps(DIGIT_3, "conv1", "rainbow")


@pytest.mark.unit
def test_notes_are_the_sections_of_their_markdown_in_the_palettes_colour_words():
    text = "What this file holds: left out.\n\n## maps\n**{positive} = positive**, {negative} negative.\n\n## alt cam\nHeat: {heat}.\n"
    assert notes(text) == {"maps": "**red = positive**, blue negative.", "alt cam": "Heat: black → red → yellow."}
    assert notes(text, "safe")["maps"] == "**orange = positive**, blue negative."


@pytest.mark.unit
def test_try_this_sets_the_sandbox_on_the_edges_strongest_output_and_a_digit_keeps_only_a_digit_layer():
    image, kernel, numbers, weights, *geometry = choices.edges_example()
    assert (image, kernel) == choices.EDGES_EXAMPLE and numbers == conv.input_text(image) and weights == conv.kernel_text(kernel)
    stride, padding, dilation, transposed, row, col = geometry
    output = conv.convolve(conv.INPUTS[image], np.array(conv.KERNELS[kernel]), stride, padding, dilation, transposed)
    assert abs(output[row, col]) == np.abs(output).max() > 0  # the worked cell is where the edge answers most
    assert [choices.digit_layer(layer) for layer in ("conv4", "layer4.1.conv2", None)] == ["conv4", "conv1", "conv1"]


@pytest.mark.unit
def test_a_click_on_the_maps_names_its_channel_only_for_a_layer_the_model_has():
    assert visualiser.channel_at("digits", "conv1", demo.UI_MAP_SIDE, 5, 5) == 0
    assert visualiser.channel_at("digits", "conv1", demo.UI_MAP_SIDE, 57 + 5, 5) == 1  # one tile (56 px) and a gap along
    assert visualiser.channel_at("digits", "layer4.1.conv2", demo.UI_MAP_SIDE, 5, 5) is None
    assert visualiser.vision_with_layer("digits", None) == (None, "Choose a layer.")


@pytest.mark.unit
def test_an_input_with_nothing_to_read_keeps_the_maps_shown_and_says_what_is_missing():
    kernels, how, maps, cam, prediction, status = demo.inspect_layer("digits", "conv2", "drawing", None, None)
    assert picture_pixels(kernels).ndim == 3 and "conv2" not in status
    assert maps == cam == prediction == {"__type__": "update"}  # gr.skip(): the last maps stay
    assert "Nothing drawn" in status
    blank = {"seq": 1, "done": True, "side": 28, "ink": base64.b64encode(bytes([255] * 784)).decode()}
    assert demo.inspect_layer("digits", "conv2", "drawing", blank, None)[2] == {"__type__": "update"}
    assert demo.show_channel("digits", "conv2", 3, "drawing", blank, None) == {"__type__": "update"}


@pytest.mark.unit
def test_a_digit_handed_over_lands_on_the_canvas_and_is_read_by_the_digit_model(digits):

    seven = digits.prepare(np.asarray(Image.open(demo.ASSETS / "digit_7_white_on_black.png")))[1]  # (28, 28) ink in [0, 1]
    sent = {"digit": handoff.encode_digit(seven), "n": 1}
    model, layer, input_tab, output_tab, source, canvas = demo.receive_digit(sent, "layer4.1.conv2")  # an ImageNet layer
    assert (model, layer, source) == ("digits", "conv1", "drawing")
    assert input_tab.selected == "draw" and output_tab.selected == "maps"
    assert drawing.ink_raster(canvas).shape == (28, 28)
    status = demo.inspect_layer(model, layer, source, canvas, None)[-1]
    assert "32 feature maps" in status and "reads the input as **7**" in status
    assert demo.receive_digit(sent, "conv4")[1] == "conv4"  # a digit layer is kept
    with pytest.warns(UserWarning, match="could not be read"):  # gr.Warning, outside a request
        assert demo.receive_digit({"digit": "not a digit"}, "conv1") == (gr.skip(),) * 6


# ---------- reference: F.conv2d and forward hooks ----------


@pytest.mark.reference
@pytest.mark.parametrize("stride", range(1, conv.MAX_STRIDE + 1))
@pytest.mark.parametrize("padding", range(0, conv.MAX_PADDING + 1))
def test_sandbox_output_equals_f_conv2d_for_every_stride_and_padding(stride, padding):
    rng = np.random.default_rng(stride * 10 + padding)
    kernels = [np.array(k, float) for k in conv.KERNELS.values()] + [rng.normal(size=(2, 3)), rng.normal(size=(5, 5))]
    inputs = [m.astype(float) for m in conv.INPUTS.values()] + [rng.normal(size=(7, 9))]
    for image in inputs:
        for kernel in kernels:
            ours = conv.convolve(image, kernel, stride, padding)
            reference = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None], stride=stride, padding=padding)
            np.testing.assert_allclose(ours, reference[0, 0].numpy(), atol=1e-9)


@pytest.mark.unit
def test_sandbox_handler_shows_the_size_from_the_formula():
    picture, numbers, size, worked = demo.run_sandbox(demo.input_preset("a square"), demo.kernel_preset("sharpen"), 2, 1, 1, 1)
    assert "Output (4×4)" in numbers and "⌊7 / 2⌋ + 1 = **4**" in size
    assert "**Output[1, 1]**" in worked and picture_pixels(picture).dtype == np.uint8


@pytest.mark.reference
def test_feature_maps_equal_a_forward_hook_and_f_conv2d_on_every_digit_layer(digits, digit_input):

    for name, layer in digits.layers.items():
        seen = {}
        handle = layer.register_forward_hook(lambda m, args, out, seen=seen: seen.update(input=args[0], output=out))
        with torch.no_grad():
            digits.model(digit_input)  # the whole network, no early stop
        handle.remove()
        shown = feature_maps(digits, digit_input, name)
        np.testing.assert_allclose(shown, seen["output"][0].cpu().numpy(), atol=1e-6)
        by_hand = F.conv2d(seen["input"], layer.weight, layer.bias, layer.stride, layer.padding)
        np.testing.assert_allclose(shown, by_hand[0].detach().cpu().numpy(), atol=1e-5)
        assert np.abs(shown).max() > 0.01  # a real response, not an empty map


@pytest.mark.reference
def test_the_api_picture_is_the_layers_maps_each_on_its_own_scale(digits, digit_input):

    maps = feature_maps(digits, digit_input, "conv2")
    grid = map_grid(maps)
    c = int(np.abs(maps).reshape(32, -1).max(1).argmax())
    y, x = np.unravel_index(np.abs(maps[c]).argmax(), maps[c].shape)
    row, col = divmod(c, grid.columns)
    pixel = grid.image[row * (grid.tile + 1) + y, col * (grid.tile + 1) + x]
    expected = (178, 24, 43) if maps[c, y, x] > 0 else (33, 102, 172)  # its peak: the full colour
    assert tuple(pixel) == expected


@pytest.mark.reference
def test_a_shallow_layer_costs_a_shallow_pass(digits, digit_input):

    calls = []
    handle = digits.model.head.register_forward_hook(lambda *args: calls.append(1))
    try:
        feature_maps(digits, digit_input, "conv1")
        assert not calls  # the forward pass stopped at conv1
        with torch.no_grad():
            digits.model(digit_input)
        assert calls  # ... and the hook does see a whole pass
    finally:
        handle.remove()


@pytest.mark.reference
def test_concurrent_requests_never_see_each_others_activations(digits, digit_input):

    blank = digits.normalize(torch.zeros(1, 1, 28, 28))
    expected = {0: feature_maps(digits, digit_input, "conv3"), 1: feature_maps(digits, blank, "conv3")}
    failures = []

    def work(which):
        for _ in range(15):
            got = feature_maps(digits, digit_input if which == 0 else blank, "conv3")
            if not np.allclose(got, expected[which], atol=1e-6):
                failures.append(which)

    threads = [threading.Thread(target=work, args=(i % 2,)) for i in range(4)]
    [t.start() for t in threads]
    join(threads, 300, "four threads reading feature maps")
    assert not failures


@pytest.mark.reference
def test_grad_cam_equals_cam_for_the_digit_cnns_global_average_pool(digits, digit_input):
    """With global average pooling and one linear layer, Grad-CAM is CAM (Zhou et al., 2016)."""

    cam, target, probabilities = grad_cam(digits, digit_input)
    assert target == 3 == int(probabilities.argmax())
    with torch.no_grad():
        features = digits.model.features(digit_input)  # (1, 128, 7, 7)
        by_hand = F.relu(torch.einsum("k,kij->ij", digits.model.head.weight[target], features[0]))
        by_hand = F.interpolate(by_hand[None, None], size=(28, 28), mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(cam, (by_hand / by_hand.max()).cpu().numpy(), atol=1e-4)


# ---------- activation maximisation on the shipped digit CNN ----------


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("layer,channel", [("conv1", 3), ("conv3", 10), ("conv5", 20)])
def test_activation_maximisation_raises_the_filters_response(digits, digit_input, layer, channel):

    found = excite(digits, layer, channel)
    assert found.pixels.shape == (28, 28) and 0 <= found.pixels.min() and found.pixels.max() <= 1
    with torch.no_grad():  # measured again here, independently of excite's own bookkeeping
        after = float(channel_activation(digits, torch.from_numpy(found.pixels)[None, None], layer, channel)[0])
        on_a_digit = float(
            channel_activation(digits, torch.from_numpy(digits.prepare(np.asarray(Image.open(DIGIT_3)))[1])[None, None], layer, channel)[0]
        )
    assert after == pytest.approx(found.final, rel=1e-4, abs=1e-5)
    assert after > found.start + 0.5 * abs(found.start) + 0.05
    assert after > on_a_digit  # it excites the filter more than a real digit does
    assert excite(digits, layer, channel) is found  # computed once, then cached


@pytest.mark.unit
def test_excite_handler_refuses_a_channel_that_does_not_exist():

    with pytest.raises(gr.Error, match="channels 0 to 31"):
        demo.excite_filter("digits", "conv1", 32)


# ---------- the ImageNet option, offline, with a tiny random torchvision model ----------


def _tiny_resnet():

    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)


def _tiny_categories():
    return tuple(f"thing {i}" for i in range(10))


@pytest.mark.unit
def test_a_layer_the_model_lacks_is_answered_not_crashed():
    """What a session Gradio has forgotten sends after the user chose an ImageNet layer: the layer
    list takes any value, and every handler checks it."""

    page = build()
    assert any(isinstance(b, gr.Dropdown) and b.label == "Layer" and b.allow_custom_value for b in page.blocks.values())
    assert demo.inspect_layer("digits", "layer4.1.conv2", "upload", None, PHOTO)[-1] == "Choose a layer."
    assert demo.show_channel("digits", "layer4.1.conv2", 0, "upload", None, PHOTO) is None
    with pytest.raises(gr.Error, match="Choose a layer"):
        demo.excite_filter("digits", "layer4.1.conv2", 0)


@pytest.fixture
def tiny_spec(tmp_path, monkeypatch):
    """The ImageNet choice, pointed at a tiny random ResNet and an empty torch cache in tmp_path."""

    spec = imagenet.ImageNetSpec(
        key="resnet18",
        title="Tiny ResNet",
        build=_tiny_resnet,
        url="http://127.0.0.1:9/tiny-0123abcd.pth",
        megabytes=1,
        categories=_tiny_categories,
        size=64,
    )
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setitem(imagenet.IMAGENET_MODELS, "resnet18", spec)
    return spec


@pytest.mark.unit
def test_missing_imagenet_weights_say_how_to_get_them_and_nothing_crashes(tiny_spec):

    layers, status, download = demo.choose_model("resnet18")
    assert "not in the torch cache" in status and "python -m core.vision.imagenet --download" in status
    assert "tiny-0123abcd.pth" in status and download.visible
    outputs = demo.inspect_layer("resnet18", "conv1", "upload", None, PHOTO)
    assert outputs[2] is None and "not in the torch cache" in outputs[-1]
    with pytest.raises(gr.Error, match="not in the torch cache"):
        demo.excite_filter("resnet18", "conv1", 0)


@pytest.mark.unit
def test_the_real_resnet18_choice_builds_offline_with_its_layers_and_class_names():

    model = RESNET18.build()  # architecture only: random weights, nothing downloaded
    assert len(conv_layers(model)) == 20 and model.get_submodule(RESNET18.cam_layer) is model.layer4
    assert len(RESNET18.categories()) == 1000 and RESNET18.categories()[1] == "goldfish"
    assert weights_file(RESNET18).name == "resnet18-f37072fd.pth"


@pytest.mark.reference
@pytest.mark.parametrize("size", [(273, 320), (301, 257), (257, 1000), (224, 224)])
def test_imagenet_input_equals_torchvisions_own_transforms(size):

    pixels = np.random.default_rng(size[0]).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    ours, shown = to_imagenet_input(image, 224)
    reference = ResNet18_Weights.IMAGENET1K_V1.transforms()(image)
    assert ours.shape == (1, 3, 224, 224) and shown.shape == (224, 224, 3)
    np.testing.assert_allclose(ours[0].numpy(), reference.numpy(), atol=1e-5)


@pytest.mark.unit
def test_a_failed_download_is_a_clear_message_and_leaves_no_partial_file(tiny_spec):

    with pytest.raises(WeightsMissingError, match="Downloading .* failed"):
        download_weights(tiny_spec, timeout=5)
    assert not weights_file(tiny_spec).exists()
    assert not list(weights_file(tiny_spec).parent.glob("*.partial"))


@pytest.mark.reference
def test_imagenet_option_runs_offline_through_the_demo_with_cached_weights(tiny_spec):

    path = weights_file(tiny_spec)
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)  # a test building its fixture, not a request handler
    torch.save(_tiny_resnet().state_dict(), path)

    layers, status, download = demo.choose_model("resnet18")
    assert "Tiny ResNet" in status and not download.visible
    assert layers.value == "conv1" and ("layer4.0.conv2 · 512→512, 3×3", "layer4.0.conv2") in layers.choices
    kernels, how, maps, cam, label, status = demo.inspect_layer("resnet18", "conv1", "upload", None, PHOTO)
    assert "conv1: 64 feature maps" in status and picture_pixels(maps).shape == (4 * 65 - 1, 16 * 65 - 1, 3)  # 32x32 maps doubled
    assert "64 filters of 7×7×3 drawn as colour pictures" in how
    assert picture_pixels(cam).shape == (256, 256, 3) and len(label) == 5  # 64x64 enlarged 4x and all(k.startswith("thing") for k in label)

    vision = vision_model("resnet18")
    inputs, pixels = vision.prepare(np.asarray(Image.open(PHOTO)))
    assert inputs.shape == (1, 3, 64, 64) and pixels.shape == (64, 64, 3)
    layer = vision.layers["layer2.0.conv1"]  # a strided convolution
    seen = {}
    handle = layer.register_forward_hook(lambda m, args, out, seen=seen: seen.update(input=args[0]))
    with torch.no_grad():
        vision.model(inputs.to(vision.device))
    handle.remove()
    by_hand = F.conv2d(seen["input"], layer.weight, layer.bias, layer.stride, layer.padding)
    np.testing.assert_allclose(feature_maps(vision, inputs, "layer2.0.conv1"), by_hand[0].detach().cpu().numpy(), atol=1e-4)

    found = excite(vision, "conv1", 5, steps=24)
    with torch.no_grad():
        after = float(channel_activation(vision, torch.from_numpy(found.pixels.transpose(2, 0, 1).copy())[None], "conv1", 5)[0])
    assert found.pixels.shape == (64, 64, 3) and after > found.start + 0.05


# ---------- end to end: gradio_client and a browser ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/filters/", verbose=False)


@pytest.mark.e2e
@pytest.mark.parametrize("layer,shape", [("conv1", (4 * 29 - 1, 8 * 29 - 1, 3)), ("conv5", (8 * 8 - 1, 16 * 8 - 1, 3))])
def test_feature_maps_endpoint_returns_every_channels_map(client, digits, layer, shape):

    path = client.predict(handle_file(DIGIT_3), layer, api_name="/feature_maps")
    received = np.asarray(Image.open(path).convert("RGB"))
    assert received.shape == shape
    expected = layer_grid(digits, np.asarray(Image.open(DIGIT_3)), layer, min_side=1).image  # PNG: lossless
    assert np.array_equal(received, expected)


@pytest.mark.e2e
def test_feature_maps_endpoint_explains_bad_requests(client, tmp_path):
    with pytest.raises(Exception, match="Unknown layer"):
        client.predict(handle_file(DIGIT_3), "conv99", api_name="/feature_maps")
    blank, broken = tmp_path / "blank.png", tmp_path / "broken.png"
    Image.new("RGB", (64, 64), "white").save(blank)
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    with pytest.raises(Exception, match="No digit found"):
        client.predict(handle_file(str(blank)), "conv1", api_name="/feature_maps")
    with pytest.raises(Exception, match="Could not read that image"):
        client.predict(handle_file(str(broken)), "conv1", api_name="/feature_maps")


@pytest.mark.e2e
def test_convolve_endpoint_works_one_value_through(client):
    picture, numbers, size, worked = client.predict("1 2 3; 4 5 6; 7 8 9", "1 0; 0 -1", 1, 0, 1, 1, api_name="/convolve")
    assert "-4 -4\n-4 -4" in numbers and "**2**" in size and "5·1 + 6·0 + 8·0 + 9·-1 = **-4**" in worked


# Counts the strongest warm pixels of an <img>: the positive end of the default palette (red:
# little green) or of the safe one (orange: green well above blue).
WARM_PIXELS = """async img => {
  const picture = new Image(); picture.src = img.src; await picture.decode();
  const canvas = document.createElement('canvas');
  canvas.width = picture.naturalWidth; canvas.height = picture.naturalHeight;
  const context = canvas.getContext('2d'); context.drawImage(picture, 0, 0);
  const d = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let red = 0, orange = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 150 || d[i] - d[i + 2] < 100) continue;
    if (d[i + 1] < 60) red++; else if (d[i + 1] > 70 && d[i + 2] < 40) orange++;
  }
  return {red, orange};
}"""


# The events that draw the maps for what the filter page's canvas sends: those that follow an event of the canvas.
CANVAS_MAPS_JS = """() => {
    const config = window.gradio_config;
    const canvas = config.components.find(c => c.props && c.props.elem_id === "filters-canvas").id;
    const own = config.dependencies.filter(d => d.targets.some(([id]) => id === canvas)).map(d => d.id);
    return config.dependencies.filter(d => own.includes(d.trigger_after) && d.api_name.startsWith("inspect_layer")).map(d => d.id);
}"""


def wait_for_status(page, text: str, timeout: float = 60.0) -> None:  # a shared, busy machine: generous
    status = page.locator("#filters-status")
    page.wait_for_function("([el, text]) => el.innerText.includes(text)", arg=[status.element_handle(), text], timeout=timeout * 1000)


def warm_pixels(page) -> dict:
    return page.locator("#filters-result img").first.evaluate(WARM_PIXELS)


@pytest.mark.browser
def test_browser_page_opens_on_a_result_without_a_click_and_passes_axe(page, app_url):

    open_gradio(page, f"{app_url}/demos/filters/")
    wait_for_status(page, "32 feature maps. It reads the input as 3")
    page.locator("#filters-result img").first.wait_for(timeout=10_000)
    assert page.get_by_role("tab", name="Upload").get_attribute("aria-selected") == "true"
    assert "red = positive" in page.locator("#filters-result").inner_text()
    problems = [v for v in axe_violations(page) if v["impact"] in ("critical", "serious")]
    assert not problems, problems


@pytest.mark.browser
def test_browser_try_this_buttons_each_set_up_their_experiment(page, app_url):

    open_gradio(page, f"{app_url}/demos/filters/")
    wait_for_status(page, "32 feature maps")
    page.locator("#filters-try-edges").click()
    worked = page.locator("#filters-worked")
    page.wait_for_function("el => el.innerText.includes('Output[0, 2]')", arg=worked.element_handle(), timeout=20_000)
    assert "= -4" in worked.inner_text() and page.get_by_label("Kernel preset").input_value() == "edge (vertical, Sobel)"
    page.locator("#filters-try-deeper").click()
    wait_for_status(page, "conv5: 128 feature maps")
    assert page.get_by_role("tab", name="Feature maps").get_attribute("aria-selected") == "true"
    page.locator("#filters-try-excite").click()
    caption = page.get_by_text("conv3, channel 10: response at the centre")
    caption.wait_for(timeout=60_000)
    assert page.get_by_role("tab", name="What excites a filter").get_attribute("aria-selected") == "true"
    assert page.get_by_label("Channel", exact=True).input_value() == "10"


@pytest.mark.browser
def test_browser_palette_switch_recolours_the_maps_and_the_address_keeps_it(page, app_url):

    open_gradio(page, f"{app_url}/demos/filters/?palette=safe")
    wait_for_status(page, "32 feature maps")
    assert page.get_by_role("radio", name="Colour-blind safe (blue / orange)").is_checked()
    page.wait_for_function("() => document.querySelector('#filters-result').innerText.includes('orange = positive')", timeout=10_000)
    safe = warm_pixels(page)
    assert safe["orange"] > 20 and safe["red"] == 0, safe
    before = page.locator("#filters-result img").first.get_attribute("src")
    page.get_by_role("radio", name="Red / blue").click()
    page.wait_for_function("src => document.querySelector('#filters-result img').getAttribute('src') !== src", arg=before, timeout=20_000)
    default = warm_pixels(page)
    assert default["red"] > 20 and default["orange"] == 0, default
    assert "palette=" not in page.url and "red = positive" in page.locator("#filters-result").inner_text()
    page.get_by_role("radio", name="Colour-blind safe (blue / orange)").click()
    page.wait_for_function("() => location.search.includes('palette=safe')", timeout=10_000)


@pytest.mark.browser
@pytest.mark.parametrize("where", ["gallery", "standalone", "look inside"])
def test_browser_a_handed_over_digit_is_drawn_and_read(page, app_url, digits, where):
    """The sketcher's "Look inside" in the gallery; a digit in the address of the gallery's tab and of
    the page alone. The digit is drawn by one event: two would make the same pictures at once."""

    joined = []  # the events the page started, by their fn_index
    page.on("request", lambda request: joined.append(request.post_data_json["fn_index"]) if "/queue/join" in request.url else None)
    if where == "look inside":
        open_gradio(page, f"{app_url}/")
        page.wait_for_function("() => /[0-9]/.test(document.querySelector('#cnn-label .bars').dataset.digit)", timeout=30_000)
        expected = page.locator("#cnn-label .bars").get_attribute("data-digit")  # what the same CNN read on the sketcher
        page.locator("#sketcher-look-inside").click()
    else:
        seven = digits.prepare(np.asarray(Image.open(demo.ASSETS / "digit_7_white_on_black.png")))[1]
        address = {"gallery": "/?tab=filters&digit=", "standalone": "/demos/filters/?digit="}[where]
        open_gradio(page, app_url + address + handoff.encode_digit(seven))
        expected = "7"
    wait_for_status(page, f"It reads the input as {expected} ")
    settle(page, lambda: None)  # every event the hand-off started has finished
    canvas_maps = page.evaluate(CANVAS_MAPS_JS)
    assert sum(index in canvas_maps for index in joined) == 1  # one drawing of the maps from the canvas
    assert page.locator("#filters-canvas canvas").is_visible()  # the Draw tab is open, the digit on its canvas
    assert page.get_by_role("radio", name="the drawing").is_checked()
    inked = page.locator("#filters-canvas canvas").evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((v, i) => i % 4 === 0 && v < 128).length"
    )
    assert inked > 500


@pytest.mark.browser
def test_browser_example_shows_the_maps_and_a_click_picks_a_channel(page, app_url):

    open_gradio(page, f"{app_url}/demos/filters/")
    page.get_by_role("tab", name="Upload").click()
    page.locator(".gallery-item, button.gallery-item, [data-testid='examples'] button").first.click()
    status = page.locator("#filters-status")
    page.wait_for_function("el => el.innerText.includes('32 feature maps')", arg=status.element_handle(), timeout=30_000)
    maps = page.locator("#filters-maps img").first
    maps.wait_for(timeout=10_000)
    box = maps.bounding_box()
    # Rows of 8 maps: the centre of the third map in the second row is channel 10.
    page.mouse.click(box["x"] + box["width"] * 2.5 / 8, box["y"] + box["height"] * 1.5 / 4)
    channel = page.get_by_label("Channel", exact=True)
    page.wait_for_function("el => el.value === '10'", arg=channel.element_handle(), timeout=10_000)

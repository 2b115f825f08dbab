"""Issue 19's capabilities: the convolution sandbox's dilation, transposed convolution and
stepping; the GAN's walk from one digit to another; the playground's own data (CSV and painted
points) and learning-rate schedules. Unit and reference tests, then gradio_client, then a browser."""

from __future__ import annotations

import itertools

import gradio as gr
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradio_client import Client
from PIL import Image

from core.checkpoints import weights_path
from core.errors import UserError
from core.gan import models as gan
from core.gan import pictures as gan_pictures
from core.gan import sample
from core.playground import draw, experiment, paint
from core.playground.settings import lr_factor, read_points
from core.vision import convolution as conv
from demos import points as points_demo
from demos.filters import handlers as filters_demo
from demos.overfit import handlers as overfit_demo
from harness.browser import open_gradio, wait_until_streaming_ends
from tests.conftest import need

# ---------- convolution sandbox: dilation, transposed, stepping ----------


def reference(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, dilation: int, transposed: bool) -> np.ndarray:
    op = F.conv_transpose2d if transposed else F.conv2d
    out = op(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None], stride=stride, padding=padding, dilation=dilation)
    return out[0, 0].numpy()


@pytest.mark.reference
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dilation", range(1, conv.MAX_DILATION + 1))
@pytest.mark.parametrize("padding", range(0, conv.MAX_PADDING + 1))
@pytest.mark.parametrize("stride", range(1, conv.MAX_STRIDE + 1))
def test_sandbox_equals_torch_for_every_stride_padding_dilation_and_transposition(stride, padding, dilation, transposed):
    rng = np.random.default_rng(1000 * stride + 100 * padding + 10 * dilation + transposed)
    compared = 0
    for image_shape, kernel_shape in itertools.product([(3, 3), (4, 6), (8, 7)], [(1, 1), (2, 2), (3, 3), (2, 3)]):
        image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
        try:
            expected = reference(image, kernel, stride, padding, dilation, transposed)
        except RuntimeError:  # torch refuses (the output would be empty): the sandbox says why
            with pytest.raises(UserError, match="does not fit"):
                conv.convolve(image, kernel, stride, padding, dilation, transposed)
            continue
        ours = conv.convolve(image, kernel, stride, padding, dilation, transposed)
        assert ours.shape == expected.shape
        for axis in (0, 1):
            assert ours.shape[axis] == conv.output_size(image.shape[axis], kernel.shape[axis], stride, padding, dilation, transposed)
        np.testing.assert_allclose(ours, expected, atol=1e-9)
        for row, col in [(0, 0), (ours.shape[0] - 1, ours.shape[1] - 1), (ours.shape[0] // 2, ours.shape[1] // 3)]:
            worked = conv.work_through(image, kernel, stride, padding, row, col, dilation, transposed)
            assert worked.value == pytest.approx(expected[row, col], abs=1e-9)  # the worked cell is the output's
        compared += 1
    assert compared >= 4  # most shapes fit: the comparison really ran


@pytest.mark.unit
def test_output_size_formulas_with_dilation_and_transposition():
    assert conv.output_size(8, 3, 1, 0, dilation=2) == 4  # a 3-tap kernel 2 apart covers 5 cells
    assert conv.output_size(7, 3, 2, 1, dilation=3) == 2
    assert conv.output_size(4, 2, 2, 0, transposed=True) == 8  # conv_arithmetic #15: k=2, s=2 doubles the size
    assert conv.output_size(5, 3, 2, 1, dilation=2, transposed=True) == 11
    size = conv.explain_size(np.zeros((4, 4)), np.ones((2, 2)), 2, 0, transposed=True)
    assert "(n − 1)·s − 2p + d·(k − 1) + 1" in size and "= **8**" in size
    size = conv.explain_size(np.zeros((8, 8)), np.ones((3, 3)), 1, 0, dilation=2)
    assert "d·(k − 1)" in size and "⌊3 / 1⌋ + 1 = **4**" in size


@pytest.mark.unit
def test_transposed_k2_s2_upsamples_each_value_into_a_2x2_block():
    image = np.arange(1, 10, dtype=float).reshape(3, 3)
    out = conv.convolve(image, np.ones((2, 2)), stride=2, padding=0, transposed=True)
    np.testing.assert_array_equal(out, image.repeat(2, 0).repeat(2, 1))
    worked = conv.work_through(image, np.ones((2, 2)), 2, 0, row=3, col=2, transposed=True)
    assert worked.value == 5.0 and worked.patch.tolist() == [[0, 5], [0, 0]]  # one input value under the taps, the rest inserted zeros
    text = conv.explain_value(worked, np.ones((2, 2)), 2, 0, transposed=True)
    assert "flipped" in text and "1 zero between" in text and "**5**" in text


@pytest.mark.unit
def test_a_dilated_kernel_takes_every_dth_cell():
    image = np.arange(56, dtype=float).reshape(8, 7)  # value = 7 * row + column
    worked = conv.work_through(image, np.ones((3, 3)), 1, 0, row=1, col=0, dilation=3)
    assert worked.patch.tolist() == [[7, 10, 13], [28, 31, 34], [49, 52, 55]]  # rows 1, 4, 7 and columns 0, 3, 6
    assert "dilation 3" in conv.explain_value(worked, np.ones((3, 3)), 1, 0, dilation=3)


@pytest.mark.unit
def test_next_cell_walks_the_output_row_by_row_and_wraps():
    image, kernel = np.zeros((4, 4)), np.ones((3, 3))  # a 2x2 output
    cells, cell = [], (0, 0)
    for _ in range(5):
        cell = conv.next_cell(image, kernel, *cell, stride=1, padding=0)
        cells.append(cell)
    assert cells == [(0, 1), (1, 0), (1, 1), (0, 0), (0, 1)]
    assert conv.next_cell(image, kernel, 40, 40, stride=1, padding=0) == (0, 0)  # past the end: clipped to the last, then wraps


@pytest.mark.unit
def test_sandbox_handlers_take_dilation_and_transposed():
    picture, numbers, size, worked = filters_demo.run_sandbox("1 2; 3 4", "1 1; 1 1", 2, 0, 0, 1, 1, True)
    assert "Output (4×4)" in numbers and "1 1 2 2\n1 1 2 2\n3 3 4 4\n3 3 4 4" in numbers and picture.endswith(".png")
    assert filters_demo.step_sandbox("1 2; 3 4", "1 1; 1 1", 2, 0, 0, 3, 1, True) == (1, 0)

    with pytest.raises(gr.Error, match="dilation must be between 1 and 3"):
        filters_demo.run_sandbox("1 2; 3 4", "1", 1, 0, 0, 0, 4, False)
    with pytest.raises(gr.Error, match="does not fit"):
        filters_demo.run_sandbox("1 2 3; 4 5 6; 7 8 9", "1 1; 1 1", 1, 0, 0, 0, 3, False)


# ---------- GAN: a walk from one digit to another ----------


@pytest.mark.unit
@pytest.mark.figures
def test_class_walk_starts_at_a_and_ends_at_b_moving_class_vector_and_noise():
    torch.manual_seed(0)  # the tiny random GAN's initial weights only; the walk itself is seeded
    model = gan.DigitGan().eval()
    frames = sample.walk_between_classes(2, 7, seed=5, frames=6, model=model)
    assert frames.shape == (6, 28, 28) and 0 <= float(frames.min()) and float(frames.max()) <= 1
    z, _ = sample.request_latents(2, 5, 2)
    torch.testing.assert_close(frames[0], sample.generate(z[:1], torch.tensor([2]), model)[0])  # A's digit, A's noise
    torch.testing.assert_close(frames[-1], sample.generate(z[1:], torch.tensor([7]), model)[0])  # B's digit, B's noise
    torch.testing.assert_close(frames, sample.walk_between_classes(2, 7, 5, 6, model=model))  # same arguments, same frames
    # The class conditioning moves too: half way, neither class's label alone draws that frame.
    middle = sample.walk_between_classes(2, 7, 5, 3, model=model)[1]
    path = sample.slerp(z[0], z[1], torch.tensor([0.5]))
    for label in (2, 7):
        assert (middle - sample.generate(path, torch.tensor([label]), model)[0]).abs().max() > 1e-3


@pytest.mark.unit
@pytest.mark.parametrize(
    "args,message",
    [
        ((42, 7, 0, 10), "digit_a"),
        ((1, -1, 0, 10), "digit_b"),
        ((1, 7, -3, 10), "seed"),
        ((1, 7, 0, 0), "frames"),
        ((1, 7, 0, 10_000), "frames"),
    ],
)
def test_class_walk_refuses_bad_input(args, message):
    with pytest.raises(UserError, match=message):
        sample.walk_between_classes(*args)


@pytest.mark.unit
def test_switch_summary_names_the_frames_where_the_reading_turns():
    assert "**3** up to frame 4 and **8** from frame 5 of 6" in gan_pictures.switch_summary(3, 8, [3, 3, 2, 3, 8, 8])
    assert "never settles" in gan_pictures.switch_summary(3, 8, [3, 3, 3, 3])
    assert "not available" in gan_pictures.switch_summary(3, 8, None)


def shipped_gan_loads() -> bool:
    return weights_path(gan.CHECKPOINT).exists()


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("digit_a,digit_b", [(0, 6), (3, 8), (4, 9)])
def test_on_the_shipped_gan_the_judge_reads_a_then_b(digit_a, digit_b):
    need(shipped_gan_loads(), "checkpoints/gan_digits.safetensors is not trained yet (python -m train.gan)")
    items, verdict = gan_pictures.class_walk(digit_a, digit_b, 0, 12)
    readings = [int(caption.split("CNN ")[1].split()[0]) for _, caption in items]
    assert readings[0] == digit_a and readings[-1] == digit_b, readings
    assert f"**{digit_a}** up to frame" in verdict and f"**{digit_b}** from frame" in verdict


# ---------- overfitting playground: your own points, learning-rate schedules ----------

TWO_CLASSES = "x,y,label\n" + "".join(f"{i / 10 - 2:g},{(i * 7 % 11) / 5 - 1:g},{i % 2}\n" for i in range(40))


@pytest.mark.unit
def test_schedules_have_the_shapes_their_names_promise():
    assert [lr_factor("constant", e, 8) for e in range(1, 9)] == [1.0] * 8
    assert [lr_factor("step", e, 8) for e in range(1, 9)] == [1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01]
    cosine = [lr_factor("cosine", e, 100) for e in range(1, 101)]
    assert cosine[0] == 1.0 and cosine[50] == pytest.approx(0.5) and cosine[-1] < 0.001 and cosine == sorted(cosine, reverse=True)
    warm = [lr_factor("warmup_cosine", e, 100) for e in range(1, 101)]
    assert warm[:10] == pytest.approx([(e + 1) / 11 for e in range(10)]) and warm[10] == 1.0 and warm[-1] < 0.001
    assert lr_factor("warmup_cosine", 1, 8) == 0.5 and lr_factor("warmup_cosine", 2, 8) == 1.0  # short runs warm up for one epoch


@pytest.mark.unit
@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "warmup_cosine"])
def test_each_epoch_trains_with_the_learning_rate_its_record_reports(schedule):
    run = experiment.PlaygroundRun(experiment.replace(experiment.DEFAULTS, epochs=12, points=60, lr_schedule=schedule))
    used = []  # the optimiser's rate at every step
    run.optimizer.register_step_pre_hook(lambda optimizer, args, kwargs: used.append(optimizer.param_groups[0]["lr"]))
    records = list(run.records())
    per_epoch = len(run.batches)
    for record in records:
        steps = used[(record.epoch - 1) * per_epoch : record.epoch * per_epoch]
        assert steps and all(lr == pytest.approx(record.lr) for lr in steps), (record.epoch, record.lr, steps)
    rates = [r.lr for r in records]
    if schedule == "constant":
        assert rates == [0.01] * 12
    else:
        assert rates[-1] < max(rates) == pytest.approx(0.01)  # it falls from the peak by the end


@pytest.mark.unit
@pytest.mark.parametrize(
    "text,message",
    [
        ("   \n", None),  # no points: the problem is used
        ("x,y\n1,2\n", "no label column"),
        ("a,b,c\n1,2,3\n", "no x and no y and no label"),
        ("x,y,label\n", "header but no points"),
        ("x,y,label\n1,2,0\n1,two,1\n3,4,0\n5,6,1\n", "row 3 has something that is not a number"),
        ("x,y,label\n1,2,0\n1,2\n3,4,0\n5,6,1\n", "row 3 has 2 values"),
        ("x,y,label\n" + "1,2,1\n" * 10, "every label is 1"),
        ("x,y,label\n" + "1,2,0\n1,3,1\n" * 1001, "2,002 rows; at most 2,000"),
        ("x,y,label\n1,nan,0\n1,2,1\n3,4,0\n5,6,1\n", "not finite"),
        ("x,y,label\n1,2,0\n2,3,1\n", "at least 4"),
        ("x,y,label\n" + "1,2,0\n" * 70_000, "characters long"),
        (b"x,y,label\n\xff\xfe,1,0\n", "not UTF-8"),
    ],
)
def test_a_bad_csv_gets_a_clear_message(text, message):
    if message is None:
        assert read_points(text) is None
    else:
        with pytest.raises(UserError, match=message):
            read_points(text)


@pytest.mark.unit
@pytest.mark.figures
def test_your_points_take_part_in_the_split_and_a_seed_reproduces_the_run():
    settings = experiment.replace(experiment.DEFAULTS, data_csv=TWO_CLASSES, val_fraction=0.25, epochs=15)
    data = experiment.make_data(settings)
    assert (len(data.x_train), len(data.x_val), data.classes) == (30, 10, 2)
    everything = np.array(sorted(map(tuple, torch.cat([data.x_train, data.x_val]).tolist())))
    np.testing.assert_allclose(everything, sorted(read_points(TWO_CLASSES).xy), atol=1e-6)  # every point, in one split or the other
    first, second = experiment.run_to_end(settings), experiment.run_to_end(settings)
    assert [r.val_loss for r in first] == [r.val_loss for r in second]
    regression = "x,y,label\n" + "".join(f"{i / 10:g},{i % 5:g},{i * 0.3:g}\n" for i in range(30))
    run = experiment.PlaygroundRun(experiment.replace(settings, data_csv=regression))
    assert run.data.regression and run.data.y_train.shape[1] == 1
    records = list(run.records())
    assert records[-1].train_accuracy is None and records[-1].train_loss < records[0].train_loss

    assert draw.Painter(run.data)(run.model).shape == (384, 384, 3)


@pytest.mark.unit
def test_the_painter_places_clicks_in_data_units_and_a_drag_keeps_the_other_points_exactly():
    def clicked(text, col, row, label):  # what the page sends after a click: the points shown, and the new one in pixels
        shown = paint.view(text)
        return paint.edited_csv({**shown, "points": [*shown["points"], {"col": col, "row": row, "label": label}]})

    assert paint.view("")["points"] == [] and paint.view("")["box"] == [-1.5, 1.5, -1.5, 1.5]
    text = clicked("", 0, 0, "0")  # the top-left corner: (-1.5, 1.5)
    assert [(p["col"], p["row"], p["label"]) for p in paint.view(text)["points"]] == [(0, 0, 0)]  # shown before it makes a run
    for col, row, label in [(paint.CANVAS - 1, paint.CANVAS - 1, "1"), (100, 200, "0"), (200, 100, "1")]:
        text = clicked(text, col, row, label)
    points = read_points(text)
    assert points.xy[0] == pytest.approx((-1.5, 1.5)) and points.xy[1] == pytest.approx((1.5, -1.5)) and points.labels == (0, 1, 0, 1)
    shown = paint.view(text)
    assert [(p["col"], p["row"]) for p in shown["points"][2:]] == [pytest.approx((100, 200), abs=0.1), pytest.approx((200, 100), abs=0.1)]
    typed = "x,y,label\n0.12345,0.5,0\n-0.25,0.75,1\n1,1,0\n-1,-1,1\n"  # a drag sends the points it did not pass over
    kept = paint.view(typed)["points"][1:]
    assert paint.edited_csv({**paint.view(typed), "points": kept}) == "x,y,label\n-0.25,0.75,1\n1,1,0\n-1,-1,1\n"
    assert paint.edited_csv({**paint.view(typed), "points": []}) == ""
    far = paint.view("x,y,label\n3,0,0\n-3,0,1\n0,3,0\n0,-3,1\n")  # the box grows to hold every point
    assert far["box"][1] == pytest.approx(3.3) and far["points"][0]["col"] == pytest.approx(paint.CANVAS - 1 - 319 * 0.3 / 6.6, abs=0.1)


@pytest.mark.unit
@pytest.mark.parametrize(
    "painted, message",
    [
        (None, "sent no points"),
        ({"points": [], "box": [1, 1, 0, 1]}, "no box"),
        ({"points": [{"col": float("nan"), "row": 3, "label": "0"}], "box": [-1, 1, -1, 1]}, "not one"),
        ({"points": [{"col": 3, "row": 3, "label": "erase"}], "box": [-1, 1, -1, 1]}, "not one"),
        ({"points": [{"x": 0, "y": 0, "label": 0.5}, {"col": 3, "row": 3, "label": "1"}], "box": [-1, 1, -1, 1]}, "regression"),
        ({"points": [{"col": 3, "row": 3, "label": "1"}] * 2001, "box": [-1, 1, -1, 1]}, "2,000 points already"),
    ],
)
def test_the_painter_refuses_a_value_it_cannot_read(painted, message):
    with pytest.raises(UserError, match=message):
        paint.edited_csv(painted)


@pytest.mark.unit
def test_the_api_curves_carry_each_epochs_lr_and_old_calls_still_work():
    final = list(overfit_demo.train_playground(epochs=10, points=60, lr_schedule="step", data_csv=TWO_CLASSES))[-1]
    assert final["curves"]["lr"] == pytest.approx([0.01] * 5 + [0.001] * 2 + [0.0001] * 3)
    assert final["lr"] == pytest.approx(0.0001) and "your 40 points" in overfit_demo.runs.describe(
        overfit_demo.ps.settings_from_values({"data_csv": TWO_CLASSES})
    )
    plain = list(overfit_demo.train_playground("circles", 0.35, 60, 0.5, 1, 1, 8, "relu", 0.0, 0.0, False, "adam", 0.01, 16, 5, 0))[-1]
    assert plain["curves"]["lr"] == [0.01] * 5 and plain["stopped"] == "all 5 epochs done"
    assert (
        overfit_demo.ps.settings_from_query({"data_csv": TWO_CLASSES, "lr_schedule": "cosine"}).data_csv == ""
    )  # points never come from a URL


@pytest.mark.unit
def test_an_uploaded_csv_fills_the_points_box_or_says_what_is_wrong(tmp_path):
    good, latin, huge = tmp_path / "good.csv", tmp_path / "latin.csv", tmp_path / "huge.csv"
    good.write_text(TWO_CLASSES)
    latin.write_bytes("x,y,label\n1,2,0\n1,3,1\n2,2,0\n2,3,1\n# café\n".encode("latin-1"))
    huge.write_bytes(b"x,y,label\n" + b"1,2,0\n" * 200_000)
    assert points_demo.upload_points(str(good)) == TWO_CLASSES
    with pytest.raises(gr.Error, match="not UTF-8"):
        points_demo.upload_points(str(latin))
    with pytest.raises(gr.Error, match="larger than 800 kB"):
        points_demo.upload_points(str(huge))
    shown, note = points_demo.show_points(TWO_CLASSES)
    assert len(shown["points"]) == 40 and "your 40 points" in note and "20 of class 0, 20 of class 1" in note
    assert "at least 4" in points_demo.show_points("x,y,label\n1,2,0\n")[1]  # a message, not an error, while painting the first points


# ---------- end to end: gradio_client ----------


@pytest.mark.e2e
def test_convolve_endpoint_takes_dilation_and_transposed(app_url):
    client = Client(f"{app_url}/demos/filters/", verbose=False)
    picture, numbers, size, worked = client.predict("1 2; 3 4", "1 1; 1 1", 2, 0, 3, 2, 1, True, api_name="/convolve")
    assert numbers.splitlines()[2:6] == ["1 1 2 2", "1 1 2 2", "3 3 4 4", "3 3 4 4"]  # one row per line
    assert "= **4**" in size and "flipped" in worked and "Sum: 0·1 + 4·1 + 0·1 + 0·1 = **4**" in worked
    _, numbers, size, _ = client.predict("; ".join(["1 2 3 4 5"] * 5), "1 0 -1", 1, 0, 0, 0, 2, False, api_name="/convolve")
    assert "Output (5×1)" in numbers and "⌊0 / 1⌋ + 1 = **1**" in size  # taps 2 apart: the 3-wide kernel spans all 5 columns
    _, numbers, _, _ = client.predict("1 2 3; 4 5 6; 7 8 9", "1 0; 0 -1", 1, 0, 1, 1, api_name="/convolve")  # older calls still work
    assert "-4 -4\n-4 -4" in numbers


@pytest.mark.e2e
def test_walk_between_classes_endpoint_returns_one_strip(app_url):
    client = Client(f"{app_url}/demos/gan/", verbose=False)
    path = client.predict(0, 6, 0, 5, api_name="/walk_between_classes")
    strip = np.asarray(Image.open(path).convert("L"))
    assert strip.shape == (2 + 30, 2 + 5 * 30)  # 5 frames of 28x28, left to right, 2-pixel borders
    assert np.array_equal(strip, np.asarray(Image.open(client.predict(0, 6, 0, 5, api_name="/walk_between_classes")).convert("L")))
    for args, message in [((42, 6, 0, 5), "digit_a"), ((0, 6, 0, 0), "frames"), ((0, 6, 0, 10_000), "frames"), ((0, 6, -1, 5), "seed")]:
        with pytest.raises(Exception, match=message):
            client.predict(*args, api_name="/walk_between_classes")


@pytest.mark.e2e
def test_train_playground_takes_your_points_and_a_schedule(app_url):
    client = Client(f"{app_url}/demos/overfit/", verbose=False)
    final = client.predict(epochs=8, data_csv=TWO_CLASSES, lr_schedule="warmup_cosine", val_fraction=0.25, api_name="/train_playground")
    assert final["stopped"] == "all 8 epochs done" and final["curves"]["lr"][:3] == pytest.approx(
        [0.005, 0.01, 0.01 * (1 + np.cos(np.pi / 7)) / 2]
    )
    assert final["train_accuracy"] is not None  # labels 0/1: a classification
    old = client.predict("circles", 0.35, 60, 0.5, 1, 1, 8, "relu", 0.0, 0.0, False, "adam", 0.01, 16, 4, 0, api_name="/train_playground")
    assert old["curves"]["lr"] == [0.01] * 4  # a call with the old arguments only: constant rate, as before
    for csv_text, message in [("x,y\n1,2\n", "no label column"), ("x,y,label\n" + "1,2,1\n" * 9, "every label is 1")]:
        with pytest.raises(Exception, match=message):
            client.predict(epochs=2, data_csv=csv_text, api_name="/train_playground")
    with pytest.raises(Exception, match="lr_schedule must be one of"):
        client.predict(epochs=2, lr_schedule="exponential", api_name="/train_playground")


# ---------- the browser ----------


def open_points(page) -> None:
    page.get_by_text("Your own points (click to paint, or upload a CSV)").click()
    page.locator("#overfit-points-canvas [data-ready=true] canvas").wait_for(timeout=10_000)


@pytest.mark.browser
def test_browser_clicks_paint_points_that_train_and_survive_a_reload(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/")
    open_points(page)
    csv_box = page.locator("#overfit-points-csv textarea")
    for count, (fx, fy, label) in enumerate(
        [
            (0.2, 0.2, "add class 0 (blue)"),
            (0.8, 0.8, "add class 1 (orange)"),
            (0.3, 0.7, "add class 0 (blue)"),
            (0.7, 0.3, "add class 1 (orange)"),
        ],
        1,
    ):
        page.get_by_label(label).check()
        canvas = page.locator("#overfit-points-canvas canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_function(
            "([el, n]) => el.value.trim().split('\\n').length === n + 1", arg=[csv_box.element_handle(), count], timeout=15_000
        )
    rows = csv_box.input_value().strip().splitlines()
    assert rows[0] == "x,y,label" and [r.split(",")[2] for r in rows[1:]] == ["0", "1", "0", "1"]
    x, y = (float(v) for v in rows[1].split(",")[:2])
    assert x == pytest.approx(-0.9, abs=0.05) and y == pytest.approx(0.9, abs=0.05)  # where the first click landed, in data units
    note = page.locator("#overfit-points-note")
    page.wait_for_function("el => el.innerText.includes('your 4 points')", arg=note.element_handle(), timeout=15_000)
    page.locator("#overfit-train").click()
    runs = page.locator("#overfit-runs")
    page.wait_for_function("el => el.innerText.includes('your 4 points')", arg=runs.element_handle(), timeout=60_000)
    wait_until_streaming_ends(page, page.locator("#overfit-summary"), timeout=60)
    # The same browser opens the page again (a second tab: reloading would cut this one's open streams).
    again = page.context.new_page()
    open_gradio(again, f"{app_url}/demos/overfit/")
    open_points(again)
    csv_box = again.locator("#overfit-points-csv textarea")
    again.wait_for_function("el => el.value.trim().split('\\n').length === 5", arg=csv_box.element_handle(), timeout=15_000)
    assert csv_box.input_value().strip().splitlines() == rows  # kept in the browser
    assert "x%2Cy" not in again.url and "data_csv" not in page.url  # ... and not in the URL


@pytest.mark.browser
def test_browser_a_drag_erases_the_points_it_passes_over(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/")
    open_points(page)
    csv_box = page.locator("#overfit-points-csv textarea")
    canvas = page.locator("#overfit-points-canvas canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(fx, fy):
        return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy

    def rows_become(n):
        page.wait_for_function(
            "([el, n]) => el.value.trim().split('\\n').length === n + 1", arg=[csv_box.element_handle(), n], timeout=15_000
        )

    for count, (fx, fy, label) in enumerate(
        [(0.3, 0.5, "add class 0 (blue)"), (0.6, 0.5, "add class 1 (orange)"), (0.5, 0.85, "add class 0 (blue)")], 1
    ):
        page.get_by_label(label).check()
        page.mouse.click(*at(fx, fy))
        rows_become(count)
    assert [r.split(",")[2] for r in csv_box.input_value().strip().splitlines()[1:]] == ["0", "1", "0"]
    page.mouse.move(*at(0.15, 0.52))
    page.mouse.down()
    page.mouse.move(*at(0.75, 0.48), steps=12)
    page.mouse.up()
    rows_become(1)
    (x, y, label) = csv_box.input_value().strip().splitlines()[1].split(",")
    assert label == "0" and float(x) == pytest.approx(0.0, abs=0.05) and float(y) == pytest.approx(-1.05, abs=0.05)  # the third point stays
    page.wait_for_function(
        "el => el.dataset.points === '1'", arg=page.locator("#overfit-points-canvas [data-points]").element_handle(), timeout=15_000
    )
    csv_box.fill(TWO_CLASSES)  # typing (or uploading) a CSV redraws the canvas
    painted = page.locator("#overfit-points-canvas [data-points]").element_handle()
    page.wait_for_function("el => el.dataset.points === '40'", arg=painted, timeout=15_000)


# The line's points as SVG heights (y grows downwards). Vega redraws the path element, so look it up each time.
LINE_HEIGHTS = "() => Array.from(document.querySelector('#overfit-lr g.mark-line path').getAttribute('d').matchAll(/[ML][\\d.]+,([\\d.]+)/g), m => parseFloat(m[1]))"


@pytest.mark.browser
def test_browser_the_schedule_plot_under_the_loss_follows_the_schedule(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/")
    line = page.locator("#overfit-lr g.mark-line path").first
    line.wait_for(state="attached", timeout=15_000)
    heights = page.evaluate(LINE_HEIGHTS)
    assert len(heights) == 200 and len(set(heights)) == 1  # constant: one height for all 200 epochs
    page.locator("#overfit-schedule input").click()
    page.get_by_role("option", name="cosine", exact=True).click()
    # Falling: each epoch's point is lower on the chart (larger SVG y) than the one before.
    falling = f"() => {{ const h = ({LINE_HEIGHTS})(); return h.length === 200 && h.every((v, i) => i === 0 || v >= h[i - 1]) && h[199] > h[0]; }}"
    page.wait_for_function(falling, timeout=15_000)
    page.locator("#overfit-schedule input").click()
    page.get_by_role("option", name="warm-up, then cosine").click()
    rising_first = f"() => {{ const h = ({LINE_HEIGHTS})(); return h.length === 200 && h[0] > h[19] && h[19] < h[199]; }}"
    page.wait_for_function(rising_first, timeout=15_000)


@pytest.mark.browser
def test_browser_next_cell_and_autoplay_step_through_the_output(page, app_url):
    open_gradio(page, f"{app_url}/demos/filters/")
    page.get_by_text("Convolution sandbox: the arithmetic, one number at a time").click()
    row, col = page.locator("#filters-out-row input"), page.locator("#filters-out-col input")
    worked = page.locator("#filters-worked")
    page.wait_for_function("el => el.innerText.includes('Output[0, 0]')", arg=worked.element_handle(), timeout=15_000)
    page.locator("#filters-next-cell").click()
    page.wait_for_function("el => el.innerText.includes('Output[0, 1]')", arg=worked.element_handle(), timeout=15_000)
    assert (row.input_value(), col.input_value()) == ("0", "1")
    page.locator("#filters-autoplay input").check()
    # The 8x8 example with a 3x3 kernel has a 6x6 output: autoplay moves on by itself, cell after cell.
    page.wait_for_function(
        "el => /Output\\[0, [3-5]\\]|Output\\[[1-5], \\d\\]/.test(el.innerText)", arg=worked.element_handle(), timeout=20_000
    )
    page.locator("#filters-autoplay input").uncheck()

"""Issue 19's capabilities: the convolution sandbox's dilation, transposed convolution and
stepping; the GAN's walk from one digit to another; the playground's own data (CSV and painted
points) and learning-rate schedules. Unit and reference tests, then gradio_client, then a browser."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradio_client import Client

from core.errors import UserError
from core.vision import convolution as conv

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
    from demos import filters as demo

    picture, numbers, size, worked = demo.run_sandbox("1 2; 3 4", "1 1; 1 1", 2, 0, 0, 1, 1, True)
    assert "Output (4×4)" in numbers and "1 1 2 2\n1 1 2 2\n3 3 4 4\n3 3 4 4" in numbers and picture.dtype == np.uint8
    assert demo.step_sandbox("1 2; 3 4", "1 1; 1 1", 2, 0, 0, 3, 1, True) == (1, 0)
    import gradio as gr

    with pytest.raises(gr.Error, match="dilation must be between 1 and 3"):
        demo.run_sandbox("1 2; 3 4", "1", 1, 0, 0, 0, 4, False)
    with pytest.raises(gr.Error, match="does not fit"):
        demo.run_sandbox("1 2 3; 4 5 6; 7 8 9", "1 1; 1 1", 1, 0, 0, 0, 3, False)


# ---------- end to end: gradio_client ----------


@pytest.mark.e2e
def test_convolve_endpoint_takes_dilation_and_transposed(app_url):
    client = Client(f"{app_url}/demos/filters/", verbose=False)
    picture, numbers, size, worked = client.predict("1 2; 3 4", "1 1; 1 1", 2, 0, 3, 2, 1, True, api_name="/convolve")
    assert numbers.splitlines()[2:6] == ["1 1 2 2", "1 1 2 2", "3 3 4 4", "3 3 4 4"]  # one row per line
    assert "= **4**" in size and "flipped" in worked and "= **3**" in worked
    _, numbers, size, _ = client.predict("; ".join(["1 2 3 4 5"] * 5), "1 0 -1", 1, 0, 0, 0, 2, False, api_name="/convolve")
    assert "Output (5×1)" in numbers and "⌊0 / 1⌋ + 1 = **1**" in size  # taps 2 apart: the 3-wide kernel spans all 5 columns
    _, numbers, _, _ = client.predict("1 2 3; 4 5 6; 7 8 9", "1 0; 0 -1", 1, 0, 1, 1, api_name="/convolve")  # older calls still work
    assert "-4 -4\n-4 -4" in numbers

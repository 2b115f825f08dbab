"""Convolution arithmetic, written out: the sandbox's output, its size, and one value worked through.

Like PyTorch's `F.conv2d`, this is a cross-correlation: the kernel slides over the (zero-padded)
input without being flipped, and each output value is the sum of the element-wise products of
the kernel with the patch under it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import UserError, whole_number
from core.vision.pictures import cell_picture, side_by_side

MAX_INPUT_SIDE = 16  # sandbox inputs are small on purpose: every number stays readable
MAX_KERNEL_SIDE = 7
MAX_STRIDE, MAX_PADDING = 3, 3
MAX_ABS_VALUE = 1e6

KERNELS = {
    "edge (vertical, Sobel)": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "edge (horizontal, Sobel)": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "blur (box)": [[1 / 9] * 3] * 3,
    "blur (Gaussian)": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}

INPUTS = {
    "vertical edge": np.repeat([[0, 0, 0, 0, 1, 1, 1, 1]], 8, axis=0),
    "diagonal line": np.eye(8, dtype=int)[::-1],
    "a square": np.pad(np.ones((4, 4), int), 2),
    "a plus sign": np.pad(np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]]) * 9, (2, 3)),
}


def sandbox_error(problem: str) -> UserError:
    """Numbers the sandbox cannot use: the message says what to fix."""
    return UserError(f"Sandbox: {problem}.")


@dataclass(frozen=True)
class SandboxRequest:
    """The sandbox's numbers, checked: what a page or an API client sent, made usable."""

    image: np.ndarray  # (H, W) floats, at most MAX_INPUT_SIDE a side
    kernel: np.ndarray  # (k, k') floats, at most MAX_KERNEL_SIDE a side
    stride: int
    padding: int
    row: int  # the output value to work through (clipped to the output later)
    col: int


def read_sandbox(input_text, kernel_text, stride, padding, row, col) -> SandboxRequest:
    """The sandbox's six values, as sent -> a SandboxRequest, or a UserError that says what to fix."""
    image = parse_matrix(input_text, "input", MAX_INPUT_SIDE)
    kernel = parse_matrix(kernel_text, "kernel", MAX_KERNEL_SIDE)
    stride, padding = whole_number(stride, "stride", 1, MAX_STRIDE), whole_number(padding, "padding", 0, MAX_PADDING)
    row = whole_number(0 if row is None else row, "row", 0, 2**31 - 1)
    col = whole_number(0 if col is None else col, "column", 0, 2**31 - 1)
    check(image, kernel, stride, padding)
    return SandboxRequest(image, kernel, stride, padding, row, col)


def parse_matrix(text: str, what: str, max_side: int) -> np.ndarray:
    """ "1 0 -1; 2 0 -2" (rows split by ';' or new lines, numbers by spaces or commas) -> 2-D floats."""
    if not isinstance(text, str):
        raise sandbox_error(f"the {what} must be text: rows of numbers, e.g. '1 0 -1; 2 0 -2; 1 0 -1'")
    if len(text) > 4000:
        raise sandbox_error(f"the {what} is too long: at most {max_side}x{max_side} numbers")
    rows = [r.replace(",", " ").split() for r in text.replace(";", "\n").splitlines() if r.strip()]
    if not rows:
        raise sandbox_error(f"the {what} is empty: type rows of numbers, e.g. '1 0 -1; 2 0 -2; 1 0 -1'")
    if len({len(r) for r in rows}) != 1:
        raise sandbox_error(f"every row of the {what} needs the same number of values")
    try:
        matrix = np.array([[float(v) for v in r] for r in rows], np.float64)
    except ValueError as error:
        raise sandbox_error(f"the {what} has something that is not a number ({error})") from error
    if max(matrix.shape) > max_side:
        raise sandbox_error(f"the {what} is {matrix.shape[0]}x{matrix.shape[1]}; at most {max_side}x{max_side}")
    if not np.all(np.isfinite(matrix)) or np.abs(matrix).max() > MAX_ABS_VALUE:
        raise sandbox_error(f"the {what}'s values must be finite and at most {MAX_ABS_VALUE:g} in size")
    return matrix


def format_matrix(matrix: np.ndarray) -> str:
    return "\n".join(" ".join(f"{v:g}" for v in row) for row in np.round(matrix, 4) + 0.0)  # + 0.0: no "-0"


def output_size(n: int, k: int, stride: int, padding: int) -> int:
    """floor((n + 2p - k) / s) + 1: how many places the kernel fits along one side."""
    return (n + 2 * padding - k) // stride + 1


def check(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> None:
    if not (1 <= stride <= MAX_STRIDE and 0 <= padding <= MAX_PADDING):
        raise sandbox_error(f"stride must be 1 to {MAX_STRIDE} and padding 0 to {MAX_PADDING}")
    for axis in (0, 1):
        if output_size(image.shape[axis], kernel.shape[axis], stride, padding) < 1:
            raise sandbox_error(
                f"the {kernel.shape[0]}x{kernel.shape[1]} kernel does not fit in the {image.shape[0]}x{image.shape[1]} "
                f"input with padding {padding}: use more padding or a smaller kernel"
            )


def convolve(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """2-D cross-correlation with zero padding and stride, exactly what F.conv2d computes."""
    check(image, kernel, stride, padding)
    padded = np.pad(image.astype(np.float64), padding)
    kh, kw = kernel.shape
    oh = output_size(image.shape[0], kh, stride, padding)
    ow = output_size(image.shape[1], kw, stride, padding)
    out = np.empty((oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = padded[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = float((patch * kernel).sum())
    return out


@dataclass(frozen=True)
class WorkedValue:
    row: int
    col: int
    patch: np.ndarray  # the padded input under the kernel
    products: np.ndarray  # patch * kernel, element by element
    value: float


def work_through(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, row: int, col: int) -> WorkedValue:
    """Output value (row, col) from its parts: which patch, which products, which sum."""
    check(image, kernel, stride, padding)
    oh = output_size(image.shape[0], kernel.shape[0], stride, padding)
    ow = output_size(image.shape[1], kernel.shape[1], stride, padding)
    row, col = int(np.clip(row, 0, oh - 1)), int(np.clip(col, 0, ow - 1))
    padded = np.pad(image.astype(np.float64), padding)
    kh, kw = kernel.shape
    patch = padded[row * stride : row * stride + kh, col * stride : col * stride + kw]
    products = patch * kernel
    return WorkedValue(row, col, patch, products, float(products.sum()))


def explain_size(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> str:
    """The output-size formula with this sandbox's numbers, for rows and columns."""
    lines = []
    for axis, name in ((0, "rows"), (1, "columns")):
        n, k = image.shape[axis], kernel.shape[axis]
        lines.append(
            f"{name}: ⌊({n} + 2·{padding} − {k}) / {stride}⌋ + 1 = ⌊{n + 2 * padding - k} / {stride}⌋ + 1 "
            f"= **{output_size(n, k, stride, padding)}**"
        )
    return "Output size = ⌊(n + 2p − k) / s⌋ + 1\n\n" + "\n\n".join(lines)


def explain_value(worked: WorkedValue, kernel: np.ndarray, stride: int, padding: int) -> str:
    """Markdown: where the patch starts, each product, and their sum."""
    r0, c0 = worked.row * stride - padding, worked.col * stride - padding
    terms = " + ".join(f"{p:g}·{k:g}" for p, k in zip(worked.patch.ravel(), np.round(kernel.ravel(), 4)))
    return (
        f"**Output[{worked.row}, {worked.col}]**: the kernel's top-left corner sits on input row {r0}, column {c0} "
        f"(index × stride − padding; outside the input means a padded zero).\n\n"
        f"Patch under the kernel:\n```\n{format_matrix(worked.patch)}\n```\n"
        f"Products, patch × kernel, element by element:\n```\n{format_matrix(worked.products)}\n```\n"
        f"Sum: {terms} = **{worked.value:g}**"
    )


def sandbox_picture(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, worked: WorkedValue) -> np.ndarray:
    """The padded input (padding in grey) with the worked patch outlined, beside the output with the
    worked value outlined. Colours: red > 0, blue < 0, white 0."""
    padded = np.pad(image.astype(np.float64), padding)
    is_padding = np.pad(np.zeros(image.shape, bool), padding, constant_values=True)
    top, left = worked.row * stride, worked.col * stride
    output = convolve(image, kernel, stride, padding)
    pictures = [
        cell_picture(padded, blank=is_padding, box=(top, left, top + kernel.shape[0], left + kernel.shape[1])),
        cell_picture(output, box=(worked.row, worked.col, worked.row + 1, worked.col + 1)),
    ]
    return side_by_side(pictures, side=1, gap=24)

"""Convolution arithmetic, written out: the sandbox's output, its size, and one value worked through.

Like PyTorch's `F.conv2d`, this is a cross-correlation: the kernel slides over the (zero-padded)
input without being flipped, and each output value is the sum of the element-wise products of
the kernel with the patch under it. Dilation spreads the kernel's taps `d` cells apart. A
transposed convolution (`F.conv_transpose2d`) is drawn the way Dumoulin & Visin's guide to
convolution arithmetic draws it: the same sliding, with stride 1 and the kernel flipped, over the
input stretched with s - 1 zeros between its values and padded with d(k - 1) - p zeros a side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import UserError, whole_number
from core.vision.pictures import cell_picture, side_by_side

MAX_INPUT_SIDE = 16  # sandbox inputs are small on purpose: every number stays readable
MAX_KERNEL_SIDE = 7
MAX_STRIDE, MAX_PADDING, MAX_DILATION = 3, 3, 3
MAX_ABS_VALUE = 1e6

KERNELS = {
    "edge (vertical, Sobel)": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "edge (horizontal, Sobel)": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "blur (box)": [[1 / 9] * 3] * 3,
    "blur (Gaussian)": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "2x2 ones (upsampling, transposed)": [[1, 1], [1, 1]],
}

INPUTS = {
    "vertical edge": np.repeat([[0, 0, 0, 0, 1, 1, 1, 1]], 8, axis=0),
    "diagonal line": np.eye(8, dtype=int)[::-1],
    "a square": np.pad(np.ones((4, 4), int), 2),
    "a plus sign": np.pad(np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]]) * 9, (2, 3)),
}


def kernel_text(name: str) -> str:
    """A kernel preset's numbers, as the sandbox's textbox shows them."""
    return format_matrix(np.array(KERNELS[name]))


def input_text(name: str) -> str:
    """An input preset's numbers, as the sandbox's textbox shows them."""
    return format_matrix(INPUTS[name])


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
    dilation: int = 1
    transposed: bool = False

    @property
    def geometry(self) -> dict:
        """stride, padding, dilation and transposed, as keyword arguments for the functions below."""
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, transposed=self.transposed)


def read_sandbox(input_text, kernel_text, stride, padding, row, col, dilation=1, transposed=False) -> SandboxRequest:
    """The sandbox's values, as sent -> a SandboxRequest, or a UserError that says what to fix."""
    image = parse_matrix(input_text, "input", MAX_INPUT_SIDE)
    kernel = parse_matrix(kernel_text, "kernel", MAX_KERNEL_SIDE)
    stride, padding = whole_number(stride, "stride", 1, MAX_STRIDE), whole_number(padding, "padding", 0, MAX_PADDING)
    dilation = whole_number(1 if dilation is None else dilation, "dilation", 1, MAX_DILATION)
    if transposed not in (None, True, False, 0, 1):
        raise sandbox_error(f"transposed must be true or false; got {str(transposed)[:40]!r}")
    row = whole_number(0 if row is None else row, "row", 0, 2**31 - 1)
    col = whole_number(0 if col is None else col, "column", 0, 2**31 - 1)
    request = SandboxRequest(image, kernel, stride, padding, row, col, dilation, bool(transposed))
    check(image, kernel, **request.geometry)
    return request


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


def output_size(n: int, k: int, stride: int, padding: int, dilation: int = 1, transposed: bool = False) -> int:
    """Along one side. Convolution: floor((n + 2p - d(k - 1) - 1) / s) + 1, how many places the
    (dilated) kernel fits. Transposed: (n - 1)s - 2p + d(k - 1) + 1, the size whose convolution
    with the same numbers would give back n."""
    span = dilation * (k - 1) + 1  # cells the dilated kernel covers
    if transposed:
        return (n - 1) * stride - 2 * padding + span
    return (n + 2 * padding - span) // stride + 1


def check(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, dilation: int = 1, transposed: bool = False) -> None:
    if not (1 <= stride <= MAX_STRIDE and 0 <= padding <= MAX_PADDING and 1 <= dilation <= MAX_DILATION):
        raise sandbox_error(f"stride must be 1 to {MAX_STRIDE}, padding 0 to {MAX_PADDING} and dilation 1 to {MAX_DILATION}")
    for axis in (0, 1):
        if output_size(image.shape[axis], kernel.shape[axis], stride, padding, dilation, transposed) < 1:
            fix = "use less padding or a larger kernel" if transposed else "use more padding or a smaller kernel"
            dilated = f" with dilation {dilation}" if dilation > 1 else ""
            raise sandbox_error(
                f"the {kernel.shape[0]}x{kernel.shape[1]} kernel{dilated} does not fit in the {image.shape[0]}x{image.shape[1]} "
                f"input with padding {padding}: {fix}"
            )


@dataclass(frozen=True)
class Sliding:
    """What the kernel slides over, and how: every case is an ordinary dilated cross-correlation of
    `kernel` over `grid` with step `step`."""

    grid: np.ndarray  # (H', W') floats: the padded input, or for a transposed one the stretched and padded input
    blank: np.ndarray  # (H', W') bool: cells that are not input values (padding, inserted zeros)
    kernel: np.ndarray  # the kernel as applied (flipped for a transposed convolution)
    step: int  # how far the kernel moves per output cell (1 for a transposed convolution)
    dilation: int
    offset: tuple[int, int]  # input coordinates of grid cell (0, 0) (transposed: stretched coordinates)


def sliding(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, dilation: int = 1, transposed: bool = False) -> Sliding:
    """The grid, blank mask, kernel and step for these numbers (see the module's docstring)."""
    image = image.astype(np.float64)
    if not transposed:
        grid = np.pad(image, padding)
        blank = np.pad(np.zeros(image.shape, bool), padding, constant_values=True)
        return Sliding(grid, blank, kernel, stride, dilation, (-padding, -padding))
    h, w = image.shape
    stretched = np.zeros(((h - 1) * stride + 1, (w - 1) * stride + 1))  # s - 1 zeros between input values
    stretched[::stride, ::stride] = image
    inserted = np.ones(stretched.shape, bool)
    inserted[::stride, ::stride] = False
    kh, kw = kernel.shape
    # Each side pads by d(k - 1) - p cells: rows and columns apart, since a kernel need not be square.
    pad_rows, pad_cols = dilation * (kh - 1) - padding, dilation * (kw - 1) - padding
    grid = _pad_axes(stretched, pad_rows, pad_cols, 0.0)
    blank = _pad_axes(inserted, pad_rows, pad_cols, True)
    return Sliding(grid, blank, kernel[::-1, ::-1], 1, dilation, (-pad_rows, -pad_cols))


def _pad_axes(values: np.ndarray, rows: int, cols: int, fill) -> np.ndarray:
    """Pad (or crop, when negative) `rows` cells above and below and `cols` left and right."""
    values = values[max(-rows, 0) : values.shape[0] - max(-rows, 0), max(-cols, 0) : values.shape[1] - max(-cols, 0)]
    return np.pad(values, ((max(rows, 0),) * 2, (max(cols, 0),) * 2), constant_values=fill)


def _patch(s: Sliding, row: int, col: int) -> np.ndarray:
    kh, kw = s.kernel.shape
    top, left = row * s.step, col * s.step
    return s.grid[top : top + s.dilation * (kh - 1) + 1 : s.dilation, left : left + s.dilation * (kw - 1) + 1 : s.dilation]


def convolve(
    image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0, dilation: int = 1, transposed: bool = False
) -> np.ndarray:
    """2-D cross-correlation with zero padding, stride and dilation, exactly what F.conv2d computes
    (transposed: what F.conv_transpose2d computes)."""
    check(image, kernel, stride, padding, dilation, transposed)
    s = sliding(image, kernel, stride, padding, dilation, transposed)
    oh = output_size(image.shape[0], kernel.shape[0], stride, padding, dilation, transposed)
    ow = output_size(image.shape[1], kernel.shape[1], stride, padding, dilation, transposed)
    out = np.empty((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = float((_patch(s, i, j) * s.kernel).sum())
    return out


@dataclass(frozen=True)
class WorkedValue:
    row: int
    col: int
    patch: np.ndarray  # the grid cells under the kernel's taps
    products: np.ndarray  # patch * kernel (as applied), element by element
    value: float


def clip_cell(image: np.ndarray, kernel: np.ndarray, row: int, col: int, **geometry) -> tuple[int, int]:
    """(row, col) clipped into the output."""
    oh = output_size(image.shape[0], kernel.shape[0], **geometry)
    ow = output_size(image.shape[1], kernel.shape[1], **geometry)
    return int(np.clip(row, 0, oh - 1)), int(np.clip(col, 0, ow - 1))


def next_cell(image: np.ndarray, kernel: np.ndarray, row: int, col: int, **geometry) -> tuple[int, int]:
    """The output cell after (row, col), row by row, back to (0, 0) after the last: the sandbox's stepping."""
    ow = output_size(image.shape[1], kernel.shape[1], **geometry)
    oh = output_size(image.shape[0], kernel.shape[0], **geometry)
    row, col = clip_cell(image, kernel, row, col, **geometry)
    index = (row * ow + col + 1) % (oh * ow)
    return divmod(index, ow)


def work_through(
    image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, row: int, col: int, dilation: int = 1, transposed: bool = False
) -> WorkedValue:
    """Output value (row, col) from its parts: which cells, which products, which sum."""
    geometry = dict(stride=stride, padding=padding, dilation=dilation, transposed=transposed)
    check(image, kernel, **geometry)
    row, col = clip_cell(image, kernel, row, col, **geometry)
    s = sliding(image, kernel, **geometry)
    patch = _patch(s, row, col)
    products = patch * s.kernel
    return WorkedValue(row, col, patch, products, float(products.sum()))


def explain_size(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, dilation: int = 1, transposed: bool = False) -> str:
    """The output-size formula with this sandbox's numbers, for rows and columns."""
    geometry = dict(stride=stride, padding=padding, dilation=dilation, transposed=transposed)
    lines = []
    for axis, name in ((0, "rows"), (1, "columns")):
        n, k = image.shape[axis], kernel.shape[axis]
        size = output_size(n, k, **geometry)
        if transposed:
            lines.append(
                f"{name}: ({n} − 1)·{stride} − 2·{padding} + {dilation}·({k} − 1) + 1 "
                f"= {(n - 1) * stride} − {2 * padding} + {dilation * (k - 1)} + 1 = **{size}**"
            )
        elif dilation == 1:
            lines.append(f"{name}: ⌊({n} + 2·{padding} − {k}) / {stride}⌋ + 1 = ⌊{n + 2 * padding - k} / {stride}⌋ + 1 = **{size}**")
        else:
            lines.append(
                f"{name}: ⌊({n} + 2·{padding} − {dilation}·({k} − 1) − 1) / {stride}⌋ + 1 "
                f"= ⌊{n + 2 * padding - dilation * (k - 1) - 1} / {stride}⌋ + 1 = **{size}**"
            )
    if transposed:
        formula = "Transposed: output size = (n − 1)·s − 2p + d·(k − 1) + 1"
    elif dilation == 1:
        formula = "Output size = ⌊(n + 2p − k) / s⌋ + 1"
    else:
        formula = "Output size = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1 (a dilated kernel covers d·(k − 1) + 1 cells)"
    return formula + "\n\n" + "\n\n".join(lines)


def explain_value(worked: WorkedValue, kernel: np.ndarray, stride: int, padding: int, dilation: int = 1, transposed: bool = False) -> str:
    """Markdown: where the kernel sits, each product, and their sum."""
    applied = kernel[::-1, ::-1] if transposed else kernel
    terms = " + ".join(f"{p:g}·{k:g}" for p, k in zip(worked.patch.ravel(), np.round(applied.ravel(), 4)))
    spread = f", its taps {dilation} cells apart (dilation {dilation})" if dilation > 1 else ""
    if transposed:
        kh, kw = kernel.shape
        where = (
            f"**Output[{worked.row}, {worked.col}]** of the transposed convolution: the input is stretched with "
            f"{stride - 1} zero{'s' if stride != 2 else ''} between its values and padded with d·(k − 1) − p = "
            f"{dilation * (kh - 1) - padding} (rows), {dilation * (kw - 1) - padding} (columns) zeros a side (grey; negative crops); "
            f"the kernel, **flipped**, slides over that with stride 1{spread}. Its top-left tap sits on row {worked.row}, "
            f"column {worked.col} of the stretched grid."
        )
    else:
        where = (
            f"**Output[{worked.row}, {worked.col}]**: the kernel's top-left tap sits on input row {worked.row * stride - padding}, "
            f"column {worked.col * stride - padding} (index × stride − padding; outside the input means a padded zero){spread}."
        )
    return (
        f"{where}\n\n"
        f"Cells under the kernel's taps:\n```\n{format_matrix(worked.patch)}\n```\n"
        f"Products, cells × kernel{' (flipped)' if transposed else ''}, element by element:\n```\n{format_matrix(worked.products)}\n```\n"
        f"Sum: {terms} = **{worked.value:g}**"
    )


def sandbox_picture(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int,
    padding: int,
    worked: WorkedValue,
    dilation: int = 1,
    transposed: bool = False,
    palette: str = "default",
) -> np.ndarray:
    """The grid the kernel slides over (padding and inserted zeros in grey) with the worked cells
    outlined, beside the output with the worked value outlined. Colours: `palette`'s diverging scale."""
    geometry = dict(stride=stride, padding=padding, dilation=dilation, transposed=transposed)
    s = sliding(image, kernel, **geometry)
    top, left = worked.row * s.step, worked.col * s.step
    kh, kw = kernel.shape
    taps = [(top + u * dilation, left + v * dilation) for u in range(kh) for v in range(kw)]
    output = convolve(image, kernel, **geometry)
    pictures = [
        cell_picture(
            s.grid,
            blank=s.blank,
            box=(top, left, top + dilation * (kh - 1) + 1, left + dilation * (kw - 1) + 1),
            marks=taps,
            palette=palette,
        ),
        cell_picture(output, box=(worked.row, worked.col, worked.row + 1, worked.col + 1), palette=palette),
    ]
    return side_by_side(pictures, side=1, gap=24)


def sandbox(input_text, kernel_text, stride, padding, row, col, dilation=1, transposed=False, palette="default"):
    """The sandbox's values, as sent -> (input | output picture, output numbers, size formula, one value worked out)."""
    request = read_sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    image, kernel, geometry = request.image, request.kernel, request.geometry
    output = convolve(image, kernel, **geometry)
    worked = work_through(image, kernel, row=request.row, col=request.col, **geometry)
    picture = sandbox_picture(image, kernel, worked=worked, palette=palette, **geometry)
    numbers = f"Output ({output.shape[0]}×{output.shape[1]}):\n```\n{format_matrix(output)}\n```"
    return picture, numbers, explain_size(image, kernel, **geometry), explain_value(worked, kernel, **geometry)


def sandbox_next_cell(input_text, kernel_text, stride, padding, row, col, dilation=1, transposed=False) -> tuple[int, int]:
    """The output cell after (row, col), row by row, wrapping to (0, 0): one step of the animation."""
    request = read_sandbox(input_text, kernel_text, stride, padding, row, col, dilation, transposed)
    return next_cell(request.image, request.kernel, request.row, request.col, **request.geometry)

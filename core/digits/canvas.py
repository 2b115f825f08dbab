"""`prepare_digit` for a drawing surface's raster, as a fixed-shape torch module that exports to ONNX.

The browser reads the drawing while the pen moves (demos/assets/drawing/reader.js), with the very
steps `core.digits.preprocess.prepare_digit` takes on the server, written once more as tensor
operations with no data-dependent shapes or branches:

- the ink map (`preprocess.ink_map`): polarity, the paper's darkness (a wide minimum filter on a
  64-pixel copy), the 99th percentile of the ink as full strength, paper grain removed;
- the centring (`preprocess.center_digit`): the ink's bounding box, the 20x20 fit at 4x detail, the
  thickening of thin strokes, the 4x shrink and the centre-of-mass shift into 28x28.

Each resize is Pillow's own (`_resize`, float mode): a matrix of Pillow's filter weights per axis
(`pillow_weights`), applied as `W_rows @ image @ W_cols.T`. A crop and a shift are the same kind
of matrix, with ones and zeros. Branches become `torch.where` over the candidates (the five sizes
a thickening can take). Nothing is ported by hand to JavaScript: the browser runs this module's ONNX
export (core/digits/export.py), and tests/test_onnx.py proves it equal to `prepare_digit`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.digits.preprocess import BOX, DETAIL, FIELD, MIN_CONTRAST, MIN_STROKE, WORK_SIDE, normalize

SHRUNK = 64  # preprocess._background works on a copy whose longest side is 64
DETAIL_SIDE = BOX * DETAIL  # the crop is resampled to at most 80 x 80
GROWS = (3, 5, 7, 9)  # the odd kernel sizes a thickening can take: stroke width in [0, 2) at 4x detail
PAD = DETAIL  # a thickening pads the detail by 4 pixels (one field pixel) on each side


def pillow_weights(in_size, out_size, n_in: int, n_out: int, box, offset=0) -> torch.Tensor:
    """Pillow's resampling weights (libImaging/Resample.c, precompute_coeffs) as a (n_out, n_in) matrix.

    Resizes the `in_size` pixels starting at `offset` to `out_size` pixels; rows past `out_size` and
    columns outside the input are zero. `box`: Pillow's BOX filter, else BILINEAR. Computed in float64
    as Pillow does, so a pixel on a box's very edge falls on the same side."""
    f64 = torch.float64
    in_size, out_size = torch.as_tensor(in_size).to(f64), torch.as_tensor(out_size).to(f64)
    box = torch.as_tensor(box)
    scale = in_size / out_size
    filter_scale = torch.clamp(scale, min=1.0)
    support = torch.where(box, 0.5, 1.0) * filter_scale
    centre = (torch.arange(n_out, dtype=f64)[:, None] + 0.5) * scale  # (n_out, 1)
    j = torch.arange(n_in, dtype=f64)[None, :] - torch.as_tensor(offset).to(f64)  # (1, n_in), from the crop's start
    low = torch.clamp(torch.floor(centre - support + 0.5), min=0.0)
    high = torch.minimum(torch.floor(centre + support + 0.5), in_size)
    x = (j - centre + 0.5) * (torch.ones_like(filter_scale) / filter_scale)  # (a true division, as Pillow's)
    box_weight = ((x > -0.5) & (x <= 0.5)).to(f64)
    triangle = torch.clamp(1.0 - torch.abs(x), min=0.0)
    weights = torch.where(box, box_weight, triangle) * ((j >= low) & (j < high)).to(f64)
    total = weights.sum(dim=1, keepdim=True)
    weights = torch.where(total != 0, weights / torch.where(total != 0, total, 1.0), 0.0)
    inside = torch.arange(n_out, dtype=f64)[:, None] < out_size
    return (weights * inside.to(f64)).float()


def _resize(image: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """(H, W) -> (n_rows, n_cols) with per-axis weight matrices: Pillow resizes across, then down."""
    return rows @ (image @ cols.T)


def _max_filter(image: torch.Tensor, k: int, edge: bool) -> torch.Tensor:
    """k x k maximum filter, same size: edges repeated (`edge`) or, for ink >= 0, padded with zeros."""
    if k == 1:
        return image
    mode, half = "replicate" if edge else "constant", k // 2
    down = F.max_pool2d(F.pad(image[None, None], (0, 0, half, half), mode=mode), (k, 1), stride=1)  # max is separable
    return F.max_pool2d(F.pad(down, (half, half, 0, 0), mode=mode), (1, k), stride=1)[0, 0]


def _first(flags: torch.Tensor) -> torch.Tensor:
    """Index of the first True in a 1-D bool tensor (0 when there is none)."""
    return torch.argmax(flags.to(torch.int64))


def _shift(n_out: int, n_in: int, start) -> torch.Tensor:
    """(n_out, n_in) matrix of ones that moves index `start + i` of the input to i of the output."""
    return (torch.arange(n_in)[None, :] == torch.arange(n_out)[:, None] + start).float()


class InkMap(nn.Module):
    """`preprocess.ink_map` on a (side, side) lightness: (ink in [0, 1], has contrast and ink)."""

    def __init__(self, side: int):
        super().__init__()
        if side > WORK_SIDE:
            raise ValueError(f"a raster of at most {WORK_SIDE} pixels a side, not {side}")  # ink_map would shrink it first
        self.side = side
        small = max(1, round(side * min(1.0, SHRUNK / side)))
        self.small = small
        self.kernel = max(3, (small // 4) | 1)
        self.top = side * side // 100 + 2  # the 99th percentile of n values is among the largest n // 100 + 2
        self.register_buffer("down", pillow_weights(side, small, side, small, True), persistent=False)
        self.register_buffer("up", pillow_weights(small, side, small, side, False), persistent=False)

    def forward(self, lightness: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        contrast = (lightness.max() - lightness.min()) >= MIN_CONTRAST
        light_paper = 2 * (lightness >= 0.5).sum() > lightness.numel()
        ink = torch.where(light_paper, 1.0 - lightness, lightness)
        # The paper's own darkness: a single number when it is evenly lit, else the floor spread out.
        small = _resize(ink, self.down, self.down) if self.small < self.side else ink
        floor = -_max_filter(-small, self.kernel, edge=True)
        spread = _resize(floor, self.up, self.up) if self.small < self.side else floor
        ink = torch.relu(ink - torch.where(floor.min() == floor.max(), floor.min(), spread))
        # Full strength is the 99th percentile of the inked pixels (numpy's linear interpolation).
        inked = (ink > 0).sum()
        ranked = torch.topk(ink.flatten(), self.top).values  # the largest, descending: enough for the 99th percentile
        position = 0.99 * (inked - 1).clamp(min=0).to(torch.float64)  # in ascending order among the inked
        below = torch.floor(position)
        low = ranked[(inked - 1 - below.to(torch.int64)).clamp(min=0)].to(torch.float64)
        high = ranked[(inked - 1 - torch.ceil(position).to(torch.int64)).clamp(min=0)].to(torch.float64)
        t = position - below
        peak = torch.where(t >= 0.5, high - (high - low) * (1 - t), low + (high - low) * t).float()  # numpy's _lerp
        found = contrast & (inked > 0) & (peak >= MIN_CONTRAST)
        ink = torch.clamp(ink / torch.where(found, peak, 1.0), max=1.0)
        return torch.where(ink < 0.2, 0.0, ink), found


class CenterDigit(nn.Module):
    """`preprocess.center_digit` on a (side, side) ink map: (the 28x28 field, has ink above 0.35)."""

    def forward(self, ink: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n_rows, n_cols = ink.shape
        strong = ink > 0.35
        rows, cols = strong.any(dim=1), strong.any(dim=0)
        found = rows.any()
        top, left = _first(rows), _first(cols)
        bottom, right = n_rows - _first(rows.flip(0)), n_cols - _first(cols.flip(0))
        h, w = (bottom - top).clamp(min=1), (right - left).clamp(min=1)
        # BOX / longest, divided as Python does (`20 / t` in torch is 20 * (1 / t), which can round 7.5 down)
        scale = torch.full((), float(BOX), dtype=torch.float64) / torch.maximum(h, w).to(torch.float64)
        sh = torch.clamp(torch.round(h * scale), min=1).to(torch.int64)  # (both round half to even)
        sw = torch.clamp(torch.round(w * scale), min=1).to(torch.int64)

        # Resample the crop at DETAIL x its final size (BOX when shrinking, BILINEAR when enlarging).
        shrinking = scale < 1
        down = pillow_weights(h, sh * DETAIL, n_rows, DETAIL_SIDE, shrinking, top)
        across = pillow_weights(w, sw * DETAIL, n_cols, DETAIL_SIDE, shrinking, left)
        detail = _resize(ink, down, across)  # (80, 80), the crop's (sh * 4, sw * 4) at the top left
        detail = torch.clamp(detail / torch.clamp(detail.max(), min=1e-6), 0.0, 1.0)

        # Thicken a stroke thinner than MIN_STROKE: a maximum filter whose size depends on its width.
        marked = detail > 0.35
        edged = F.pad(marked[None, None].float(), (1, 1, 1, 1))[0, 0] > 0
        interior = edged[:-2, 1:-1] & edged[2:, 1:-1] & edged[1:-1, :-2] & edged[1:-1, 2:]
        area = marked.sum().to(torch.float64)
        perimeter = torch.clamp((marked & ~interior).sum(), min=1).to(torch.float64)
        width = torch.where(area > 0, 2.0 * area / perimeter, 0.0) / DETAIL
        steps = torch.ceil((MIN_STROKE - width) * DETAIL).to(torch.int64)
        grow = torch.where(width < MIN_STROKE, steps + 1 - steps % 2, 1)  # int(...) | 1
        padded = F.pad(detail, (PAD, PAD, PAD, PAD))  # (88, 88): room for the thicker stroke
        thick = padded
        for k in GROWS:
            thick = torch.where(grow == k, _max_filter(padded, k, edge=False), thick)
        grown = grow > 1
        sh, sw = sh + 2 * grown, sw + 2 * grown
        scaled = torch.clamp(F.avg_pool2d(thick[None, None], DETAIL)[0, 0], 0.0, 1.0)  # (22, 22), Pillow's BOX at 4x
        start = torch.where(grown, 0, 1)  # the first row and column of the scaled digit in `scaled`

        # Centre of mass to the middle of the field, keeping the whole box inside it.
        mass = scaled.sum()
        at = torch.arange(scaled.shape[0], dtype=torch.float64) - start
        cy = (scaled.sum(dim=1).to(torch.float64) @ at) / mass
        cx = (scaled.sum(dim=0).to(torch.float64) @ at) / mass
        row = torch.minimum(torch.clamp(torch.round(FIELD / 2 - cy), min=0).to(torch.int64), FIELD - sh)
        col = torch.minimum(torch.clamp(torch.round(FIELD / 2 - cx), min=0).to(torch.int64), FIELD - sw)
        n = scaled.shape[0]
        field = _shift(FIELD, n, start - row) @ scaled @ _shift(FIELD, n, start - col).T  # (28, 28)
        return torch.where(found, field, 0.0), found


class PrepareRaster(nn.Module):
    """A drawing surface's raster, (side, side) uint8 lightness (0 = ink, 255 = paper) -> the
    normalised (1, 1, 28, 28) model input and whether it holds a digit (prepare_digit's NoInkError)."""

    def __init__(self, side: int):
        super().__init__()
        self.ink_map, self.center = InkMap(side), CenterDigit()

    def forward(self, raster: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ink, has_ink = self.ink_map(raster.float() / 255.0)
        field, found = self.center(ink)
        return normalize(field)[None, None], field, has_ink & found


class RasterReader(nn.Module):
    """Raster -> both models' probabilities: what the browser runs while the pen moves.

    Outputs: CNN probabilities (10,), MLP probabilities (10,), found (bool: False where the server
    finds no ink), and the 28x28 field the models read."""

    def __init__(self, side: int, cnn: nn.Module, mlp: nn.Module):
        super().__init__()
        self.prepare, self.cnn, self.mlp = PrepareRaster(side), cnn, mlp

    def forward(self, raster: torch.Tensor):
        inputs, field, found = self.prepare(raster)  # (1, 1, 28, 28)
        cnn = torch.softmax(self.cnn(inputs), dim=1)[0]  # (10,)
        mlp = torch.softmax(self.mlp(inputs), dim=1)[0]  # (10,)
        return cnn, mlp, found, field

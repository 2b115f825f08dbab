"""The filter visualiser's guided path: one pure judge per step (the steps' words are
demos/lessons/paths/filters.yaml), and the two measures of a feature map that its judges read.

A judge takes the run's result, plain numbers the page made from what it just computed (feature
maps, the sandbox's output, the found input's response), and returns the answer this run made
true with the facts the reveal quotes. numpy only: no model is needed to judge.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from core.guide import Judgement, need

EDGE_MARGIN = 1.2  # a map marks one kind of edge "more" when its response there is this many times the other's


# ---------- measures of a map, made by the page from what it computed ----------


def _grey(pixels) -> np.ndarray:
    """(H, W) or (H, W, 3) pixels -> (H, W) floats."""
    pixels = np.asarray(pixels, np.float64)
    return pixels.mean(axis=-1) if pixels.ndim == 3 else pixels


def _stretched(feature_map, shape: tuple[int, int]) -> np.ndarray:
    """A (h, w) map -> `shape`, each cell repeated over the input pixels it sits on (nearest neighbour)."""
    feature_map = np.asarray(feature_map, np.float64)
    rows = np.arange(shape[0]) * feature_map.shape[0] // shape[0]
    cols = np.arange(shape[1]) * feature_map.shape[1] // shape[1]
    return feature_map[np.ix_(rows, cols)]


def edge_strengths(pixels, feature_map) -> tuple[float, float]:
    """How strongly one channel's map answers the input's upright edges and its flat ones:
    the map's departure from its usual value (its median), averaged over the input's pixels
    weighted by how much the input changes across (left to right: an upright edge) and down
    (top to bottom: a flat edge). Each relative to the departure's mean over the whole map."""
    image = _grey(pixels)
    response = np.abs(_stretched(feature_map, image.shape) - np.median(feature_map))
    across, down = np.abs(np.gradient(image, axis=1)), np.abs(np.gradient(image, axis=0))
    scale = max(float(response.mean()), 1e-12)
    upright = float((response * across).sum() / max(across.sum(), 1e-12)) / scale
    flat = float((response * down).sum() / max(down.sum(), 1e-12)) / scale
    return upright, flat


def likeness(pixels, maps) -> tuple[float, int]:
    """(the largest |correlation| between one channel's map, stretched to the input's size, and the
    input's pixels; that channel): how much the map most like the input still looks like it."""
    image = _grey(pixels).ravel()
    best, channel = 0.0, 0
    for index, feature_map in enumerate(maps):
        values = _stretched(feature_map, _grey(pixels).shape).ravel()
        if values.std() < 1e-12 or image.std() < 1e-12:
            continue
        value = abs(float(np.corrcoef(values, image)[0, 1]))
        if value > best:
            best, channel = value, index
    return best, channel


# ---------- the judges, one per step ----------


def edge_kind(result: Mapping) -> Judgement:
    """Which edges of the input the chosen channel's map marks more: upright ones, flat ones, or both alike."""
    result = need(result, "layer", "channel", "upright", "flat")
    upright, flat = float(result["upright"]), float(result["flat"])
    ratio = upright / max(flat, 1e-12)
    outcome = "upright" if ratio >= EDGE_MARGIN else "flat" if ratio <= 1 / EDGE_MARGIN else "alike"
    return Judgement(outcome, dict(layer=result["layer"], channel=result["channel"], upright=upright, flat=flat, ratio=ratio))


def map_size(result: Mapping) -> Judgement:
    """How large each of the layer's maps is, against the input: as large, half as wide, or a quarter or less."""
    result = need(result, "layer", "side", "input_side", "channels", "likeness", "likest")
    side, input_side = int(result["side"]), int(result["input_side"])
    outcome = "full" if side >= input_side else "half" if 2 * side >= input_side else "quarter"
    facts = dict(result, side=side, input_side=input_side, times=input_side / max(side, 1))
    return Judgement(outcome, {k: facts[k] for k in ("layer", "side", "input_side", "channels", "likeness", "likest", "times")})


def edge_sign(result: Mapping) -> Judgement:
    """The sign of the sandbox's strongest output value (zero: the kernel saw nothing)."""
    result = need(result, "output")
    output = np.asarray(result["output"], np.float64)
    row, col = np.unravel_index(int(np.abs(output).argmax()), output.shape)
    strongest = float(output[row, col])
    outcome = "zero" if abs(strongest) < 1e-9 else "negative" if strongest < 0 else "positive"
    return Judgement(outcome, dict(strongest=strongest, row=int(row), col=int(col), nonzero=int((np.abs(output) >= 1e-9).sum())))


SIZES = {7: "seven", 8: "eight"}  # output sides the size step names; the input's own side is "same"


def output_side(result: Mapping) -> Judgement:
    """The size of the sandbox's output, as it computed it."""
    result = need(result, "rows", "cols", "input_rows", "input_cols", "kernel", "stride", "padding", "transposed")
    rows, cols, n = int(result["rows"]), int(result["cols"]), int(result["input_rows"])
    if rows != cols:
        outcome = "other"
    elif rows == n and n == int(result["input_cols"]):
        outcome = "same"
    else:
        outcome = SIZES.get(rows, "other")
    facts = {k: result[k] for k in ("rows", "cols", "input_rows", "input_cols", "kernel", "stride", "padding")}
    return Judgement(outcome, dict(facts, kind="transposed convolution" if result["transposed"] else "convolution"))


def resize(result: Mapping) -> Judgement:
    """Whether the sandbox's output is larger than its input, the same size, or smaller (by area)."""
    result = need(result, "rows", "cols", "input_rows", "input_cols", "transposed")
    area, input_area = int(result["rows"]) * int(result["cols"]), int(result["input_rows"]) * int(result["input_cols"])
    outcome = "larger" if area > input_area else "same" if area == input_area else "smaller"
    facts = {k: result[k] for k in ("rows", "cols", "input_rows", "input_cols")}
    return Judgement(outcome, dict(facts, kind="transposed convolution" if result["transposed"] else "convolution"))


def excitement(result: Mapping) -> Judgement:
    """Whether the input found by gradient ascent excites the filter more at the centre than the real input does."""
    result = need(result, "layer", "channel", "found", "start", "real")
    found, real = float(result["found"]), float(result["real"])
    outcome = "found" if found > real else "real"
    return Judgement(outcome, dict(layer=result["layer"], channel=result["channel"], found=found, start=float(result["start"]), real=real))

"""Pictures of a playground model as numpy images (cheap enough to redraw several times a second):
the decision regions of a 2-D classifier, the fitted curve of the 1-D regression, or a sheet of
validation digits marked right or wrong.

Filled dots are training points, hollow rings validation points.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

from core.device import model_device
from core.palette import CLASSES, DIVERGING, checked
from core.playground.data import Data, true_curve
from core.playground.experiment import evaluating, one_thread

GRID_LINE, TRUE_CURVE = (220, 220, 220), (150, 150, 150)


def class_colours(palette: str = "default") -> np.ndarray:
    """(3, 3) float RGB of classes 0, 1, 2 in the palette (core.palette.CLASSES)."""
    return np.array(CLASSES[checked(palette)], np.float32)


def right_wrong(palette: str = "default") -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The digit sheet's frames: green / red, or blue / orange in the colour-blind-safe palette."""
    return ((44, 160, 44), (214, 39, 40)) if checked(palette) == "default" else (CLASSES["safe"][0], DIVERGING["safe"][1])


def model_curve(palette: str = "default") -> tuple[int, ...]:
    """The regression's fitted curve: the diverging scale's positive end (red, or orange)."""
    return DIVERGING[checked(palette)][1]


CLASS_COLOURS = class_colours()  # the default palette's
GRID = 64  # model evaluations per side of the decision-region grid: 4,096 points, one small batch


def predict(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's outputs in eval mode (dropout off, batch-norm running statistics); a shared
    (finished) model is never flipped (`experiment.evaluating`)."""
    with evaluating(model), one_thread(), torch.inference_mode():
        return model(x.to(model_device(model))).cpu()  # back to the CPU: pictures are made from it


def _to_pixels(points: np.ndarray, extent, size: int) -> np.ndarray:
    x_min, x_max, y_min, y_max = extent
    col = (points[:, 0] - x_min) / (x_max - x_min) * (size - 1)
    row = (y_max - points[:, 1]) / (y_max - y_min) * (size - 1)
    return np.stack([col, row], 1)


def _dots(draw: ImageDraw.ImageDraw, pixels: np.ndarray, colours, hollow: bool, radius: int = 4) -> None:
    for (c, r), colour in zip(pixels, colours):
        box = (c - radius, r - radius, c + radius, r + radius)
        if hollow:
            draw.ellipse(box, fill=(255, 255, 255), outline=tuple(int(v) for v in colour), width=2)
        else:
            draw.ellipse(box, fill=tuple(int(v) for v in colour), outline=(30, 30, 30), width=1)


def _points_layer(data: Data, size: int, palette: str = "default") -> Image.Image:
    """The training (filled) and validation (hollow) points on a transparent layer: they never move,
    so a run draws them once."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for x, y, hollow in ((data.x_val, data.y_val, True), (data.x_train, data.y_train, False)):
        _dots(draw, _to_pixels(x.numpy(), data.extent, size), class_colours(palette)[y.numpy()], hollow)
    return layer


def _grid(data: Data) -> torch.Tensor:
    x_min, x_max, y_min, y_max = data.extent
    xs = torch.linspace(x_min, x_max, GRID)
    ys = torch.linspace(y_max, y_min, GRID)  # top row first
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)  # (GRID*GRID, 2)


def decision_regions(
    model: torch.nn.Module, data: Data, size: int = 384, points: Image.Image | None = None, palette: str = "default"
) -> np.ndarray:
    """(size, size, 3) uint8: each pixel tinted by the class the model predicts there, paler where
    it is unsure, with the training (filled) and validation (hollow) points on top."""
    with one_thread():
        probabilities = torch.softmax(predict(model, _grid(data)), 1).numpy()  # (GRID*GRID, C)
    colours = class_colours(palette)[: data.classes]
    tint = probabilities @ colours  # (GRID*GRID, 3): the colour mix by probability
    confidence = (probabilities.max(1, keepdims=True) - 1 / data.classes) * data.classes / (data.classes - 1)
    pale = 255 - (255 - tint) * (0.25 + 0.35 * confidence)  # light enough for the dots to stand out
    image = Image.fromarray(pale.reshape(GRID, GRID, 3).astype(np.uint8)).resize((size, size), Image.BILINEAR)
    points = points or _points_layer(data, size, palette)
    image.paste(points, (0, 0), points)
    return np.asarray(image)


def regression_curve(model: torch.nn.Module, data: Data, size: int = 384, palette: str = "default") -> np.ndarray:
    """(size, size, 3) uint8: the true curve (grey), the model's curve (red, or orange) and the noisy samples."""
    x_min, x_max, y_min, y_max = data.extent
    xs = torch.linspace(x_min, x_max, 2 * size)[:, None]  # (2*size, 1)
    fitted = predict(model, xs)
    picture = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    zero = _to_pixels(np.array([[x_min, 0.0]]), data.extent, size)[0, 1]
    draw.line([(0, zero), (size, zero)], fill=GRID_LINE, width=1)
    for ys, colour, width in ((true_curve(xs), TRUE_CURVE, 2), (fitted, model_curve(palette), 3)):
        pixels = _to_pixels(torch.cat([xs, ys], 1).numpy(), data.extent, size)
        pixels[:, 1] = np.clip(pixels[:, 1], -size, 2 * size)  # a wild fit must not overflow the drawing
        draw.line([tuple(p) for p in pixels], fill=colour, width=width)
    blue = class_colours(palette)[0]
    _dots(draw, _to_pixels(torch.cat([data.x_val, data.y_val], 1).numpy(), data.extent, size), [blue] * len(data.x_val), True)
    _dots(draw, _to_pixels(torch.cat([data.x_train, data.y_train], 1).numpy(), data.extent, size), [blue] * len(data.x_train), False)
    return np.asarray(picture)


def regression_map(model: torch.nn.Module, data: Data, size: int = 384, palette: str = "default") -> np.ndarray:
    """A visitor's 2-D regression points: (size, size, 3) uint8, each pixel coloured by the number
    the model predicts there (blue low, orange high, on the targets' range), the points on top in
    their own target's colour."""
    low, high = float(data.y_train.min()), float(data.y_train.max())

    def colours(values: np.ndarray) -> np.ndarray:
        t = np.clip((values - low) / ((high - low) or 1.0), 0, 1)[:, None]
        return class_colours(palette)[0] * (1 - t) + class_colours(palette)[1] * t  # (N, 3)

    with one_thread():
        predicted = predict(model, _grid(data)).numpy()[:, 0]  # (GRID*GRID,)
    pale = 255 - (255 - colours(predicted)) * 0.5
    image = Image.fromarray(pale.reshape(GRID, GRID, 3).astype(np.uint8)).resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    for x, y, hollow in ((data.x_val, data.y_val, True), (data.x_train, data.y_train, False)):
        _dots(draw, _to_pixels(x.numpy(), data.extent, size), colours(y.numpy()[:, 0]), hollow)
    return np.asarray(image)


def digit_sheet(model: torch.nn.Module, data: Data, rows: int = 6, cols: int = 8, zoom: int = 2, palette: str = "default") -> np.ndarray:
    """The first rows*cols validation digits, each framed green (read right) or red (wrong); blue / orange in the safe palette."""
    n = min(rows * cols, len(data.x_val))
    predicted = predict(model, data.x_val[:n]).argmax(1)
    right = (predicted == data.y_val[:n]).numpy()
    images = data.x_val[:n].reshape(n, 28, 28).numpy()
    ink = np.clip((images - images.min()) / (images.max() - images.min() + 1e-6), 0, 1)
    cell = 28 * zoom + 6
    sheet = np.full((rows * cell, cols * cell, 3), 255, np.uint8)
    for i in range(n):
        top, left = (i // cols) * cell, (i % cols) * cell
        frame = right_wrong(palette)[0 if right[i] else 1]
        sheet[top + 1 : top + cell - 1, left + 1 : left + cell - 1] = frame
        digit = (255 * (1 - ink[i])).astype(np.uint8).repeat(zoom, 0).repeat(zoom, 1)
        sheet[top + 3 : top + 3 + 28 * zoom, left + 3 : left + 3 + 28 * zoom] = digit[..., None]
    return sheet


class Painter:
    """Draws the right picture for a run's problem, keeping what does not change between frames."""

    def __init__(self, data: Data, size: int = 384, palette: str = "default"):
        self.data, self.size, self.palette = data, size, checked(palette)
        self.points = _points_layer(data, size, self.palette) if data.classes and data.x_train.shape[1] == 2 else None

    def __call__(self, model: torch.nn.Module) -> np.ndarray:
        if self.data.regression:
            if self.data.x_train.shape[1] == 2:  # a visitor's own points with numbers for labels
                return regression_map(model, self.data, self.size, self.palette)
            return regression_curve(model, self.data, self.size, self.palette)
        if self.points is not None:
            return decision_regions(model, self.data, self.size, self.points, self.palette)
        return digit_sheet(model, self.data, palette=self.palette)


def picture(model: torch.nn.Module, data: Data, palette: str = "default") -> np.ndarray:
    """The right picture for the problem, drawn from scratch."""
    return Painter(data, palette=palette)(model)


# ---------- the live curves: what a chart in the page needs since it last drew ----------


def curve_update(history: list[dict], metric: str, sent: int, best_epoch: int | None, epochs: int) -> dict:
    """The playground chart of `metric` ("loss" or "accuracy") for the runs in `history` (the
    current run last; each {"number", "epoch", "train_<metric>", "val_<metric>", ...}).

    With `sent` epochs of the current run already drawn, only the epochs after them. With `sent`
    0, the whole run so far, `reset`, and the earlier runs' curves, newest first: the page starts
    again from it. A curve with no accuracy (the regression) is a list of None."""
    current = history[-1]

    def curves(entry: dict, start: int = 0) -> dict:
        return {key: entry[name][start:] for key, name in (("epoch", "epoch"), ("train", f"train_{metric}"), ("val", f"val_{metric}"))}

    update = {"seq": f"{current['number']}-{len(current['epoch'])}-{sent}", "best": best_epoch, "epochs": epochs} | curves(current, sent)
    if sent == 0:
        update |= {"reset": True, "earlier": [curves(entry) for entry in reversed(history[:-1])]}
    return update

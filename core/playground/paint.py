"""A visitor's own points, painted with clicks: the canvas they are drawn on, and what a click does
(add a point of the chosen class, or erase the points near it). Torch-free: the page imports it at
start-up, and the points travel as the CSV text that `settings.read_points` reads.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from core.playground.settings import MAX_CSV_CHARACTERS, MAX_CSV_ROWS, Points, SettingsError, csv_error, points_csv, read_points

CANVAS = 320  # pixels a side
HALF_WIDTH = 1.5  # the canvas shows at least [-1.5, 1.5] on both axes, the toy problems' scale
ERASE_RADIUS = 12  # pixels: a click in erase mode removes every point this close
COLOURS = {0: (31, 119, 180), 1: (255, 127, 14)}  # the playground's class colours (tab10's first two)


def extent(points: Points | None) -> tuple[float, float, float, float]:
    """(x_min, x_max, y_min, y_max) of the canvas: the fixed square, grown to hold every point."""
    farthest = float(np.abs(np.array(points.xy)).max()) if points is not None and points.xy else 0.0
    half = HALF_WIDTH if farthest <= HALF_WIDTH else farthest * 1.1  # a click inside never rescales the canvas
    return -half, half, -half, half


def to_pixels(xy: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x_min, x_max, y_min, y_max = box
    return np.stack([(xy[:, 0] - x_min) / (x_max - x_min) * (CANVAS - 1), (y_max - xy[:, 1]) / (y_max - y_min) * (CANVAS - 1)], 1)


def to_data(col: float, row: float, box: tuple[float, float, float, float]) -> tuple[float, float]:
    x_min, x_max, y_min, y_max = box
    return x_min + col / (CANVAS - 1) * (x_max - x_min), y_max - row / (CANVAS - 1) * (y_max - y_min)


def canvas(data_csv: str) -> np.ndarray:
    """(CANVAS, CANVAS, 3) uint8: the axes and the points, class 0 blue, class 1 orange (a
    regression's points grey). A CSV that cannot be read draws an empty canvas."""
    try:
        points = read_points(data_csv)
    except SettingsError:
        points = None
    box = extent(points)
    image = Image.new("RGB", (CANVAS, CANVAS), (252, 252, 252))
    draw = ImageDraw.Draw(image)
    (origin_col, origin_row) = to_pixels(np.zeros((1, 2)), box)[0]
    draw.line([(0, origin_row), (CANVAS, origin_row)], fill=(215, 215, 215))
    draw.line([(origin_col, 0), (origin_col, CANVAS)], fill=(215, 215, 215))
    if points is not None:
        for (col, row), label in zip(to_pixels(np.array(points.xy), box), points.labels):
            colour = (128, 128, 128) if points.regression else COLOURS[int(label)]
            draw.ellipse((col - 5, row - 5, col + 5, row + 5), fill=colour, outline=(30, 30, 30))
    return np.asarray(image)


def click(data_csv: str, col: float, row: float, mode: str) -> str:
    """The CSV after a click at pixel (col, row) of the canvas: mode "0" or "1" adds a point of that
    class there; "erase" removes the points within ERASE_RADIUS pixels."""
    try:
        points = read_points(data_csv)
    except SettingsError:  # too few points yet, or one class only: start from the rows that parse
        points = _loose_points(data_csv)
    if points is not None and points.regression and mode != "erase":
        raise SettingsError("Your points are a regression (labels other than 0 and 1): clicks add classes, so clear them first.")
    xy = list(points.xy) if points else []
    labels = list(points.labels) if points else []
    box = extent(points)
    if mode == "erase":
        if not xy:
            return data_csv
        near = np.hypot(*(to_pixels(np.array(xy), box) - np.array([col, row])).T) <= ERASE_RADIUS
        xy = [p for p, gone in zip(xy, near) if not gone]
        labels = [label for label, gone in zip(labels, near) if not gone]
    elif mode in ("0", "1"):
        if len(xy) >= MAX_CSV_ROWS:
            raise SettingsError(f"You have {MAX_CSV_ROWS:,} points already, the most a run takes: erase some first.")
        xy.append(tuple(round(v, 3) for v in to_data(col, row, box)))
        labels.append(float(mode))
    else:
        raise SettingsError(f"A click adds class 0 or 1, or erases; got {mode!r:.40}.")
    return points_csv(Points(tuple(xy), tuple(labels), regression=False)) if xy else ""


def _loose_points(data_csv: str) -> Points | None:
    """The rows of a CSV that has too few points to train on, or one class only: painting starts there."""
    rows = []
    for line in (data_csv or "").splitlines()[1:]:
        try:
            x, y, label = (float(v) for v in line.split(",")[:3])
        except ValueError:
            continue
        if label in (0.0, 1.0):
            rows.append(((x, y), label))
    return Points(tuple(p for p, _ in rows), tuple(label for _, label in rows), regression=False) if rows else None


def note(data_csv: str) -> str:
    """A line on what a run will train on: the visitor's points (how many of each class), the
    problem, or what is wrong with the CSV so far."""
    try:
        points = read_points(data_csv)
    except SettingsError as error:
        return f"⚠️ {error}"
    if points is None:
        return "No points of your own: runs train on the chosen problem."
    kind = "regression on (x, y)" if points.regression else f"{points.labels.count(0.0)} of class 0, {points.labels.count(1.0)} of class 1"
    return f"Runs train on **your {len(points.xy)} points** ({kind}), split by the validation share. Clear them to go back to the problem."


def read_file(path: str) -> str:
    """An uploaded CSV file -> its text, or a SettingsError on what is wrong with it (too large, not UTF-8, ...)."""
    with open(path, "rb") as file:
        raw = file.read(MAX_CSV_CHARACTERS * 4 + 1)  # UTF-8 takes at most 4 bytes a character
    if len(raw) > MAX_CSV_CHARACTERS * 4:
        raise csv_error(f"the file is larger than {MAX_CSV_CHARACTERS * 4 // 1000:,} kB")
    read_points(raw)  # the message, if any, names what to fix
    return raw.decode("utf-8")

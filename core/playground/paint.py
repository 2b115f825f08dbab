"""A visitor's own points, painted in the page: the box the painter shows (pixels <-> data units,
here only), its value for a CSV, and the CSV after a click (a new point) or a drag (points erased).
Torch-free: the page imports it at start-up, and the points travel as the CSV text that
`settings.read_points` reads.
"""

from __future__ import annotations

import math

import numpy as np

from core.playground.settings import MAX_CSV_CHARACTERS, MAX_CSV_ROWS, Points, SettingsError, csv_error, points_csv, read_points

CANVAS = 320  # pixels a side
HALF_WIDTH = 1.5  # the canvas shows at least [-1.5, 1.5] on both axes, the toy problems' scale
ERASE_RADIUS = 12  # pixels: a drag removes every point this close to the pointer's path


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


def view(data_csv: str) -> dict:
    """The painter's value for a CSV: the box it shows, the axes' crossing and each point, with its
    data coordinates and its place on the canvas in pixels (the page draws and erases in pixels,
    and never maps them to data units itself). Rows that do not make a run yet (fewer than 4
    points, one class) are shown, so the first clicks appear at once."""
    points = _shown_points(data_csv)
    box = extent(points)
    xy = np.array(points.xy, dtype=float).reshape(-1, 2) if points else np.zeros((0, 2))
    pixels = to_pixels(xy, box).round(1)
    (origin_col, origin_row) = to_pixels(np.zeros((1, 2)), box)[0].round(1)
    return {
        "side": CANVAS,
        "radius": ERASE_RADIUS,
        "box": [float(v) for v in box],
        "origin": [float(origin_col), float(origin_row)],
        "regression": bool(points and points.regression),
        "points": [
            {"x": x, "y": y, "label": label, "col": float(col), "row": float(row)}
            for (x, y), label, (col, row) in zip(points.xy if points else (), points.labels if points else (), pixels)
        ],
    }


def edited_csv(painted) -> str:
    """The painter's value after a click or a drag -> the CSV of the points it now shows. A point
    that carries x and y keeps them exactly; a new one (col and row only: a click) is placed in data
    units through the box the canvas was drawn with, with the class (0 or 1) chosen when it was clicked."""
    if not isinstance(painted, dict) or not isinstance(painted.get("points"), list):
        raise SettingsError("The painter sent no points: reload the page.")
    box = painted.get("box")
    if not (isinstance(box, list) and len(box) == 4 and all(map(_finite, box)) and box[0] < box[1] and box[2] < box[3]):
        raise SettingsError("The painter sent no box to place the points in: reload the page.")
    if len(painted["points"]) > MAX_CSV_ROWS:
        raise SettingsError(f"You have {MAX_CSV_ROWS:,} points already, the most a run takes: erase some first.")
    xy, labels, added = [], [], 0
    for point in painted["points"]:
        if isinstance(point, dict) and all(_finite(point.get(k)) for k in ("x", "y", "label")):
            xy.append((float(point["x"]), float(point["y"])))
            labels.append(float(point["label"]))
        elif isinstance(point, dict) and _finite(point.get("col")) and _finite(point.get("row")) and point.get("label") in (0, 1, "0", "1"):
            xy.append(tuple(round(v, 3) for v in to_data(float(point["col"]), float(point["row"]), tuple(box))))
            labels.append(float(point["label"]))
            added += 1
        else:
            raise SettingsError(f"The painter sent a point that is not one: {str(point):.60}. Reload the page.")
    if added and any(v not in (0.0, 1.0) for v in labels):
        raise SettingsError("Your points are a regression (labels other than 0 and 1): clicks add classes, so clear them first.")
    return points_csv(Points(tuple(xy), tuple(labels), regression=False)) if xy else ""


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown_points(data_csv: str) -> Points | None:
    try:
        return read_points(data_csv)
    except SettingsError:  # too few points yet, or one class only: show the rows that parse
        return _loose_points(data_csv)


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

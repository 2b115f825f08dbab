"""A visitor's own target distribution for the toy GAN: the points they drew with the brush.

Torch-free, like `core.gan.config`: the page checks a drawing before anything heavy loads. What
arrives is whatever a browser (or anyone posting to the page) sent, so every check a request may
cost or break on is made here: the shape, the count, each number finite and inside the plane.
"""

from __future__ import annotations

import math

from core.errors import UserError

PLANE = 3.0  # the drawn points lie in [-PLANE, PLANE]^2, the plane the live view shows (core.gan.toy_views.EXTENT)
MIN_DRAWN = 10  # fewer points than this is a dot, not a distribution
MAX_DRAWN = 2000  # a stroke's points; more would cost every real batch a larger gather, for nothing the eye sees
DRAWN_SPREAD = 0.05  # each real sample is a drawn point plus this much Gaussian noise (GAN Lab adds 2% of its plane)

Points = tuple[tuple[float, float], ...]


def drawn_target(value) -> Points:
    """The brush's value ({"points": [[x, y], ...]} or the bare list) -> the points as a tuple of
    (x, y) floats, or a UserError that says what is wrong: not a list of pairs, too few or too many
    points, a number that is not finite, a point outside the plane."""
    points = value.get("points") if isinstance(value, dict) else value
    if not isinstance(points, (list, tuple)):
        raise UserError("Draw your target on the plane first: the drawing holds no points.")
    if len(points) > MAX_DRAWN:
        raise UserError(f"The drawing has {len(points):,} points; at most {MAX_DRAWN:,} are kept. Clear it and draw less.")
    if len(points) < MIN_DRAWN:
        raise UserError(f"Draw a little more: the target needs at least {MIN_DRAWN} points, and the drawing has {len(points)}.")
    checked = []
    for point in points:
        if not isinstance(point, (list, tuple)) or len(point) != 2 or not all(_is_number(v) for v in point):
            raise UserError("Each drawn point must be two numbers, x and y.")
        x, y = float(point[0]), float(point[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise UserError("A drawn point is not a finite number.")
        if not (-PLANE <= x <= PLANE and -PLANE <= y <= PLANE):
            raise UserError(f"A drawn point ({x:.2f}, {y:.2f}) lies outside the plane, [-{PLANE:g}, {PLANE:g}] on both axes.")
        checked.append((x, y))
    return tuple(checked)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

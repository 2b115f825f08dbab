"""The one kind of error the app shows to its users, and the checks on numbers they send.

A `UserError` carries a message for the person using the app: what was wrong with their input (or
what is missing on the server) and what to do about it. `demos` turns it, and only it, into the
message on the page or in the API client; any other exception is a bug. Torch-free, so the app and
the API's argument checks can use it before anything heavy is imported.
"""

from __future__ import annotations

import math


class UserError(ValueError):
    """A message for the person using the app: what was wrong with their input and what to do."""


def whole_number(value, name: str, low: int, high: int) -> int:
    """A number a user sent (int, float or numeric text) -> an int in [low, high], or a UserError
    that names the setting and its range. Fractions, NaN, infinities and other text are refused."""
    number = _whole(value)
    if number is None or not low <= number <= high:
        raise UserError(f"{name} must be between {low:,} and {high:,}, a whole number; got {_shown(value)}.")
    return number


def _shown(value) -> str:
    try:
        return repr(str(value)[:40])
    except ValueError:  # an int of more than 4,300 digits has no str()
        return "a number too long to show"


def _whole(value) -> int | None:
    if isinstance(value, int):  # exact, however large (a float would round 2**63 - 1 up)
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # None, a list, "seven", text too large for a float
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None

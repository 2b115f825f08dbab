"""The checks on every value a student or a teacher sends to the class store. Each returns the value
as the store keeps it, or raises a `UserError` that says what is wrong."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping

import numpy as np

from core.errors import UserError, whole_number

STUDENT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # an anonymous id the student's browser made and keeps
NICKNAME_LENGTH = 24
SETTINGS_BYTES = 4096  # a teacher's link settings (a step, hidden controls): small by nature
IMAGE_SHAPE = (28, 28)  # MNIST's digit, as the sketcher reads it
HOURS = (1, 168)  # a class lives at least an hour, at most a week

Questions = Mapping[str, frozenset[str]]  # a step id ("sketcher-3") -> its answers' ids


class LimitReached(UserError):
    """A limit of the store's (`store.Limits`) refused the call: nothing was wrong with the input,
    there was too much of it (HTTP 429 at the class API). `retry_after`: the seconds until the limit's
    window has passed, or None when waiting does not help (a full class)."""

    def __init__(self, message: str, retry_after: int | None = 60):
        super().__init__(message)
        self.retry_after = retry_after


def student_id(value: object) -> str:
    if not isinstance(value, str) or not STUDENT_ID.fullmatch(value):
        raise UserError("This page's student id is not valid (16 to 64 letters, digits, - or _): reload the page.")
    return value


def nickname(value: object) -> str | None:
    """An optional nickname, stripped: None or empty is no nickname; at most 24 characters, no
    control characters. Stored as typed: the page escapes it where it shows it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UserError("A nickname is text.")
    value = value.strip()
    if len(value) > NICKNAME_LENGTH:
        raise UserError(f"A nickname is at most {NICKNAME_LENGTH} characters.")
    if any(unicodedata.category(character).startswith("C") for character in value):
        raise UserError("A nickname cannot hold control characters.")
    return value or None


def question(questions: Questions, value: object) -> str:
    if not isinstance(value, str) or value not in questions:
        raise UserError(f"There is no guided-path step {str(value)[:40]!r} to answer.")
    return value


def answer(questions: Questions, step: str, value: object) -> str:
    if not isinstance(value, str) or value not in questions[step]:
        raise UserError(f"{str(value)[:40]!r} is not one of step {step}'s answers ({', '.join(sorted(questions[step]))}).")
    return value


def digit(value: object, name: str) -> int:
    if isinstance(value, bool):  # True is an int to Python, not a digit to a person
        raise UserError(f"{name} must be a digit from 0 to 9.")
    return whole_number(value, name, 0, 9)


def image(value: object) -> bytes:
    """A drawn digit: exactly 28x28 uint8 -> its 784 bytes, row by row."""
    if not isinstance(value, np.ndarray) or value.shape != IMAGE_SHAPE or value.dtype != np.uint8:
        shown = f"{value.shape} {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
        raise UserError(f"A class drawing is a 28x28 picture of bytes (uint8); got {shown}.")
    return np.ascontiguousarray(value).tobytes()


def hours(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not HOURS[0] <= value <= HOURS[1]:
        raise UserError(f"A class lasts {HOURS[0]} to {HOURS[1]} hours.")
    return float(value)


def settings(value: object) -> str:
    """The teacher's settings for the class (a mapping of plain JSON values) -> its JSON text."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise UserError("A class's settings are a mapping of names to values.")
    try:
        text = json.dumps(dict(value), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise UserError("A class's settings hold only text, numbers, true/false, lists and mappings.") from None
    if len(text.encode("utf-8")) > SETTINGS_BYTES:
        raise UserError(f"A class's settings are at most {SETTINGS_BYTES:,} bytes as JSON.")
    return text

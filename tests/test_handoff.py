"""Digits handed from one page to another travel as short, checked text."""

from __future__ import annotations

import numpy as np
import pytest

from demos import handoff


@pytest.mark.unit
def test_a_digit_survives_the_trip():
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255
    text = handoff.encode_digit(digit)
    assert len(text) == 1046 and handoff.ENCODED.fullmatch(text)  # fits an address bar
    assert np.array_equal(handoff.decode_digit(text), digit / 255.0)
    value = handoff.send_value("sketcher", digit / 255.0)
    assert value["to"] == "sketcher" and np.array_equal(handoff.received_digit(value), digit / 255.0)


@pytest.mark.unit
@pytest.mark.parametrize("bad", [None, 7, "", "A" * 1045, "A" * 1047, "A" * 1045 + "=", "<script>" + "A" * 1038, "A" * 10**6])
def test_anything_else_is_no_digit(bad):
    assert handoff.decode_digit(bad) is None
    assert handoff.received_digit({"digit": bad}) is None


@pytest.mark.unit
def test_only_real_pages_are_targets():
    with pytest.raises(ValueError):
        handoff.send_value("nowhere", np.zeros((28, 28)))
    with pytest.raises(ValueError):
        handoff.encode_digit(np.zeros((140, 140)))

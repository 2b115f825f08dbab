"""The colour-blind-safe palette: its two ends stay apart under simulated colour blindness."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colormaps

from core import palette
from core.errors import UserError

# Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear RGB.
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
D65 = np.array([0.95047, 1.0, 1.08883])


def linear(rgb) -> np.ndarray:
    c = np.asarray(rgb, np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ np.clip(linear_rgb, 0, 1) / D65
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_apart(a, b, vision: np.ndarray) -> float:
    """CIE76 colour difference between a and b as someone with `vision` sees them."""
    return float(np.linalg.norm(lab(vision @ linear(a)) - lab(vision @ linear(b))))


def strength(name: str, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The negative and positive colours at a fraction t of full strength, as the maps draw them."""
    picture = palette.diverging(np.array([-t, t]), scale=1.0, palette=name)
    return picture[0], picture[1]


@pytest.mark.unit
@pytest.mark.parametrize("vision", [PROTANOPIA, DEUTERANOPIA], ids=["protanopia", "deuteranopia"])
def test_the_safe_palette_keeps_its_two_sides_apart_under_colour_blindness(vision):
    for t, least in ((1.0, 60.0), (0.5, 40.0)):  # full colour, and a half-strength attribution
        negative, positive = strength("safe", t)
        assert seen_apart(negative, positive, vision) >= least
        # ... and further apart than the default's red / blue, or the choice would be for nothing
        assert seen_apart(negative, positive, vision) > seen_apart(*strength("default", t), vision)


@pytest.mark.unit
def test_the_simulation_tells_a_red_green_scale_apart_from_a_safe_one():
    # A red / green scale, the classic failure: its ends collapse under deuteranopia.
    assert seen_apart((200, 60, 40), (50, 160, 50), DEUTERANOPIA) < 15
    assert seen_apart((200, 60, 40), (50, 160, 50), np.eye(3)) > 50


@pytest.mark.unit
def test_diverging_is_white_at_zero_and_full_colour_at_the_scale():
    for name in palette.PALETTES:
        picture = palette.diverging(np.array([-2.0, 0.0, 2.0]), scale=2.0, palette=name)
        negative, positive = palette.DIVERGING[name]
        assert picture.tolist() == [list(negative), [255, 255, 255], list(positive)]


@pytest.mark.unit
def test_the_safe_one_sided_scale_gets_lighter_all_the_way():
    ramp = palette.one_sided(np.linspace(0, 1, 64), "safe")
    lightness = [lab(linear(c))[0] for c in ramp]
    assert np.all(np.diff(lightness) > 0)


@pytest.mark.reference
def test_the_safe_one_sided_scale_is_matplotlibs_viridis():
    t = np.linspace(0, 1, 33)
    expected = np.rint(255 * colormaps["viridis"](t)[:, :3])
    assert np.abs(palette.one_sided(t, "safe").astype(int) - expected).max() <= 6


@pytest.mark.unit
def test_an_unknown_palette_is_a_message_for_the_visitor():
    assert palette.checked(None) == "default"
    with pytest.raises(UserError, match="Unknown palette"):
        palette.checked("rainbow")

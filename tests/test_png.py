"""`demos.png.png_file`: pictures written straight into Gradio's cache as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio.utils import get_upload_folder
from PIL import Image

from demos.png import png_file

pytestmark = pytest.mark.unit


def test_png_file_round_trips_the_pixels_into_gradios_cache():
    pixels = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    path = Path(png_file(pixels))
    assert path.is_relative_to(Path(get_upload_folder())) and path.suffix == ".png"
    assert np.array_equal(np.asarray(Image.open(path)), pixels)


def test_the_same_picture_gets_the_same_file_and_another_picture_another():
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8)
    first, again = png_file(grey), png_file(grey.copy())
    assert first == again and Path(first).read_bytes() == Path(again).read_bytes()
    assert png_file(grey[::-1]) != first
    assert not list(Path(first).parent.glob("*.part"))  # no half-written leftovers


def test_paletted_images_keep_their_colours():
    picture = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), mode="P")
    picture.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    saved = Image.open(png_file(picture))
    assert np.array_equal(np.asarray(saved.convert("RGB")), np.asarray(picture.convert("RGB")))


def test_float_pixels_are_refused_rather_than_guessed():
    with pytest.raises(TypeError, match="uint8"):
        png_file(np.zeros((4, 4), np.float32))

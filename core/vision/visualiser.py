"""The filter visualiser's answers for a model key and a layer name, as plain values.

A page may send a layer its model lacks (a session Gradio forgot keeps the layer list of another
model), so each answer first checks that the model loads and has the layer, and says what to do
when not: how to get the weights, or to choose a layer.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.errors import UserError
from core.images import open_image
from core.palette import checked
from core.vision.filters import Inspection, digit_grid, excite, grid_layout, layer_choices, vision_or_message
from core.vision.model import VisionModel
from core.vision.pictures import enlarge


def vision_with_layer(key: str, layer: str | None) -> tuple[VisionModel | None, str | None]:
    """(model, None) when the model loads and has `layer`; else (None, what to do)."""
    vision, message = vision_or_message(key)
    if vision is not None and (not layer or layer not in vision.layers):
        return None, "Choose a layer."
    return vision, message


def layer_menu(key: str, layer: str | None) -> tuple[list[tuple[str, str]], str | None, str]:
    """A model's layer choices, the layer to show (`layer` kept when the model has it) and the status
    line; ([], None, how to get the weights) when they are missing."""
    vision, message = vision_or_message(key)
    if vision is None:
        return [], None, message
    choices = layer_choices(vision)
    return choices, layer if layer in vision.layers else choices[0][1], f"**{vision.title}**: {len(choices)} convolution layers."


def reading(vision: VisionModel, layer: str, seen: Inspection) -> str:
    """The status line over an image's maps: how many, and what the model reads the image as."""
    top = seen.top
    return f"**{vision.title}**, {layer}: {seen.grid.count} feature maps. It reads the input as **{top}** ({seen.label[top]:.0%})."


def channel_at(key: str, layer: str | None, min_side: int, x: int, y: int) -> int | None:
    """The channel whose map is at pixel (x, y) of the grid of `layer`'s maps (None: none there, or no model or layer)."""
    vision, _ = vision_with_layer(key, layer)
    return None if vision is None else grid_layout(vision, layer, min_side).channel_at(x, y)


def excitation(key: str, layer: str | None, channel: int) -> tuple[np.ndarray, str]:
    """The input that excites filter `channel` of `layer` most (cached per model, layer and channel),
    enlarged, and what it does to the filter; a UserError without the model, the layer or the channel."""
    vision, message = vision_with_layer(key, layer)
    if vision is None:
        raise UserError(message)
    found = excite(vision, layer, channel)  # a channel the layer lacks is a UserError that names its range
    return enlarge((255 * found.pixels).astype(np.uint8), 224), found.describe(layer, channel)


def digit_maps(path: str, layer: str, palette: str = "default") -> Image.Image:
    """An image file -> one picture tiling every channel's map of the digit CNN's `layer`, one pixel an
    activation (paletted: the same colours, a third of the bytes to encode as a PNG)."""
    return digit_grid(np.asarray(open_image(path)), layer, checked(palette)).paletted()

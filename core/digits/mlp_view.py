"""The digit MLP opened (784 -> 128 -> 64 -> 10), as 3Blue1Brown's neural-network interactive shows it.

- `mlp_layers`: every layer's values for a batch of inputs, by calling the MLP's own sub-modules in
  order (no hooks: a shared model is called by many threads at once). The browser's reader is
  exported with them (core.digits.export), so the page's live layer view comes from this function.
- `unit_weights`: one first-layer unit's 784 incoming weights as a 28 x 28 picture, and its bias.
- `contributions`: that unit's weights times an input, pixel by pixel: with the bias they add up to
  the unit's pre-activation.
- `read_layers`, `shipped_unit_weights`: the same on the shipped checkpoint, for the sketcher.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from core.device import model_device
from core.digits import predict, preprocess
from core.digits.models import DigitMLP
from core.errors import whole_number

FIELD = preprocess.FIELD  # a first-layer unit's weights form a FIELD x FIELD picture


class MLPLayers(NamedTuple):
    inputs: torch.Tensor  # (B, 784): the normalised pixels the first layer weighs
    pre1: torch.Tensor  # (B, 128): first layer, before its ReLU
    h1: torch.Tensor  # (B, 128): its activations
    h2: torch.Tensor  # (B, 64): the second layer's activations
    logits: torch.Tensor  # (B, 10)


def hidden_units(model: DigitMLP) -> int:
    return model.net[1].out_features


def mlp_layers(model: DigitMLP, inputs: torch.Tensor) -> MLPLayers:
    """(B, 1, 28, 28) normalised inputs -> every layer's values; logits equal model(inputs)."""
    flatten, first, relu1, second, relu2, last = model.net
    x = flatten(inputs)  # (B, 784)
    pre1 = first(x)  # (B, 128)
    h1 = relu1(pre1)
    h2 = relu2(second(h1))  # (B, 64)
    return MLPLayers(x, pre1, h1, h2, last(h2))  # logits (B, 10)


def checked_unit(unit, model: DigitMLP) -> int:
    """A unit number from a visitor -> an int in [0, 128), or a UserError that says the range."""
    return whole_number(unit, "The first-layer unit", 0, hidden_units(model) - 1)


def unit_weights(model: DigitMLP, unit: int) -> tuple[np.ndarray, float]:
    """First-layer unit `unit` -> its incoming weights as a (28, 28) float32 picture (row-major, as
    nn.Flatten lays the pixels out) and its bias."""
    first = model.net[1]
    unit = checked_unit(unit, model)
    row = first.weight.detach()[unit].float().cpu()  # (784,)
    return row.reshape(FIELD, FIELD).numpy().copy(), float(first.bias.detach()[unit])


@torch.inference_mode()
def contributions(model: DigitMLP, unit: int, inputs: torch.Tensor) -> np.ndarray:
    """Weight times input for each pixel, (28, 28): its sum plus the bias is the unit's pre-activation."""
    weights, _ = unit_weights(model, unit)
    x = model.net[0](inputs.float().cpu())[0]  # (784,)
    return weights * x.reshape(FIELD, FIELD).numpy()


@torch.inference_mode()
def read_layers(prepared) -> MLPLayers:
    """A prepared digit (preprocess.PreparedDigit or its (28, 28) image) -> the shipped MLP's layers, batch of one."""
    model = predict.load_digit_model("mlp")
    inputs = preprocess.to_model_input(prepared).to(model_device(model))
    return MLPLayers(*(t.float().cpu() for t in mlp_layers(model, inputs)))


def shipped_unit_weights(unit) -> tuple[int, np.ndarray, float]:
    """A unit number from a visitor -> (the unit, `unit_weights`) of the shipped MLP
    (checkpoints/digit_mlp.safetensors); a UserError outside [0, 128)."""
    model = predict.load_digit_model("mlp")
    unit = checked_unit(unit, model)
    return unit, *unit_weights(model, unit)

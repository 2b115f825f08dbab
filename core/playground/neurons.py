"""Inside a playground MLP, as TensorFlow Playground draws it: every neuron's output over the same
plane as the decision-region picture (`core.playground.draw`), and the weight of every link.

    maps = neuron_maps(run.model, run.data.extent, size=24)
    maps.hidden[0][2]   # (24, 24): layer 1, unit 3, over the plane (top row = the largest y)
    maps.weights[0]     # (width, 2): the links from the two inputs into layer 1

Each layer's output is computed by calling the model's own sub-modules in order, in eval mode (no
hooks: a finished model is shared by every visitor's thread, and a hook on it would act for all).
A 1-D input (the curve) gives maps one row high; an input of more than two numbers (MNIST's 784)
has no plane to draw on.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.device import model_device
from core.playground.experiment import PlaygroundMLP, evaluating, one_thread

ACTIVATION_LAYERS = (nn.ReLU, nn.Tanh, nn.Sigmoid)  # what ends a hidden layer (PlaygroundMLP: Linear, BN?, activation, dropout?)


@dataclass(frozen=True)
class NeuronMaps:
    """What one model computes over a grid of `rows` x `cols` points of the plane."""

    inputs: torch.Tensor  # (in, rows, cols): each input's own value (x1, x2), as the first layer reads it
    hidden: list[torch.Tensor]  # per hidden layer (width, rows, cols): each unit's output after its activation
    outputs: torch.Tensor  # (out, rows, cols): each class's probability, or the regression's value
    weights: list[torch.Tensor]  # per Linear (out_features, in_features): the links into the next layer
    probabilities: bool  # True when `outputs` are softmax probabilities (classification)


def plane_grid(extent: tuple[float, float, float, float], in_features: int, size: int) -> torch.Tensor | None:
    """The grid the maps are drawn on: (size*size, 2) points over `extent`, row by row from the top
    (the decision-region picture's layout, `draw._grid`); for a 1-D input (size, 1) points along x;
    None for an input that has no plane (more than two numbers)."""
    x_min, x_max, y_min, y_max = extent
    xs = torch.linspace(x_min, x_max, size)
    if in_features == 1:
        return xs[:, None]  # (size, 1)
    if in_features != 2:
        return None
    ys = torch.linspace(y_max, y_min, size)  # top row first
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)  # (size*size, 2)


def layer_outputs(model: PlaygroundMLP, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """(each hidden layer's output (N, width), the logits (N, out)) for inputs x (N, in), in eval mode:
    dropout off, batch norm's running statistics. A shared (finished) model is never flipped."""
    hidden = []
    with evaluating(model), one_thread(), torch.inference_mode():
        h = x.to(model_device(model))
        for layer in model.net:
            h = layer(h)
            if isinstance(layer, ACTIVATION_LAYERS):
                hidden.append(h.cpu())  # (N, width)
    return hidden, h.cpu()  # the last Linear's output: (N, out)


def neuron_maps(
    model: PlaygroundMLP, extent: tuple[float, float, float, float], size: int, classification: bool = True, units: int | None = None
) -> NeuronMaps | None:
    """Every neuron's output over the plane's grid (`plane_grid`), and every link's weight; None
    when the input has no plane. `units`: only the first this many neurons of each layer are mapped
    (every layer is still computed whole); every weight is kept."""
    in_features = model.net[0].in_features
    grid = plane_grid(extent, in_features, size)
    if grid is None:
        return None
    rows, cols = (1, size) if in_features == 1 else (size, size)

    def maps(values: torch.Tensor) -> torch.Tensor:  # (rows*cols, units) -> (units, rows, cols)
        return values[:, :units].T.reshape(-1, rows, cols).contiguous()

    with one_thread(), torch.no_grad():  # small tensors: threads would only wait for each other
        hidden, logits = layer_outputs(model, grid)
        outputs = torch.softmax(logits, 1) if classification else logits  # (rows*cols, out)
        weights = [layer.weight.detach().cpu().clone() for layer in model.net if isinstance(layer, nn.Linear)]
        return NeuronMaps(maps(grid), [maps(h) for h in hidden], maps(outputs), weights, classification)

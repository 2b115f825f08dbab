"""`VisionModel`: a convnet classifier with what the visualiser needs to feed it and to name its
convolution layers, and the shipped digit CNN as one (`digit_vision_model`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.device import model_device
from core.digits.predict import load_digit_model
from core.digits.preprocess import MNIST_MEAN, MNIST_STD, prepare_digit, to_model_input
from core.loading import cached_loader


@dataclass(frozen=True, eq=False)  # hashed by identity: cached loaders hand out one object per model
class VisionModel:
    """A convnet classifier with what the visualiser needs to know about it."""

    key: str  # short id: "digits", "resnet18"
    title: str  # shown in the UI
    model: nn.Module  # eval mode, returns logits
    layers: dict[str, nn.Conv2d]  # convolution layers by display name, in forward order
    cam_layer: nn.Module  # Grad-CAM reads this module's output (the last convolutional stage); never hooked itself
    classes: tuple[str, ...]
    mean: tuple[float, ...]  # per input channel: model input = (pixels - mean) / std
    std: tuple[float, ...]
    size: int  # side of the square input the model gets
    prepare: Callable  # image (PIL or array) -> ((1, C, size, size) model input, (size, size[, 3]) pixels in [0, 1])

    @property
    def channels(self) -> int:
        return len(self.mean)

    @property
    def device(self) -> torch.device:
        """Where the model computes: inputs go there, pictures come back to the CPU."""
        return model_device(self.model)

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """Pixels in [0, 1] -> model input, on the pixels' device."""
        mean = torch.tensor(self.mean, device=pixels.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=pixels.device).view(1, -1, 1, 1)
        return (pixels - mean) / std

    def layer(self, name: str) -> nn.Conv2d:
        if name not in self.layers:
            raise KeyError(f"unknown layer {name!r}; choose one of {', '.join(self.layers)}")
        return self.layers[name]


def conv_layers(model: nn.Module, short_names: bool = False) -> dict[str, nn.Conv2d]:
    """Every nn.Conv2d in forward-definition order, named conv1, conv2, ... or by module path."""
    convs = [(path, m) for path, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if short_names:
        return {f"conv{i}": m for i, (_, m) in enumerate(convs, start=1)}
    return dict(convs)


def _prepare_digit_input(image) -> tuple[torch.Tensor, np.ndarray]:
    prepared = prepare_digit(image)  # raises NoInkError on a blank image
    return to_model_input(prepared), prepared.image


@cached_loader
def digit_vision_model() -> VisionModel:
    """The shipped digit CNN (conv1..conv5), fed exactly as the sketcher feeds it."""
    # The sketcher's cached CNN itself: nothing here changes a model (readings hook a copy of their
    # own, core.explain.own_copy), so both pages may share one.
    model = load_digit_model("cnn")
    return VisionModel(
        key="digits",
        title="Digit CNN (MNIST)",
        model=model,
        layers=conv_layers(model, short_names=True),
        cam_layer=model.features,
        classes=tuple(str(d) for d in range(10)),
        mean=(MNIST_MEAN,),
        std=(MNIST_STD,),
        size=28,
        prepare=_prepare_digit_input,
    )

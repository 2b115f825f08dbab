"""The shipped digit models: cached loaders, predictions and saliency on prepared digits."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from core import explain
from core.checkpoints import load_card, load_weights
from core.device import default_device, model_device
from core.digits.models import DigitCNN, DigitMLP
from core.digits.preprocess import normalize
from core.loading import cached_loader

CHECKPOINTS = {"cnn": "digit_cnn", "mlp": "digit_mlp"}
ARCHITECTURES = {"cnn": DigitCNN, "mlp": DigitMLP}


def train_command(kind: str) -> str:
    return f"python -m train.digits --model {kind} --data-dir ../shared/data"


@cached_loader
def load_digit_model(kind: str) -> nn.Module:
    """The trained `kind` ("cnn" or "mlp") in eval mode on the default device, loaded once."""
    model = load_weights(ARCHITECTURES[kind](), CHECKPOINTS[kind], train_command(kind))
    return model.to(default_device())


def fold_batch_norms(model: DigitCNN) -> DigitCNN:
    """An inference copy of `model`: each BatchNorm folded into the convolution before it, and the
    weights channels-last. Same outputs (tested); on one core a digit costs 0.48 ms instead of 0.67."""
    folded = copy.deepcopy(model).eval()
    for block in folded.features:
        if isinstance(block, nn.Sequential) and isinstance(block[1], nn.BatchNorm2d):
            block[0], block[1] = fuse_conv_bn_eval(block[0], block[1]), nn.Identity()
    return folded.to(memory_format=torch.channels_last)


@cached_loader
def answering_cnn() -> DigitCNN:
    """The shipped CNN with its batch norms folded: for answers, not for gradients or hooks."""
    return fold_batch_norms(load_digit_model("cnn"))


@cached_loader
def digit_card(kind: str) -> dict:
    return load_card(CHECKPOINTS[kind])


@torch.inference_mode()
def class_probabilities(model: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """(B, 1, 28, 28) normalised inputs -> (B, 10) softmax probabilities."""
    return torch.softmax(model(inputs.to(model_device(model))), dim=1).float().cpu().numpy()


def integrated_gradients(model: nn.Module, inputs: torch.Tensor, target: int, steps: int = 32) -> np.ndarray:
    """Integrated gradients (Captum's) of `target`'s logit for one (1, 1, 28, 28) input: (28, 28).

    The path runs from a blank canvas (no ink) to the input in `steps` right-Riemann steps, all
    through the network as one batch; positive values pushed towards `target`, negative away."""
    costs = replace(explain.COSTS, steps=steps, internal_batch_size=steps)
    return attributions(model, inputs, target, "integrated_gradients", costs)


def attributions(model: nn.Module, inputs: torch.Tensor, target: int, method: str, costs: explain.Costs = explain.COSTS) -> np.ndarray:
    """One of `explain.IMAGE_METHODS` on one (1, 1, 28, 28) input -> (28, 28) attributions of
    `target`'s logit. The blank is an empty canvas; Grad-CAM reads the CNN's last stage (7 x 7, after
    its ReLU); the MLP has no convolution, so Grad-CAM on it is a UserError."""
    inputs = inputs.to(model_device(model))
    baseline = normalize(torch.zeros_like(inputs))
    cam_layer = model.features[-1] if isinstance(model, DigitCNN) else None
    found = explain.image_attributions(model, inputs, target, method, baseline, cam_layer, costs)
    return found.float().cpu().numpy()

"""The shipped digit models: cached loaders and predictions on prepared digits (why: core.digits.explain)."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from core.checkpoints import load_card, load_weights
from core.device import default_device, model_device
from core.digits.models import DigitCNN, DigitMLP
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
    weights channels-last. Same outputs (tested), in less time (`python -m bench.device` times the CNN as it answers)."""
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

"""Why a digit model gave its answer: attributions through Captum (`core.explain`) on prepared
digits, starting from a blank canvas. Kept apart from `core.digits.predict` so that answering a
digit never imports Captum (which imports matplotlib, slow to import)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn

from core import explain
from core.device import model_device
from core.digits.models import DigitCNN
from core.digits.preprocess import normalize


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

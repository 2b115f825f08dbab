"""Which parts of an input pushed a model towards its answer: five attribution methods through Captum.

`METHODS` (from the torch-free `core.attribution_methods`) says what each method computes and
where it misleads. `image_attributions` explains an image classifier's logit pixel by pixel;
`text_attributions` explains a text model's log-odds over token embeddings, one number per token.
Costs are capped by `Costs` (integration steps, noise samples, occlusion window and stride), so
one request stays well under a second on two CPU cores (`python -m bench.explain` measures it).

SmoothGrad averages Captum's `Saliency` over noisy copies drawn here from an explicit
`torch.Generator`: Captum's `NoiseTunnel` draws its noise from the global generator, which a
request could only make repeatable by seeding it, racing every other thread that uses it. The
average is the same (tests/test_explain.py compares the two).

Grad-CAM is one function, `grad_cam`, for the sketcher and the filter visualiser alike: Captum's
`LayerGradCam` on the call's own copy of the model (`own_copy`: the copy its thread keeps). Captum
reads the layer through hooks, and a hook on the cached model, which every visitor shares, also
fires on other requests' forward passes through it (their tensors then replace this call's, and
Captum's gradient fails or is wrong). The copy shares every weight and buffer with the cached
model, so it costs only its module objects, and its hooks fire on this call's pass alone.
Captum's, rather than a hand-written split of each architecture into the part before the layer
and the part after it: one reading of any layer of any model, in the field's library, with nothing
to keep in step with the models' code.
"""

from __future__ import annotations

import copy
import itertools
import threading
import weakref
from dataclasses import dataclass

import torch
from captum.attr import FeatureAblation, IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency
from torch import nn

from core.attribution_methods import IMAGE_METHODS, TEXT_METHODS, checked_method
from core.errors import UserError


@dataclass(frozen=True)
class Costs:
    steps: int = 32  # integration steps for integrated gradients: what the hand-written version used
    internal_batch_size: int = 32  # path points through the network at once: bounds memory, one batch at 32 steps
    noise_samples: int = 16  # SmoothGrad's noisy copies
    noise: float = 0.15  # SmoothGrad's noise: standard deviation as a fraction of the input's range
    window: int = 4  # occlusion patch side in pixels (28 x 28 digits: a stroke's width)
    stride: int = 4  # occlusion step: 7 x 7 = 49 patches on a 28 x 28 digit (stride 2 makes 169, too slow for one request)
    perturbations_per_eval: int = 64  # occluded copies through the network at once
    seed: int = 0  # SmoothGrad's noise: the same input gives the same picture


COSTS = Costs()


def last_convolution(model: nn.Module) -> nn.Module | None:
    """The last nn.Conv2d in `model`, where Grad-CAM looks (None for a model without one)."""
    convolutions = [module for module in model.modules() if isinstance(module, nn.Conv2d)]
    return convolutions[-1] if convolutions else None


_COPIES = threading.local()  # each thread's copies: .models = {shared model: (its copy, {id(sub-module): name})}


def own_copy(model: nn.Module, *modules: nn.Module) -> tuple[nn.Module, ...]:
    """(this thread's copy of `model`, then the copy of each of `modules`, sub-modules of `model`).

    The copy shares every parameter and buffer with `model`: the deep copy is told that each tensor
    is its own copy, so only the module objects are new. A thread makes its copy of a model once and
    keeps it (copying costs about as much as a small model's forward pass), and a worker thread runs
    one request at a time, so hooks registered on the copy belong to the request running on that
    thread: another request's forward pass, through the shared model or through its own thread's
    copy, never fires them, and nothing of the shared model changes. Whoever hooks the copy removes
    the hook before returning (Captum does; `core.vision.filters.LayerReader` is a context manager),
    and leaves its train/eval mode alone. For models that are never changed once loaded: every
    cached loader's.
    """
    copies = getattr(_COPIES, "models", None)
    if copies is None:
        copies = _COPIES.models = weakref.WeakKeyDictionary()  # a model no longer used takes its copies with it
    if model not in copies:
        shared = {id(tensor): tensor for tensor in itertools.chain(model.parameters(), model.buffers())}
        copies[model] = copy.deepcopy(model, shared), {id(module): name for name, module in model.named_modules()}
    copied, names = copies[model]
    unknown = [module for module in modules if id(module) not in names]
    if unknown:
        raise ValueError(f"{type(unknown[0]).__name__} is not a sub-module of the model")
    return (copied, *(copied.get_submodule(names[id(module)]) for module in modules))


def grad_cam(model: nn.Module, inputs: torch.Tensor, target: int, layer: nn.Module | None = None) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al., 2017) of `target`'s logit for one (1, C, H, W) input -> (H, W), >= 0.

    `layer`'s output maps, each weighted by the mean gradient of the logit over it, summed, through
    ReLU, and scaled up bilinearly to the input's size. `layer` defaults to the last convolution;
    a model without one is a UserError. Captum's LayerGradCam on the call's own copy of `model`
    (`own_copy`): safe while other requests use the same model (see the module's docstring).
    """
    layer = layer or last_convolution(model)
    if layer is None:
        raise UserError("Grad-CAM needs a convolutional layer, and this model has none: choose another method.")
    copied, copied_layer = own_copy(model, layer)
    inputs = inputs.detach().requires_grad_(True)  # else Captum warns that it set it
    with torch.enable_grad():
        cam = LayerGradCam(copied, copied_layer).attribute(inputs, target=target, relu_attributions=True)  # (1, 1, h, w)
    cam = LayerAttribution.interpolate(cam, tuple(inputs.shape[-2:]), interpolate_mode="bilinear")  # (1, 1, H, W)
    return cam.detach()[0, 0]


def image_attributions(
    model: nn.Module,
    inputs: torch.Tensor,
    target: int,
    method: str,
    baseline: torch.Tensor,
    cam_layer: nn.Module | None = None,
    costs: Costs = COSTS,
) -> torch.Tensor:
    """Attributions of `target`'s logit for one (1, C, H, W) input -> (H, W), summed over channels.

    `baseline` (same shape as `inputs`) is the blank input that integrated gradients starts from
    and occlusion paints in. `cam_layer` is where Grad-CAM reads (`grad_cam`). Positive values
    pushed towards `target`.
    """
    method = checked_method(method, IMAGE_METHODS)
    if method == "gradcam":
        return grad_cam(model, inputs, target, cam_layer)
    inputs = inputs.detach().requires_grad_(method == "saliency")  # else Captum warns that it set it
    with torch.enable_grad():
        if method == "saliency":
            found = Saliency(model).attribute(inputs, target=target, abs=False)
        elif method == "integrated_gradients":
            found = IntegratedGradients(model).attribute(
                inputs,
                baselines=baseline,
                target=target,
                n_steps=costs.steps,
                method="riemann_right",  # the same path points as the hand-written version it replaced
                internal_batch_size=costs.internal_batch_size,
            )
        elif method == "smoothgrad":
            found = smoothgrad(model, inputs, target, costs)
        else:
            found = Occlusion(model).attribute(
                inputs,
                sliding_window_shapes=(inputs.shape[1], costs.window, costs.window),
                strides=(inputs.shape[1], costs.stride, costs.stride),
                baselines=baseline,
                target=target,
                perturbations_per_eval=costs.perturbations_per_eval,
            )
    return found.detach()[0].sum(0)  # (H, W)


def smoothgrad(model: nn.Module, inputs: torch.Tensor, target: int, costs: Costs = COSTS) -> torch.Tensor:
    """SmoothGrad (Smilkov et al., 2017): Captum's Saliency averaged over `costs.noise_samples`
    noisy copies of one (1, ...) input -> (1, ...). The noise comes from a Generator seeded with
    `costs.seed`, so the same input always gives the same attributions."""
    generator = torch.Generator(device=inputs.device).manual_seed(costs.seed)
    spread = costs.noise * float(inputs.max() - inputs.min())
    shape = (costs.noise_samples, *inputs.shape[1:])
    noisy = inputs.detach() + spread * torch.randn(shape, generator=generator, device=inputs.device, dtype=inputs.dtype)
    noisy.requires_grad_(True)
    grads = Saliency(model).attribute(noisy, target=target, abs=False)  # (samples, ...)
    return grads.mean(0, keepdim=True)


def text_attributions(
    score,
    embedded: torch.Tensor,
    baseline: torch.Tensor,
    method: str,
    groups: torch.Tensor | None = None,
    costs: Costs = COSTS,
) -> torch.Tensor:
    """Attributions of a text model's score over its token embeddings -> (T,), one per token.

    `score` maps embeddings (B, T, E) to one number per text (B,), e.g. the log-odds of "positive";
    `embedded` and `baseline` are (T, E). Gradient methods give each token its gradient times
    (embedding - baseline), summed over E; integrated gradients' add up to score(text) -
    score(baseline). Occlusion blanks each group of tokens (`groups`, (T,) group ids; default one
    token each) to the baseline at once, and shares the drop in score equally among its tokens.
    """
    method = checked_method(method, TEXT_METHODS)
    inputs, blank = embedded.detach()[None], baseline.detach()[None]  # (1, T, E)
    inputs.requires_grad_(method == "saliency")
    with torch.enable_grad():
        if method == "saliency":
            found = Saliency(score).attribute(inputs, abs=False) * (inputs - blank)
        elif method == "integrated_gradients":
            found = IntegratedGradients(score).attribute(
                inputs,
                baselines=blank,
                n_steps=costs.steps,
                method="riemann_right",
                internal_batch_size=costs.internal_batch_size,
            )
        elif method == "smoothgrad":
            found = smoothgrad(score, inputs, None, costs) * (inputs - blank)
        else:
            groups = torch.arange(len(embedded)) if groups is None else groups
            mask = groups[None, :, None].expand_as(inputs)  # (1, T, E): one feature per group
            ablated = FeatureAblation(score).attribute(
                inputs, baselines=blank, feature_mask=mask, perturbations_per_eval=costs.perturbations_per_eval
            )  # (1, T, E): each group's drop in score, in every element of the group
            sizes = torch.bincount(groups)[groups]  # (T,) tokens in each token's group
            return ablated.detach()[0, :, 0] / sizes
    return found.detach()[0].sum(-1)  # (T,)

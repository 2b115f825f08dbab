"""Looking inside a convnet: kernels, feature maps, what excites a filter, and Grad-CAM.

Everything works on a `VisionModel`: a classifier plus what is needed to feed it and to name its
convolution layers. The shipped digit CNN is one (`digit_vision_model`); a torchvision ImageNet
model is another (`core.vision.imagenet.imagenet_vision_model`). Activations are read with a forward
hook that stops the forward pass at the layer asked for, so a shallow layer costs a shallow pass.
The hook goes on the call's own copy of the model (`core.explain.own_copy`, which shares the
weights), never on the cached model that every visitor shares. Grad-CAM is the sketcher's
(`core.explain.grad_cam`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core import explain as attributions
from core.checkpoints import MissingCheckpointError
from core.digits.preprocess import NoInkError
from core.errors import UserError
from core.training import fit
from core.vision.imagenet import IMAGENET_MODELS, WeightsMissingError, imagenet_vision_model
from core.vision.model import VisionModel, digit_vision_model
from core.vision.pictures import MAX_MAPS, MapGrid, diverging, enlarge, grid_shape, heat_overlay, kernel_grid, map_grid, side_by_side


@dataclass(frozen=True)
class ExciteConfig:
    """Gradient ascent on the input to make one filter respond strongly."""

    steps: int = 96  # enough for the digit CNN's filters to settle; each step is one small forward/backward
    lr: float = 0.05  # Adam step in pixel units ([0, 1])
    jitter: int = 1  # random shift in pixels each step, so the image cannot rely on one exact position
    blur_every: int = 4  # a light Gaussian blur every few steps keeps high-frequency noise out
    l2: float = 0.05  # pull towards the mean pixel: prefer the simplest image that does the job
    max_seconds: float = 20.0  # wall-time cap, whatever the steps


EXCITE = ExciteConfig()
MAX_EXCITE_STEPS = 256  # an API caller asking for more gets this many


# ---------- activations through a forward hook on the call's own copy ----------


class _Reached(Exception):
    """Raised by a hook to end the forward pass once the layer asked for has run."""


class LayerReader:
    """One layer's (input, output) for model inputs, read by a forward hook on the thread's own copy
    of the model (`core.explain.own_copy`): the shared model carries no hook, so requests using it
    at the same moment never see this one's tensors. A context manager: the hook is on the copy
    inside the `with` block only, and it may read many inputs there."""

    def __init__(self, model: nn.Module, module: nn.Module, stop: bool = True):
        self.model, self.layer = attributions.own_copy(model, module)
        self.stop, self.seen, self.handle = stop, {}, None

    def __enter__(self) -> LayerReader:
        seen, stop = self.seen, self.stop

        def hook(_module, args, output):
            seen["input"], seen["output"] = args[0], output
            if stop:
                raise _Reached  # the pass ends right after the layer

        self.handle = self.layer.register_forward_hook(hook)
        return self

    def __exit__(self, *_exception) -> None:
        self.handle.remove()

    def __call__(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.seen.clear()
        try:
            self.model(inputs)
        except _Reached:
            pass
        if "output" not in self.seen:
            raise RuntimeError("the layer was not reached in the forward pass")
        return self.seen["input"], self.seen["output"]


def capture(model: nn.Module, inputs: torch.Tensor, module: nn.Module, stop: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Run `model(inputs)` and return `module`'s (input, output) as a forward hook saw them; with
    `stop`, the pass ends right after `module`. See `LayerReader`."""
    with LayerReader(model, module, stop) as reader:
        return reader(inputs)


@torch.inference_mode()
def feature_maps(vision: VisionModel, inputs: torch.Tensor, layer: str) -> np.ndarray:
    """(1, C, H, W) model input -> (channels, h, w) output of convolution `layer` (before BN and ReLU)."""
    _, output = capture(vision.model, inputs.to(vision.device), vision.layer(layer))
    return output[0].float().cpu().numpy()


# ---------- Grad-CAM ----------


def grad_cam(vision: VisionModel, inputs: torch.Tensor, target: int | None = None) -> tuple[np.ndarray, int, np.ndarray]:
    """Grad-CAM on `vision.cam_layer` through `core.explain.grad_cam`, the sketcher's: (cam upsampled
    to the input size and scaled to [0, 1], target class (default: the top one), (classes,)
    probabilities)."""
    inputs = inputs.detach().to(vision.device)
    with torch.inference_mode():
        probabilities = torch.softmax(vision.model(inputs)[0], dim=0).float().cpu().numpy()
    target = int(probabilities.argmax()) if target is None else int(target)
    cam = attributions.grad_cam(vision.model, inputs, target, vision.cam_layer)  # (H, W), >= 0
    cam = cam / cam.max() if float(cam.max()) > 0 else cam
    return cam.float().cpu().numpy(), target, probabilities


# ---------- activation maximisation ----------


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    kernel = (kernel[:, None] * kernel[None, :] / 16).expand(x.shape[1], 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=x.shape[1])


def channel_activation(vision: VisionModel, pixels: torch.Tensor, layer: str, channel: int) -> torch.Tensor:
    """Response of filter `channel` of `layer` at the centre of its map, for (B, C, H, W) pixels in
    [0, 1]: the quantity excited. One position, so the picture shows that unit's receptive field,
    which grows layer by layer (3x3 pixels at conv1, most of the digit at conv5)."""
    _, output = capture(vision.model, vision.normalize(pixels.to(vision.device)), vision.layer(layer))
    h, w = output.shape[-2:]
    return output[:, channel, h // 2, w // 2]


@dataclass(frozen=True)
class Excitation:
    pixels: np.ndarray  # (H, W) or (H, W, 3) in [0, 1]: the image that excites the filter
    start: float  # the filter's mean response to the starting image
    final: float  # ... and to the result
    steps: int  # steps actually taken (the wall-time cap may stop early)

    def describe(self, layer: str, channel: int) -> str:
        return (
            f"{layer}, channel {channel}: response at the centre {self.start:.3g} on the starting noise → "
            f"**{self.final:.3g}** after {self.steps} steps of gradient ascent (jitter, blur, L2)."
        )


@functools.lru_cache(maxsize=256)
def excite(vision: VisionModel, layer: str, channel: int, steps: int = EXCITE.steps, seed: int = 0) -> Excitation:
    """The input that makes filter `channel` of `layer` respond most at the centre: gradient ascent on the pixels,
    with jitter, blur and an L2 pull towards the mean pixel. Cached by (model, layer, channel, steps, seed)."""
    out_channels = vision.layer(layer).out_channels
    if not 0 <= channel < out_channels:
        raise UserError(f"{layer} has channels 0 to {out_channels - 1}.")
    steps = int(np.clip(steps, 1, MAX_EXCITE_STEPS))
    generator = torch.Generator().manual_seed(seed)  # on the CPU, so a seed draws the same start on any device
    device = vision.device
    mean = torch.tensor(vision.mean, device=device).view(1, -1, 1, 1)
    side = min(vision.size, 128)  # ImageNet filters: 128x128 is plenty to show a pattern, and 3x cheaper
    shape = (1, vision.channels, side, side)
    pixels = (mean + 0.1 * torch.rand(shape, generator=generator).to(device)).clamp(0, 1).requires_grad_(True)
    start = pixels.detach().clone()
    optimizer = torch.optim.Adam([pixels], lr=EXCITE.lr)

    def step(index: int) -> dict:
        dy, dx = (torch.randint(-EXCITE.jitter, EXCITE.jitter + 1, (2,), generator=generator)).tolist()
        shifted = torch.roll(pixels, shifts=(dy, dx), dims=(2, 3))
        activation = channel_activation(vision, shifted, layer, channel)[0]
        loss = -activation + EXCITE.l2 * ((pixels - mean) ** 2).sum() / pixels[0, 0].numel()
        # Gradient for the pixels only: the shared model's own .grad stays untouched.
        pixels.grad = torch.autograd.grad(loss, pixels)[0]
        optimizer.step()
        with torch.no_grad():
            if EXCITE.blur_every and (index + 1) % EXCITE.blur_every == 0:
                pixels.copy_(_blur(pixels))
            pixels.clamp_(0, 1)
        return {"activation": activation.detach()}

    with torch.enable_grad():
        records = list(fit(step, range(steps), epochs=1, log_every=steps, max_seconds=EXCITE.max_seconds))
    with torch.inference_mode():
        before = float(channel_activation(vision, start, layer, channel)[0])
        after = float(channel_activation(vision, pixels.detach(), layer, channel)[0])
    image = pixels.detach()[0].cpu().numpy()
    image = image[0] if vision.channels == 1 else image.transpose(1, 2, 0)
    return Excitation(image, before, after, records[-1].step)


# ---------- one image through one model: what the visualiser shows ----------


def vision_model(key: str) -> VisionModel:
    """ "digits" or an ImageNet model's key -> its VisionModel; WeightsMissingError when weights are absent."""
    if key == "digits":
        return digit_vision_model()
    if key not in IMAGENET_MODELS:
        raise KeyError(f"unknown model {key!r}")
    return imagenet_vision_model(IMAGENET_MODELS[key])


def vision_or_message(key: str) -> tuple[VisionModel | None, str | None]:
    """(model, None), or (None, a message saying how to get its weights): never an exception."""
    try:
        return vision_model(key), None
    except (WeightsMissingError, MissingCheckpointError) as missing:
        return None, f"⚠️ {missing}"


def layer_choices(vision: VisionModel) -> list[tuple[str, str]]:
    """[(label, name)]: each convolution with its channels and kernel size."""
    return [
        (f"{name} · {c.in_channels}→{c.out_channels}, {c.kernel_size[0]}×{c.kernel_size[1]}", name) for name, c in vision.layers.items()
    ]


def model_input(vision: VisionModel, image) -> tuple[torch.Tensor, np.ndarray] | None:
    """Any image -> (model input, pixels in [0, 1]); None when the digit model finds no ink."""
    try:
        return vision.prepare(image)
    except NoInkError:
        return None


def layer_grid(vision: VisionModel, image, layer: str, min_side: int = 28, palette: str = "default"):
    """Image, layer -> the MapGrid of that layer's feature maps, tiles >= min_side px (None: no ink)."""
    prepared = model_input(vision, image)
    return None if prepared is None else map_grid(feature_maps(vision, prepared[0], layer), min_side, palette)


def digit_grid(image, layer: str, palette: str = "default") -> MapGrid:
    """The digit CNN's maps of `layer` for an image, one pixel an activation; UserError for an unknown
    layer, a missing checkpoint or an image without ink."""
    vision, message = vision_or_message("digits")
    if vision is None:
        raise UserError(message)
    if layer not in vision.layers:
        raise UserError(f"Unknown layer {str(layer)[:40]!r}: choose one of {', '.join(vision.layers)}.")
    grid = layer_grid(vision, image, layer, min_side=1, palette=palette)
    if grid is None:
        raise NoInkError()
    return grid


def grid_layout(vision: VisionModel, layer: str, min_side: int = 28) -> MapGrid:
    """Where each channel sits in `layer`'s grid of maps (found from a blank input), for clicks."""
    blank = vision.normalize(torch.zeros(1, vision.channels, vision.size, vision.size))
    count, height, width = feature_maps(vision, blank, layer).shape
    _, side, columns = grid_shape(min(count, MAX_MAPS), height, width, min_side)
    return MapGrid(np.zeros((0, 0), np.uint8), side, columns, min(count, MAX_MAPS))


def channel_view(vision: VisionModel, image, layer: str, channel: int, palette: str = "default") -> np.ndarray | None:
    """The input beside one channel's feature map, both enlarged (None: no image, or no ink in it)."""
    prepared = None if image is None else model_input(vision, image)
    if prepared is None:
        return None
    maps = feature_maps(vision, prepared[0], layer)
    return side_by_side([(255 * prepared[1]).astype(np.uint8), diverging(maps[int(np.clip(channel, 0, len(maps) - 1))], None, palette)])


def explain(vision: VisionModel, image, top: int = 5, palette: str = "default") -> tuple[np.ndarray, dict[str, float]] | None:
    """Grad-CAM overlay on the input and the top classes' probabilities (None: no ink)."""
    prepared = model_input(vision, image)
    if prepared is None:
        return None
    cam, _, probabilities = grad_cam(vision, prepared[0])
    order = np.argsort(-probabilities)[:top]
    return enlarge(heat_overlay(prepared[1], cam, palette=palette), 224), {vision.classes[i]: float(probabilities[i]) for i in order}


@dataclass(frozen=True, eq=False)
class Inspection:
    """What the visualiser shows for one model, layer and image."""

    kernels: np.ndarray  # the layer's kernels as one RGB picture
    how: str  # how to read it
    grid: MapGrid | None  # the layer's feature maps (None: no image, or no ink in it)
    overlay: np.ndarray | None = None  # Grad-CAM over the input
    label: dict[str, float] | None = None  # the top classes' probabilities

    @property
    def top(self) -> str:
        return max(self.label, key=self.label.get)


def inspect(vision: VisionModel, image, layer: str, min_side: int = 28, palette: str = "default") -> Inspection:
    """Kernels of `layer`, and for an image (None: none yet) its feature maps, Grad-CAM and prediction."""
    kernels, _, how = kernel_grid(vision.layer(layer).weight.detach().cpu().numpy(), palette=palette)
    grid = None if image is None else layer_grid(vision, image, layer, min_side, palette)
    if grid is None:
        return Inspection(kernels, how, None)
    return Inspection(kernels, how, grid, *explain(vision, image, palette=palette))

"""A torchvision ImageNet model for the filter visualiser, with its pretrained weights only when
they are already in the torch hub cache, or when the user asks for them to be downloaded.

    python -m core.vision.imagenet --download     # fetch ResNet-18's weights (45 MB) into the torch cache

Nothing here touches the network unless `download_weights` is called. Without the weights,
`imagenet_vision_model` raises `WeightsMissingError` whose message says how to get them.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.device import default_device
from core.loading import cached_loader
from core.vision.model import VisionModel, conv_layers

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DOWNLOAD_TIMEOUT = 30  # seconds without data before a download is given up


class WeightsMissingError(FileNotFoundError):
    """The pretrained weights are not in the torch cache (or could not be downloaded)."""


def _resnet18() -> torch.nn.Module:
    from torchvision.models import resnet18  # noqa: PLC0415  torchvision's models load with the first ResNet, not at import

    return resnet18(weights=None)


def _imagenet_categories() -> tuple[str, ...]:
    from torchvision.models import ResNet18_Weights  # noqa: PLC0415  the class names ship inside torchvision

    return tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


@dataclass(frozen=True)
class ImageNetSpec:
    """Which torchvision model, where its weights come from, and how to feed it."""

    key: str
    title: str
    build: Callable[[], torch.nn.Module]  # the architecture with random weights (no download)
    url: str  # torchvision's weight file; its name ends in the first 8 hex digits of its SHA-256
    megabytes: int
    categories: Callable[[], tuple[str, ...]]
    cam_layer: str = "layer4"  # the last convolutional stage: 7x7 at 224x224
    size: int = 224  # input side: ResNet's training crop

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


RESNET18 = ImageNetSpec(
    key="resnet18",
    title="ResNet-18 (ImageNet)",
    build=_resnet18,
    url="https://download.pytorch.org/models/resnet18-f37072fd.pth",
    megabytes=45,
    categories=_imagenet_categories,
)
IMAGENET_MODELS = {RESNET18.key: RESNET18}


def weights_file(spec: ImageNetSpec, hub_dir: str | os.PathLike | None = None) -> Path:
    """Where torch.hub keeps this model's weights ($TORCH_HOME/hub/checkpoints/<file>)."""
    return Path(hub_dir or torch.hub.get_dir()) / "checkpoints" / spec.filename


def how_to_get(spec: ImageNetSpec, hub_dir=None) -> str:
    path = weights_file(spec, hub_dir)
    return (
        f"{spec.title} needs its pretrained weights ({spec.megabytes} MB), which are not in the torch cache "
        f"at {path}. Press 'Download weights' (needs internet), or run `python -m core.vision.imagenet --download`, "
        f"or copy {spec.filename} from {spec.url} into {path.parent}."
    )


def download_weights(spec: ImageNetSpec, hub_dir=None, timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Fetch the weights into the torch cache, checking the SHA-256 prefix in the file name."""
    path = weights_file(spec, hub_dir)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(spec.url, timeout=timeout) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except OSError as error:  # URLError, timeouts, refused connections, a full disk
        partial.unlink(missing_ok=True)
        raise WeightsMissingError(f"Downloading {spec.url} failed ({error}). " + how_to_get(spec, hub_dir)) from error
    expected = spec.filename.rsplit("-", 1)[-1].split(".")[0]
    if not digest.hexdigest().startswith(expected):
        partial.unlink(missing_ok=True)
        raise WeightsMissingError(f"The file downloaded from {spec.url} is corrupt (SHA-256 mismatch).")
    partial.replace(path)
    return path


def to_imagenet_input(image, size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> tuple[torch.Tensor, np.ndarray]:
    """PIL image or array -> ((1, 3, size, size) normalised input, (size, size, 3) pixels in [0, 1]).

    The shorter side is resized to size * 8/7 and the centre cropped, exactly as torchvision's
    ImageNet transforms do (a test compares them).
    """
    if not isinstance(image, Image.Image):
        array = np.asarray(image)
        if array.dtype != np.uint8:
            array = (np.clip(array, 0, 1) * 255).astype(np.uint8) if array.max() <= 1.0 else array.astype(np.uint8)
        image = Image.fromarray(array)
    if image.mode == "RGBA":  # a drawing on a transparent layer: put it on white paper
        paper = Image.new("RGB", image.size, "white")
        paper.paste(image, mask=image.getchannel("A"))
        image = paper
    image = image.convert("RGB")
    resize = round(size * 8 / 7)  # torchvision's Resize(256) + CenterCrop(224), the same arithmetic
    short, long = sorted(image.size)
    new_long = int(resize * long / short)
    image = image.resize((resize, new_long) if image.width <= image.height else (new_long, resize), Image.BILINEAR)
    left, top = int(round((image.width - size) / 2.0)), int(round((image.height - size) / 2.0))
    pixels = np.asarray(image.crop((left, top, left + size, top + size)), np.float32) / 255.0
    tensor = torch.from_numpy(pixels.transpose(2, 0, 1).copy())[None]
    tensor = (tensor - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    return tensor, pixels


def imagenet_vision_model(spec: ImageNetSpec, hub_dir: str | os.PathLike | None = None) -> VisionModel:
    """The model with its pretrained weights from the torch cache; WeightsMissingError if absent."""
    path = weights_file(spec, hub_dir)
    if not path.exists():
        raise WeightsMissingError(how_to_get(spec, hub_dir))
    return _load(spec, str(path))


@cached_loader
def _load(spec: ImageNetSpec, path: str) -> VisionModel:
    model = spec.build()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval().to(default_device())
    return VisionModel(
        key=spec.key,
        title=spec.title,
        model=model,
        layers=conv_layers(model),
        cam_layer=model.get_submodule(spec.cam_layer),
        classes=tuple(spec.categories()),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        size=spec.size,
        prepare=functools.partial(to_imagenet_input, size=spec.size),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Get a torchvision ImageNet model's weights for the filter visualiser.")
    parser.add_argument("--model", choices=sorted(IMAGENET_MODELS), default=RESNET18.key)
    parser.add_argument("--download", action="store_true", help="download the weights into the torch cache")
    args = parser.parse_args(argv)
    spec = IMAGENET_MODELS[args.model]
    try:
        path = download_weights(spec) if args.download else weights_file(spec)
    except WeightsMissingError as error:
        raise SystemExit(str(error)) from None
    print(f"{spec.title}: {path} {'present' if path.exists() else 'missing: ' + how_to_get(spec)}")


if __name__ == "__main__":
    main()

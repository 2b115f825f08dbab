"""Augmentation pipelines with every random choice drawn from an explicit `torch.Generator`.

Images are PIL images: torchvision's PIL kernels are 10-30x faster on a CPU than its uint8
tensor kernels. torchvision's v2 transforms draw their parameters from the global RNG. Here each transform's
parameters are sampled by hand from a generator, mirroring the transform's own `make_params` call
for call, and then applied with `torchvision.transforms.v2.functional`. So every sample comes with
the exact parameters that made it (a plain dict: a *record*), and `torch.manual_seed(seed)` followed
by the equivalent `v2.Compose` reproduces the very same samples (tests/test_augment.py checks both).

The steps and their checks live in augment_catalogue, the policies (AutoAugment, RandAugment, ...)
in augment_policies.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from PIL import Image
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from core.augment import policies
from core.augment.catalogue import (  # noqa: F401  (re-exported: the one import for demos)
    CATALOGUE,
    MAX_COUNT,
    MAX_STEPS,
    MIN_SIDE,
    POLICIES,
    parse_pipeline,
    parse_settings,
    pipeline_code,
    pipeline_error,
    to_v2,
)

BILINEAR = v2.InterpolationMode.BILINEAR


# ---------- sampling: each transform's make_params, drawn from an explicit generator ----------


def _uniform(low: float, high: float, g: torch.Generator) -> float:
    return torch.empty(1).uniform_(low, high, generator=g).item()


def _fires(p: float, g: torch.Generator) -> bool:
    return not torch.rand(1, generator=g) >= p  # _RandomApplyTransform: skip when rand >= p


def sample_step(step: dict, image: Image.Image, g: torch.Generator) -> dict:
    """Draw one step's parameters for `image`: a record that `apply_step` replays."""
    key = step["transform"]
    if key in POLICIES:
        return policies.sample(step, image, g)
    c, h, w = F.get_dimensions(image)
    t = to_v2(step, (h, w))
    record: dict = {"transform": key}
    if key in ("hflip", "vflip", "perspective", "grayscale", "erasing"):
        record["applied"] = _fires(t.p, g)
        if not record["applied"]:
            return record
    if key == "rotation":
        record["angle"] = _uniform(t.degrees[0], t.degrees[1], g)
    elif key == "resized_crop":
        record.update(_crop_box(t, h, w, g), size=[h, w])
    elif key == "affine":
        angle = _uniform(t.degrees[0], t.degrees[1], g)
        dx, dy = float(t.translate[0] * w), float(t.translate[1] * h)
        tx, ty = int(round(_uniform(-dx, dx, g))), int(round(_uniform(-dy, dy, g)))
        scale = _uniform(t.scale[0], t.scale[1], g)
        shear = [float(_uniform(t.shear[0], t.shear[1], g)), float(_uniform(t.shear[2], t.shear[3], g))]
        record.update(angle=angle, translate=[tx, ty], scale=scale, shear=shear)
    elif key == "perspective":
        bh, bw = int(t.distortion_scale * (h // 2)) + 1, int(t.distortion_scale * (w // 2)) + 1
        r = lambda low, high: int(torch.randint(low, high, size=(1,), generator=g))  # noqa: E731
        corners = [[r(0, bw), r(0, bh)], [r(w - bw, w), r(0, bh)], [r(w - bw, w), r(h - bh, h)], [r(0, bw), r(h - bh, h)]]
        record.update(startpoints=[[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], endpoints=corners)
    elif key == "color_jitter":
        order = torch.randperm(4, generator=g).tolist()
        factors = {}
        for name in ("brightness", "contrast", "saturation", "hue"):
            bounds = getattr(t, name)
            factors[name] = None if bounds is None else float(_uniform(bounds[0], bounds[1], g))
        names = ["brightness", "contrast", "saturation", "hue"]
        record["order"] = [names[i] for i in order if factors[names[i]] is not None]
        record.update({f"{n}_factor": factors[n] for n in record["order"]})
    elif key == "blur":
        sigma = _uniform(t.sigma[0], t.sigma[1], g)
        record.update(kernel_size=[t.kernel_size[0], t.kernel_size[1]], sigma=[sigma, sigma])
    elif key == "grayscale":
        record["num_output_channels"] = c
    elif key == "erasing":
        record.update(_erase_box(t, c, h, w, g))
    elif key == "elastic":
        record["alpha"], record["sigma"] = step["alpha"], step["sigma"]
        record["displacement"] = elastic_displacement(t, h, w, g)
    return record


def _crop_box(t: v2.RandomResizedCrop, height: int, width: int, g: torch.Generator) -> dict:
    area = height * width
    for _ in range(10):
        target_area = area * _uniform(t.scale[0], t.scale[1], g)
        aspect_ratio = math.exp(_uniform(t._log_ratio[0], t._log_ratio[1], g))
        w, h = int(round(math.sqrt(target_area * aspect_ratio))), int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, size=(1,), generator=g))
            left = int(torch.randint(0, width - w + 1, size=(1,), generator=g))
            return dict(top=top, left=left, height=h, width=w)
    ratio = width / height  # torchvision's fallback: a central crop
    if ratio < min(t.ratio):
        w, h = width, int(round(width / min(t.ratio)))
    elif ratio > max(t.ratio):
        h, w = height, int(round(height * max(t.ratio)))
    else:
        w, h = width, height
    return dict(top=(height - h) // 2, left=(width - w) // 2, height=h, width=w)


def _erase_box(t: v2.RandomErasing, c: int, height: int, width: int, g: torch.Generator) -> dict:
    for _ in range(10):
        erase_area = height * width * _uniform(t.scale[0], t.scale[1], g)
        aspect_ratio = math.exp(_uniform(t._log_ratio[0], t._log_ratio[1], g))
        h, w = int(round(math.sqrt(erase_area * aspect_ratio))), int(round(math.sqrt(erase_area / aspect_ratio)))
        if h < height and w < width:
            i = int(torch.randint(0, height - h + 1, size=(1,), generator=g))
            j = int(torch.randint(0, width - w + 1, size=(1,), generator=g))
            return dict(i=i, j=j, h=h, w=w, value=t.value[0])
    return dict(applied=False)  # torchvision gives up after 10 tries and leaves the image alone


def elastic_displacement(t: v2.ElasticTransform, height: int, width: int, g: torch.Generator) -> torch.Tensor:
    """Two smoothed random fields, exactly as ElasticTransform.make_params: (1, H, W, 2)."""
    fields = []
    for alpha, sigma, extent in ((t.alpha[0], t.sigma[0], width), (t.alpha[1], t.sigma[1], height)):
        d = torch.rand(1, 1, height, width, generator=g) * 2 - 1
        if sigma > 0.0:
            k = int(8 * sigma + 1) | 1  # odd
            d = F.gaussian_blur(d, [k, k], list(t.sigma))
        fields.append(d * alpha / extent)
    return torch.concat(fields, 1).permute([0, 2, 3, 1])


# ---------- applying a record: v2.functional with the sampled parameters ----------


def apply_step(image, record: dict):
    """Replay one record on an image (or on tv_tensors.BoundingBoxes, for geometric steps)."""
    k, r = record["transform"], record
    if not r.get("applied", True):
        return image
    if k in POLICIES:
        return policies.apply(image, r)
    boxes = isinstance(image, tv_tensors.BoundingBoxes)
    if boxes and not CATALOGUE[k].geometric:
        return image  # colour, blur and erasing leave boxes where they are (as torchvision does)
    if k == "hflip":
        return F.horizontal_flip(image)
    if k == "vflip":
        return F.vertical_flip(image)
    if k == "rotation":
        return F.rotate(image, r["angle"], interpolation=BILINEAR, fill=0)
    if k == "resized_crop":
        return F.resized_crop(image, r["top"], r["left"], r["height"], r["width"], r["size"], interpolation=BILINEAR, antialias=True)
    if k == "affine":
        return F.affine(image, r["angle"], r["translate"], r["scale"], r["shear"], interpolation=BILINEAR, fill=0)
    if k == "perspective":
        return F.perspective(image, r["startpoints"], r["endpoints"], interpolation=BILINEAR, fill=0)
    if k == "elastic":
        return F.elastic(image, r["displacement"], interpolation=BILINEAR, fill=0)
    if k == "color_jitter":
        adjust = {"brightness": F.adjust_brightness, "contrast": F.adjust_contrast, "saturation": F.adjust_saturation, "hue": F.adjust_hue}
        for name in r["order"]:
            image = adjust[name](image, r[f"{name}_factor"])
        return image
    if k == "blur":
        return F.gaussian_blur(image, r["kernel_size"], r["sigma"])
    if k == "grayscale":
        return F.rgb_to_grayscale(image, num_output_channels=r["num_output_channels"])
    if k == "erasing":
        return F.erase(image, r["i"], r["j"], r["h"], r["w"], torch.tensor([float(r["value"])])[:, None, None])
    raise ValueError(f"unknown transform {k}")  # steps are checked before they get here


@dataclass
class Sample:
    image: Image.Image  # RGB photo or L digit
    records: list[dict]  # one per step, in order
    boxes: torch.Tensor | None  # (N, 4) XYXY, or None when the input had none


def sample_pipeline(image: Image.Image, steps: list[dict], g: torch.Generator, boxes=None) -> Sample:
    """One augmented sample: every step's parameters drawn from `g`, then applied to image and boxes."""
    records = []
    for step in steps:
        record = sample_step(step, image, g)
        image = apply_step(image, record)
        if boxes is not None:
            boxes = apply_step(boxes, record)
        records.append(record)
    return Sample(image, records, None if boxes is None else boxes.as_subclass(torch.Tensor))


def sample_grid(image: Image.Image, steps: list[dict], seed: int, count: int, boxes=None, max_seconds: float = 20.0) -> list[Sample]:
    """`count` samples (capped at MAX_COUNT) from one `torch.Generator(seed)`, in order; stops early
    once `max_seconds` have passed. Boxes are (N, 4) XYXY pixels; policies cannot carry them."""
    height, width = F.get_size(image)
    if min(height, width) < MIN_SIDE:
        raise pipeline_error(f"the image is {width}x{height}; each side needs at least {MIN_SIDE} pixels")
    if boxes is not None and len(boxes) and not any(s["transform"] in POLICIES for s in steps):
        boxes = tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=(height, width))
    else:
        boxes = None
    g = torch.Generator().manual_seed(int(seed))
    start, samples = time.perf_counter(), []
    for _ in range(max(1, min(int(count), MAX_COUNT))):
        samples.append(sample_pipeline(image, steps, g, boxes))
        if time.perf_counter() - start > max_seconds:
            break
    return samples

"""The automatic policies (AutoAugment, RandAugment, TrivialAugmentWide, AugMix), sampled by hand.

Each policy picks ops and magnitudes from torchvision's own op tables, with the same sequence of
random draws as its `forward`, but from an explicit `torch.Generator`. The record lists the ops
actually applied, e.g. `[["Rotate", -12.0], ["Posterize", 6.0]]`, and `apply` replays it with
`torchvision.transforms.v2.functional`.
"""

from __future__ import annotations

import math

import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

CLASSES = {"auto_augment": v2.AutoAugment, "rand_augment": v2.RandAugment, "trivial_augment": v2.TrivialAugmentWide, "augmix": v2.AugMix}
AUGMIX_MAX_LEVEL = 10  # AugMix's _PARAMETER_MAX: its magnitude tables have 10 bins


def v2_code(step: dict) -> str:
    s, k = step, step["transform"]
    if k == "auto_augment":
        return f"v2.AutoAugment(policy=v2.AutoAugmentPolicy.{s['policy'].upper()})"
    if k == "rand_augment":
        return f"v2.RandAugment(num_ops={s['num_ops']!r}, magnitude={s['magnitude']!r})"
    if k == "trivial_augment":
        return f"v2.TrivialAugmentWide(num_magnitude_bins={s['num_magnitude_bins']!r})"
    return f"v2.AugMix(severity={s['severity']!r}, mixture_width={s['mixture_width']!r}, chain_depth={s['chain_depth']!r}, alpha={s['alpha']!r})"


def _pick(space: dict, g: torch.Generator):
    keys = tuple(space)
    key = keys[int(torch.randint(len(keys), (), generator=g))]
    return key, space[key]


def _signed(magnitude: float, signed: bool, g: torch.Generator) -> float:
    return -magnitude if signed and torch.rand((), generator=g) <= 0.5 else magnitude


def sample(step: dict, image, g: torch.Generator) -> dict:
    """Draw the ops (and, for AugMix, the mixing weights) one policy applies to `image`."""
    k = step["transform"]
    height, width = F.get_size(image)
    record: dict = {"transform": k}
    if k == "auto_augment":
        table = v2.AutoAugment._AUGMENTATION_SPACE
        pairs = v2.AutoAugment(v2.AutoAugmentPolicy(step["policy"]))._policies
        ops = []
        for op, probability, level in pairs[int(torch.randint(len(pairs), (), generator=g))]:
            if not torch.rand((), generator=g) <= probability:
                continue
            magnitudes_fn, signed = table[op]
            magnitudes = magnitudes_fn(10, height, width)
            ops.append([op, 0.0 if magnitudes is None else _signed(float(magnitudes[level]), signed, g)])
        record["ops"] = ops
    elif k == "rand_augment":
        ops = []
        for _ in range(step["num_ops"]):
            op, (magnitudes_fn, signed) = _pick(v2.RandAugment._AUGMENTATION_SPACE, g)
            magnitudes = magnitudes_fn(31, height, width)
            ops.append([op, 0.0 if magnitudes is None else _signed(float(magnitudes[step["magnitude"]]), signed, g)])
        record["ops"] = ops
    elif k == "trivial_augment":
        bins = step["num_magnitude_bins"]
        op, (magnitudes_fn, signed) = _pick(v2.TrivialAugmentWide._AUGMENTATION_SPACE, g)
        magnitudes = magnitudes_fn(bins, height, width)
        if magnitudes is None:
            record["ops"] = [[op, 0.0]]
        else:
            level = int(torch.randint(bins, (), generator=g))
            record["ops"] = [[op, _signed(float(magnitudes[level]), signed, g)]]
    else:
        record.update(_sample_augmix(step, height, width, g))
    return record


def _sample_augmix(step: dict, height: int, width: int, g: torch.Generator) -> dict:
    alpha, chains_count = step["alpha"], step["mixture_width"]
    original = torch._sample_dirichlet(torch.tensor([alpha, alpha]).expand(1, -1), generator=g)
    weights = torch._sample_dirichlet(torch.tensor([alpha] * chains_count).expand(1, -1), generator=g) * original[:, 1].reshape([1, -1])
    chains = []
    for _ in range(chains_count):
        depth = step["chain_depth"] if step["chain_depth"] > 0 else int(torch.randint(1, 4, size=(1,), generator=g))
        ops = []
        for _ in range(depth):
            op, (magnitudes_fn, signed) = _pick(v2.AugMix._AUGMENTATION_SPACE, g)
            magnitudes = magnitudes_fn(AUGMIX_MAX_LEVEL, height, width)
            if magnitudes is None:
                ops.append([op, 0.0])
            else:
                level = int(torch.randint(step["severity"], (), generator=g))
                ops.append([op, _signed(float(magnitudes[level]), signed, g)])
        chains.append(ops)
    return {"original_weight": float(original[0, 0]), "chain_weights": weights[0].tolist(), "chains": chains}


def apply_op(image: torch.Tensor, op: str, magnitude: float, interpolation, fill=None) -> torch.Tensor:
    """One policy op through v2.functional, with torchvision's meaning of its magnitude."""
    if op == "Identity":
        return image
    if op in ("ShearX", "ShearY"):
        degrees = math.degrees(math.atan(magnitude))
        shear = [degrees, 0.0] if op == "ShearX" else [0.0, degrees]
        return F.affine(image, angle=0.0, translate=[0, 0], scale=1.0, shear=shear, interpolation=interpolation, fill=fill, center=[0, 0])
    if op in ("TranslateX", "TranslateY"):
        shift = [int(magnitude), 0] if op == "TranslateX" else [0, int(magnitude)]
        return F.affine(image, angle=0.0, translate=shift, scale=1.0, shear=[0.0, 0.0], interpolation=interpolation, fill=fill)
    if op == "Rotate":
        return F.rotate(image, angle=magnitude, interpolation=interpolation, fill=fill)
    if op in ("Brightness", "Color", "Contrast", "Sharpness"):
        adjust = {
            "Brightness": F.adjust_brightness,
            "Color": F.adjust_saturation,
            "Contrast": F.adjust_contrast,
            "Sharpness": F.adjust_sharpness,
        }[op]
        return adjust(image, 1.0 + magnitude)
    if op == "Posterize":
        return F.posterize(image, bits=int(magnitude))
    if op == "Solarize":
        bound = (
            255.0 if not isinstance(image, torch.Tensor) else 1.0 if image.dtype.is_floating_point else float(torch.iinfo(image.dtype).max)
        )
        return F.solarize(image, threshold=bound * magnitude)
    if op == "AutoContrast":
        return F.autocontrast(image)
    if op == "Equalize":
        return F.equalize(image)
    if op == "Invert":
        return F.invert(image)
    raise ValueError(f"No transform available for {op}")


def apply(image, record: dict):
    """Replay a policy record on a PIL image or a uint8 tensor (C, H, W)."""
    if record["transform"] != "augmix":
        for op, magnitude in record["ops"]:
            image = apply_op(image, op, magnitude, v2.InterpolationMode.NEAREST)
        return image
    pil = not isinstance(image, torch.Tensor)
    tensor = F.pil_to_tensor(image) if pil else image
    batch = tensor.reshape([1] * (4 - tensor.ndim) + list(tensor.shape))  # (1, C, H, W), as AugMix does
    mix = torch.tensor([record["original_weight"]]).reshape(1, 1, 1, 1) * batch
    for weight, ops in zip(record["chain_weights"], record["chains"]):
        augmented = batch
        for op, magnitude in ops:
            augmented = apply_op(augmented, op, magnitude, v2.InterpolationMode.BILINEAR)
        mix.add_(torch.tensor([weight]).reshape(1, 1, 1, 1) * augmented)
    mix = mix.reshape(tensor.shape).to(dtype=tensor.dtype)
    return F.to_pil_image(mix) if pil else mix

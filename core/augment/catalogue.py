"""The transform catalogue: each transform's widgets, a note on when it is label-safe, the checks
on user settings, and the torchvision v2 constructor (object and source text) a step stands for.

A pipeline is a list of steps `{"transform": <key in CATALOGUE>, <param>: value, ...}`; missing
params take their defaults. The API's settings may also carry boxes: `{"steps": [...], "boxes": [...]}`.
Light on purpose: the page is laid out from this module without importing torch.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass

from core.errors import UserError

MAX_COUNT = 64  # samples per grid: 64 thumbnails is already more than a screen
MAX_STEPS = 12  # transforms per pipeline: longer chains teach nothing more and cost more
MIN_SIDE = 28  # smallest image side accepted: an MNIST digit; blur kernels need room to reflect


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: float | int | str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    choices: tuple[str, ...] = ()  # a dropdown instead of a slider


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    params: tuple[Param, ...]
    note: str  # when it is label-safe, shown beside its widgets
    geometric: bool  # moves pixels, so boxes must move too


P = Param
CATALOGUE = {
    s.key: s
    for s in [
        Spec(
            "hflip",
            "Horizontal flip",
            (P("p", "probability", 0.5),),
            "Safe for most photos (a cat mirrored is a cat). Not for text or digits, nor left/right tasks.",
            True,
        ),
        Spec(
            "vflip",
            "Vertical flip",
            (P("p", "probability", 0.5),),
            "Safe for aerial, satellite and microscope images. Not for scenes with a sky, nor digits: a flipped 6 is a 9.",
            True,
        ),
        Spec(
            "rotation",
            "Rotation",
            (P("degrees", "max angle (°)", 15.0, 0, 180, 1),),
            "Small angles are safe almost everywhere. Past ~45° a 6 becomes a 9 and a road map turns sideways.",
            True,
        ),
        Spec(
            "resized_crop",
            "Random resized crop (zoom)",
            (P("scale_min", "min area kept", 0.3, 0.05, 1), P("scale_max", "max area kept", 1.0, 0.05, 1)),
            "The classic ImageNet augmentation. A small area can crop the object out: the label is then a lie.",
            True,
        ),
        Spec(
            "affine",
            "Affine (shift, scale, shear)",
            (
                P("degrees", "max angle (°)", 0.0, 0, 180, 1),
                P("translate", "max shift (fraction)", 0.1, 0, 0.5),
                P("scale_min", "min scale", 0.9, 0.3, 2),
                P("scale_max", "max scale", 1.1, 0.3, 2),
                P("shear", "max shear (°)", 10.0, 0, 45, 1),
            ),
            "Small shifts and scales are safe for classification; big shifts push objects off the edge.",
            True,
        ),
        Spec(
            "perspective",
            "Perspective",
            (P("distortion", "distortion", 0.3), P("p", "probability", 0.5)),
            "Mimics a camera at an angle: safe for photos and documents, odd for top-down images.",
            True,
        ),
        Spec(
            "color_jitter",
            "Colour jitter",
            (
                P("brightness", "brightness", 0.4, 0, 1),
                P("contrast", "contrast", 0.4, 0, 1),
                P("saturation", "saturation", 0.4, 0, 1),
                P("hue", "hue", 0.05, 0, 0.5),
            ),
            "Safe unless colour is the label (ripe vs unripe fruit, traffic lights): then keep hue at 0.",
            False,
        ),
        Spec(
            "blur",
            "Gaussian blur",
            (
                P("kernel_size", "kernel size (odd)", 9, 3, 31, 2),
                P("sigma_min", "min sigma", 0.1, 0.1, 10, 0.1),
                P("sigma_max", "max sigma", 2.0, 0.1, 10, 0.1),
            ),
            "Safe for shapes; it erases fine texture and small text, which some tasks need.",
            False,
        ),
        Spec("grayscale", "Grayscale", (P("p", "probability", 0.2),), "Teaches shape over colour. Unsafe when colour is the label.", False),
        Spec(
            "erasing",
            "Random erasing",
            (
                P("p", "probability", 0.5),
                P("scale_min", "min area", 0.02, 0.01, 0.9),
                P("scale_max", "max area", 0.2, 0.01, 0.9),
                P("value", "fill value", 0, 0, 255, 1),
            ),
            "Occlusion practice. A large patch can erase the very thing that is labelled (a digit's only stroke).",
            False,
        ),
        Spec(
            "elastic",
            "Elastic",
            (P("alpha", "strength", 50.0, 0, 200, 1), P("sigma", "smoothness", 5.0, 1, 6, 0.5)),
            "Rubber-sheet wobble: good for handwriting and cells, strange on buildings.",
            True,
        ),
        Spec(
            "auto_augment",
            "AutoAugment",
            (P("policy", "policy", "imagenet", choices=("imagenet", "cifar10", "svhn")),),
            "Policies searched on one dataset. The SVHN one inverts colours: fine for house numbers.",
            True,
        ),
        Spec(
            "rand_augment",
            "RandAugment",
            (P("num_ops", "ops per image", 2, 0, 5, 1), P("magnitude", "magnitude", 9, 0, 30, 1)),
            "Two knobs instead of a search. Includes rotation and shear: check your labels survive.",
            True,
        ),
        Spec(
            "trivial_augment",
            "TrivialAugmentWide",
            (P("num_magnitude_bins", "magnitude bins", 31, 2, 64, 1),),
            "One random op at a random strength; rotations up to 135° make it unsafe for digits.",
            True,
        ),
        Spec(
            "augmix",
            "AugMix",
            (
                P("severity", "severity", 3, 1, 10, 1),
                P("mixture_width", "chains", 3, 1, 5, 1),
                P("chain_depth", "depth (-1 = 1..3)", -1, -1, 3, 1),
                P("alpha", "mixing alpha", 1.0, 0.1, 5, 0.1),
            ),
            "Blends several augmented copies with the original: built for robustness, keeps the image readable.",
            True,
        ),
    ]
}
POLICIES = {"auto_augment", "rand_augment", "trivial_augment", "augmix"}


def pipeline_error(problem: str) -> UserError:
    """Pipeline settings that are not usable: the message, a sentence, says what to fix."""
    return UserError(f"{problem[:1].upper()}{problem[1:]}.")


def parse_step(raw: dict) -> dict:
    """A user's step -> a complete, validated step: defaults filled, numbers in range, ranges ordered."""
    if not isinstance(raw, dict) or raw.get("transform") not in CATALOGUE:
        raise pipeline_error(f"each step needs a 'transform', one of: {', '.join(CATALOGUE)}; got {raw!r:.80}")
    spec = CATALOGUE[raw["transform"]]
    unknown = set(raw) - {"transform"} - {p.name for p in spec.params}
    if unknown:
        raise pipeline_error(f"{spec.key} has no parameter {', '.join(sorted(unknown))}")
    step = {"transform": spec.key}
    for p in spec.params:
        value = raw.get(p.name, p.default)
        if p.choices:
            if value not in p.choices:
                raise pipeline_error(f"{spec.key}.{p.name} must be one of {', '.join(p.choices)}; got {value!r:.40}")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise pipeline_error(f"{spec.key}.{p.name} must be a number; got {value!r:.40}")
            if not p.low <= value <= p.high:
                raise pipeline_error(f"{spec.key}.{p.name} must be between {p.low:g} and {p.high:g}; got {value:g}")
            value = int(value) if isinstance(p.default, int) else float(value)
        step[p.name] = value
    for low, high in (("scale_min", "scale_max"), ("sigma_min", "sigma_max")):
        if low in step and step[low] > step[high]:
            step[low], step[high] = step[high], step[low]
    if spec.key == "blur":
        step["kernel_size"] |= 1  # kernels are odd
    return step


def parse_pipeline(steps: list) -> list[dict]:
    if not isinstance(steps, list):
        raise pipeline_error("the pipeline must be a list of steps")
    if len(steps) > MAX_STEPS:
        raise pipeline_error(f"a pipeline takes at most {MAX_STEPS} steps; got {len(steps)}")
    return [parse_step(step) for step in steps]


# ---------- each step as torchvision transform: the object, and the code that builds it ----------


def v2_code(step: dict, size: tuple[int, int]) -> str:
    """The v2 constructor for a step, as Python source (`size` = (H, W) of the images)."""
    s, k = step, step["transform"]
    if k in POLICIES:
        from core.augment.policies import v2_code as policy_code  # noqa: PLC0415  policies imports torch: the catalogue stays torch-free until a transform is built

        return policy_code(step)
    return {
        "hflip": lambda: f"v2.RandomHorizontalFlip(p={s['p']!r})",
        "vflip": lambda: f"v2.RandomVerticalFlip(p={s['p']!r})",
        "rotation": lambda: f"v2.RandomRotation(degrees={s['degrees']!r}, interpolation=v2.InterpolationMode.BILINEAR)",
        "resized_crop": lambda: f"v2.RandomResizedCrop(size={tuple(size)!r}, scale=({s['scale_min']!r}, {s['scale_max']!r}))",
        "affine": lambda: (
            f"v2.RandomAffine(degrees={s['degrees']!r}, translate=({s['translate']!r}, {s['translate']!r}), "
            f"scale=({s['scale_min']!r}, {s['scale_max']!r}), shear=({-s['shear']!r}, {s['shear']!r}, {-s['shear']!r}, {s['shear']!r}), "
            "interpolation=v2.InterpolationMode.BILINEAR)"
        ),
        "perspective": lambda: f"v2.RandomPerspective(distortion_scale={s['distortion']!r}, p={s['p']!r})",
        "color_jitter": lambda: (
            f"v2.ColorJitter(brightness={s['brightness']!r}, contrast={s['contrast']!r}, saturation={s['saturation']!r}, hue={s['hue']!r})"
        ),
        "blur": lambda: f"v2.GaussianBlur(kernel_size={s['kernel_size']!r}, sigma=({s['sigma_min']!r}, {s['sigma_max']!r}))",
        "grayscale": lambda: f"v2.RandomGrayscale(p={s['p']!r})",
        "erasing": lambda: f"v2.RandomErasing(p={s['p']!r}, scale=({s['scale_min']!r}, {s['scale_max']!r}), value={s['value']!r})",
        "elastic": lambda: f"v2.ElasticTransform(alpha={s['alpha']!r}, sigma={s['sigma']!r})",
    }[k]()


def to_v2(step: dict, size: tuple[int, int]):
    """The torchvision transform object a step stands for (its ranges are the ones we sample).

    Shared between calls and users: it is only read, never called."""
    return _build(v2_code(step, size))


@functools.lru_cache(maxsize=256)
def _build(code: str):
    from torchvision.transforms import v2  # noqa: PLC0415  torchvision loads when a transform is first built, not at import

    return eval(code, {"v2": v2})  # our own generated text from validated numbers, never user text


def pipeline_code(steps: list[dict], size: tuple[int, int], seed: int, count: int) -> str:
    """Python that reproduces the grid exactly: the same transforms fed the same random stream."""
    lines = ",\n".join(f"    {v2_code(step, size)}" for step in steps)
    return (
        "import torch\nfrom torchvision.transforms import v2\n\n"
        f"pipeline = v2.Compose([\n{lines},\n])\n\n"
        f"# image: the PIL image, {size[1]}x{size[0]} pixels (RGB for photos, L for digits)\n"
        f"torch.manual_seed({seed})  # the demo draws from torch.Generator().manual_seed({seed}): the same stream\n"
        f"samples = [pipeline(image) for _ in range({count})]\n"
    )


def parse_boxes(text: str) -> list[list[float]]:
    """'x1, y1, x2, y2' per line (or a JSON list of such lists) -> boxes with x1 < x2 and y1 < y2."""
    text = (text or "").strip()
    if not text:
        return []
    try:
        rows = json.loads(text) if text.startswith("[") else [line.split(",") for line in text.splitlines() if line.strip()]
        boxes = [[float(v) for v in row] for row in rows]
    except (ValueError, TypeError) as error:
        raise pipeline_error("boxes must be 'x1, y1, x2, y2' per line, in the photo's pixels") from error
    if len(boxes) > 32 or any(len(b) != 4 or not all(map(math.isfinite, b)) or not (b[0] < b[2] and b[1] < b[3]) for b in boxes):
        raise pipeline_error("each box needs 4 numbers x1, y1, x2, y2 with x1 < x2 and y1 < y2 (at most 32 boxes)")
    return boxes


def parse_settings(text: str) -> tuple[list[dict], list[list[float]]]:
    """The API's pipeline settings: a JSON list of steps, or {"steps": [...], "boxes": [[x1, y1, x2, y2]]}."""
    if text is not None and not isinstance(text, str):
        raise pipeline_error('the pipeline settings must be JSON text, e.g. [{"transform": "rotation", "degrees": 30}]')
    if len(text or "") > 20_000:
        raise pipeline_error("the pipeline settings are longer than 20,000 characters")
    try:
        settings = json.loads(text or "[]")
    except json.JSONDecodeError as error:
        raise pipeline_error(f"the pipeline settings are not valid JSON ({error.msg})") from error
    if isinstance(settings, dict):
        return parse_pipeline(settings.get("steps", [])), parse_boxes(json.dumps(settings.get("boxes") or []))
    return parse_pipeline(settings), []

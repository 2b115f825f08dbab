"""What the augmentation previewer shows: photos and digits in, sample grids with captions out,
and for digits, which samples the digit CNN reads as a different class, transform by transform.

`photo_grid` and `digit_grid` make a page's whole grid (gallery items, records, code, summary).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.transforms.v2.functional import pil_to_tensor

from core.augment.catalogue import pipeline_code
from core.augment.transforms import POLICIES, Sample, apply_step, sample_grid
from core.digits.predict import answering_cnn, class_probabilities
from core.digits.preprocess import normalize
from core.images import open_image


@dataclass(frozen=True)
class Settings:
    photo_side: int = 512  # samples are made at this longest side: every effect shows, 64 samples stay quick
    display_side: int = 256  # gallery images are shrunk to this side: thumbnails are ~150 px, encoding is cheap
    digit_zoom: int = 4  # 28x28 digits are shown 112x112 so the strokes can be seen
    changed: tuple[int, int, int] = (230, 40, 40)  # frame colour of a sample whose class changed
    max_seconds: float = 20.0  # a grid stops early rather than keep a worker busy longer


DEFAULTS = Settings()


def load_photo(path: str | os.PathLike, max_side: int) -> tuple[Image.Image, float]:
    """An image file -> (RGB image with longest side <= max_side, the scale that was applied).

    Raises a core.errors.UserError for anything that is not a readable image.
    """
    image = open_image(path, max_side=max_side).convert("RGB")
    with Image.open(path) as original:  # header only: the size boxes were given in
        scale = max(image.size) / max(original.size)  # max: EXIF may have turned the image
    return image, scale


def render(image: Image.Image, boxes: torch.Tensor | None = None, scale: float = 1.0, colour=(40, 230, 70)) -> Image.Image:
    """A sample for display: RGB, resized by `scale` (nearest when enlarging a digit), XYXY boxes drawn."""
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if scale > 1:
        image = image.resize(size, Image.NEAREST)  # a digit's pixels, enlarged as squares
    elif scale < 1:
        image = image.resize(size, Image.BILINEAR, reducing_gap=1.0)  # box-reduce first: 5x cheaper
    else:
        image = image.copy()  # never draw on the sample itself
    image = image if image.mode == "RGB" else image.convert("RGB")
    if boxes is not None:
        pen = ImageDraw.Draw(image)
        for x1, y1, x2, y2 in (boxes.float() * scale).tolist():
            if x2 - x1 >= 1 and y2 - y1 >= 1:  # boxes pushed off the image collapse to nothing
                pen.rectangle([x1, y1, x2, y2], outline=colour, width=max(2, min(image.size) // 100))
    return image


def frame(image: Image.Image, colour: tuple[int, int, int], width: int = 4) -> Image.Image:
    """A coloured border inside the image's edge (red marks a sample whose class changed)."""
    ImageDraw.Draw(image).rectangle([0, 0, image.width - 1, image.height - 1], outline=colour, width=width)
    return image


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def describe(record: dict) -> str:
    """A short caption for one applied record ("" when the step did not fire)."""
    k, r = record["transform"], record
    if not r.get("applied", True):
        return ""
    if k in ("hflip", "vflip"):
        return "flipped " + ("left-right" if k == "hflip" else "upside down")
    if k == "rotation":
        return f"rotate {r['angle']:+.1f}°"
    if k == "resized_crop":
        return f"crop {r['width']}×{r['height']} at ({r['left']},{r['top']})"
    if k == "affine":
        return f"affine {r['angle']:+.0f}° shift {r['translate']} ×{r['scale']:.2f} shear {r['shear'][0]:+.0f}/{r['shear'][1]:+.0f}°"
    if k == "perspective":
        return f"perspective {r['endpoints']}"
    if k == "color_jitter":
        return "jitter " + " ".join(f"{n[0]}{_number(r[n + '_factor'])}" for n in r["order"])
    if k == "blur":
        return f"blur σ{r['sigma'][0]:.2f}"
    if k == "grayscale":
        return "grey"
    if k == "erasing":
        return f"erase {r['w']}×{r['h']} at ({r['j']},{r['i']})"
    if k == "elastic":
        return f"elastic α{_number(r['alpha'])} σ{_number(r['sigma'])}"
    if k == "augmix":
        ops = " | ".join(", ".join(f"{op} {_number(m)}" for op, m in chain) for chain in r["chains"])
        return f"augmix [{ops}]"
    if k in POLICIES:
        return f"{k.replace('_', ' ')}: " + (", ".join(f"{op} {_number(m)}" for op, m in r["ops"]) or "nothing")
    return k


def caption(sample: Sample, index: int) -> str:
    return f"#{index + 1}: " + (" · ".join(filter(None, map(describe, sample.records))) or "unchanged")


def shown_records(sample: Sample) -> list[dict]:
    """Records as JSON: the elastic field (a tensor per pixel) is summarised, not listed."""

    def plain(record: dict) -> dict:
        if "displacement" in record:
            shape = list(record["displacement"].shape)
            record = {**record, "displacement": f"random field {shape}, drawn from the seed's stream"}
        return record

    return json.loads(json.dumps([plain(r) for r in sample.records]))


def shown_parameters(records: list, index: int) -> str:
    """One sample's records as the details box shows them: JSON, one step a line."""
    return f"sample #{index + 1}:\n" + "\n".join(json.dumps(step, ensure_ascii=False) for step in records[index])


def photo_grid(path: str, steps: list[dict], boxes: list, seed: int, count: int, settings: Settings = DEFAULTS) -> dict:
    """A photo file -> gallery items, records per sample, and the code that reproduces them."""
    image, scale = load_photo(path, settings.photo_side)
    box_tensor = torch.tensor(boxes, dtype=torch.float32) * scale if boxes else None
    samples = sample_grid(image, steps, seed, count, box_tensor, settings.max_seconds)
    shrink = min(1.0, settings.display_side / max(image.size))
    gallery = [(render(s.image, s.boxes, shrink), caption(s, i)) for i, s in enumerate(samples)]
    note = (
        ""
        if box_tensor is None or samples[0].boxes is not None
        else ("\n\n*Boxes are not drawn: torchvision's policies (AutoAugment, RandAugment, ...) are image-only.*")
    )
    return {
        "gallery": gallery,
        "records": [shown_records(s) for s in samples],
        "code": pipeline_code(steps, (image.height, image.width), seed, len(samples)),
        "summary": f"{len(samples)} samples of a {image.width}×{image.height} image, seed {seed}.{note}",
    }


# ---------- digits: does the label survive? ----------


def digit_image(digit: np.ndarray) -> Image.Image:
    """A prepared (28, 28) digit in [0, 1] (white ink on black) -> a 28x28 greyscale image."""
    return Image.fromarray(np.round(np.clip(digit, 0, 1) * 255).astype(np.uint8), mode="L")


def read_digits(images: list[Image.Image]) -> np.ndarray:
    """28x28 greyscale digits -> the digit CNN's classes (N,), in one batch."""
    batch = normalize(torch.stack([pil_to_tensor(image) for image in images]).float() / 255.0)  # (N, 1, 28, 28)
    return class_probabilities(answering_cnn(), batch).argmax(axis=1)


@dataclass(frozen=True)
class DigitGrid:
    samples: list[Sample]
    original_class: int
    classes: np.ndarray  # (N,) the CNN's reading of each sample
    per_step: list[dict]  # per step: in how many samples it changed pixels, and the class, when applied alone


def augment_digit(digit: np.ndarray, steps: list[dict], seed: int, count: int) -> DigitGrid:
    """The seam for any digit source (the canvas, an MNIST image, a GAN's output): a (28, 28) image in
    [0, 1] -> seeded samples, the CNN's class for each, and a per-transform count of class changes.

    A step's count replays only that step's sampled parameters on the original digit, so each
    transform is blamed for what it does alone.
    """
    image = digit_image(digit)
    samples = sample_grid(image, steps, seed, count)
    classes = read_digits([image] + [s.image for s in samples])
    original, classes = int(classes[0]), classes[1:]
    per_step = []
    for k, step in enumerate(steps):
        alone = [apply_step(image, s.records[k]) for s in samples]
        fired = sum(1 for a in alone if a.tobytes() != image.tobytes())  # the step changed some pixel
        changed = int((read_digits(alone) != original).sum()) if alone else 0
        per_step.append({"transform": step["transform"], "fired": fired, "changed_alone": changed})
    return DigitGrid(samples, original, classes, per_step)


def digit_grid(digit, steps: list[dict], seed: int, count: int, settings: Settings = DEFAULTS) -> dict:
    """A (28, 28) digit in [0, 1] -> gallery items framed red where the CNN's class changed, and the tally."""
    found = augment_digit(digit, steps, seed, count)
    gallery = []
    for i, (sample, cls) in enumerate(zip(found.samples, found.classes)):
        pixels = render(sample.image, scale=settings.digit_zoom)
        moved = int(cls) != found.original_class
        verdict = f"reads {cls} ✗ " if moved else f"reads {cls} · "
        gallery.append((frame(pixels, settings.changed) if moved else pixels, verdict + caption(sample, i)))
    changed = [i for i, cls in enumerate(found.classes) if int(cls) != found.original_class]
    listed = ", ".join(f"#{i + 1} → {found.classes[i]}" for i in changed[:12]) + (" …" if len(changed) > 12 else "")
    summary = (
        f"The CNN reads the original as a **{found.original_class}**. **{len(changed)} of {len(found.samples)}** "
        f"samples changed class (✗, red frames){': ' + listed if changed else ''}."
    )
    table = [[s["transform"], s["fired"], s["changed_alone"]] for s in found.per_step]
    table.append(["whole pipeline", len(found.samples), len(changed)])
    return {
        "gallery": gallery,
        "records": [shown_records(s) for s in found.samples],
        "code": pipeline_code(steps, (28, 28), seed, len(found.samples)),
        "summary": summary,
        "table": table,
        "original_class": found.original_class,
        "classes": [int(c) for c in found.classes],
        "digits": [np.asarray(s.image) for s in found.samples],  # (28, 28) uint8, white ink on black, as MNIST
    }

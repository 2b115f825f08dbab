"""What the GAN page shows, as plain values: generated digits enlarged with a caption each (D's score
and the judge CNN's reading), the sentences that sum them up, the walks, and the training snapshots.

    digit_gallery(digit, seed, count) -> ([(enlarged digit, caption)], summary)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.gan import sample

SNAPSHOTS = Path(__file__).resolve().parents[2] / "docs" / "gan"  # epoch_*.png, saved by train.gan


def enlarge(image: np.ndarray, zoom: int = 3) -> np.ndarray:
    """(H, W) float ink in [0, 1] -> an enlarged uint8 image (nearest neighbour: crisp pixels)."""
    return (np.clip(image, 0, 1) * 255).astype(np.uint8).repeat(zoom, axis=0).repeat(zoom, axis=1)


def caption(realness: float, reading: int | None, asked: int) -> str:
    """Short enough for a thumbnail: D's score, and the judge's reading (✗ when it is not `asked`)."""
    judged = "" if reading is None else f" · CNN {reading}{'' if reading == asked else ' ✗'}"
    return f"D {realness:.2f}{judged}"


def read_digits(digit: int, seed: int, count: int, same_noise: bool = False):
    """(digit, seed, count) -> images (N, 28, 28), asked labels, D's scores, judge classes and confidences.

    The judge columns are None when the digit CNN's checkpoint is not there.
    """
    z, labels = sample.request_latents(digit, seed, count, same_noise=same_noise)
    images = sample.generate(z, labels)
    scores = sample.discriminator_scores(images, labels)
    readings, confidences = sample.judge(images) or (None, None)
    return images.numpy(), labels.numpy(), scores, readings, confidences


def summary(labels: np.ndarray, readings: np.ndarray | None) -> str:
    if readings is None:
        return "The judge CNN is not available, so only D's scores are shown."
    agree = int((readings == labels).sum())
    return f"The judge CNN reads **{agree} of {len(labels)}** as the digit that was asked for."


def digit_gallery(digit: int, seed: int, count: int, same_noise: bool = False) -> tuple[list[tuple[np.ndarray, str]], str]:
    """(digit, seed, count) -> gallery items (enlarged digit, D's score and the judge's reading) and a summary."""
    images, labels, scores, readings, _ = read_digits(digit, seed, count, same_noise)
    items = [
        (enlarge(image), caption(float(scores[i]), None if readings is None else int(readings[i]), int(labels[i])))
        for i, image in enumerate(images)
    ]
    return items, summary(labels, readings)


def one_digit(digit: int, seed: int, count: int, same_noise: bool, index: int) -> tuple[np.ndarray, int]:
    """Digit number `index` of the gallery that (digit, seed, count, same_noise) stands for, without
    drawing the rest: its (28, 28) ink in [0, 1] and the class it was asked for."""
    z, labels = sample.request_latents(digit, seed, count, same_noise=same_noise)
    index = min(max(int(index), 0), len(labels) - 1)
    return sample.generate(z[index : index + 1], labels[index : index + 1]).numpy()[0], int(labels[index])


def picked_note(shown: dict) -> str:
    """Which digit of the gallery (digit, seed, count, same_noise, index) the page sends on, in a sentence."""
    index = shown["index"]
    asked = index % 10 if shown["digit"] == -1 else shown["digit"]
    return f"It sends digit {index + 1} of {shown['count']} (asked for a **{asked}**). Click another digit to pick it."


def digits_shown(digit: int, seed: int, count: int, same_noise: bool) -> tuple[list[tuple[np.ndarray, str]], str, dict, str]:
    """The gallery and its summary, what it was made from (digit 1 picked), and which digit Send sends."""
    items, words = digit_gallery(digit, seed, count, same_noise)  # checks the arguments
    shown = {"digit": int(digit), "seed": int(seed), "count": int(count), "same_noise": bool(same_noise), "index": 0}
    return items, words, shown, picked_note(shown)


def picked(shown: dict, index: int) -> tuple[dict, str]:
    """The gallery `shown` (digit, seed, count, same_noise, index) with digit `index` picked, and its note."""
    shown = shown | {"index": int(index)}
    return shown, picked_note(shown)


def walk_strip(digit: int, seed_a: int, seed_b: int, frames: int) -> np.ndarray:
    """The walk from seed A's digit to seed B's, as one enlarged strip."""
    strip = sample.interpolate(digit, seed_a, seed_b, frames)
    return enlarge(sample.tile(strip, columns=len(strip)) / 255.0, zoom=3)


def switch_summary(digit_a: int, digit_b: int, readings: list[int] | None) -> str:
    """Where along a walk the judge CNN's reading turns from A to B, in a sentence."""
    if readings is None:
        return "The judge CNN is not available, so the frames are shown without its readings."
    last_a = max((i for i, r in enumerate(readings) if r == digit_a), default=None)
    first_b = next((i for i, r in enumerate(readings) if r == digit_b and all(later == digit_b for later in readings[i:])), None)
    if last_a is None or first_b is None:
        return f"The judge CNN reads {' '.join(map(str, readings))}: it never settles from {digit_a} on {digit_b} along this walk."
    return (
        f"The judge CNN reads **{digit_a}** up to frame {last_a + 1} and **{digit_b}** from frame {first_b + 1} "
        f"of {len(readings)} on (readings: {' '.join(map(str, readings))})."
    )


def class_walk(digit_a: int, digit_b: int, seed: int, frames: int) -> tuple[list[tuple[np.ndarray, str]], str]:
    """The walk from class A to class B -> gallery items (each frame with the judge's reading) and where the reading switches."""
    images: torch.Tensor = sample.walk_between_classes(digit_a, digit_b, seed, frames)
    judged = sample.judge(images)
    readings, confidences = (judged[0].tolist(), judged[1].tolist()) if judged else (None, None)
    a, b, _, _ = sample.check_walk(digit_a, digit_b, seed, frames)
    items = [
        (enlarge(image), f"{i + 1}" if readings is None else f"{i + 1} · CNN {readings[i]} ({confidences[i]:.0%})")
        for i, image in enumerate(images.numpy())
    ]
    return items, switch_summary(a, b, readings)


def snapshot_items(folder: Path = SNAPSHOTS) -> list[tuple[np.ndarray, str]]:
    """The fixed-noise grids saved during training, oldest first: [(image, "after epoch N")]."""
    items = []
    for path in sorted(folder.glob("epoch_*.png")):
        epoch = int(path.stem.split("_")[1])
        label = "before training" if epoch == 0 else f"after epoch {epoch}"
        items.append((np.asarray(Image.open(path).convert("L")), label))
    return items

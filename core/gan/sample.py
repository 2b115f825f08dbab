"""Sampling the shipped digit GAN: seeded requests, fast generation through the fused generator,
the discriminator's verdicts, and walks through the latent space.

    sample_digits(digit, seed, count) -> (N, 28, 28) float in [0, 1], white ink on black
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from core.checkpoints import MissingCheckpointError
from core.device import model_device
from core.digits.predict import answering_cnn, class_probabilities
from core.digits.preprocess import normalize
from core.errors import UserError, whole_number
from core.gan.fused import load_fused_generator
from core.gan.models import DIGIT_GAN, MAX_DIGITS, DigitGan, load_digit_gan

MAX_WALK_FRAMES = 64  # per walk between classes: a strip of 64 digits is already 1,800 pixels wide


def check_request(digit, seed, count) -> tuple[int, int, int]:
    """(digit, seed, count) as a visitor or an API client sent them -> whole numbers in range, or a
    UserError naming the one that is not (digit -1 asks for every class in turn)."""
    return whole_number(digit, "digit", -1, 9), whole_number(seed, "seed", 0, 2**63 - 1), whole_number(count, "count", 1, MAX_DIGITS)


def request_latents(digit: int, seed: int, count: int, latent_dim: int = DIGIT_GAN.latent_dim, same_noise: bool = False):
    """The noise and labels that (digit, seed, count) stand for: same arguments, same tensors.

    Digit -1 cycles through 0-9 so that every class appears; the noise comes from its own
    `torch.Generator(seed)`, never from the global random state, drawn on the CPU so that a seed
    means the same digits on any device. With `same_noise`, every digit gets the first one's noise:
    only the class changes (with digit -1, one handwriting drawn as every digit).
    """
    digit, seed, count = check_request(digit, seed, count)
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(1 if same_noise else count, latent_dim, generator=generator).expand(count, latent_dim)
    labels = torch.arange(count) % 10 if digit == -1 else torch.full((count,), digit)
    return z, labels


@torch.inference_mode()
def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] (B, 1, 28, 28) -> ink in [0, 1] (B, 28, 28)."""
    return ((images[:, 0] + 1) / 2).clamp(0, 1)


def generate(z: torch.Tensor, labels: torch.Tensor, model: DigitGan | None = None) -> torch.Tensor:
    """(B, latent) noise and (B,) labels -> (B, 28, 28) float ink in [0, 1], on the CPU (pictures
    are made from it). Without `model`: the shipped generator, fused for speed."""
    # Loaded outside inference mode: the sliders need the shipped model's gradients.
    generator = model.generator if model is not None else load_fused_generator()
    device = model_device(generator)
    with torch.inference_mode():
        return to_unit(generator(z.to(device), labels.to(device))).float().cpu()


def sample_digits(digit: int, seed: int, count: int, same_noise: bool = False) -> np.ndarray:
    """`count` generated digits of class `digit` (-1: all classes in turn), (N, 28, 28) float [0, 1].

    Same arguments, same images. Raises UserError for arguments out of range.
    """
    z, labels = request_latents(digit, seed, count, same_noise=same_noise)
    return generate(z, labels).numpy()


def discriminator_scores(images: torch.Tensor, labels: torch.Tensor, model: DigitGan | None = None) -> np.ndarray:
    """(B, 28, 28) ink in [0, 1] -> (B,) D's score that each is a real digit of its label: the
    sigmoid of its hinge-trained logit, so about 0.73 (logit 1) is confidently real and 0.27
    (logit -1) confidently fake."""
    model = model or load_digit_gan()
    device = model_device(model.discriminator)
    with torch.inference_mode():
        logits = model.discriminator(images.to(device)[:, None] * 2 - 1, labels.to(device))
        return torch.sigmoid(logits).float().cpu().numpy()


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation from a (D,) to b (D,) at fractions t (T,) -> (T, D).

    Gaussian noise lives near a sphere; a straight line through the middle would pass through
    unusually short vectors, so the path follows the sphere instead.
    """
    omega = torch.arccos(torch.clamp(F.cosine_similarity(a, b, dim=0), -1, 1))
    if float(omega) < 1e-4:
        return a + t[:, None] * (b - a)
    sin = torch.sin(omega)
    return (torch.sin((1 - t) * omega)[:, None] * a + torch.sin(t * omega)[:, None] * b) / sin


def interpolate(digit: int, seed_a: int, seed_b: int, frames: int) -> np.ndarray:
    """(frames, 28, 28) digits along the sphere from seed_a's noise to seed_b's, one class."""
    digit, frames = max(whole_number(digit, "digit", -1, 9), 0), whole_number(frames, "frames", 2, 64)
    z_a, _ = request_latents(digit, seed_a, 1)
    z_b, _ = request_latents(digit, seed_b, 1)
    path = slerp(z_a[0], z_b[0], torch.linspace(0, 1, frames))  # (frames, latent)
    return generate(path, torch.full((frames,), digit)).numpy()


def check_walk(digit_a, digit_b, seed, frames) -> tuple[int, int, int, int]:
    """A walk's arguments as sent -> whole numbers in range, or a UserError naming the one that is not."""
    return (
        whole_number(digit_a, "digit_a", 0, 9),
        whole_number(digit_b, "digit_b", 0, 9),
        whole_number(seed, "seed", 0, 2**63 - 1),
        whole_number(frames, "frames", 2, MAX_WALK_FRAMES),
    )


def walk_between_classes(digit_a: int, digit_b: int, seed: int, frames: int, model: DigitGan | None = None) -> torch.Tensor:
    """(frames, 28, 28) digits from class A to class B, float ink in [0, 1] on the CPU.

    Both halves of G's input move: the class vector goes in a straight line from A's learned
    embedding to B's (the conditioning itself, not a label), and the noise along the sphere from
    the seed's first draw to its second. Frame 0 is `request_latents(digit_a, seed, 2)`'s first
    digit, the last frame the second one drawn as class B. Without `model`: the shipped generator, fused.
    """
    digit_a, digit_b, seed, frames = check_walk(digit_a, digit_b, seed, frames)
    z, _ = request_latents(digit_a, seed, 2)  # (2, latent): A's noise and B's
    t = torch.linspace(0, 1, frames)  # (frames,)
    path = slerp(z[0], z[1], t)  # (frames, latent)
    generator = model.generator if model is not None else load_fused_generator()
    device = generator.embed.weight.device  # the generator's device (the fused one keeps its weights as buffers)
    with torch.inference_mode():
        ends = generator.embed(torch.tensor([digit_a, digit_b], device=device)).float().cpu()  # (2, embed_dim)
        classes = ends[0] + t[:, None] * (ends[1] - ends[0])  # (frames, embed_dim)
        images = generator.from_embedding(path.to(device), classes.to(device))  # (frames, 1, 28, 28)
    return to_unit(images).float().cpu()


def latent_directions(z: torch.Tensor, label: int, count: int = 3) -> torch.Tensor:
    """The `count` unit directions (count, latent) in which G's image changes most around z.

    The top right-singular vectors of the Jacobian d image / d z: moving along them is the
    largest visible change per unit of noise; each one's sign is fixed so that it adds ink.
    """
    model = load_digit_gan()
    device = model_device(model.generator)
    labels = torch.tensor([label], device=device)

    def image_of(v: torch.Tensor) -> torch.Tensor:
        return model.generator(v[None], labels)[0].flatten()  # (784,)

    jacobian = torch.autograd.functional.jacobian(image_of, z.to(device), vectorize=True)  # (784, latent)
    _, _, vh = torch.linalg.svd(jacobian, full_matrices=False)
    directions = vh[:count]  # (count, latent)
    ink = jacobian.sum(dim=0)  # how each latent coordinate changes total ink
    return directions * torch.sign(directions @ ink + 1e-12)[:, None]


@functools.lru_cache(maxsize=64)
def _directions_at(digit: int, seed: int, count: int) -> torch.Tensor:
    # Dragging a slider asks again and again for the same seed: compute its Jacobian once.
    z, _ = request_latents(digit, seed, 1)
    return latent_directions(z[0], digit, count).detach().cpu()  # small: kept on the CPU with the seeds' noise


def move_in_latent(digit: int, seed: int, amounts: list[float]) -> np.ndarray:
    """One digit (28, 28) in [0, 1] after moving its noise by amounts[i] along direction i."""
    if any(not isinstance(a, (int, float)) or not -4 <= a <= 4 for a in amounts):  # NaN fails the range test too
        raise UserError("Each move must be a number between -4 and 4.")
    digit, seed, _ = check_request(digit, seed, 1)
    digit = max(digit, 0)
    z, _ = request_latents(digit, seed, 1)
    directions = _directions_at(digit, seed, len(amounts))
    moved = z[0] + torch.tensor(amounts, dtype=torch.float32) @ directions
    return generate(moved[None], torch.tensor([digit])).numpy()[0]


def tile(images: np.ndarray, columns: int = 8, pad: int = 2) -> np.ndarray:
    """(N, H, W) floats in [0, 1] -> one uint8 grid image, `columns` wide, white on black."""
    n, h, w = images.shape
    columns = min(columns, n)
    rows = math.ceil(n / columns)
    cells = np.zeros((rows * columns, h + pad, w + pad), np.uint8)  # each image with a border above and left
    cells[:n, pad:, pad:] = (np.clip(images, 0, 1) * 255).astype(np.uint8)
    grid = cells.reshape(rows, columns, h + pad, w + pad).transpose(0, 2, 1, 3).reshape(rows * (h + pad), columns * (w + pad))
    return np.pad(grid, ((0, pad), (0, pad)))  # the border below and right of the last row and column


def judge(images: torch.Tensor) -> tuple[np.ndarray, np.ndarray] | None:
    """(N, 28, 28) generated ink in [0, 1] -> the digit CNN's (N,) classes and confidences, or None
    when the CNN's checkpoint is not there (the GAN's pages then show D's scores alone)."""
    try:
        probabilities = class_probabilities(answering_cnn(), normalize(images[:, None]))
    except MissingCheckpointError:
        return None
    return probabilities.argmax(1), probabilities.max(1)

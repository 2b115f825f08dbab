"""A GAN on 2-D points, small enough to train live and to see whole (after GAN Lab).

Real points come from a toy distribution (a ring of Gaussians, two moons, ...); G is a small MLP
turning 2-D noise into points; D is a small MLP scoring points. `train_toy` runs the shared loop
(`core.training.fit`) with `core.gan.models.adversarial_step` and yields `ToyFrame`s: where the real and
generated points are, D's score over the plane, both losses, how many modes G covers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from core.device import default_device, model_device
from core.errors import UserError, whole_number
from core.gan.config import DISTRIBUTIONS, LOSSES, MAX_TOY_SECONDS, MAX_TOY_STEPS, ToyConfig
from core.gan.models import adversarial_step, realness
from core.training import fit

EXTENT = 3.0  # the plane shown: [-3, 3]^2


class ToyGenerator(nn.Module):
    """2-D noise -> a 2-D point: a small MLP, as in GAN Lab."""

    def __init__(self, hidden: int = 64, latent_dim: int = 2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),  # (B, hidden)
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2),  # (B, 2)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class ToyDiscriminator(nn.Module):
    """A 2-D point -> realness logit."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden),
            nn.LeakyReLU(0.2),  # (B, hidden)
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),  # (B, 1)
        )

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.net(points)[:, 0]  # (B,)


def mode_centres(name: str) -> np.ndarray | None:
    """The centres (M, 2) of a mixture's modes, or None for the continuous distributions."""
    if name == "ring of 8 Gaussians":
        angles = np.arange(8) * 2 * math.pi / 8
        return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if name == "grid of 25 Gaussians":
        return np.array([(x, y) for x in range(-2, 3) for y in range(-2, 3)], dtype=float)
    return None


def sample_toy(name: str, n: int, generator: torch.Generator) -> torch.Tensor:
    """n points (n, 2) from a named 2-D distribution, all inside [-3, 3]^2."""
    centres = mode_centres(name)
    if centres is not None:
        pick = torch.randint(0, len(centres), (n,), generator=generator)
        spread = 0.08 if len(centres) == 8 else 0.05
        return torch.as_tensor(centres, dtype=torch.float32)[pick] + spread * torch.randn(n, 2, generator=generator)
    if name == "two moons":
        t = torch.rand(n, generator=generator) * math.pi
        upper = torch.rand(n, generator=generator) < 0.5
        x = torch.where(upper, t.cos(), 1 - t.cos())
        y = torch.where(upper, t.sin(), 0.5 - t.sin())
        points = torch.stack([x - 0.5, y - 0.25], dim=1) * 1.6
        return points + 0.06 * torch.randn(n, 2, generator=generator)
    if name == "spiral":
        t = torch.rand(n, generator=generator).sqrt() * 3 * math.pi
        points = torch.stack([t * t.cos(), t * t.sin()], dim=1) / (3 * math.pi) * 2.6
        return points + 0.05 * torch.randn(n, 2, generator=generator)
    raise ValueError(f"unknown distribution {name!r}; choose one of {DISTRIBUTIONS}")


def modes_covered(points: np.ndarray, name: str, share: float = 0.02) -> int | None:
    """How many modes hold at least `share` of the points within 0.3 of their centre (None: no modes)."""
    centres = mode_centres(name)
    if centres is None:
        return None
    distances = np.linalg.norm(points[:, None, :] - centres[None], axis=2)  # (N, M)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) < 0.3
    counts = np.bincount(nearest[close], minlength=len(centres))
    return int((counts >= share * len(points)).sum())


class ToyBatches:
    """`steps` batches of real points (d_steps * batch_size each), reproducible from a seed."""

    def __init__(self, config: ToyConfig, generator: torch.Generator):
        self.config, self.generator = config, generator

    def __len__(self) -> int:
        return self.config.steps

    def __iter__(self):
        size = self.config.d_steps * self.config.batch_size
        for _ in range(self.config.steps):
            yield (sample_toy(self.config.distribution, size, self.generator),)


@dataclass(frozen=True)
class ToyFrame:
    step: int
    total_steps: int
    elapsed: float
    real: np.ndarray  # (N, 2) real points
    fake: np.ndarray  # (N, 2) generated points, from the same fixed noise every frame
    surface: np.ndarray  # (R, R) D's realness on the grid over [-EXTENT, EXTENT]^2, rows = y
    history: dict = field(default_factory=dict)  # "step", "d_loss", "g_loss": lists
    modes: int | None = None  # modes covered by the generated points
    total_modes: int | None = None

    def since(self, sent: int) -> dict:
        """The frame's plain values for a page that has drawn the first `sent` loss points: the new
        points, the plane's size and extent, and the title (its arrays are the page's to encode)."""
        covered = "" if self.modes is None else f" · modes covered {self.modes}/{self.total_modes}"
        losses = {"steps": self.history["step"][sent:], "d_loss": self.history["d_loss"][sent:], "g_loss": self.history["g_loss"][sent:]}
        title = f"step {self.step}/{self.total_steps}{covered}"
        return {"resolution": len(self.surface), "extent": EXTENT, **losses, "total_steps": self.total_steps, "title": title}

    def status(self, done: bool = False) -> str:
        """The line under the live view: the step while training; at the end, the steps, the time and any cap."""
        if not done:
            return f"Training… step {self.step} of {self.total_steps}"
        capped = f" (stopped at the {MAX_TOY_SECONDS:.0f} s limit per run)" if self.step < self.total_steps else ""
        return f"Done: {self.step} steps in {self.elapsed:.1f} s{capped}."


def check_config(config: ToyConfig) -> ToyConfig:
    """The config with its whole numbers made ints, or a UserError on settings outside what a
    request may cost or what makes sense."""
    if config.distribution not in DISTRIBUTIONS:
        raise UserError(f"The real data must be one of: {', '.join(DISTRIBUTIONS)}.")
    if config.loss not in LOSSES:
        raise UserError(f"The loss must be one of: {', '.join(LOSSES)}.")
    for rate in (config.g_lr, config.d_lr):
        if not isinstance(rate, (int, float)) or not 1e-5 <= rate <= 0.1:  # NaN fails the range test too
            raise UserError("Learning rates must be between 0.00001 and 0.1.")
    return replace(
        config,
        d_steps=whole_number(config.d_steps, "k (discriminator steps per generator step)", 1, 10),
        steps=whole_number(config.steps, "steps", 1, MAX_TOY_STEPS),
        seed=whole_number(config.seed, "seed", 0, 2**63 - 1),
    )


@torch.no_grad()
def _frame(g, d, config, z, real, history, record, resolution=64) -> ToyFrame:
    g.eval(), d.eval()
    fake = g(z).cpu().numpy()
    axis = torch.linspace(-EXTENT, EXTENT, resolution, device=z.device)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    surface = realness(d(torch.stack([xx.flatten(), yy.flatten()], 1)), config.loss).view(resolution, resolution)
    centres = mode_centres(config.distribution)
    return ToyFrame(
        record.step,
        record.total_steps,
        record.elapsed,
        real,
        fake,
        surface.cpu().numpy(),
        {k: list(v) for k, v in history.items()},
        modes_covered(fake, config.distribution),
        None if centres is None else len(centres),
    )


@torch.no_grad()
def seeded(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw every Linear layer as PyTorch's default does, U(+-1/sqrt(fan_in)), from `generator`."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            bound = 1 / math.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    return model


def toy_models(config: ToyConfig) -> tuple[ToyGenerator, ToyDiscriminator]:
    """G and D with weights drawn on the CPU from `config.seed` (the same on any device), then moved
    to the default device, where they train."""
    weights = torch.Generator().manual_seed(config.seed)
    g, d = seeded(ToyGenerator(config.hidden), weights), seeded(ToyDiscriminator(config.hidden), weights)
    return g.to(default_device()), d.to(default_device())


def _add_point(history: dict, step: int, window: list[tuple[float, float]]) -> None:
    """One point of the loss history: the mean of the steps' losses since the last point."""
    if window:
        history["step"].append(step)
        history["d_loss"].append(sum(d for d, _ in window) / len(window))
        history["g_loss"].append(sum(g for _, g in window) / len(window))
        window.clear()


def train_toy(config: ToyConfig, max_seconds: float = MAX_TOY_SECONDS, frame_seconds: float | None = None) -> Iterator[ToyFrame]:
    """Train a toy GAN from scratch and yield a frame every `frame_every` steps and at the end.

    With `frame_seconds`, a frame instead comes whenever that long has passed since the last one,
    however many steps that was: a page gets its frames at its own pace, on a fast machine or a
    busy one. The loss history has one point (the mean) per `frame_every` steps either way.

    Stops at `config.steps` or after `max_seconds` (capped at MAX_TOY_SECONDS), whichever is first,
    on a GPU as on the CPU: a shared GPU gets the same per-request caps (and the page's concurrency
    limit), so one visitor cannot hold it. Everything random comes from CPU generators seeded with
    `config.seed`; the draws move to the device.
    """
    config = check_config(config)
    g, d = toy_models(config)
    device = model_device(g)
    betas = (0.5, 0.999)
    noise = torch.Generator().manual_seed(config.seed + 1)
    step = adversarial_step(
        g,
        d,
        torch.optim.Adam(g.parameters(), config.g_lr, betas=betas),
        torch.optim.Adam(d.parameters(), config.d_lr, betas=betas),
        latent_dim=2,
        loss=config.loss,
        d_steps=config.d_steps,
        noise=noise,
        device=device,
    )
    shown = torch.Generator().manual_seed(config.seed + 2)
    z = torch.randn(1000, 2, generator=shown).to(device)  # the same noise in every frame, so points move smoothly
    real = sample_toy(config.distribution, 1000, shown).numpy()
    batches = ToyBatches(config, torch.Generator().manual_seed(config.seed + 3))
    history: dict = {"step": [], "d_loss": [], "g_loss": []}
    window: list[tuple[float, float]] = []  # the losses of the steps since the last history point
    seconds = min(max_seconds, MAX_TOY_SECONDS)
    shown_step, shown_at = 0, -math.inf
    log_every = config.frame_every if frame_seconds is None else 1
    for record in fit(step, batches, epochs=1, log_every=log_every, max_seconds=seconds):
        if record.phase == "step":
            window.append((record.metrics["d_loss"], record.metrics["g_loss"]))
            if record.step % config.frame_every == 0:
                _add_point(history, record.step, window)
            due = (record.step % config.frame_every == 0) if frame_seconds is None else time.perf_counter() - shown_at >= frame_seconds
        else:  # the end: the last steps' losses, and a last frame unless it was just shown
            _add_point(history, record.step, window)
            due = record.step != shown_step
        if due:
            shown_step, shown_at = record.step, time.perf_counter()
            yield _frame(g, d, config, z, real, history, record)

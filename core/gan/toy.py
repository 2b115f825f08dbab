"""A GAN on 2-D points, small enough to train live and to see whole (after GAN Lab).

Real points come from a toy distribution (a ring of Gaussians, two moons, ...) or from the points a
visitor drew (`core.gan.target`); G is a small MLP turning 2-D noise into points; D is a small MLP
scoring points. A `ToyLab` holds one run's state between requests: `train` continues it with the
shared loop (`core.training.fit`) and `core.gan.models.adversarial_step`, and `step_d` / `step_g`
take one optimiser step of one network, as GAN Lab's step buttons do. Each yields or makes
`ToyFrame`s (core.gan.toy_views): where the real and generated points are, D's score over the plane,
G's manifold, the gradient arrows on generated points, both losses, how many modes G covers.
`train_toy` is a fresh lab's one run.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from core.device import default_device, model_device
from core.errors import UserError, whole_number
from core.gan.config import DISTRIBUTIONS, DRAWN, LOSSES, MAX_TOY_SECONDS, MAX_TOY_STEPS, ToyConfig
from core.gan.models import adversarial_step, discriminator_loss, generator_loss
from core.gan.target import DRAWN_SPREAD, drawn_target
from core.gan.toy_views import ARROWS, EXTENT, ToyFrame, d_surface, generator_arrows, generator_manifold  # noqa: F401  (EXTENT: the plane, named here as before)
from core.training import fit


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


def sample_real(config: ToyConfig, n: int, generator: torch.Generator) -> torch.Tensor:
    """n real points (n, 2) of the run's target: a named distribution, or the visitor's drawn points,
    each picked uniformly and moved by DRAWN_SPREAD of Gaussian noise (as GAN Lab samples a drawing)."""
    if config.distribution != DRAWN:
        return sample_toy(config.distribution, n, generator)
    drawn = torch.tensor(config.drawn, dtype=torch.float32)  # (M, 2)
    pick = torch.randint(0, len(drawn), (n,), generator=generator)
    return drawn[pick] + DRAWN_SPREAD * torch.randn(n, 2, generator=generator)


class ToyBatches:
    """`steps` batches of real points (d_steps * batch_size each), reproducible from a seed."""

    def __init__(self, config: ToyConfig, generator: torch.Generator):
        self.config, self.generator = config, generator

    def __len__(self) -> int:
        return self.config.steps

    def __iter__(self):
        size = self.config.d_steps * self.config.batch_size
        for _ in range(self.config.steps):
            yield (sample_real(self.config, size, self.generator),)


def check_config(config: ToyConfig) -> ToyConfig:
    """The config with its whole numbers made ints and a drawing checked, or a UserError on settings
    outside what a request may cost or what makes sense."""
    if config.distribution not in (*DISTRIBUTIONS, DRAWN):
        raise UserError(f"The real data must be one of: {', '.join((*DISTRIBUTIONS, DRAWN))}.")
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
        drawn=drawn_target(config.drawn) if config.distribution == DRAWN else (),  # a preset keeps no drawing
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


def same_run(a: ToyConfig, b: ToyConfig) -> bool:
    """Whether two checked configs describe one run: everything but how many steps a press trains
    and how often it shows a frame."""
    return replace(a, steps=1, frame_every=1) == replace(b, steps=1, frame_every=1)


class ToyLab:
    """One toy GAN run whose state lasts between requests: G and D, their Adam optimisers, the
    generators of noise and of real batches, the noise and real points the view shows, the step
    count and the loss history. `train` continues it; `step_d` and `step_g` take one optimiser step
    of one network on the same state. A page keeps one per visitor (gr.State), never shared; its
    lock lets one request at a time change the networks (a step pressed while a run streams waits
    for the run's current step)."""

    def __init__(self, config: ToyConfig):
        self.config = config = check_config(config)
        self.g, self.d = toy_models(config)
        self.device = model_device(self.g)
        betas = (0.5, 0.999)
        self.g_optimizer = torch.optim.Adam(self.g.parameters(), config.g_lr, betas=betas)
        self.d_optimizer = torch.optim.Adam(self.d.parameters(), config.d_lr, betas=betas)
        self.noise = torch.Generator().manual_seed(config.seed + 1)  # z for every update
        shown = torch.Generator().manual_seed(config.seed + 2)
        self.z = torch.randn(1000, 2, generator=shown).to(self.device)  # the same noise in every frame, so points move smoothly
        self.real = sample_real(config, 1000, shown).numpy()
        self.data = torch.Generator().manual_seed(config.seed + 3)  # real batches
        self.step = 0  # training steps, single D steps and single G steps taken, as GAN Lab counts
        self.history: dict = {"step": [], "d_loss": [], "g_loss": []}
        self.run_id = time.monotonic_ns()  # tells a page that a new run began
        self.lock = threading.Lock()

    def continues(self, config: ToyConfig) -> bool:
        """Whether `config` (checked) is this run's: then Train and the step buttons go on with it."""
        return same_run(check_config(config), self.config)

    def train(
        self, steps: int, max_seconds: float = MAX_TOY_SECONDS, frame_seconds: float | None = None, frame_every: int | None = None
    ) -> Iterator[ToyFrame]:
        """Continue training for `steps` steps (k D updates, then one G update, each) and yield a
        frame every `frame_every` steps (default: the config's) and at the end.

        With `frame_seconds`, a frame instead comes whenever that long has passed since the last one,
        however many steps that was: a page gets its frames at its own pace, on a fast machine or a
        busy one. The loss history has one point (the mean) per `frame_every` steps either way.

        Stops at `steps` or after `max_seconds` (capped at MAX_TOY_SECONDS), whichever is first, on
        a GPU as on the CPU: a shared GPU gets the same per-request caps (and the page's concurrency
        limit), so one visitor cannot hold it. Everything random comes from CPU generators seeded
        with the config's seed; the draws move to the device.
        """
        steps = whole_number(steps, "steps", 1, MAX_TOY_STEPS)
        frame_every = frame_every or self.config.frame_every
        update = adversarial_step(
            self.g,
            self.d,
            self.g_optimizer,
            self.d_optimizer,
            latent_dim=2,
            loss=self.config.loss,
            d_steps=self.config.d_steps,
            noise=self.noise,
            device=self.device,
        )

        def locked(batch) -> dict:
            with self.lock:
                return update(batch)

        batches = ToyBatches(replace(self.config, steps=steps), self.data)
        start, total = self.step, self.step + steps
        window: list[tuple[float, float]] = []  # the losses of the steps since the last history point
        shown_step, shown_at = start, -math.inf
        log_every = frame_every if frame_seconds is None else 1
        for record in fit(locked, batches, epochs=1, log_every=log_every, max_seconds=min(max_seconds, MAX_TOY_SECONDS)):
            self.step = start + record.step
            if record.phase == "step":
                window.append((record.metrics["d_loss"], record.metrics["g_loss"]))
                if record.step % frame_every == 0:
                    _add_point(self.history, self.step, window)
                due = (record.step % frame_every == 0) if frame_seconds is None else time.perf_counter() - shown_at >= frame_seconds
            else:  # the end: the last steps' losses, and a last frame unless it was just shown
                _add_point(self.history, self.step, window)
                due = self.step != shown_step
            if due:
                shown_step, shown_at = self.step, time.perf_counter()
                yield self.frame(total, record.elapsed)

    def step_d(self) -> tuple[float, float]:
        """One Adam step of D alone, on a fresh real batch and a batch of G's points (G unchanged),
        as one of `adversarial_step`'s D updates. Returns D's loss on that batch before and after."""
        with self.lock:
            self.g.train(), self.d.train()
            real = sample_real(self.config, self.config.batch_size, self.data).to(self.device)  # (B, 2)
            z = torch.randn(len(real), 2, generator=self.noise).to(self.device)
            with torch.no_grad():
                fake = self.g(z)  # (B, 2)
            d_loss = discriminator_loss(self.d(real), self.d(fake), self.config.loss)
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()
            with torch.no_grad():
                after = discriminator_loss(self.d(real), self.d(fake), self.config.loss)
            self.step += 1
        return float(d_loss.detach()), float(after)

    def step_g(self) -> tuple[float, float]:
        """One Adam step of G alone, on a fresh batch of noise (D unchanged), as `adversarial_step`'s
        G update. Returns G's loss on that noise before and after."""
        with self.lock:
            self.g.train(), self.d.train()
            z = torch.randn(self.config.batch_size, 2, generator=self.noise).to(self.device)  # (B, 2)
            g_loss = generator_loss(self.d(self.g(z)), self.config.loss)
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            self.g_optimizer.step()
            self.d.zero_grad(set_to_none=True)  # G's backward passed through D: leave D no stale gradient
            with torch.no_grad():
                after = generator_loss(self.d(self.g(z)), self.config.loss)
            self.step += 1
        return float(g_loss.detach()), float(after)

    def frame(self, total_steps: int | None = None, elapsed: float = 0.0) -> ToyFrame:
        """What the view shows now: the points, D's surface, G's manifold and arrows, the losses."""
        with self.lock:
            self.g.eval(), self.d.eval()
            with torch.no_grad():
                fake = self.g(self.z).cpu().numpy()
            surface = d_surface(self.d, self.config.loss)
            manifold = generator_manifold(self.g)
            arrows_at, arrows = generator_arrows(self.g, self.d, self.z[:ARROWS], self.config.loss)
        centres = mode_centres(self.config.distribution)
        return ToyFrame(
            self.step,
            self.step if total_steps is None else total_steps,
            elapsed,
            self.real,
            fake,
            surface,
            {k: list(v) for k, v in self.history.items()},
            modes_covered(fake, self.config.distribution),
            None if centres is None else len(centres),
            manifold,
            arrows_at,
            arrows,
        )


def train_toy(config: ToyConfig, max_seconds: float = MAX_TOY_SECONDS, frame_seconds: float | None = None) -> Iterator[ToyFrame]:
    """Train a toy GAN from scratch for `config.steps` steps (ToyLab.train on a fresh lab)."""
    lab = ToyLab(config)
    yield from lab.train(lab.config.steps, max_seconds, frame_seconds)

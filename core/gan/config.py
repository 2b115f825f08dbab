"""The GAN's settings, free of torch so that a page can lay out its controls without loading it."""

from __future__ import annotations

from dataclasses import dataclass

LOSSES = ("non-saturating", "minimax", "least squares")
DISTRIBUTIONS = ("ring of 8 Gaussians", "grid of 25 Gaussians", "two moons", "spiral")
DRAWN = "your drawing"  # the real data is the visitor's own points (ToyConfig.drawn), drawn with the brush
MAX_TOY_STEPS = 5000  # per request
MAX_TOY_SECONDS = 60.0  # per request, whatever the settings


@dataclass(frozen=True)
class ToyConfig:
    distribution: str = "ring of 8 Gaussians"  # eight separated modes make collapse easy to see
    g_lr: float = 1e-3  # Adam, beta1 = 0.5, for the generator
    d_lr: float = 1e-3  # the same for the discriminator: neither gets ahead
    d_steps: int = 1  # discriminator updates per generator update (GAN Lab's k)
    loss: str = "non-saturating"  # see LOSSES
    steps: int = 1500  # generator updates; the ring is covered by ~750 at these rates
    batch_size: int = 128  # real points per D update: enough to cover eight modes
    hidden: int = 64  # units per hidden layer of G and D: small enough to train live
    seed: int = 0  # weights, noise and real samples
    frame_every: int = 50  # steps between streamed frames
    drawn: tuple = ()  # ((x, y), ...): the visitor's drawn target, used when distribution is DRAWN (core.gan.target checks it)


PRESETS = {
    "trains well": ToyConfig(),
    # G learns 10x faster than D: it jumps to wherever D currently says "real" and bunches there
    "collapses to a few modes": ToyConfig(g_lr=1e-2, d_lr=1e-3),
}

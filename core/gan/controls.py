"""What the GAN page's controls open on and what each Try this sets them to, which field a visitor
left empty, and the toy GAN's settings from the controls. Free of torch, like `core.gan.config`."""

from __future__ import annotations

import dataclasses

from core.gan.config import PRESETS, ToyConfig

DIGIT_CHOICES = [("any digit", -1)] + [(str(d), d) for d in range(10)]
OPENING = {"digit": -1, "seed": 0, "count": 20, "same_noise": False, "index": 0}  # the gallery the page opens on, digit 1 picked
OPENING_WALK = (3, 1, 2, 10)  # the latent-space tab opens on this walk: digit, seed A, seed B, frames
WALK_3_TO_8 = (3, 8, 0, 10)  # "Try this": digit A, digit B, seed, frames
SAME_NOISE = (-1, 0, 10, True)  # "Try this": digit, seed, count, same noise: one noise vector drawn as every digit
COLLAPSE = "collapses to a few modes"  # "Try this": the preset whose points bunch on one or two clusters
LIVE_FRAME_EVERY = 5  # steps per point of the live loss curves


def blank(**fields) -> str | None:
    """The label of the first field left empty (a cleared number box arrives as None), or None."""
    return next((name.replace("_", " ") for name, value in fields.items() if value is None), None)


def preset_values(name: str) -> tuple:
    """A preset's values for the toy controls: distribution, G's and D's learning rates, k, loss, steps."""
    preset = PRESETS[name]
    return preset.distribution, preset.g_lr, preset.d_lr, preset.d_steps, preset.loss, preset.steps


def toy_config(distribution: str, g_lr: float, d_lr: float, d_steps: float, loss: str, steps: float, seed: float) -> ToyConfig:
    """The toy controls' values -> the config of a live run (train_toy checks it: a bad value is a UserError)."""
    settings = dict(distribution=distribution, g_lr=g_lr, d_lr=d_lr, d_steps=d_steps, loss=loss, steps=steps, seed=seed)
    return dataclasses.replace(ToyConfig(), frame_every=LIVE_FRAME_EVERY, **settings)

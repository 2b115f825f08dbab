"""The playground's settings without torch: what a page, a URL or an API call may set, the caps on
cost, and the presets. The demo page imports only this at start-up; `core.playground.experiment` trains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from core.errors import UserError

PROBLEMS = ("moons", "circles", "spiral", "xor", "blobs", "curve", "mnist")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")


class SettingsError(UserError):
    """A setting is outside what the playground allows; the message names it and the range.
    (A URL's query is checked setting by setting, and a bad one skipped: so its own class.)"""


@dataclass(frozen=True)
class Settings:
    problem: str = "moons"  # which data set: a 2-D classification, the 1-D "curve", or "mnist"
    noise: float = 0.35  # std of the Gaussian jitter on the toy points: the noise a big net memorises
    points: int = 200  # examples before the split (MNIST: digits drawn from its training file)
    val_fraction: float = 0.8  # share held out for validation: never trained on, only measured
    seed: int = 0  # one number fixes the data, the initial weights, the batches and the dropout
    depth: int = 3  # hidden layers; 0 is a linear model
    width: int = 128  # units per hidden layer
    activation: str = "relu"  # the bend between layers
    dropout: float = 0.0  # chance each hidden unit is zeroed in a training step
    weight_decay: float = 0.0  # L2 penalty: pulls every weight towards zero
    batch_norm: bool = False  # normalise each hidden layer over the batch
    optimizer: str = "adam"  # sgd, momentum (SGD 0.9), adam, rmsprop
    lr: float = 0.01  # learning rate
    batch_size: int = 32  # examples per step
    epochs: int = 200  # passes over the training set
    patience: int = 0  # early stopping: stop after this many epochs without a new best validation loss; 0 = off
    max_seconds: float = 30.0  # wall-time cap per run, so one request cannot hold a worker


# (low, high) for every number a request may set: the cost caps live here.
LIMITS = {
    "noise": (0.0, 1.0),
    "points": (20, 2000),
    "val_fraction": (0.1, 0.9),
    "seed": (0, 2**31 - 1),
    "depth": (0, 8),
    "width": (1, 256),
    "dropout": (0.0, 0.9),
    "weight_decay": (0.0, 1.0),
    "lr": (1e-5, 1.0),
    "batch_size": (1, 1024),
    "epochs": (1, 1000),
    "patience": (0, 1000),
    "max_seconds": (0.1, 60.0),
}
CHOICES = {"problem": PROBLEMS, "activation": ACTIVATIONS, "optimizer": OPTIMIZERS}
DEFAULTS = Settings()

# Presets that tell a story: each "fix" changes one thing in "memorise the noise", same seed.
_MEMORISE = DEFAULTS  # the page opens on the first story
PRESETS = {
    "memorise the noise": _MEMORISE,  # 40 noisy training points, 34k weights, nothing holding them back
    "fix it with dropout": replace(_MEMORISE, dropout=0.5),
    "fix it with weight decay": replace(_MEMORISE, weight_decay=0.03),
    "fix it with more data": replace(_MEMORISE, points=500, val_fraction=0.32),  # 340 training points, again 160 for validation
    "stop early": replace(_MEMORISE, patience=20),
    "underfit": replace(_MEMORISE, depth=1, width=1),  # one hidden unit: cannot even fit the training set
}


def check(settings: Settings) -> Settings:
    """Return the settings with ints and floats coerced, or raise SettingsError naming the bad one."""
    values = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if f.name in CHOICES:
            if value not in CHOICES[f.name]:
                raise SettingsError(f"Check the settings: {f.name} must be one of {', '.join(CHOICES[f.name])}; got {value!r:.40}.")
        elif f.name == "batch_norm":
            value = bool(value)
        else:
            low, high = LIMITS[f.name]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise SettingsError(f"Check the settings: {f.name} must be a number; got {value!r:.40}.") from None
            if not math.isfinite(number) or not low <= number <= high:
                raise SettingsError(f"Check the settings: {f.name} must be between {low} and {high}; got {value!r:.40}.")
            value = int(round(number)) if isinstance(low, int) else number
        values[f.name] = value
    return Settings(**values)

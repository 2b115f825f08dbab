"""The playground's data: toy problems drawn from a seeded generator, your own points, an MNIST subset,
and the seeded train/validation split every run uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from core.data import data_dir, mnist
from core.loading import cached_loader
from core.playground.settings import Points, Settings, SettingsError, read_points


@dataclass(frozen=True)
class Data:
    """A split problem. Classification: x (N, D) float, y (N,) int64. Regression: y (N, 1) float."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    classes: int  # 0 for regression
    extent: tuple[float, float, float, float]  # (x_min, x_max, y_min, y_max) for drawing 2-D/1-D problems

    @property
    def regression(self) -> bool:
        return self.classes == 0


def _normal(n: int, d: int, g: torch.Generator) -> torch.Tensor:
    return torch.randn(n, d, generator=g)


def toy_points(problem: str, n: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of a toy problem: 2-D (x (n, 2), class y (n,)) or the 1-D curve (x (n, 1), y (n, 1))."""
    if problem == "curve":
        x = torch.rand(n, 1, generator=g) * 2 - 1
        return x, true_curve(x) + noise * _normal(n, 1, g)
    y = torch.arange(n) % (3 if problem == "blobs" else 2)
    y = y[torch.randperm(n, generator=g)]
    t = torch.rand(n, generator=g)
    if problem == "moons":  # two interleaved half circles
        angle = math.pi * t
        upper = torch.stack([torch.cos(angle) - 0.5, torch.sin(angle) - 0.25], 1)
        lower = torch.stack([0.5 - torch.cos(angle), 0.25 - torch.sin(angle)], 1)
        x = torch.where((y == 0)[:, None], upper, lower)
    elif problem == "circles":  # a ring around a disc
        angle = 2 * math.pi * t
        radius = torch.where(y == 0, 1.0, 0.5)[:, None]
        x = radius * torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    elif problem == "spiral":  # two arms winding one and a half turns
        angle = 3 * math.pi * t + math.pi * y
        radius = 0.1 + 0.9 * t
        x = radius[:, None] * torch.stack([torch.cos(angle), torch.sin(angle)], 1)
        noise = noise / 2  # the arms are close: the same noise would erase them
    elif problem == "xor":  # the quadrants' signs
        x = torch.rand(n, 2, generator=g) * 2 - 1
        y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    elif problem == "blobs":  # three Gaussian clusters
        centres = torch.tensor([[-0.6, -0.45], [0.6, -0.45], [0.0, 0.6]])
        x = centres[y] + 0.25 * _normal(n, 2, g)
    else:
        raise SettingsError(f"unknown problem {problem!r}")
    return x + noise * _normal(n, 2, g), y


def true_curve(x: torch.Tensor) -> torch.Tensor:
    """The smooth function the 1-D regression samples: what a good fit recovers."""
    return torch.sin(3 * x) + 0.3 * x


def _split(x: torch.Tensor, y: torch.Tensor, val_fraction: float, g: torch.Generator):
    order = torch.randperm(len(x), generator=g)
    n_val = min(len(x) - 1, max(1, round(len(x) * val_fraction)))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def _extent(x: torch.Tensor) -> tuple[float, float, float, float]:
    low, high = x.min(0).values - 0.25, x.max(0).values + 0.25
    return float(low[0]), float(high[0]), float(low[-1]), float(high[-1])


@cached_loader
def _mnist_flat(root: str) -> tuple[torch.Tensor, torch.Tensor]:
    # download=False: a visitor's click never reaches the network; the error says where to put the files.
    dataset = mnist(train=True, root=root, download=False)
    return dataset.data.reshape(-1, 784), dataset.targets  # (60000, 784) uint8, (60000,)


def points_data(points: Points, settings: Settings, g: torch.Generator) -> Data:
    """A visitor's own points, split like any problem: (x, y) in, the label a class (0/1) or a number."""
    x = torch.tensor(points.xy, dtype=torch.float32)  # (N, 2)
    if points.regression:
        y = torch.tensor(points.labels, dtype=torch.float32)[:, None]  # (N, 1)
        return Data(*_split(x, y, settings.val_fraction, g), classes=0, extent=_extent(x))
    y = torch.tensor(points.labels).long()  # (N,)
    return Data(*_split(x, y, settings.val_fraction, g), classes=2, extent=_extent(x))


def make_data(settings: Settings, data_root: str | Path | None = None) -> Data:
    """The split data set the settings describe: the visitor's own points (`data_csv`) when there
    are any, else the problem. MNIST raises core.data.DataUnavailableError when absent."""
    g = torch.Generator().manual_seed(settings.seed)
    points = read_points(settings.data_csv)
    if points is not None:
        return points_data(points, settings, g)
    if settings.problem == "mnist":
        images, labels = _mnist_flat(str(data_dir(data_root)))
        pick = torch.randperm(len(labels), generator=g)[: settings.points]
        x = (images[pick].float() / 255 - 0.1307) / 0.3081  # (N, 784), MNIST's mean and std
        return Data(*_split(x, labels[pick], settings.val_fraction, g), classes=10, extent=(0, 1, 0, 1))
    x, y = toy_points(settings.problem, settings.points, settings.noise, g)
    if settings.problem == "curve":
        x_min, x_max, _, _ = _extent(x)
        return Data(*_split(x, y, settings.val_fraction, g), classes=0, extent=(x_min, x_max, float(y.min()) - 0.3, float(y.max()) + 0.3))
    return Data(*_split(x, y, settings.val_fraction, g), classes=int(y.max()) + 1, extent=_extent(x))

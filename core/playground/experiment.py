"""The overfitting playground's library: toy problems, a configurable MLP, optimisers, presets, and a
training run that yields one record per epoch through the shared loop (`core.training.fit`).

    run = PlaygroundRun(PRESETS["memorise the noise"])
    for record in run.records():      # one EpochRecord per epoch; closing the generator stops it
        print(record.epoch, record.train_accuracy, record.val_accuracy)

Every random draw comes from explicit generators derived from `Settings.seed` (the data, the weight
initialisation, the shuffling and the dropout masks), so the same settings give the same curves.
Costs are capped by `check()`: points, width, depth, epochs, batch size and wall time per run.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from core.data import data_dir, mnist
from core.device import default_device, model_device
from core.loading import cached_loader
from core.playground.settings import (  # noqa: F401  (re-exported: one import for callers)
    ACTIVATIONS,
    CHOICES,
    DEFAULTS,
    LIMITS,
    LR_SCHEDULES,
    OPTIMIZERS,
    PRESETS,
    PROBLEMS,
    Points,
    Settings,
    SettingsError,
    check,
    lr_factor,
    read_points,
)
from core.training import ShuffledBatches, fit, supervised_step

# ---------- data ----------


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


# ---------- the model ----------


class SeededDropout(nn.Module):
    """nn.Dropout with masks drawn from a given generator, so a seed reproduces a run exactly."""

    def __init__(self, p: float, generator: torch.Generator):
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand(x.shape, generator=self.generator) >= self.p).to(x.device)  # drawn on the CPU: same masks on any device
        return x * keep / (1 - self.p)


class PlaygroundMLP(nn.Module):
    """in -> [Linear -> (BatchNorm) -> activation -> (Dropout)] x depth -> Linear -> out logits."""

    def __init__(self, in_features: int, out_features: int, settings: Settings, generator: torch.Generator):
        super().__init__()
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[settings.activation]
        layers: list[nn.Module] = []
        size = in_features
        for _ in range(settings.depth):
            layers.append(nn.Linear(size, settings.width))  # (B, width)
            if settings.batch_norm:
                layers.append(nn.BatchNorm1d(settings.width))
            layers.append(act())
            if settings.dropout > 0:
                layers.append(SeededDropout(settings.dropout, generator))
            size = settings.width
        layers.append(nn.Linear(size, out_features))  # (B, out)
        self.net = nn.Sequential(*layers)
        for layer in self.net:
            if isinstance(layer, nn.Linear):  # PyTorch's default init, from our generator
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, in) -> (B, out)


def make_model(data: Data, settings: Settings, generator: torch.Generator) -> PlaygroundMLP:
    out = 1 if data.regression else data.classes
    return PlaygroundMLP(data.x_train.shape[1], out, settings, generator)


def make_optimizer(settings: Settings, parameters) -> torch.optim.Optimizer:
    """The optimiser by name; weight decay is the classic L2 penalty added to the gradient."""
    lr, wd = settings.lr, settings.weight_decay
    if settings.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=lr, weight_decay=wd)
    if settings.optimizer == "momentum":
        return torch.optim.SGD(parameters, lr=lr, momentum=0.9, weight_decay=wd)
    if settings.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=wd)
    return torch.optim.RMSprop(parameters, lr=lr, weight_decay=wd)


# ---------- a run ----------


@contextlib.contextmanager
def one_thread():
    """Run tiny-matrix work on the calling thread only. The thread count is per thread in PyTorch,
    so this touches no other request; on 2 busy cores, 2 threads made an epoch ~20x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def on_one_thread(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with one_thread():
            return fn(*args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's measurements, taken on the whole training and validation sets in eval mode."""

    epoch: int
    elapsed: float  # seconds since the run began
    train_loss: float
    val_loss: float
    train_accuracy: float | None  # None for regression
    val_accuracy: float | None
    best_epoch: int  # epoch with the lowest validation loss so far: "overfitting starts here"
    stopped: str = ""  # on the last record: why the run ended
    lr: float = 0.0  # the learning rate this epoch trained with (the schedule's value)

    @property
    def gap(self) -> float:
        """Train minus validation accuracy (classification) or validation minus train loss (regression)."""
        if self.train_accuracy is None:
            return self.val_loss - self.train_loss
        return self.train_accuracy - self.val_accuracy

    def as_dict(self) -> dict:
        return dict(asdict(self), gap=self.gap)


def measure(model: nn.Module, data: Data) -> dict:
    """Loss and accuracy on the whole training and validation sets, in eval mode (one forward pass)."""
    was_training = model.training
    model.eval()
    n = len(data.x_train)
    device = model_device(model)
    with torch.inference_mode():
        out = model(torch.cat([data.x_train, data.x_val]).to(device))  # (N_train + N_val, out)
        metrics = {}
        for split, o, y in (("train", out[:n], data.y_train.to(device)), ("val", out[n:], data.y_val.to(device))):
            if data.regression:
                metrics[f"{split}_loss"], metrics[f"{split}_accuracy"] = float(F.mse_loss(o, y)), None
            else:
                metrics[f"{split}_loss"] = float(F.cross_entropy(o, y))
                metrics[f"{split}_accuracy"] = float((o.argmax(1) == y).float().mean())
    model.train(was_training)
    return metrics


class PlaygroundRun:
    """Data, model and optimiser for one set of settings; `records()` trains and yields EpochRecords.

    The model trains on the default device; `data` stays on the CPU for the pictures, and a copy of
    the training set lives beside the model. On a shared GPU a run has the same caps as on the CPU
    (`check()`: points, width, depth, epochs, `max_seconds`) and the page's concurrency limit, so
    one visitor cannot hold the GPU."""

    def __init__(self, settings: Settings, data_root: str | Path | None = None):
        self.settings = check(settings)
        self.data = make_data(self.settings, data_root)
        seed = self.settings.seed
        self.generator = torch.Generator().manual_seed(seed + 1)  # init, shuffling and dropout, all drawn on the CPU
        self.model = make_model(self.data, self.settings, self.generator).to(default_device())
        self.optimizer = make_optimizer(self.settings, self.model.parameters())
        self.loss_fn = F.mse_loss if self.data.regression else F.cross_entropy
        device = model_device(self.model)
        x_train, y_train = self.data.x_train.to(device), self.data.y_train.to(device)
        self.batches = ShuffledBatches(x_train, y_train, self.settings.batch_size, self.generator)
        # The schedule changes the rate once an epoch; the shared loop steps the scheduler after every batch.
        per_epoch, s = len(self.batches), self.settings
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(s.lr_schedule, step // per_epoch + 1, s.epochs)
        )

    def lr_at(self, epoch: int) -> float:
        """The learning rate epoch `epoch` (1-based) trains with."""
        return self.settings.lr * lr_factor(self.settings.lr_schedule, epoch, self.settings.epochs)

    def evaluate(self) -> dict:
        return measure(self.model, self.data)

    def records(self) -> Iterator[EpochRecord]:
        """Train, yielding a record per epoch. With patience, stop once validation loss has not
        improved for that many epochs and put back the best weights; the last record says why it ended."""
        s = self.settings
        # Each call may run on a different worker thread (Gradio resumes generators anywhere).
        step = on_one_thread(
            supervised_step(self.model, self.optimizer, loss_fn=self.loss_fn, scheduler=self.scheduler, device=model_device(self.model))
        )
        progress = fit(step, self.batches, s.epochs, evaluate=on_one_thread(self.evaluate), log_every=10**9, max_seconds=s.max_seconds)
        best_loss, best_epoch, best_state = math.inf, 0, None
        previous = None
        try:
            for p in progress:
                if p.phase != "epoch":
                    continue
                m = p.metrics
                if m["val_loss"] < best_loss:
                    best_loss, best_epoch = m["val_loss"], p.epoch
                    if s.patience:
                        best_state = {k: v.clone() for k, v in self.model.state_dict().items()}
                record = EpochRecord(
                    p.epoch,
                    p.elapsed,
                    m["train_loss"],
                    m["val_loss"],
                    m["train_accuracy"],
                    m["val_accuracy"],
                    best_epoch,
                    lr=self.lr_at(p.epoch),
                )
                if s.patience and p.epoch - best_epoch >= s.patience:
                    if previous is not None:
                        yield previous
                    self.model.load_state_dict(best_state)
                    yield replace(
                        record,
                        stopped=f"early stopping: no better validation loss for {s.patience} epochs; kept the weights of epoch {best_epoch}",
                    )
                    return
                if previous is not None:
                    yield previous
                previous = record
            if previous is not None:
                timed_out = previous.epoch < s.epochs
                why = f"wall-time cap of {s.max_seconds:g} s reached" if timed_out else f"all {s.epochs} epochs done"
                yield replace(previous, stopped=why)
        finally:
            progress.close()


def kept_metrics(records: list[EpochRecord]) -> EpochRecord:
    """The record that describes the model the run ended with: the best epoch's after early stopping."""
    last = records[-1]
    if last.stopped.startswith("early stopping"):
        return next(r for r in records if r.epoch == last.best_epoch)
    return last


def run_to_end(settings: Settings, data_root: str | Path | None = None) -> list[EpochRecord]:
    """Every record of a run, for tests and scripts."""
    return list(PlaygroundRun(settings, data_root).records())

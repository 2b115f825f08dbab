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

from core.device import default_device, model_device
from core.playground.data import Data, make_data
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
    so this touches no other request. On a few busy cores, splitting such small products among
    threads costs far more in waiting for each other than it saves (`python -m bench.overfit`
    times the loop)."""
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


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """`model` in eval mode for the block (dropout off, batch norm's running statistics), then back
    in the mode it had. A model already in eval mode is not touched at all: finished runs, which
    every visitor may draw at once, are kept in eval mode, so only a run's own model, between the
    training steps of the one request that owns it, is ever flipped."""
    was_training = model.training
    if was_training:
        model.eval()
    try:
        yield model
    finally:
        if was_training:
            model.train()


def measure(model: nn.Module, data: Data) -> dict:
    """Loss and accuracy on the whole training and validation sets, in eval mode (one forward pass)."""
    n = len(data.x_train)
    device = model_device(model)
    with evaluating(model), torch.inference_mode():
        out = model(torch.cat([data.x_train, data.x_val]).to(device))  # (N_train + N_val, out)
        metrics = {}
        for split, o, y in (("train", out[:n], data.y_train.to(device)), ("val", out[n:], data.y_val.to(device))):
            if data.regression:
                metrics[f"{split}_loss"], metrics[f"{split}_accuracy"] = float(F.mse_loss(o, y)), None
            else:
                metrics[f"{split}_loss"] = float(F.cross_entropy(o, y))
                metrics[f"{split}_accuracy"] = float((o.argmax(1) == y).float().mean())
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

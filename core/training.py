"""One training loop, written once: a generator of progress records.

The training commands wrap it in a tqdm bar, the overfitting playground streams it to the page,
and the GAN passes its own two-network step. Stopping early is closing the generator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

StepFn = Callable[[object], dict]


@dataclass(frozen=True)
class Progress:
    """Where training is. `phase` is "step" (after `log_every` steps) or "epoch" (after an epoch,
    with the evaluation's metrics merged in)."""

    phase: str
    epoch: int  # 1-based
    step: int  # optimisation steps done so far
    total_steps: int
    elapsed: float  # seconds since the loop began
    metrics: dict = field(default_factory=dict)


class ShuffledBatches:
    """(inputs, targets) mini-batches in a fresh order every epoch, drawn from one generator, so a
    seed reproduces the whole run. `transform(inputs, generator)` (augmentation) is applied per batch."""

    def __init__(self, inputs, targets, batch_size: int, generator: torch.Generator, transform=None, drop_last: bool = False):
        self.inputs, self.targets, self.generator, self.transform = inputs, targets, generator, transform
        self.batch_size, self.drop_last = min(batch_size, len(targets)), drop_last

    def __len__(self) -> int:
        whole, part = divmod(len(self.targets), self.batch_size)
        return whole + (0 if self.drop_last or part == 0 else 1)

    def __iter__(self):
        order = torch.randperm(len(self.targets), generator=self.generator)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            inputs = self.inputs[idx]
            yield (self.transform(inputs, self.generator) if self.transform else inputs), self.targets[idx]


def _floats(metrics: dict) -> dict:
    return {k: float(v) for k, v in metrics.items()}


def fit(
    step: StepFn,
    batches: Iterable,
    epochs: int,
    *,
    evaluate: Callable[[], dict] | None = None,
    log_every: int = 50,
    max_seconds: float | None = None,
) -> Iterator[Progress]:
    """Run `step(batch)` over `batches` (re-iterated each epoch) for `epochs` epochs.

    Yields a "step" record every `log_every` steps with the mean of the step metrics since the last
    record, and an "epoch" record after each epoch with the epoch's means and `evaluate()`'s
    metrics. Stops early, after the current step, once `max_seconds` have passed.
    """
    try:
        per_epoch = len(batches)  # type: ignore[arg-type]
    except TypeError:
        per_epoch = 0
    total = per_epoch * epochs
    start = time.perf_counter()
    done = 0
    for epoch in range(1, epochs + 1):
        window: dict = {}
        epoch_sums: dict = {}
        seen = window_count = 0
        for batch in batches:
            metrics = step(batch)
            done += 1
            seen += 1
            window_count += 1
            for k, v in metrics.items():  # tensors stay tensors until a record is made
                window[k] = window.get(k, 0.0) + v
                epoch_sums[k] = epoch_sums.get(k, 0.0) + v
            out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
            if done % log_every == 0 or out_of_time:
                means = _floats({k: v / window_count for k, v in window.items()})
                yield Progress("step", epoch, done, total, time.perf_counter() - start, means)
                window, window_count = {}, 0
            if out_of_time:
                break
        metrics = _floats({k: v / max(seen, 1) for k, v in epoch_sums.items()})
        if evaluate is not None:
            metrics.update(evaluate())
        yield Progress("epoch", epoch, done, total, time.perf_counter() - start, metrics)
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            return


def supervised_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    loss_fn: Callable = F.cross_entropy,
    scheduler=None,
    device: torch.device | str = "cpu",
) -> StepFn:
    """A step for (inputs, targets) batches: forward, loss, backward, optimiser (and scheduler)."""

    def step(batch) -> dict:
        inputs, targets = (t.to(device, non_blocking=True) for t in batch)
        model.train()
        logits = model(inputs)
        loss = loss_fn(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return {"loss": loss.detach()}

    return step


@torch.inference_mode()
def evaluate_classifier(model: nn.Module, batches: Iterable, device: torch.device | str = "cpu") -> dict:
    """Mean cross-entropy and accuracy of a classifier over (inputs, targets) batches."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        logits = model(inputs)
        total_loss += float(F.cross_entropy(logits, targets, reduction="sum"))
        correct += int((logits.argmax(1) == targets).sum())
        count += len(targets)
    return {"loss": total_loss / max(count, 1), "accuracy": correct / max(count, 1)}


def with_progress_bar(records: Iterator[Progress], desc: str = "train") -> Iterator[Progress]:
    """Pass records through while drawing a tqdm bar (for the command-line trainers)."""
    bar = None
    try:
        for record in records:
            if bar is None:
                bar = tqdm(total=record.total_steps or None, desc=desc, unit="step")
            bar.update(record.step - bar.n)
            shown = {k: f"{v:.4g}" for k, v in record.metrics.items()}
            bar.set_postfix(epoch=record.epoch, **shown)
            if record.phase == "epoch":
                bar.write(f"epoch {record.epoch}: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
            yield record
    finally:
        if bar is not None:
            bar.close()

"""Finished playground runs, kept to draw again (another palette, a reload) without training: the last
few any visitor made (`FINISHED`), and the page's opening run, trained once per process and kept for
good (`finished`). `kept(key)` finds a run in either."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from torch import nn

from core.playground.data import Data
from core.playground.experiment import LIMITS, EpochRecord, PlaygroundRun, Settings, check
from core.playground.runs import run_key


@dataclass(frozen=True)
class Finished:
    """A run trained to its end: its model (in eval mode, never trained again, so drawing it from
    several threads at once changes nothing), its data and every record."""

    model: nn.Module
    data: Data
    records: tuple[EpochRecord, ...]
    settings: Settings


class FinishedRuns:
    """The last `size` finished runs by their settings, for every visitor: runs are seeded, so any run
    with these settings ends with this model. The page draws a run's picture again from it (in another
    palette, or after a reload) without training. A model is small (the largest the settings allow,
    8 layers of 256 units, has under a million weights); MNIST runs and runs cut by the
    wall-time cap (not reproducible) are not kept."""

    def __init__(self, size: int):
        self.size, self.runs, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str) -> Finished | None:
        with self.lock:
            if key in self.runs:
                self.runs.move_to_end(key)
            return self.runs.get(key)

    def put(self, run: PlaygroundRun, records: list[EpochRecord], even_cut: bool = False) -> Finished:
        run.model.zero_grad(set_to_none=True)  # the last step's gradients: a kept model is only drawn
        kept = Finished(run.model.eval(), run.data, tuple(records), run.settings)
        mnist = run.settings.problem == "mnist" and not run.settings.data_csv  # its data is too large to keep
        cut = "wall-time cap" in records[-1].stopped and not even_cut  # another run with these settings may end elsewhere
        if mnist or cut:
            return kept
        with self.lock:
            self.runs[run_key(run.settings)] = kept
            while len(self.runs) > self.size:
                self.runs.popitem(last=False)
        return kept


FINISHED = FinishedRuns(8)
_TRAINING_ONE = threading.Lock()  # two visitors asking for the same run at once: it trains once
_KEPT_FOR_GOOD: dict[str, Finished] = {}  # runs made by `finished`: the opening run, never pushed out


def kept(key: str) -> Finished | None:
    """The finished run with this key (a run's `run_key`): an opening run made by `finished`, which is
    never pushed out, or one still in FINISHED; None when the server no longer has its model."""
    return _KEPT_FOR_GOOD.get(key) or FINISHED.get(key)


def finished(settings: Settings, wait: float | None = None) -> Finished | None:
    """The run with these settings, trained to its end once and then kept for the life of the process
    (the page's opening run). It has the longest wall-time cap, and is kept even if a very busy machine
    cut it short: it is trained once per process, not once per visitor, and never again after runs of
    visitors push it out of FINISHED. `wait`: the longest, in seconds, to wait for another thread
    training it (warm-up, or the first visitor); None after that, so no page load hangs on it."""
    settings = replace(check(settings), max_seconds=LIMITS["max_seconds"][1])
    key = run_key(settings)
    if (kept := _KEPT_FOR_GOOD.get(key)) is not None:
        return kept
    if not _TRAINING_ONE.acquire(timeout=-1 if wait is None else wait):
        return None
    try:
        kept = _KEPT_FOR_GOOD.get(key) or FINISHED.get(key)
        if kept is None:
            run = PlaygroundRun(settings)
            kept = FINISHED.put(run, list(run.records()), even_cut=True)
        _KEPT_FOR_GOOD[key] = kept
    finally:
        _TRAINING_ONE.release()
    return kept

"""The playground's guided path (demos/lessons/paths/overfit.yaml): what each step sets up, and its run.

A step's run trains the page's current settings exactly as the Train button does (the page's own
stream), and its result is that run's figures as plain numbers for the step's judge
(core/playground/guide.py). A step that compares with a baseline ("weight-decay") first trains the
same settings without the fix, then as they are: both runs stay on the page's charts, newest darkest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import gradio as gr

import core.playground.settings as ps
from demos import lazy_module

experiment = lazy_module("core.playground.experiment")

MEMORISE = "memorise the noise"
# Step id -> (the preset's name for the page's box, or None; the settings "Set up and run" puts in the controls).
SETUPS = {
    "memorise": (MEMORISE, ps.PRESETS[MEMORISE]),
    "turn": (MEMORISE, ps.PRESETS[MEMORISE]),
    "weight-decay": ("fix it with weight decay", ps.PRESETS["fix it with weight decay"]),
    "target": (None, replace(ps.PRESETS[MEMORISE], weight_decay=0.01)),
    "early": ("stop early", ps.PRESETS["stop early"]),
    "underfit": ("underfit", ps.PRESETS["underfit"]),
}
# Step id -> the settings its baseline run takes back to the memorising preset's values (the fix, removed).
BASELINES = {"weight-decay": ("weight_decay",)}


def preset_values(settings) -> list:
    """The controls' values for these settings (the learner's own points are kept as they are)."""
    return [gr.skip() if settings is None or n in ps.NOT_IN_URL else getattr(settings, n) for n in ps.setting_names()]


def set_up(step_id: str) -> list:
    """The values of [preset box, *controls] that set the step's experiment up (it trains nothing)."""
    name, settings = SETUPS[step_id]
    return [name, *preset_values(settings)]


def baseline_values(step_id: str, values: dict) -> dict | None:
    """The page's settings with the step's fix taken out, or None for a step that compares with nothing."""
    if step_id not in BASELINES:
        return None
    memorise = ps.PRESETS[MEMORISE]
    return values | {name: getattr(memorise, name) for name in BASELINES[step_id]}


def figures(values: dict, records: list) -> dict:
    """A finished run -> the plain numbers a judge reads: the settings it asks about, every epoch's
    losses and accuracies, and the accuracies of the model the run ended with (the best epoch's after
    early stopping, as the page shows)."""
    settings = ps.settings_from_values(values)
    own = ps.read_points(settings.data_csv)
    kept = experiment.kept_metrics(records)
    last = records[-1]
    return {
        "points": len(own.xy) if own else settings.points,
        "epochs": settings.epochs,
        "patience": settings.patience,
        "weight_decay": settings.weight_decay,
        "width": settings.width,
        "depth": settings.depth,
        "epoch": [r.epoch for r in records],
        "train_loss": [r.train_loss for r in records],
        "val_loss": [r.val_loss for r in records],
        "train_accuracies": [r.train_accuracy for r in records],
        "val_accuracies": [r.val_accuracy for r in records],
        "train_accuracy": kept.train_accuracy,
        "val_accuracy": kept.val_accuracy,
        "gap": None if kept.train_accuracy is None else kept.gap,
        "last_epoch": last.epoch,
        "stopped": last.stopped,
    }


def run_step(stream: Callable, step_id: str, *args):
    """Train the page's current settings with the page's `stream` (stream(values, palette, saved, kept)
    yields the page's outputs and fills `kept` with the run's records), after the step's baseline if
    it has one. Yields the page's outputs and None, then, last, the run's final outputs with its
    figures (None when a setting was refused and nothing trained).

    Each of the stream's outputs is held back one step, so that the last carries the figures: the
    page's last values arrive with them rather than being followed by gr.skip(), which a gr.HTML
    missed when both reached the page in one burst (the sketcher's readings, issue 26)."""
    *controls, palette, saved = args
    values = dict(zip(ps.setting_names(), controls))
    baseline = baseline_values(step_id, values)
    result, held = {}, None
    for name, these in (("baseline", baseline), ("run", values)):
        if these is None:
            continue
        if held is not None:  # the baseline's last outputs, before the run begins
            yield (*held, None)
        kept, held = [], None
        for outputs in stream(these, palette, saved, kept):
            if held is not None:
                yield (*held, None)
            held = outputs
        if not kept:  # refused: the page says why in a toast, and the judge that nothing ran
            if held is not None:
                yield (*held, None)
            return
        saved = held[-1]  # the learner's runs, this one added: the next run goes on the charts beside it
        result[name] = figures(these, kept)
    yield (*held, result["run"] | ({"baseline": result["baseline"]} if "baseline" in result else {}))

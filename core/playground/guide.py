"""The playground's guided path, judged: one pure function per step (demos/lessons/paths/overfit.yaml),
from a run's figures to the answer that run made true.

A result is the plain numbers demos/overfit/path.py takes from a finished run: the settings the steps
ask about (points, epochs, patience, weight decay), every epoch's losses and accuracies ("epoch",
"train_loss", "val_loss", "train_accuracies", "val_accuracies"), the accuracies of the model the run
ended with ("train_accuracy", "val_accuracy", "gap"), its last epoch and why it stopped; a step that
compares also has its "baseline" run's figures. The thresholds are the presets' story's
(core/playground/story.py), so a step asks what the story claims, with the same margins.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import UserError
from core.guide import Judgement, need
from core.playground.story import MEMORISED_GAP, MEMORISED_TRAIN, NARROWED_BY

TURN_BEFORE = 50  # "does validation loss turn up before epoch 50?"
CLIMBS_BY = 1.2  # it "climbs" when the last epoch's validation loss is at least 20% above its lowest
TARGET_ACCURACY = 0.85  # the target: validation accuracy at least this ...
TARGET_POINTS = 200  # ... with at most this many points (before the split)
EARLY_BY = 50  # "will early stopping end the run before epoch 50?"


def points(fraction: float) -> float:
    """A fraction in percentage points, to the tenth the page shows: 38/40 - 136/160 is 10 points, not
    9.999..., and a learner reading "10.0" sees it judged as 10."""
    return round(100 * fraction, 1)


def _accuracies(result: Mapping) -> Mapping:
    need(result, "train_accuracy", "val_accuracy", "gap")
    if result["train_accuracy"] is None:
        raise UserError("This step asks about accuracy: train on a classification problem (not the 1-D curve), then run it again.")
    return result


def _scores(result: Mapping) -> dict:
    return {
        "train_accuracy": result["train_accuracy"],
        "val_accuracy": result["val_accuracy"],
        "gap_points": 100 * result["gap"],
    }


def gap_width(result: Mapping) -> Judgement:
    """How far apart training and validation accuracy end: "wide" (the memorising story's gap, at least
    MEMORISED_GAP) or "narrow"."""
    _accuracies(result)
    outcome = "wide" if points(result["gap"]) >= points(MEMORISED_GAP) else "narrow"
    return Judgement(outcome, _scores(result) | {"threshold_points": 100 * MEMORISED_GAP})


def loss_turn(result: Mapping) -> Judgement:
    """Where validation loss is lowest, and what it does after: "turns" (lowest before TURN_BEFORE, then
    climbing at least CLIMBS_BY times that), "levels" (lowest before TURN_BEFORE, then staying near it)
    or "falls" (still falling at epoch TURN_BEFORE or later)."""
    need(result, "epoch", "val_loss")
    epochs, val_loss = result["epoch"], result["val_loss"]
    if not val_loss:
        raise UserError("This run has no epochs to judge: run the step again.")
    lowest = min(range(len(val_loss)), key=val_loss.__getitem__)
    best, last = epochs[lowest], val_loss[-1]
    outcome = "falls" if best >= TURN_BEFORE else "turns" if last >= CLIMBS_BY * val_loss[lowest] else "levels"
    facts = {"best_epoch": best, "lowest": val_loss[lowest], "last": last, "last_epoch": epochs[-1], "rise": last / val_loss[lowest] - 1}
    return Judgement(outcome, facts)


def gap_change(result: Mapping) -> Judgement:
    """Whether the fix narrowed the gap of the same settings without it (the run's "baseline") by at
    least NARROWED_BY: "shrinks", or "not" (about the same, or wider)."""
    _accuracies(result)
    need(result, "baseline")
    baseline = _accuracies(result["baseline"])
    change = result["gap"] - baseline["gap"]
    outcome = "shrinks" if points(change) <= -points(NARROWED_BY) else "not"
    facts = _scores(result) | {
        "baseline_gap_points": 100 * baseline["gap"],
        "baseline_train_accuracy": baseline["train_accuracy"],
        "baseline_val_accuracy": baseline["val_accuracy"],
        "narrowed_points": -100 * change,
        "threshold_points": 100 * NARROWED_BY,
        "weight_decay": result.get("weight_decay", 0.0),
    }
    return Judgement(outcome, facts)


def target(result: Mapping) -> Judgement:
    """The target: validation accuracy at least TARGET_ACCURACY with at most TARGET_POINTS points:
    "reached" or "missed" (below the accuracy, or with more points than allowed)."""
    _accuracies(result)
    need(result, "points")
    reached = points(result["val_accuracy"]) >= points(TARGET_ACCURACY) and result["points"] <= TARGET_POINTS
    facts = _scores(result) | {
        "points": result["points"],
        "target": TARGET_ACCURACY,
        "most_points": TARGET_POINTS,
        "within": "within" if result["points"] <= TARGET_POINTS else "over",
    }
    return Judgement("reached" if reached else "missed", facts)


def early_stop(result: Mapping) -> Judgement:
    """When early stopping ends the run: "before" epoch EARLY_BY, "after" it, or "never" (the run
    trained until its planned end or the wall-time cap)."""
    need(result, "last_epoch", "stopped", "epochs", "patience")
    stopped_early = str(result["stopped"]).startswith("early stopping")
    outcome = "never" if not stopped_early else "before" if result["last_epoch"] < EARLY_BY else "after"
    facts = {
        "last_epoch": result["last_epoch"],
        "epochs": result["epochs"],
        "patience": result["patience"],
        "best_epoch": result["last_epoch"] - result["patience"] if stopped_early else None,
        "stopped": result["stopped"] or "not at all",
    }
    return Judgement(outcome, facts)


def fits_training(result: Mapping) -> Judgement:
    """Whether the network fits its training set as the memorising one does (at least MEMORISED_TRAIN):
    "fits" or "short"."""
    _accuracies(result)
    outcome = "fits" if points(result["train_accuracy"]) >= points(MEMORISED_TRAIN) else "short"
    return Judgement(outcome, _scores(result) | {"threshold": MEMORISED_TRAIN, "width": result.get("width"), "depth": result.get("depth")})

"""A visitor's runs as plain data: what the page lists, draws and keeps in the visitor's browser, and
when a run in progress is sent to the page or an API client.

A run is a dict of lists (JSON as it is), one value per epoch:

    {"number": 3, "name": "run 3", "label": "two moons, 200 pts, 3×128 relu, ...", "key": "5f0c...",
     "epoch": [...], "train_loss": [...], "val_loss": [...], "train_accuracy": [...], "val_accuracy": [...], "lr": [...]}

The page keeps the last `KEPT` runs in the browser (gr.BrowserState), each thinned to at most
`POINTS` epochs at 4 significant digits: about 100 KB of JSON at most (10 runs of 1,000 epochs, measured),
however long they play. Torch-free.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import replace

import core.playground.settings as ps

KEPT = 10  # runs kept in the visitor's browser
POINTS = 200  # epochs kept per run (and the last one)
CURVES = ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr")
SLOTS = ["this run", "1 run ago", "2 runs ago", "3 runs ago", "4 runs ago"]  # the runs on the charts, newest first
CHART_SECONDS = 1 / 15  # the curves are drawn in the page from the new epochs only: ~15 updates a second
PICTURE_SECONDS = 0.25  # the model's picture (an image file), the gap and the summary: 4 times a second
API_SECONDS = 0.1  # the API streams about ten records a second

# The charts keep curves in fixed slots, newest run darkest (demos/assets/live/curves.js draws them).
MARKER = "overfitting starts here"
TRAIN_COLOURS = ["#08519c", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"]
VAL_COLOURS = ["#d94801", "#f16913", "#fd8d3c", "#fdae6b", "#fdd0a2"]
CHART_COLOURS = {"train": TRAIN_COLOURS, "val": VAL_COLOURS, "slots": SLOTS, "marker": "#d62728", "marker_text": MARKER}

PROBLEM_NAMES = {
    "moons": "two moons",
    "circles": "circles",
    "spiral": "spiral",
    "xor": "XOR",
    "blobs": "Gaussian blobs",
    "curve": "1-D curve (regression)",
    "mnist": "MNIST digits (subset)",
}
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam", "rmsprop": "RMSprop"}
SCHEDULE_NAMES = {"constant": "constant", "step": "step (÷10 at 1/2 and 3/4)", "cosine": "cosine", "warmup_cosine": "warm-up, then cosine"}


def describe(settings: ps.Settings) -> str:
    """A run's label: what differs from a plain network, in a few words."""
    s = settings
    own = ps.read_points(s.data_csv)
    data = [f"your {len(own.xy)} points"] if own else [PROBLEM_NAMES[s.problem], f"{s.points} pts"]
    parts = [*data, f"{s.depth}×{s.width} {s.activation}"]
    parts += [f"dropout {s.dropout:g}"] if s.dropout else []
    parts += [f"L2 {s.weight_decay:g}"] if s.weight_decay else []
    parts += ["batch norm"] if s.batch_norm else []
    schedule = "" if s.lr_schedule == "constant" else f" {SCHEDULE_NAMES[s.lr_schedule]}"
    parts += [f"{OPTIMIZER_NAMES[s.optimizer]} lr {s.lr:g}{schedule}", f"seed {s.seed}"]
    parts += [f"patience {s.patience}"] if s.patience else []
    return ", ".join(parts)


def run_key(settings: ps.Settings) -> str:
    """A short name for a run's settings (its own points included; not the wall-time cap, which only
    ends a run early): equal settings train the same model."""
    return hashlib.sha256(repr(replace(settings, max_seconds=0.0)).encode()).hexdigest()[:16]


def new_entry(number: int, settings: ps.Settings) -> dict:
    return {"number": number, "name": f"run {number}", "label": describe(settings), "key": run_key(settings)} | {k: [] for k in CURVES}


def add_record(entry: dict, record) -> None:
    for key in CURVES:
        entry[key].append(getattr(record, key))


def paced(records, entry: dict, seconds: float, picture_seconds: float = math.inf, kept: list | None = None):
    """Add each record of a run to its `entry` (and to `kept`); yield (record, drawn, fresh_picture) when
    one is due to be sent: at most every `seconds`, and always the first and the last. `drawn`: the entry's
    epochs sent before this one (0: none yet). `fresh_picture`: at most every `picture_seconds`, the first and the last."""
    drawn, sent_at, pictured_at = 0, -math.inf, -math.inf
    for record in records:
        add_record(entry, record)
        if kept is not None:
            kept.append(record)
        now = time.perf_counter()
        if record.stopped or now - sent_at >= seconds:
            sent_at, fresh_picture = now, bool(record.stopped) or now - pictured_at >= picture_seconds
            pictured_at = now if fresh_picture else pictured_at
            yield record, drawn, fresh_picture
            drawn = len(entry["epoch"])


def thinned(entry: dict, epochs: int) -> dict:
    """The run with at most POINTS + 1 epochs: every k-th for a run of `epochs` planned, and the last.
    The stride depends on the plan, not on how far the run got, so a run in progress only grows at
    its end (Gradio streams the difference)."""
    stride = max(1, math.ceil(epochs / POINTS))
    n = len(entry["epoch"])
    keep = [*range(0, n - 1, stride), n - 1] if n else []
    return {k: v for k, v in entry.items() if k not in CURVES} | {k: [short(entry[k][i]) for i in keep] for k in CURVES}


def short(value):
    """A measurement to 4 significant digits (a chart needs no more), halving what a browser keeps."""
    return value if value is None or isinstance(value, int) else float(f"{value:.4g}")


def checked_runs(saved) -> list[dict]:
    """What the browser sent back -> the runs that have the expected shape (a stored value may be
    from an older page, or edited by hand): the last KEPT, each thinned."""
    if not isinstance(saved, list):
        return []
    runs = []
    for entry in saved[-KEPT:]:
        if not isinstance(entry, dict) or not isinstance(entry.get("number"), int):
            continue
        curves = [entry.get(k) for k in CURVES]
        if not all(isinstance(c, list) and len(c) == len(curves[0]) for c in curves) or not curves[0]:
            continue
        plain = {k: str(entry.get(k, ""))[:300] for k in ("name", "label", "key")} | {"number": entry["number"]} | dict(zip(CURVES, curves))
        runs.append(thinned(plain, len(curves[0])) if len(curves[0]) > POINTS + 1 else plain)
    return runs


def api_record(record, curves: dict | None = None) -> dict:
    """An EpochRecord as the API streams it; the last one carries the whole run's curves."""
    return record.as_dict() | ({"curves": {k: curves[k] for k in CURVES}} if curves is not None else {})


def runs_list(history: list[dict]) -> str:
    """The runs kept, newest first, the ones on the charts named by their place there."""
    if not history:
        return "No runs yet: press **Train**."
    lines = [f"**Your runs** ({len(history)} of the last {KEPT} kept in this browser, newest first):"]
    for age, entry in enumerate(reversed(history)):
        on_chart = f"**{SLOTS[age]}** · " if age < len(SLOTS) else ""
        lines.append(f"- {on_chart}{entry['name']}: {entry['label']}")
    return "\n".join(lines)


def gap_value(record) -> float:
    """Classification: train minus validation accuracy in percentage points. Regression: val - train MSE."""
    return round(100 * record.gap, 1) if record.train_accuracy is not None else round(record.gap, 4)


def summary(record, epochs: int) -> str:
    if record.train_accuracy is None:
        scores = f"train MSE {record.train_loss:.4f} · validation MSE {record.val_loss:.4f}"
        gap = f"**gap {record.gap:+.4f}** (validation − train MSE)"
    else:
        scores = f"train accuracy {record.train_accuracy:.1%} · validation {record.val_accuracy:.1%}"
        gap = f"**gap {100 * record.gap:+.1f} points**"
    text = f"Epoch {record.epoch}/{epochs} · {scores} · {gap} · validation loss was lowest at epoch {record.best_epoch}: *overfitting starts here*."
    return text + (f"\n\nStopped: {record.stopped}." if record.stopped else "")


def best_epoch(entry: dict) -> int:
    """The (kept) epoch with the lowest validation loss: where overfitting starts."""
    val_loss = entry["val_loss"]
    return entry["epoch"][min(range(len(val_loss)), key=val_loss.__getitem__)]


def from_records(number: int, settings: ps.Settings, records) -> dict:
    """A finished run's records -> its entry, thinned as the browser keeps it."""
    entry = new_entry(number, settings)
    for record in records:
        add_record(entry, record)
    return thinned(entry, settings.epochs)


def last_words(entry: dict) -> tuple[float, str]:
    """A stored run's gap and a line on how it ended, from its last epoch (no model needed)."""
    val_loss, best = entry["val_loss"], best_epoch(entry)
    train, val = entry["train_accuracy"][-1], entry["val_accuracy"][-1]
    if train is None or val is None:
        gap = round(val_loss[-1] - entry["train_loss"][-1], 4)
        scores = f"train MSE {entry['train_loss'][-1]:.4f} · validation MSE {val_loss[-1]:.4f} · **gap {gap:+.4f}**"
    else:
        gap = round(100 * (train - val), 1)
        scores = f"train accuracy {train:.1%} · validation {val:.1%} · **gap {gap:+.1f} points**"
    return gap, f"{entry['name']} (kept in this browser), epoch {entry['epoch'][-1]}: {scores} · lowest validation loss at epoch {best}."

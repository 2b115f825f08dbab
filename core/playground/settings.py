"""The playground's settings without torch: what a page, a URL or an API call may set, the caps on
cost, and the presets. The demo page imports only this at start-up; `core.playground.experiment` trains.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, fields, replace

from core.errors import UserError

PROBLEMS = ("moons", "circles", "spiral", "xor", "blobs", "curve", "mnist")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
LR_SCHEDULES = ("constant", "step", "cosine", "warmup_cosine")
MAX_CSV_ROWS = 2000  # the same cap as the toy problems' points
MAX_CSV_CHARACTERS = 200_000  # 2,000 rows of three long numbers: anything bigger is not a points file


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
    lr: float = 0.01  # learning rate (the peak, under a schedule)
    lr_schedule: str = "constant"  # constant; step (x0.1 at half way and three quarters); cosine to 0; 10% warm-up then cosine
    batch_size: int = 32  # examples per step
    epochs: int = 200  # passes over the training set
    patience: int = 0  # early stopping: stop after this many epochs without a new best validation loss; 0 = off
    max_seconds: float = 30.0  # wall-time cap per run, so one request cannot hold a worker
    data_csv: str = ""  # a visitor's own points (CSV x,y,label), in place of `problem` when not empty


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
CHOICES = {"problem": PROBLEMS, "activation": ACTIVATIONS, "optimizer": OPTIMIZERS, "lr_schedule": LR_SCHEDULES}
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
TRY_THIS = {  # the page's one-click buttons -> the preset each picks and trains
    "Memorise: a big net, few points": "memorise the noise",
    "Add weight decay": "fix it with weight decay",
    "Early stopping": "stop early",
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
        elif f.name == "data_csv":
            value = "" if value is None else value
            read_points(value)  # a clear message now, not half way into a run
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


def lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    """The learning rate of 1-based `epoch` out of `epochs`, as a fraction of the peak `lr`.

    step: 1, then 0.1 from half way, 0.01 from three quarters. cosine: from 1 down to 0 on half a
    cosine wave. warmup_cosine: a linear rise over the first tenth (at least one epoch), then cosine from the peak.
    """
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return 1.0 if epoch <= epochs // 2 else 0.1 if epoch <= 3 * epochs // 4 else 0.01
    warmup = max(1, epochs // 10) if schedule == "warmup_cosine" else 0
    if epoch <= warmup:
        return epoch / (warmup + 1)  # below the peak throughout, which the first cosine epoch reaches
    if schedule in ("cosine", "warmup_cosine"):
        progress = (epoch - 1 - warmup) / max(1, epochs - warmup)  # 0 at the first cosine epoch
        return 0.5 * (1 + math.cos(math.pi * progress))
    raise SettingsError(f"Check the settings: lr_schedule must be one of {', '.join(LR_SCHEDULES)}; got {schedule!r:.40}.")


@dataclass(frozen=True)
class Points:
    """A visitor's own data: painted on the page or read from a CSV with columns x, y, label."""

    xy: tuple[tuple[float, float], ...]
    labels: tuple[float, ...]  # 0/1 classes, or any numbers (regression)
    regression: bool


def csv_error(problem: str) -> SettingsError:
    return SettingsError(f"Your CSV: {problem}. Expected a header x,y,label and then one point a row, e.g. 0.5,-1.2,1.")


def read_points(text) -> Points | None:
    """CSV text with columns x, y, label -> Points, or None for no text. Labels all 0 or 1 make a
    classification, any other numbers a regression. A UserError says what is wrong with any other CSV."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise csv_error("it is not UTF-8 text") from None
    if not isinstance(text, str):
        raise csv_error("it must be text")
    if len(text) > MAX_CSV_CHARACTERS:
        raise csv_error(f"it is {len(text):,} characters long; at most {MAX_CSV_CHARACTERS:,} ({MAX_CSV_ROWS:,} points)")
    if "\x00" in text:
        raise csv_error("it is not text (it has NUL bytes)")
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(cell.strip() for cell in row)]
    if not rows:
        raise csv_error("it is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in ("x", "y", "label") if name not in header]
    if missing:
        raise csv_error(f"the header has no {' and no '.join(missing)} column (it has {', '.join(header)[:80] or 'nothing'})")
    columns = [header.index(name) for name in ("x", "y", "label")]
    body = rows[1:]
    if not body:
        raise csv_error("it has a header but no points")
    if len(body) > MAX_CSV_ROWS:
        raise csv_error(f"it has {len(body):,} rows; at most {MAX_CSV_ROWS:,}")
    values = []
    for number, row in enumerate(body, start=2):
        try:
            x, y, label = (float(row[i]) for i in columns)
        except IndexError:
            raise csv_error(f"row {number} has {len(row)} values, fewer than the header's {len(header)}") from None
        except ValueError:
            raise csv_error(f"row {number} has something that is not a number: {','.join(row)[:60]!r}") from None
        if not all(math.isfinite(v) and abs(v) <= 1e6 for v in (x, y, label)):
            raise csv_error(f"row {number} has a value that is not finite or is larger than a million")
        values.append((x, y, label))
    if len(values) < 4:
        raise csv_error(f"it has {len(values)} points; at least 4, so that some can be held out for validation")
    labels = tuple(v[2] for v in values)
    regression = not set(labels) <= {0.0, 1.0}
    if not regression and len(set(labels)) < 2:
        raise csv_error(f"every label is {labels[0]:g}: a classification needs points of both classes, 0 and 1")
    return Points(tuple((x, y) for x, y, _ in values), labels, regression)


def points_csv(points: Points) -> str:
    """Points -> the CSV text `read_points` reads back."""
    return "x,y,label\n" + "".join(f"{x:.4g},{y:.4g},{label:g}\n" for (x, y), label in zip(points.xy, points.labels))


# ---------- a page's controls and a shared URL ----------

NOT_IN_URL = ("data_csv",)  # a visitor's points stay in their browser's storage: a URL is too short for 2,000


def setting_names() -> list[str]:
    """The settings a page or a URL may set (the wall-time cap is the server's, not the visitor's)."""
    return [f.name for f in fields(Settings) if f.name != "max_seconds"]


def settings_from_values(values: dict) -> Settings:
    """{setting: value} -> checked Settings (SettingsError when out of range)."""
    return check(replace(DEFAULTS, **values))


def settings_from_query(query: dict) -> Settings | None:
    """URL query parameters -> Settings, ignoring unknown keys and bad values; None when none apply."""
    updates = {}
    for name in setting_names():
        if name not in query or name in NOT_IN_URL:
            continue
        raw = str(query[name])
        value = raw.lower() in ("true", "1", "yes") if name == "batch_norm" else raw
        try:  # check reads numbers from text, and refuses what is out of range or not a number
            updates[name] = getattr(check(replace(DEFAULTS, **{name: value})), name)
        except SettingsError:
            continue
    return replace(DEFAULTS, **updates) if updates else None


def lr_per_epoch(lr: float, schedule: str, epochs: int) -> dict[str, list]:
    """The learning rate of every epoch under a schedule, for the small plot under the loss: {"epoch": [...], "lr": [...]}."""
    s = settings_from_values({"lr": lr, "lr_schedule": schedule, "epochs": epochs})
    return {"epoch": list(range(1, s.epochs + 1)), "lr": [s.lr * lr_factor(s.lr_schedule, e, s.epochs) for e in range(1, s.epochs + 1)]}

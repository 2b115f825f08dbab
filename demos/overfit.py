"""Overfitting playground: train small networks live and watch train and validation part ways.

Its lesson (overfitting, underfitting, validation data and the fixes) is demos/lessons/overfit.md.
"""

from __future__ import annotations

import time
from dataclasses import fields, replace

import gradio as gr
import pandas as pd  # Gradio has imported it already

import core.playground.settings as ps  # dataclasses only: torch loads when someone trains
from core.device import gpu
from demos import DELETE_CACHE, launch, lazy_module, lesson, live, user_errors
from demos.points import PAINT_MODES, clear_points, paint_points, points_painter, show_points, upload_points

experiment = lazy_module("core.playground.experiment")
draw = lazy_module("core.playground.draw")

CHART_SECONDS = 1 / 15  # the curves are drawn in the page from the new epochs only: ~15 updates a second
PICTURE_SECONDS = 0.25  # the model's picture (an image file), the gap and the summary: 4 times a second
KEPT_RUNS = 4  # earlier runs kept on the plots besides the current one
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
NOT_IN_URL = ("data_csv",)  # a visitor's points stay in their browser (gr.BrowserState): a URL is too short for 2,000
LEGEND = "Background: what the model predicts there (paler = less sure). ● filled: training points · ○ hollow: validation points. Regression: grey = the true curve, red = the model. MNIST: validation digits, green = read right, red = wrong."


def setting_names() -> list[str]:
    """The settings a page or a URL may set (the wall-time cap is the server's, not the visitor's)."""
    return [f.name for f in fields(ps.Settings) if f.name != "max_seconds"]


# ---------- pure functions: settings and records in, plain values out ----------


def settings_from_values(values: dict) -> ps.Settings:
    """{setting: value} -> checked Settings (SettingsError when out of range)."""
    return ps.check(replace(ps.DEFAULTS, **values))


def settings_from_query(query: dict) -> ps.Settings | None:
    """URL query parameters -> Settings, ignoring unknown keys and bad values; None when none apply."""
    updates = {}
    for name in setting_names():
        if name not in query or name in NOT_IN_URL:
            continue
        raw = str(query[name])
        value = raw.lower() in ("true", "1", "yes") if name == "batch_norm" else raw
        try:  # ps.check reads numbers from text, and refuses what is out of range or not a number
            updates[name] = getattr(ps.check(replace(ps.DEFAULTS, **{name: value})), name)
        except ps.SettingsError:
            continue
    return replace(ps.DEFAULTS, **updates) if updates else None


def describe(settings) -> str:
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


def new_entry(number: int, settings) -> dict:
    return {
        "number": number,
        "name": f"run {number}",
        "label": describe(settings),
        "epoch": [],
        "train_loss": [],
        "val_loss": [],
        "train_accuracy": [],
        "val_accuracy": [],
        "lr": [],
    }


def add_record(entry: dict, record) -> None:
    for key in ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"):
        entry[key].append(getattr(record, key))


# The charts keep curves in fixed slots, newest run darkest (demos/assets/live/curves.js draws them).
SLOTS = ["this run", "1 run ago", "2 runs ago", "3 runs ago", "4 runs ago"]
MARKER = "overfitting starts here"
TRAIN_COLOURS = ["#08519c", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"]
VAL_COLOURS = ["#d94801", "#f16913", "#fd8d3c", "#fdae6b", "#fdd0a2"]
CHART_COLOURS = {"train": TRAIN_COLOURS, "val": VAL_COLOURS, "slots": SLOTS, "marker": "#d62728", "marker_text": MARKER}


def gap_value(record) -> float:
    """Classification: train minus validation accuracy in percentage points. Regression: val - train MSE."""
    return round(100 * record.gap, 1) if record.train_accuracy is not None else round(record.gap, 4)


def summary(record, settings) -> str:
    if record.train_accuracy is None:
        scores = f"train MSE {record.train_loss:.4f} · validation MSE {record.val_loss:.4f}"
        gap = f"**gap {record.gap:+.4f}** (validation − train MSE)"
    else:
        scores = f"train accuracy {record.train_accuracy:.1%} · validation {record.val_accuracy:.1%}"
        gap = f"**gap {100 * record.gap:+.1f} points**"
    text = f"Epoch {record.epoch}/{settings.epochs} · {scores} · {gap} · validation loss was lowest at epoch {record.best_epoch}: *overfitting starts here*."
    return text + (f"\n\nStopped: {record.stopped}." if record.stopped else "")


def runs_list(history: list[dict]) -> str:
    return "\n".join(f"- **{slot}** ({entry['name']}): {entry['label']}" for slot, entry in zip(SLOTS, reversed(history)))


def api_record(record, curves: dict | None = None) -> dict:
    out = record.as_dict()
    if curves is not None:  # the last record carries the whole run
        out["curves"] = {k: curves[k] for k in ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr")}
    return out


def schedule_frame(lr: float, schedule: str, epochs: int) -> pd.DataFrame:
    """The learning rate of every epoch under a schedule, for the small plot under the loss."""
    s = settings_from_values({"lr": lr, "lr_schedule": schedule, "epochs": epochs})
    return pd.DataFrame(
        {"epoch": range(1, s.epochs + 1), "lr": [s.lr * ps.lr_factor(s.lr_schedule, e, s.epochs) for e in range(1, s.epochs + 1)]}
    )


# ---------- handlers: convert Gradio values only ----------


def _start(values: dict):
    """{setting: value} -> a PlaygroundRun, or a UserError that says what to change (a setting out
    of range, or the MNIST files missing)."""
    return experiment.PlaygroundRun(settings_from_values(values))


@user_errors
@gpu
def train_on_page(*args):
    """Stream a run to the page: the curves' new epochs ~15 times a second; the picture, gap and summary 4 times."""
    *values, history = args
    run = _start(dict(zip(setting_names(), values)))
    entry = new_entry(history[-1]["number"] + 1 if history else 1, run.settings)
    history = [*history[-KEPT_RUNS:], entry]
    picture, drawn, shown_at, pictured_at = draw.Painter(run.data), 0, 0.0, 0.0
    for record in run.records():
        add_record(entry, record)
        now = time.perf_counter()
        if record.stopped or now - shown_at >= CHART_SECONDS:
            shown_at, fresh_picture = now, record.stopped or now - pictured_at >= PICTURE_SECONDS
            pictured_at = now if fresh_picture else pictured_at
            sent = 0 if record.stopped else drawn  # the last update redraws the whole run
            curves = [draw.curve_update(history, metric, sent, record.best_epoch, run.settings.epochs) for metric in ("loss", "accuracy")]
            words = (gap_value(record), summary(record, run.settings)) if fresh_picture else (gr.skip(), gr.skip())
            yield (
                *curves,
                picture(run.model) if fresh_picture else gr.skip(),
                *words,
                runs_list(history) if drawn == 0 else gr.skip(),
                history,
            )
            drawn = len(entry["epoch"])


@user_errors
@gpu
def train_playground(
    problem: str = "moons",
    noise: float = 0.35,
    points: int = 200,
    val_fraction: float = 0.8,
    seed: int = 0,
    depth: int = 3,
    width: int = 128,
    activation: str = "relu",
    dropout: float = 0.0,
    weight_decay: float = 0.0,
    batch_norm: bool = False,
    optimizer: str = "adam",
    lr: float = 0.01,
    batch_size: int = 32,
    epochs: int = 200,
    patience: int = 0,
    data_csv: str = "",
    lr_schedule: str = "constant",
) -> dict:
    """Train a small MLP on a toy problem, or on your own points, and stream progress records (about ten a second).

    data_csv: CSV text with a header x,y,label and up to 2,000 points (label 0/1: classification;
    other numbers: regression on (x, y)); when given, it replaces `problem`. lr_schedule: constant,
    step, cosine or warmup_cosine.

    Each record: epoch, elapsed, train_loss, val_loss, train_accuracy, val_accuracy (None for a
    regression), gap, best_epoch (lowest validation loss), lr (this epoch's learning rate), stopped
    (why it ended, on the last record). The last record also has "curves": every epoch's losses,
    accuracies and learning rate.
    """
    run = _start(dict(locals()))  # exactly the parameters above, by name
    entry, last_sent = new_entry(1, run.settings), 0.0
    for record in run.records():
        add_record(entry, record)
        if record.stopped:
            yield api_record(record, entry)
        elif time.perf_counter() - last_sent >= 0.1:
            last_sent = time.perf_counter()
            yield api_record(record)


@user_errors
def apply_preset(name: str):
    settings = ps.PRESETS.get(name)
    return (
        [gr.skip()] * len(setting_names())
        if settings is None
        else [gr.skip() if n in NOT_IN_URL else getattr(settings, n) for n in setting_names()]
    )


@user_errors
def restore_from_url(request: gr.Request):
    """Opening a shared URL restores its settings, alone or in the gallery (where the gallery may
    already have rewritten `tab` by the time this runs, so it is not consulted)."""
    query = dict(request.query_params) if request is not None else {}
    settings = settings_from_query(query)
    return (
        [gr.skip()] * len(setting_names())
        if settings is None
        else [gr.skip() if n in NOT_IN_URL else getattr(settings, n) for n in setting_names()]
    )


@user_errors
def show_schedule(lr: float, schedule: str, epochs: float) -> pd.DataFrame:
    return schedule_frame(lr, schedule, epochs)


@user_errors
def clear_history():
    return [], None, None, None, None, "", ""


def warm_up() -> None:
    """Import torch and train two epochs in the background at start-up, so the first click trains at once."""
    experiment.run_to_end(replace(ps.DEFAULTS, epochs=2))


def url_writer_js() -> str:
    # Write every setting into the address bar on each change, so the URL can be shared as is (the
    # visitor's own points stay in the browser's storage instead).
    names = setting_names()
    return f"(...values) => {{ const names = {names!r}; const skip = {list(NOT_IN_URL)!r}; const u = new URL(window.location); names.forEach((n, i) => {{ if (!skip.includes(n)) u.searchParams.set(n, String(values[i])); }}); history.replaceState(null, '', u); }}"


# ---------- layout and wiring ----------


def build() -> gr.Blocks:
    d, limits = ps.DEFAULTS, ps.LIMITS
    with gr.Blocks(title="Overfitting playground", delete_cache=DELETE_CACHE) as page:
        gr.Markdown(
            "## 📈 Overfitting playground\nTrain a small network live and watch training and validation part ways. Start with a preset."
        )
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                preset = gr.Dropdown(list(ps.PRESETS), value=None, label="Preset (a story in six runs)", elem_id="overfit-preset")
                with gr.Row():
                    train_button = gr.Button("Train", variant="primary", elem_id="overfit-train")
                    stop_button = gr.Button("Stop", variant="stop")
                    clear_button = gr.Button("Clear runs")
                with gr.Accordion("Data", open=True):
                    c = {}
                    c["problem"] = gr.Dropdown([(v, k) for k, v in PROBLEM_NAMES.items()], value=d.problem, label="Problem")
                    c["noise"] = gr.Slider(*limits["noise"], value=d.noise, step=0.01, label="Noise (std of the jitter)")
                    c["points"] = gr.Slider(*limits["points"], value=d.points, step=10, label="Points (before the split)")
                    c["val_fraction"] = gr.Slider(*limits["val_fraction"], value=d.val_fraction, step=0.02, label="Validation share")
                    c["seed"] = gr.Number(
                        value=d.seed, precision=0, minimum=0, maximum=limits["seed"][1], label="Seed", elem_id="overfit-seed"
                    )
                with gr.Accordion("Your own points (click to paint, or upload a CSV)", open=False):
                    paint_class = gr.Radio(
                        PAINT_MODES, value="0", label="A click on the canvas will", interactive=True, elem_id="overfit-paint-mode"
                    )
                    points_canvas = points_painter(d.data_csv, "overfit-points-canvas", paint_class.elem_id)
                    points_note = gr.Markdown(elem_id="overfit-points-note")
                    c["data_csv"] = gr.Textbox(
                        d.data_csv,
                        label="Your points as CSV (x,y,label; label 0/1, or numbers for a regression)",
                        lines=4,
                        max_lines=12,
                        elem_id="overfit-points-csv",
                    )
                    with gr.Row():
                        upload = gr.UploadButton("Upload a CSV", file_types=[".csv", ".txt"], type="filepath")
                        clear_button_points = gr.Button("Clear my points")
                with gr.Accordion("Model", open=True):
                    c["depth"] = gr.Slider(*limits["depth"], value=d.depth, step=1, label="Hidden layers")
                    c["width"] = gr.Slider(*limits["width"], value=d.width, step=1, label="Units per layer")
                    c["activation"] = gr.Radio(list(ps.ACTIVATIONS), value=d.activation, label="Activation")
                    c["dropout"] = gr.Slider(*limits["dropout"], value=d.dropout, step=0.05, label="Dropout")
                    c["weight_decay"] = gr.Slider(0, 0.1, value=d.weight_decay, step=0.005, label="Weight decay (L2)")
                    c["batch_norm"] = gr.Checkbox(value=d.batch_norm, label="Batch norm")
                with gr.Accordion("Training", open=True):
                    c["optimizer"] = gr.Dropdown([(v, k) for k, v in OPTIMIZER_NAMES.items()], value=d.optimizer, label="Optimiser")
                    c["lr"] = gr.Number(value=d.lr, minimum=limits["lr"][0], maximum=limits["lr"][1], label="Learning rate")
                    c["lr_schedule"] = gr.Dropdown(
                        [(v, k) for k, v in SCHEDULE_NAMES.items()],
                        value=d.lr_schedule,
                        label="Learning-rate schedule",
                        elem_id="overfit-schedule",
                    )
                    c["batch_size"] = gr.Slider(1, 256, value=d.batch_size, step=1, label="Batch size")
                    c["epochs"] = gr.Slider(*limits["epochs"], value=d.epochs, step=10, label="Epochs")
                    c["patience"] = gr.Slider(0, 100, value=d.patience, step=1, label="Early stopping patience (0 = off)")
            with gr.Column(scale=2):
                report = gr.Markdown("Press **Train** (or pick a preset) to start.", elem_id="overfit-summary")
                with gr.Row():
                    loss_plot = live.curve_chart("loss", "Loss", "overfit-loss", CHART_COLOURS)
                    accuracy_plot = live.curve_chart("accuracy", "Accuracy", "overfit-accuracy", CHART_COLOURS)
                lr_plot = gr.LinePlot(
                    schedule_frame(d.lr, d.lr_schedule, d.epochs),
                    x="epoch",
                    y="lr",
                    label="Learning rate per epoch",
                    height=150,
                    elem_id="overfit-lr",
                )
                with gr.Row():
                    boundary = gr.Image(label="The model and its data", interactive=False, height=384, elem_id="overfit-picture")
                    with gr.Column():
                        gap = gr.Number(
                            label="Train − validation gap (accuracy points; regression: MSE)", interactive=False, elem_id="overfit-gap"
                        )
                        runs = gr.Markdown(elem_id="overfit-runs")
                gr.Markdown(LEGEND)
        with gr.Accordion("The lesson: overfitting, underfitting, validation data and the fixes", open=False):
            gr.Markdown(lesson("overfit"))

        history = gr.State([])
        controls = [c[name] for name in setting_names()]
        outputs = [loss_plot, accuracy_plot, boundary, gap, report, runs, history]
        training = train_button.click(
            train_on_page,
            controls + [history],
            outputs,
            concurrency_limit=2,
            concurrency_id="overfit_training",
            show_progress="hidden",  # the summary counts the epochs; a timer over the charts only costs frames
            api_visibility="private",
        )
        stop_button.click(fn=None, cancels=[training])
        clear_button.click(clear_history, None, [history, loss_plot, accuracy_plot, boundary, gap, report, runs], api_visibility="private")
        preset.input(apply_preset, preset, controls, api_visibility="private")
        gr.on([control.change for control in controls], fn=None, inputs=controls, js=url_writer_js())
        page.load(restore_from_url, None, controls, api_visibility="private")
        saved_points = gr.BrowserState("", storage_key="overfit-points")
        page.load(None, saved_points, c["data_csv"], js="(saved) => saved || ''")
        c["data_csv"].change(None, c["data_csv"], saved_points, js="(text) => text")
        c["data_csv"].change(show_points, c["data_csv"], [points_canvas, points_note], api_visibility="private", show_progress="hidden")
        points_canvas.input(  # each value holds every point shown, so the last one queued is all that matters
            paint_points,
            points_canvas,
            c["data_csv"],
            trigger_mode="always_last",
            api_visibility="private",
            show_progress="hidden",
        )
        upload.upload(upload_points, upload, c["data_csv"], api_visibility="private")
        clear_button_points.click(clear_points, None, c["data_csv"], api_visibility="private")
        schedule_inputs = [c["lr"], c["lr_schedule"], c["epochs"]]
        gr.on(
            [x.change for x in schedule_inputs], show_schedule, schedule_inputs, lr_plot, api_visibility="private", show_progress="hidden"
        )
        gr.api(train_playground, api_name="train_playground", concurrency_limit=2, concurrency_id="overfit_training")
    return page


if __name__ == "__main__":
    launch(build())

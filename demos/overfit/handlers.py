"""The overfitting playground's event handlers and the values they send: a run streamed to the page,
the page as it opens, a palette change, presets, the API's training. The training itself is
core.playground (experiment, runs, draw); the finished runs kept to draw again, core.playground.store."""

from __future__ import annotations

import gradio as gr
import pandas as pd  # Gradio has imported it already

import core.playground.runs as runs  # plain data: a visitor's runs as the page lists, draws and keeps them
import core.playground.settings as ps  # dataclasses only: torch loads when someone trains
from core.device import gpu
from core.errors import UserError
from core.palette import checked
from demos import lazy_module, lesson, user_errors
from demos.overfit.network import network_value
from demos.overfit.path import preset_values
from demos.palette import palette_from_url
from demos.png import png_file  # the model's picture: a file written once, atomically, never rewritten in place

experiment = lazy_module("core.playground.experiment")
store = lazy_module("core.playground.store")  # the finished runs kept to draw again (it imports experiment)
draw = lazy_module("core.playground.draw")

ON_CHARTS = len(runs.SLOTS)  # the newest runs drawn on the charts; the browser keeps runs.KEPT
OPENING = next(iter(ps.PRESETS))  # the page opens on the first story, trained to its end
OPENING_WAIT_SECONDS = 30.0  # a page load waits this long at most for the opening run to finish training
OPENING_NOT_READY = "The opening run is still training on the server (it just started): press **Train** to run it yourself."
# gr.BrowserState encrypts what it stores with this key. A fixed one, so that a visitor's runs read back
# after a server restart and on any replica (Gradio's default is a new random key per process). The
# runs are the visitor's own and not secret: the key only has to be the same everywhere.
STORAGE_SECRET = "overfit-playground-runs"
PICTURE_ALT = (
    "The newest run's model: the plane tinted by the class it predicts, with the training and validation points"
    " (for the 1-D curve, its fitted curve over the samples; for MNIST, validation digits framed right or wrong)"
)
LEGEND_WORDS = {"default": dict(model="red", right="green", wrong="red"), "safe": dict(model="orange", right="blue", wrong="orange")}


def legend(palette: str = "default") -> str:
    """What the picture shows, in the palette's colour words."""
    return lesson("overfit_picture").format(**LEGEND_WORDS[checked(palette)])


# ---------- handlers: convert Gradio values only ----------


def _start(values: dict):
    """{setting: value} -> a PlaygroundRun, or a UserError that says what to change (a setting out
    of range, or the MNIST files missing)."""
    return experiment.PlaygroundRun(ps.settings_from_values(values))


def shown(history: list[dict], kept, palette: str, gap, words: str, best: int, epochs: int) -> tuple:
    """The page's outputs for finished runs (the newest last, its model `kept` or None): charts, picture, gap, summary, list, network."""
    curves = [draw.curve_update(history[-ON_CHARTS:], metric, 0, best, epochs) for metric in ("loss", "accuracy")]
    picture, network = views(kept, palette)
    return (*curves, picture, gap, words, runs.runs_list(history), network)


def views(kept, palette: str) -> tuple:
    """A kept run's model as the page shows it, its picture (a PNG file) and its network; (None, None) without one."""
    return (png_file(draw.picture(kept.model, kept.data, palette)), network_value(kept.model, kept.data, palette)) if kept else (None, None)


@user_errors
@gpu
def open_page(saved, request: gr.Request):
    """The page as it opens: the visitor's runs kept in their browser, or else the first preset trained to its
    end (once per process: warm_up does it at start), its picture in the URL's palette. The preset box shows
    the first story unless the URL brought its own settings."""
    palette, history = palette_from_url(request), runs.checked_runs(saved)
    preset = gr.skip() if request is not None and ps.settings_from_query(dict(request.query_params)) else OPENING
    if not history:
        run = store.finished(ps.PRESETS[OPENING], wait=OPENING_WAIT_SECONDS)
        if run is None:  # still training (a cold start on a busy machine): the page opens, and says so
            return preset, *[gr.skip()] * 4, OPENING_NOT_READY, *[gr.skip()] * 3
        entry, last, epochs = runs.from_records(1, run.settings, run.records), run.records[-1], run.settings.epochs
        return preset, *shown([entry], run, palette, runs.gap_value(last), runs.summary(last, epochs), last.best_epoch, epochs), [entry]
    newest = history[-1]
    gap, words = runs.last_words(newest)
    kept = store.kept(newest["key"])
    words += "" if kept else "\n\nIts model is no longer on the server: press **Train** to train it again and see its picture."
    return preset, *shown(history, kept, palette, gap, words, runs.best_epoch(newest), newest["epoch"][-1]), gr.skip()


@user_errors
@gpu
def redraw(palette: str, saved):
    """The newest run's picture, network and legend in another palette; the picture and network stay as
    they are (with a note) when the server no longer has that run's model."""
    history = runs.checked_runs(saved)
    kept = store.kept(history[-1]["key"]) if history else None
    if history and kept is None:
        gr.Info("The newest run's model is no longer on the server: its picture takes the new palette when you train it again.")
    return *(views(kept, palette) if kept else (gr.skip(), gr.skip())), legend(palette)


@user_errors
@gpu
def train_on_page(*args):
    """Stream a run of the page's settings to the page (see `stream_run`)."""
    *values, palette, saved = args
    yield from stream_run(dict(zip(ps.setting_names(), values)), palette, saved, [])


@gpu
def stream_run(values: dict, palette: str, saved, kept: list):
    """Stream a run to the page: the curves' new epochs ~15 times a second; the picture, network, gap and summary 4 times.
    The runs kept in the browser (the last runs.KEPT, thinned) are sent with every update, as Gradio sends a
    generator's outputs: only what changed, here the new epochs. `kept` gets every record (the guided path
    judges them); it stays empty when a setting is refused."""
    try:
        run = _start(values)
    except UserError as error:  # what to change, in a toast: the last run stays on the page
        gr.Warning(str(error))
        yield (gr.skip(),) * 8
        return
    earlier = runs.checked_runs(saved)[1 - runs.KEPT :]
    entry = runs.new_entry(earlier[-1]["number"] + 1 if earlier else 1, run.settings)
    history, picture = [*earlier, entry], draw.Painter(run.data, palette=palette)
    for record, drawn, fresh_picture in runs.paced(run.records(), entry, runs.CHART_SECONDS, runs.PICTURE_SECONDS, kept=kept):
        if record.stopped:
            store.FINISHED.put(run, kept)  # its picture can be drawn again (another palette, a reload)
        sent = 0 if record.stopped else drawn  # the last update redraws the whole run
        curves = [draw.curve_update(history[-ON_CHARTS:], m, sent, record.best_epoch, run.settings.epochs) for m in ("loss", "accuracy")]
        words = (runs.gap_value(record), runs.summary(record, run.settings.epochs)) if fresh_picture else (gr.skip(), gr.skip())
        yield (
            *curves,
            png_file(picture(run.model)) if fresh_picture else gr.skip(),
            *words,
            runs.runs_list(history) if drawn == 0 else gr.skip(),
            network_value(run.model, run.data, palette, record.epoch) if fresh_picture else gr.skip(),
            [*earlier, runs.thinned(entry, run.settings.epochs)],
        )


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
    entry = runs.new_entry(1, run.settings)
    for record, _, _ in runs.paced(run.records(), entry, runs.API_SECONDS):
        yield runs.api_record(record, entry if record.stopped else None)  # the last one with the whole run's curves


@user_errors
def apply_preset(name: str):
    return preset_values(ps.PRESETS.get(name))


def preset_picker(name: str):
    """A Try-this button's handler: the preset's name in the box and its settings in the controls."""

    @user_errors
    def pick_preset():
        return [name, *preset_values(ps.PRESETS[name])]

    return pick_preset


@user_errors
def restore_from_url(request: gr.Request):
    """Opening a shared URL restores its settings, alone or in the gallery (where the gallery may
    already have rewritten `tab` by the time this runs, so it is not consulted)."""
    return preset_values(ps.settings_from_query(dict(request.query_params) if request is not None else {}))


@user_errors
def show_schedule(lr: float, schedule: str, epochs: float) -> pd.DataFrame:
    return pd.DataFrame(ps.lr_per_epoch(lr, schedule, epochs))


@user_errors
def clear_history():
    return [], None, None, None, None, "", runs.runs_list([]), None


def warm_up() -> None:
    """Import torch and train the opening run in the background at start-up, so the page opens on it at once."""
    store.finished(ps.PRESETS[OPENING])


def url_writer_js() -> str:
    # Write every setting into the address bar on each change, so the URL can be shared as is (the
    # visitor's own points stay in the browser's storage instead).
    return f"(...values) => {{ const names = {ps.setting_names()!r}; const skip = {list(ps.NOT_IN_URL)!r}; const u = new URL(window.location); names.forEach((n, i) => {{ if (!skip.includes(n)) u.searchParams.set(n, String(values[i])); }}); history.replaceState(null, '', u); }}"

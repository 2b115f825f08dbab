"""A playground run as a Jupyter notebook of plain PyTorch, for a learner to take home.

    text = notebook_text(settings)           # nbformat v4 JSON; `file_name(settings)` names it

A markdown cell explains each part to a learner, then its code (core.playground.notebook_code: plain
PyTorch, importing nothing from this project, that reproduces the page's run epoch by epoch).
Torch-free: it only writes text.
"""

from __future__ import annotations

import re
from dataclasses import replace

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import core.playground.notebook_code as code
from core.playground.runs import OPTIMIZER_NAMES, PROBLEM_NAMES, SCHEDULE_NAMES, describe
from core.playground.settings import PRESETS, Points, Settings, check, read_points

# What each data set is, for the learner.
PROBLEM_WORDS = {
    "moons": "two interleaved half circles, one per class",
    "circles": "a ring of one class around a disc of the other",
    "spiral": "two arms winding one and a half turns around each other",
    "xor": "points in a square, labelled by whether their two coordinates have the same sign",
    "blobs": "three Gaussian clusters, one per class",
    "curve": "noisy samples of a smooth curve, y = sin(3x) + 0.3x: a regression",
    "mnist": "a few handwritten digits from MNIST's training file, each 784 pixels",
}


def preset_name(settings: Settings) -> str | None:
    """The preset these settings are (the wall-time cap aside), or None."""
    settings = replace(settings, max_seconds=0.0)
    return next((name for name, preset in PRESETS.items() if replace(preset, max_seconds=0.0) == settings), None)


def file_name(settings: Settings) -> str:
    """A name for the downloaded file: the preset's, or the data, the network and the seed."""
    settings = check(settings)
    name = preset_name(settings)
    if name is None:
        points = read_points(settings.data_csv)
        data = f"your-{len(points.xy)}-points" if points else settings.problem
        name = f"{data}-{settings.depth}x{settings.width}-{settings.activation}-seed{settings.seed}"
    return "overfit-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".ipynb"


def notebook_text(settings: Settings) -> str:
    """The notebook as the JSON text of a .ipynb file."""
    return nbformat.writes(notebook(settings))


def notebook(settings: Settings) -> nbformat.NotebookNode:
    """The run these settings describe, as an nbformat v4 notebook: a markdown cell explaining each
    part, then its code. Cell ids are numbered, so the same settings give the same bytes."""
    s = check(settings)
    points = read_points(s.data_csv)
    regression = points.regression if points else s.problem == "curve"
    cells = [
        ("markdown", _introduction(s, points)),
        ("code", code.imports_code(s, points)),
        ("markdown", _settings_words(s, points)),
        ("code", code.settings_code(s, points)),
        ("markdown", _data_words(s, points)),
        ("code", code.data_code(s, points, regression)),
        ("markdown", SPLIT_WORDS),
        ("code", code.SPLIT_CODE),
        ("markdown", _model_words(s, regression)),
        ("code", code.model_code(s, regression)),
        ("markdown", _optimizer_words(s, regression)),
        ("code", code.optimizer_code(s, regression)),
        ("markdown", MEASURE_WORDS),
        ("code", code.measure_code(regression)),
        ("markdown", _loop_words(s)),
        ("code", code.loop_code(s)),
        ("markdown", CURVES_WORDS),
        ("code", code.curves_code(regression)),
        ("markdown", _try_this(s, points)),
    ]
    made = {"markdown": new_markdown_cell, "code": new_code_cell}
    book = new_notebook(
        cells=[made[kind](source.strip("\n"), id=f"cell-{i}") for i, (kind, source) in enumerate(cells)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(book)
    return book


# ---------- the cells ----------


def _introduction(s: Settings, points: Points | None) -> str:
    return f"""\
# Your overfitting playground run, in plain PyTorch

This notebook is the run you made in the overfitting playground: **{describe(s)}**.

It is written in plain PyTorch, nothing else: the data, the model, the training loop and the measurements
are all here. Run every cell (*Run All*): the losses printed at the end are the ones the playground
drew, epoch by epoch. One seed fixes every random number: the same calls to the same random number
generator, in the same order, give the same run. Another computer may round a few last digits
differently, and a long run lets such tiny differences grow, so its curves may part from the
playground's after a while; their shape stays the same.

You need `torch`{", `torchvision` (for MNIST)" if s.problem == "mnist" and not points else ""} and `matplotlib`
(`pip install torch matplotlib`). It runs on the CPU in seconds to a minute.
"""


def _settings_words(s: Settings, points: Points | None) -> str:
    data = "your own points" if points else f"the **{PROBLEM_NAMES[s.problem]}** problem"
    return f"""\
## The settings

These are the playground's controls as you set them, for {data}. Change one and run all the cells again
to see what it does: that is the experiment the playground is for.
"""


def _data_words(s: Settings, points: Points | None) -> str:
    if points:
        kind = "a number to predict for each point (a regression)" if points.regression else "a class, 0 or 1"
        return f"""\
## The data: your {len(points.xy)} points

Each row is a point you painted or uploaded: its position (x, y) and its label, {kind}.
"""
    return f"""\
## The data: {PROBLEM_NAMES[s.problem]}

{PROBLEM_WORDS[s.problem][0].upper() + PROBLEM_WORDS[s.problem][1:]}. Every random number comes from one
`torch.Generator` seeded with `SEED`, so the same seed draws the same points. Each line draws exactly what the
playground draws, in the same order: swap two lines and the numbers after them change.
"""


SPLIT_WORDS = """\
## Training and validation data

The network learns from the training points only. The validation points are held out: they measure how well
it does on points it has never seen. A network that does much better on its training points than on these
has memorised them (the noise included) instead of learning the pattern: it overfits.
"""


def _model_words(s: Settings, regression: bool) -> str:
    extras = []
    if s.batch_norm:
        extras.append("**batch normalisation** after each hidden layer's linear step (it rescales each unit over the batch)")
    if s.dropout:
        extras.append(f"**dropout**: in training, each hidden unit is zeroed with probability {s.dropout:g} (a fresh choice every step)")
    out = "one number, the prediction" if regression else "one score (a logit) per class; the highest score is the class it predicts"
    return f"""\
## The model

A multi-layer perceptron: {s.depth} hidden layer{"s" if s.depth != 1 else ""} of {s.width} units, each a linear step
followed by {s.activation}, then a last linear layer that gives {out}.{" With " + " and ".join(extras) + "." if extras else ""}

Its initial weights are PyTorch's default initialisation (uniform, scaled by each layer's inputs), drawn from a
second generator seeded with `SEED + 1`, which then also shuffles the batches{" and draws the dropout masks" if s.dropout else ""}.
"""


def _optimizer_words(s: Settings, regression: bool) -> str:
    loss = (
        "The loss is the mean squared error between prediction and target."
        if regression
        else "The loss is the cross-entropy: small when the network gives the right class a high probability."
    )
    decay = f" Weight decay {s.weight_decay:g} adds that much of each weight to its gradient (an L2 penalty)." if s.weight_decay else ""
    schedule = (
        f" The learning rate follows a schedule, **{SCHEDULE_NAMES[s.lr_schedule]}**: `lr_factor` gives each epoch's share of `LR`."
        if s.lr_schedule != "constant"
        else ""
    )
    return f"""\
## The loss and the optimiser

{loss} The optimiser is **{OPTIMIZER_NAMES[s.optimizer]}**: after each batch it moves every weight against its
gradient.{decay}{schedule}
"""


MEASURE_WORDS = """\
## Measuring

Once an epoch, the loss on the whole training set and on the whole validation set, in evaluation mode
(`model.eval()`: no dropout, and batch norm uses its running averages): one forward pass over both sets.
"""


def _loop_words(s: Settings) -> str:
    stop = (
        f"\n\nEarly stopping: once the validation loss has not improved for `PATIENCE` ({s.patience}) epochs, training stops"
        " and the weights of the best epoch are put back."
        if s.patience
        else ""
    )
    return f"""\
## Training

Each epoch shuffles the training points, then for each batch: forward pass, loss, backward pass (the gradients),
optimiser step. Then it measures both sets. `history` keeps one row per epoch.{stop}

(The playground also stops a run after {s.max_seconds:g} seconds, so that one visitor cannot hold the
server: if it cut your run short, this notebook runs the epochs it did not.)
"""


CURVES_WORDS = """\
## The curves

Every epoch's training and validation loss, as the playground drew them. Where the validation loss is lowest,
overfitting starts: after it, the network keeps getting better on its training points and worse on new ones.
"""


def _try_this(s: Settings, points: Points | None) -> str:
    ideas = [
        "Set `WEIGHT_DECAY = 0.03`: does the gap between the training and validation curves shrink?"
        if not s.weight_decay
        else "Set `WEIGHT_DECAY = 0.0`: does the gap between the training and validation curves grow?",
        "Change `SEED`: the data, the weights and the batches change, and the curves with them, but their story holds.",
        "Make the network smaller (`WIDTH = 8`): can it still memorise the training points?",
    ]
    if not points and s.problem != "mnist":
        ideas.insert(1, "Raise `POINTS`: with more training points, there is less room to memorise.")
    return "## Try this\n\n" + "\n".join(f"- {idea}" for idea in ideas) + "\n"

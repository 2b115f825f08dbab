"""The playground's run as a Jupyter notebook (issue 30): core.playground.notebook writes it,
demos/overfit/notebook.py offers it as `#overfit-notebook`.

The notebook must reproduce the page's run: executed, it gives every epoch's training and validation
loss that the page's own run gives (through demos.overfit.handlers.stream_run, as the page trains), on this
machine's kernels, whichever they are (the kernel inherits the test's environment: `figures`, so .ci/run
checks it again under other CPU kernels).
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

import core.playground.notebook as nb
import core.playground.paint as paint
import core.playground.runs as runs
import core.playground.settings as ps
from core.playground.experiment import EpochRecord, one_thread
from demos.overfit import handlers as overfit
from demos.overfit import notebook as overfit_notebook
from harness.browser import open_gradio, wait_until_streaming_ends
from tests.conftest import ROOT

# ---------- the runs compared ----------


def painted_points() -> str:
    """40 points as the page's painter adds them (clicks on the canvas, col/row pixels, a class each):
    two overlapping clouds, so a big network can memorise the overlap."""
    clicks = []
    for i in range(40):
        label = i % 2
        col = 100 + 120 * label + (i * 37) % 90  # class 1 sits to the right, the clouds overlap
        row = 60 + (i * 53) % 200
        clicks.append({"col": col, "row": row, "label": str(label)})
    return paint.edited_csv({"box": list(paint.extent(None)), "points": clicks})


REGRESSION_CSV = "x,y,label\n" + "".join(
    f"{(i * 0.37) % 2 - 1:.3f},{(i * 0.61) % 2 - 1:.3f},{((i * 0.29) % 1) * 3 - 1:.3f}\n" for i in range(50)
)
SMALL = dict(points=100, width=24, epochs=12)

# What the executed-notebook test runs: a preset (shrunk, so it takes seconds) and a visitor's own points.
EXECUTED = {
    "a preset: dropout": replace(ps.PRESETS["fix it with dropout"], **SMALL),
    "painted points: early stopping": replace(
        ps.DEFAULTS,
        data_csv=painted_points(),
        val_fraction=0.5,
        depth=2,
        width=32,
        activation="tanh",
        optimizer="momentum",
        lr=0.1,
        weight_decay=0.001,
        batch_norm=True,
        batch_size=8,
        lr_schedule="step",
        epochs=60,
        patience=4,
    ),
}

# What the in-process test runs: every problem and every choice the notebook writes differently.
EVERY = {
    "moons": replace(ps.DEFAULTS, **SMALL),
    "circles, sgd, sigmoid": replace(ps.DEFAULTS, problem="circles", optimizer="sgd", activation="sigmoid", lr=0.3, **SMALL),
    "spiral, batch norm, warm-up": replace(ps.DEFAULTS, problem="spiral", batch_norm=True, lr_schedule="warmup_cosine", **SMALL),
    "xor, rmsprop, cosine": replace(ps.DEFAULTS, problem="xor", optimizer="rmsprop", lr_schedule="cosine", lr=0.003, **SMALL),
    "blobs, linear": replace(ps.DEFAULTS, problem="blobs", depth=0, **SMALL),
    "curve, dropout": replace(ps.DEFAULTS, problem="curve", dropout=0.2, noise=0.2, **SMALL),
    "mnist": replace(ps.DEFAULTS, problem="mnist", points=150, depth=1, width=16, epochs=4),
    "your regression": replace(ps.DEFAULTS, data_csv=REGRESSION_CSV, val_fraction=0.3, depth=2, width=16, epochs=15),
    "stop early": replace(ps.PRESETS["stop early"], points=100, width=24, epochs=60, patience=3),
}


def page_run(settings: ps.Settings) -> list:
    """The run as the page makes it: Train's handler streamed to its end; every record it made."""
    kept = []
    values = {name: getattr(settings, name) for name in ps.setting_names()}
    for _ in overfit.stream_run(values, "default", [], kept):
        pass
    assert kept and "wall-time cap" not in kept[-1].stopped, "the page's run was cut short: a busy machine, or too big a run"
    return kept


def assert_same_losses(records: list, history: list[dict]) -> None:
    """Every epoch's training and validation loss, the notebook's against the page's."""
    assert [row["epoch"] for row in history] == [r.epoch for r in records]  # early stopping ends both at the same epoch
    for record, row in zip(records, history):
        assert row["train_loss"] == pytest.approx(record.train_loss, rel=1e-6, abs=0), f"epoch {record.epoch}"
        assert row["val_loss"] == pytest.approx(record.val_loss, rel=1e-6, abs=0), f"epoch {record.epoch}"


def code_cells(book) -> list[str]:
    return [cell.source for cell in book.cells if cell.cell_type == "code"]


def with_data_root(source: str, root: Path) -> str:
    """An MNIST notebook reading the test's data directory instead of ./data."""
    return source.replace('DATA_ROOT = "data"', f"DATA_ROOT = {str(root)!r}")


# ---------- unit: what the notebook holds ----------

ALL_SETTINGS = {**EXECUTED, **EVERY, **{f"preset {name}": settings for name, settings in ps.PRESETS.items()}}


@pytest.mark.unit
@pytest.mark.parametrize("name", ALL_SETTINGS)
def test_the_notebook_is_valid_and_imports_nothing_from_this_project(name):
    book = nb.notebook(ALL_SETTINGS[name])
    nbformat.validate(book)
    assert nbformat.reads(nb.notebook_text(ALL_SETTINGS[name]), as_version=4) == book  # the file's text is the notebook
    project = {path.stem for path in ROOT.iterdir() if path.suffix == ".py" or (path / "__init__.py").exists()}
    assert {"core", "demos", "harness", "app"} <= project
    imported = set()
    for source in code_cells(book):
        for node in ast.walk(ast.parse(source)):  # parses: no syntax error in any cell
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, "a relative import"
                imported.add(node.module.split(".")[0])
    assert imported and not imported & project, imported
    assert imported <= {"copy", "math", "matplotlib", "torch", "torchvision"}, imported


@pytest.mark.unit
def test_the_file_is_named_after_the_preset_or_the_settings():
    assert nb.file_name(ps.PRESETS["fix it with weight decay"]) == "overfit-fix-it-with-weight-decay.ipynb"
    assert nb.file_name(replace(ps.DEFAULTS, problem="spiral", seed=7, width=16)) == "overfit-spiral-3x16-relu-seed7.ipynb"
    assert nb.file_name(EXECUTED["painted points: early stopping"]) == "overfit-your-40-points-2x32-tanh-seed0.ipynb"
    assert nb.notebook_text(ps.DEFAULTS) == nb.notebook_text(ps.DEFAULTS)  # the same bytes: cell ids are numbered


@pytest.mark.unit
def test_the_painted_points_are_written_into_the_notebook_as_they_are():
    settings = EXECUTED["painted points: early stopping"]
    points = ps.read_points(settings.data_csv)
    cell = next(source for source in code_cells(nb.notebook(settings)) if "POINTS_TABLE =" in source)
    assigned = next(node for node in ast.parse(cell).body if isinstance(node, ast.Assign) and node.targets[0].id == "POINTS_TABLE")
    table = ast.literal_eval(assigned.value)
    assert [(x, y) for x, y, _ in table] == list(points.xy) and [label for *_, label in table] == [int(v) for v in points.labels]
    assert len(points.xy) == 40 and set(points.labels) == {0.0, 1.0}


# ---------- reference: the notebook reproduces the page's run ----------


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("name", EVERY)
def test_the_notebooks_code_gives_the_pages_losses_for_every_problem_and_choice(name, request):
    """The notebook's code cells run here, in this process (fast; the executed notebook is the next test)."""
    settings = EVERY[name]
    records = page_run(settings)
    if name == "stop early":
        assert records[-1].stopped.startswith("early stopping")
    namespace = {}
    with one_thread():  # the notebook sets one thread itself: keep this process's count as it was
        for source in code_cells(nb.notebook(settings))[:-1]:  # all but the table and the plot
            if settings.problem == "mnist":
                source = with_data_root(source, request.getfixturevalue("mnist_dir"))
            exec(compile(source, f"<notebook: {name}>", "exec"), namespace)
    assert_same_losses(records, namespace["history"])


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("name", EXECUTED)
def test_the_executed_notebook_gives_the_pages_losses_epoch_by_epoch(name, tmp_path):
    settings = EXECUTED[name]
    records = page_run(settings)
    if name.startswith("painted"):
        assert records[-1].stopped.startswith("early stopping") and records[-1].epoch < settings.epochs
    book = nbformat.reads(nb.notebook_text(settings), as_version=4)  # the file as a learner opens it
    book.cells.append(new_code_cell("import json\nprint(json.dumps(history))"))
    # The kernel runs in an empty folder: nothing of this project is importable from there.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    curves = next(cell for cell in book.cells if cell.cell_type == "code" and "plt.show()" in cell.source)
    printed = "".join(
        out.get("text", "") for cell in book.cells[:-1] if cell.cell_type == "code" for out in cell.outputs if out.output_type == "stream"
    )
    assert f"{records[0].train_loss:13.6f}" in printed  # the table of losses, as the learner reads it
    assert any(out.output_type == "display_data" and "image/png" in out.data for out in curves.outputs)  # the plot
    assert_same_losses(records, json.loads(book.cells[-1].outputs[0]["text"]))


# ---------- unit: the download button offers the run on the page ----------


def values_of(settings: ps.Settings) -> tuple:
    return tuple(getattr(settings, name) for name in ps.setting_names())


@pytest.mark.unit
def test_the_button_offers_the_run_the_page_shows_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # Gradio's cache, where the page's files go
    shown = replace(ps.DEFAULTS, seed=4, epochs=30)
    one_epoch = [EpochRecord(1, 0.1, 0.5, 0.6, 0.9, 0.8, best_epoch=1)]
    saved = [runs.from_records(1, ps.DEFAULTS, one_epoch), runs.from_records(2, shown, one_epoch)]  # as the browser keeps them
    offered = overfit_notebook.offer_notebook(saved, *values_of(shown))
    path = Path(offered["value"])
    assert offered["interactive"] and path.name == "overfit-moons-3x128-relu-seed4.ipynb" and path.is_relative_to(tmp_path)
    assert "SEED = 4" in path.read_text() and "EPOCHS = 30" in path.read_text()
    nbformat.validate(nbformat.read(path, as_version=4))

    changed = overfit_notebook.offer_notebook(saved, *values_of(replace(shown, seed=5)))  # the controls moved on
    assert changed["value"] is None and not changed["interactive"]
    refused = overfit_notebook.offer_notebook(saved, *values_of(replace(shown, width=10_000)))
    assert refused["value"] is None
    assert overfit_notebook.offer_notebook([], *values_of(ps.DEFAULTS))["value"] is None  # no run on the page
    opening = overfit_notebook.offer_opening_notebook(ps.DEFAULTS)([], *values_of(ps.DEFAULTS))  # the page opens on it
    assert Path(opening["value"]).name == "overfit-memorise-the-noise.ipynb"


@pytest.mark.unit
def test_notebook_files_are_few_however_many_runs_are_made(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.setattr(overfit_notebook, "WRITTEN", overfit_notebook.RecentFiles(3))
    paths = [overfit_notebook.notebook_file(replace(ps.DEFAULTS, seed=seed)) for seed in range(5)]
    assert len(set(paths)) == 5
    assert [Path(p).exists() for p in paths] == [False, False, True, True, True]  # the oldest deleted
    assert overfit_notebook.notebook_file(replace(ps.DEFAULTS, seed=4)) == paths[4]  # the same run: the same file
    assert len(list(tmp_path.rglob("*.ipynb"))) == 3


# ---------- browser: the download ----------


def download(page, tmp_path) -> Path:
    with page.expect_download(timeout=30_000) as info:
        page.locator("#overfit-notebook").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


@pytest.mark.browser
def test_the_page_downloads_the_run_it_shows_as_a_notebook(page, app_url, tmp_path):
    # The page opens on the first preset; these settings are not it, so there is nothing to take home yet.
    open_gradio(page, f"{app_url}/demos/overfit/?seed=3&epochs=20&width=16", timeout=180)
    summary = page.locator("#overfit-summary")
    chart = page.locator("#overfit-result #overfit-loss .live-curves")
    page.wait_for_function("el => Number(el.dataset.points) > 0", arg=chart.element_handle(), timeout=90_000)
    button = page.locator("#overfit-notebook")
    page.wait_for_function("el => el.innerText.includes('train these settings')", arg=button.element_handle(), timeout=30_000)
    assert button.is_disabled()

    page.locator("#overfit-train").click()
    page.wait_for_function("el => /Stopped: /.test(el.innerText)", arg=summary.element_handle(), timeout=90_000)
    wait_until_streaming_ends(page, summary)
    page.wait_for_function("el => !el.disabled", arg=button.element_handle(), timeout=30_000)
    saved = download(page, tmp_path)
    assert saved.name == "overfit-moons-3x16-relu-seed3.ipynb"
    book = nbformat.read(saved, as_version=4)
    nbformat.validate(book)
    settings = next(cell.source for cell in book.cells if cell.cell_type == "code" and "SEED =" in cell.source)
    assert "SEED = 3" in settings and "EPOCHS = 20" in settings and "WIDTH = 16" in settings

    seed = page.locator("#overfit-seed input")  # the controls move on: the button no longer offers the run on the page
    seed.fill("4")
    seed.press("Enter")
    page.wait_for_function("el => el.disabled", arg=button.element_handle(), timeout=30_000)

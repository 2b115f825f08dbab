"""The overfitting playground: its data, model and runs; the presets' story; the streamed API; the page."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from gradio_client import Client
from PIL import Image

import core.playground.experiment as pg
import core.playground.runs as runs
import core.playground.settings as ps
import core.playground.store as store
import core.playground.story as story
from core.errors import UserError
from core.palette import CLASSES, DIVERGING
from core.playground.draw import CLASS_COLOURS, curve_update, decision_regions, picture
from demos.overfit import handlers as overfit
from demos.overfit import layout
from demos.points import saved_text
from harness.browser import open_gradio, wait_until_streaming_ends
from harness.serving import free_port, stop, wait_for_http
from tests.conftest import ROOT, axe_violations

SHORT = replace(pg.DEFAULTS, epochs=12)


def values_of(settings) -> dict:
    return {name: getattr(settings, name) for name in ps.setting_names()}


# ---------- unit: settings, data, model ----------


@pytest.mark.unit
@pytest.mark.parametrize(
    "change,message",
    [
        (dict(width=100_000), "width must be between 1 and 256"),
        (dict(epochs=10**9), "epochs must be between"),
        (dict(points=5), "points must be between"),
        (dict(lr=math.nan), "lr must be between"),
        (dict(depth="many"), "depth must be a number"),
        (dict(problem="../../etc/passwd"), "problem must be one of"),
    ],
)
def test_absurd_settings_are_refused_with_the_reason(change, message):
    with pytest.raises(pg.SettingsError, match=message):
        pg.check(replace(pg.DEFAULTS, **change))
    with pytest.raises(UserError, match="Check the settings"):
        overfit._start(values_of(replace(pg.DEFAULTS, **change)))


@pytest.mark.unit
def test_check_coerces_numbers_from_a_request():
    settings = pg.check(replace(pg.DEFAULTS, width=64.0, seed="3", batch_norm=1))
    assert (settings.width, settings.seed, settings.batch_norm) == (64, 3, True)


@pytest.mark.unit
@pytest.mark.parametrize("problem", ["moons", "circles", "spiral", "xor", "blobs", "curve"])
def test_toy_problems_split_reproducibly(problem):
    settings = replace(pg.DEFAULTS, problem=problem, points=100, val_fraction=0.3)
    a, b = pg.make_data(settings), pg.make_data(settings)
    assert len(a.x_train) == 70 and len(a.x_val) == 30
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    other = pg.make_data(replace(settings, seed=1))
    assert not torch.equal(a.x_train, other.x_train)
    if problem == "curve":
        assert a.regression and a.x_train.shape[1] == 1 and a.y_train.shape == (70, 1)
    else:
        assert a.x_train.shape[1] == 2 and a.classes == (3 if problem == "blobs" else 2)
        assert len(torch.unique(a.y_train)) == a.classes


@pytest.mark.unit
def test_mlp_has_the_layers_asked_for_and_returns_logits():
    g = torch.Generator().manual_seed(0)
    model = pg.PlaygroundMLP(2, 3, replace(pg.DEFAULTS, depth=2, width=16, dropout=0.5, batch_norm=True, activation="tanh"), g)
    kinds = [type(m).__name__ for m in model.net]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "SeededDropout"] * 2 + ["Linear"]
    assert model(torch.zeros(5, 2)).shape == (5, 3)
    linear = pg.PlaygroundMLP(2, 2, replace(pg.DEFAULTS, depth=0), g)
    assert [type(m).__name__ for m in linear.net] == ["Linear"]


@pytest.mark.reference
def test_seeded_dropout_matches_torch_dropout_statistics_and_is_off_in_eval():
    layer = pg.SeededDropout(0.3, torch.Generator().manual_seed(1))
    x = torch.ones(200_000)
    out = layer(x)
    assert float((out == 0).float().mean()) == pytest.approx(0.3, abs=0.01)
    assert float(out.mean()) == pytest.approx(float(F.dropout(x, 0.3).mean()), abs=0.01)  # same rescaling as torch
    layer.eval()
    assert torch.equal(layer(x), x)


@pytest.mark.reference
@pytest.mark.figures
def test_playground_training_equals_a_bare_pytorch_loop():
    """Same data, init and batch order: `fit` + `supervised_step` end with the same weights."""
    settings = replace(pg.DEFAULTS, epochs=3, optimizer="momentum", weight_decay=0.01, lr=0.05)
    run, bare = pg.PlaygroundRun(settings), pg.PlaygroundRun(settings)
    records = list(run.records())
    for _ in range(settings.epochs):
        for x, y in bare.batches:
            loss = F.cross_entropy(bare.model(x), y)
            bare.optimizer.zero_grad()
            loss.backward()
            bare.optimizer.step()
    for a, b in zip(run.model.parameters(), bare.model.parameters()):
        torch.testing.assert_close(a, b)
    with torch.no_grad():
        device = next(bare.model.parameters()).device  # the CPU here, CUDA under GALLERY_DEVICE=cuda
        val_loss = F.cross_entropy(bare.model(bare.data.x_val.to(device)), bare.data.y_val.to(device))
    assert records[-1].val_loss == pytest.approx(float(val_loss), rel=1e-5)


@pytest.mark.unit
@pytest.mark.figures
def test_the_same_seed_gives_the_same_curves_and_another_seed_does_not():
    settings = replace(SHORT, dropout=0.3, batch_norm=True)
    strip = lambda records: [replace(r, elapsed=0.0) for r in records]  # noqa: E731
    first, second = strip(pg.run_to_end(settings)), strip(pg.run_to_end(settings))
    assert first == second
    assert strip(pg.run_to_end(replace(settings, seed=1))) != first


@pytest.mark.unit
@pytest.mark.figures
def test_early_stopping_keeps_the_best_weights():
    run = pg.PlaygroundRun(replace(pg.DEFAULTS, patience=5))
    records = list(run.records())
    last = records[-1]
    assert last.stopped.startswith("early stopping") and last.epoch == last.best_epoch + 5
    best = pg.kept_metrics(records)
    assert best.epoch == last.best_epoch
    assert run.evaluate()["val_loss"] == pytest.approx(best.val_loss, rel=1e-5)


@pytest.mark.unit
def test_the_wall_time_cap_ends_a_long_run():
    records = pg.run_to_end(replace(pg.DEFAULTS, epochs=1000, max_seconds=0.3))
    assert records[-1].epoch < 1000 and "wall-time cap" in records[-1].stopped


# ---------- the story the presets tell (seed 0; the figures' last digits differ by CPU, the story does not) ----------


@pytest.fixture(scope="module")
def preset_figures():
    return story.preset_figures()


@pytest.mark.reference
@pytest.mark.figures
def test_the_presets_tell_their_story(preset_figures):
    """Memorising opens a gap of 10+ points, each fix narrows it by 5+, one unit underfits (core.playground.story)."""
    broken = [claim for claim, holds in story.story(preset_figures) if not holds]
    assert broken == [], f"{broken} with (train, validation) = {preset_figures}"


@pytest.mark.unit
def test_the_story_fails_when_a_fix_does_not_narrow_the_gap_or_memorising_opens_none():
    figures = {
        "memorise the noise": (1.0, 0.84),
        "fix it with dropout": (0.92, 0.85),
        "fix it with weight decay": (0.80, 0.84),
        "fix it with more data": (0.92, 0.87),
        "stop early": (0.90, 0.86),
        "underfit": (0.55, 0.49),
    }
    assert all(holds for _, holds in story.story(figures))
    no_help = dict(figures, **{"fix it with more data": (0.97, 0.84)})  # a 13-point gap: only 3 narrower than memorising's 16
    assert [claim for claim, holds in story.story(no_help) if not holds] == [
        "'fix it with more data' narrows that gap by at least 5 points"
    ]
    no_gap = dict(figures, **{"memorise the noise": (1.0, 0.95)})
    assert not story.story(no_gap)[0][1]
    fitted = dict(figures, underfit=(0.9, 0.8))
    assert not story.story(fitted)[-1][1]


def stated_figures(readme: str) -> dict[str, tuple[float, float]]:
    """The presets' (train, validation) accuracies as the README states them: 'more data 91.2% / 86.9%'."""
    words = " ".join(readme.split())  # the sentence wraps over lines
    stated = {}
    for name in pg.PRESETS:
        found = re.search(rf"\b{re.escape(name.removeprefix('fix it with '))} (\d+\.\d)% / (\d+\.\d)%", words)
        if found:
            stated[name] = (float(found[1]) / 100, float(found[2]) / 100)
    return stated


@pytest.mark.unit
def test_the_readme_gives_the_presets_figures_as_a_measurement_that_tells_the_story():
    """Not its digits (another CPU prints others): that it says where and how they were measured, and
    that they tell the story the fresh runs are held to."""
    readme = (ROOT / "README.md").read_text()
    stated = stated_figures(readme)
    assert set(stated) == set(pg.PRESETS), f"the README should state every preset's figures; found {sorted(stated)}"
    paragraph = " ".join(readme.split("### No weights")[1].split("\n\n")[1].split())
    assert "python -m bench.overfit --presets" in paragraph and re.search(r"measured on .*\d-core", paragraph)
    broken = [claim for claim, holds in story.story(stated) if not holds]
    assert broken == [], f"the README's figures do not tell the story: {broken}"


# ---------- MNIST mode ----------


@pytest.mark.reference
@pytest.mark.figures
def test_mnist_subset_overfits_a_few_hundred_digits(mnist_dir):
    records = pg.run_to_end(replace(pg.DEFAULTS, problem="mnist", points=400, val_fraction=0.5, epochs=15), data_root=mnist_dir)
    last = records[-1]
    assert last.train_accuracy >= 0.98 and 0.6 <= last.val_accuracy <= last.train_accuracy - 0.05


@pytest.mark.unit
def test_mnist_absent_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GALLERY_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match="MNIST.*Put MNIST/raw"):
        overfit._start(values_of(replace(pg.DEFAULTS, problem="mnist")))


# ---------- page helpers ----------


@pytest.mark.unit
def test_curve_updates_send_only_new_epochs_and_restart_with_whole_runs():
    history = []
    for number in (1, 2):
        entry = runs.new_entry(number, SHORT)
        for record in pg.run_to_end(replace(SHORT, seed=number)):
            runs.add_record(entry, record)
        history.append(entry)
    current = history[-1]
    first = curve_update(history, "loss", 0, best_epoch=4, epochs=SHORT.epochs)
    assert first["reset"] and first["best"] == 4 and first["epochs"] == SHORT.epochs
    assert first["epoch"] == current["epoch"] and first["val"] == current["val_loss"]  # the whole run so far
    assert [run["val"] for run in first["earlier"]] == [history[0]["val_loss"]]  # and the run before it
    parts = [curve_update(history, "accuracy", sent, 4, SHORT.epochs) for sent in (0, 3, 7)]
    assert "reset" not in parts[1] and parts[1]["epoch"] == current["epoch"][3:] and parts[1]["train"] == current["train_accuracy"][3:]
    assert len({part["seq"] for part in parts}) == 3  # each update is a new frame for the page
    assert "**1 run ago** · run 1: two moons" in runs.runs_list(history)


@pytest.mark.unit
def test_a_run_is_sent_at_its_pace_every_record_kept_the_first_and_last_always():
    records = pg.run_to_end(SHORT)
    entry, kept = runs.new_entry(1, SHORT), []
    every = list(runs.paced(iter(records), entry, 0.0, kept=kept))
    assert [r for r, _, _ in every] == records == kept and entry["epoch"] == list(range(1, SHORT.epochs + 1))
    assert [drawn for _, drawn, _ in every] == list(range(SHORT.epochs))  # the epochs already sent before each
    assert [fresh for _, _, fresh in every] == [True] + [False] * (SHORT.epochs - 2) + [True]  # no picture_seconds: first and last
    entry = runs.new_entry(1, SHORT)
    rare = list(runs.paced(iter(records), entry, 1e9, 1e9))
    assert rare == [(records[0], 0, True), (records[-1], 1, True)] and len(entry["epoch"]) == SHORT.epochs


@pytest.mark.unit
def test_the_schedule_plot_has_each_epochs_rate_and_refuses_a_bad_one():
    table = ps.lr_per_epoch(0.1, "step", 4)
    assert table["epoch"] == [1, 2, 3, 4] and table["lr"] == pytest.approx([0.1, 0.1, 0.01, 0.001])
    with pytest.raises(ps.SettingsError, match="lr must be between"):
        ps.lr_per_epoch(5.0, "constant", 10)


@pytest.mark.unit
def test_url_query_restores_settings_and_ignores_junk():
    settings = ps.settings_from_query(
        {"seed": "42", "width": "32", "batch_norm": "true", "problem": "spiral", "depth": "99", "lr": "abc", "tab": "overfit"}
    )
    assert (settings.seed, settings.width, settings.batch_norm, settings.problem) == (42, 32, True, "spiral")
    assert settings.depth == pg.DEFAULTS.depth and settings.lr == pg.DEFAULTS.lr
    assert ps.settings_from_query({"tab": "gan"}) is None


@pytest.mark.unit
def test_decision_regions_are_tinted_by_the_predicted_class():
    class AlwaysOrange(torch.nn.Module):
        def forward(self, x):
            return torch.tensor([[-5.0, 5.0]]).expand(len(x), 2)

    data = pg.make_data(replace(pg.DEFAULTS, points=20))
    image = decision_regions(AlwaysOrange(), data, size=200)
    corner = image[2, 2].astype(int)  # no points there: only the background
    assert image.shape == (200, 200, 3)
    assert corner[0] > corner[2] + 40  # orange-ish, the colour of class 1
    assert tuple(CLASS_COLOURS[1].astype(int)) in {tuple(p) for p in image.reshape(-1, 3).tolist()}  # filled training dots


@pytest.mark.unit
def test_the_regression_picture_has_its_shape():
    run = pg.PlaygroundRun(replace(SHORT, problem="curve"))
    list(run.records())
    assert picture(run.model, run.data).shape == (384, 384, 3)


@pytest.mark.unit
def test_training_events_share_a_concurrency_limit():
    page = layout.build()
    limited = [fn for fn in page.fns.values() if fn.concurrency_id == "overfit_training"]
    path_runs = ["streaming"] * 2  # the guided path's "Set up and run" and "Run as it is now"
    training = [fn for fn in page.fns.values() if fn.name in ("train_on_page", "train_playground", *path_runs)]
    expected = path_runs + ["train_on_page"] * (1 + len(ps.TRY_THIS)) + ["train_playground"]  # path, Train, Try this, API
    assert sorted(fn.name for fn in limited) == expected
    assert limited == training and all(fn.concurrency_limit == 2 for fn in limited)


# ---------- end to end: gradio_client and the browser ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/overfit/", verbose=False)


@pytest.mark.e2e
def test_train_playground_streams_records_and_reproduces_a_seed(client):
    runs = []
    for _ in range(2):
        job = client.submit(problem="circles", epochs=40, seed=3, api_name="/train_playground")
        final = job.result(timeout=120)
        streamed = job.outputs()  # every update it streamed, the final one included
        runs.append(final)
        assert final["epoch"] == 40 and final["stopped"] == "all 40 epochs done"
        assert len(final["curves"]["epoch"]) == 40
        assert all(r["epoch"] <= 40 for r in streamed)
    assert runs[0]["curves"] == runs[1]["curves"]


@pytest.mark.e2e
def test_train_playground_refuses_absurd_sizes(client):
    with pytest.raises(Exception, match="width must be between 1 and 256"):
        client.predict(width=1_000_000, api_name="/train_playground")


@pytest.mark.browser
def test_the_page_restores_the_url_trains_live_and_stops(page, app_url):
    # Big enough that 1,000 epochs take far longer than the click on Stop (a small run can finish first).
    open_gradio(page, f"{app_url}/demos/overfit/?seed=5&problem=curve&depth=4&epochs=1000&points=2000&width=256")
    seed = page.locator("#overfit-seed input")
    page.wait_for_function("el => el.value === '5'", arg=seed.element_handle(), timeout=15_000)
    page.locator("#overfit-train").click()
    summary = page.locator("#overfit-summary")
    page.wait_for_function("el => /Epoch \\d+\\/1000/.test(el.innerText)", arg=summary.element_handle(), timeout=60_000)
    page.locator("#overfit-stop").click()
    wait_until_streaming_ends(page, summary, timeout=10)  # well before the run's 30 s wall-time cap
    text = summary.inner_text()
    assert "Stopped:" not in text and "Epoch" in text  # cancelled mid-run: neither finished nor capped
    assert "MSE" in text  # the regression problem came from the URL
    assert page.locator("#overfit-picture img").count() == 1

    seed.fill("6")
    seed.press("Enter")
    page.wait_for_function("() => window.location.search.includes('seed=6')", timeout=10_000)
    assert "problem=curve" in page.url and "depth=4" in page.url


@pytest.mark.browser
def test_a_shared_gallery_url_restores_the_settings_too(page, app_url):
    open_gradio(page, f"{app_url}/?tab=overfit&seed=11&problem=xor&width=16")
    page.get_by_role("tab", name="Overfitting playground").click()
    seed = page.locator("#overfit-seed input")
    page.wait_for_function("el => el.value === '11'", arg=seed.element_handle(), timeout=15_000)
    assert page.get_by_label("Units per layer").first.input_value() == "16"


# ---------- issue 18 and 21: opening on a result, Try this, the palette, runs kept in the browser ----------


@pytest.mark.unit
def test_a_stored_run_is_thinned_to_200_epochs_and_grows_only_at_its_end_while_it_trains():
    entry = runs.new_entry(1, SHORT)
    for epoch in range(1, 1001):
        runs.add_record(entry, pg.EpochRecord(epoch, 0.0, 1 / epoch, 2 / epoch, 0.5, 0.4, 1, lr=0.01))
    kept = runs.thinned(entry, 1000)
    assert len(kept["epoch"]) == 201 and kept["epoch"][:3] == [1, 6, 11] and kept["epoch"][-1] == 1000
    assert all(len(kept[k]) == 201 for k in runs.CURVES) and kept["val_loss"][-1] == 2 / 1000
    partial = {k: v[:501] if isinstance(v, list) else v for k, v in entry.items()}  # the same run half way
    half = runs.thinned(partial, 1000)
    assert half["epoch"][:-1] == kept["epoch"][: len(half["epoch"]) - 1]  # what was sent stays: only the end changes
    assert runs.checked_runs([kept])[0]["epoch"] == kept["epoch"]  # a stored run is not thinned again


@pytest.mark.unit
def test_runs_from_the_browser_are_checked_and_only_the_last_ten_kept():
    good = runs.from_records(1, SHORT, pg.run_to_end(SHORT))
    junk = [None, "x", {"number": "1"}, {**good, "val_loss": good["val_loss"][:-1]}, {**good, "epoch": []}]
    assert runs.checked_runs("not a list") == [] and runs.checked_runs(junk) == []
    many = [{**good, "number": n, "name": f"run {n}"} for n in range(1, 13)]
    assert [entry["number"] for entry in runs.checked_runs(many)] == list(range(3, 13))
    assert "10 of the last 10" in runs.runs_list(runs.checked_runs(many)) and "**this run** · run 12" in runs.runs_list(many)
    gap, words = runs.last_words(good)
    assert gap == pytest.approx(100 * (good["train_accuracy"][-1] - good["val_accuracy"][-1]), abs=0.05)
    assert f"epoch {SHORT.epochs}" in words and f"lowest validation loss at epoch {runs.best_epoch(good)}" in words


@pytest.mark.unit
def test_the_pictures_take_the_palettes_class_and_model_colours():
    run = store.finished(replace(SHORT, points=40))
    assert store.finished(replace(SHORT, points=40)) is run  # trained once, then kept
    for palette in ("default", "safe"):
        colours = {tuple(p) for p in picture(run.model, run.data, palette).reshape(-1, 3).tolist()}
        assert CLASSES[palette][1] in colours  # the filled training dots of class 1
        other = "safe" if palette == "default" else "default"
        assert CLASSES[other][1] not in colours
    curve = pg.PlaygroundRun(replace(SHORT, problem="curve"))
    list(curve.records())
    for palette in ("default", "safe"):
        assert DIVERGING[palette][1] in {tuple(p) for p in picture(curve.model, curve.data, palette).reshape(-1, 3).tolist()}
    assert "orange = the model" in overfit.legend("safe") and "red = the model" in overfit.legend("default")


def start_app(port: int, log) -> subprocess.Popen:
    """`python app.py` on `port`, as tests.conftest's app_url starts it; returns once it answers."""
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process)
    except Exception:
        stop(process)
        raise
    return process


def wait_for_opening_run(page) -> None:
    """The loss chart in #overfit-result has drawn a finished run (the opening one, or a stored one)."""
    chart = page.locator("#overfit-result #overfit-loss .live-curves")
    page.wait_for_function("el => Number(el.dataset.points) > 0", arg=chart.element_handle(), timeout=90_000)


def ended(page) -> int:
    """Wait for the run on the page to end; its last epoch."""
    summary = page.locator("#overfit-summary")
    page.wait_for_function("el => /Stopped: /.test(el.innerText)", arg=summary.element_handle(), timeout=90_000)
    wait_until_streaming_ends(page, summary)
    return int(re.search(r"Epoch (\d+)/", summary.inner_text())[1])


def picture_colours(page) -> set[tuple[int, int, int]]:
    """Every colour in the model's picture as the page shows it (the image file it loaded)."""
    src = page.locator("#overfit-picture img").get_attribute("src")
    image = Image.open(io.BytesIO(page.request.get(src).body())).convert("RGB")
    return set(image.getdata())


@pytest.mark.browser
def test_the_page_opens_on_the_first_preset_and_a_visitors_runs_survive_a_server_restart(browser, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/demos/overfit/"
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    with open(tmp_path / "app.log", "w") as log:
        server = start_app(port, log)
        try:
            open_gradio(page, url, timeout=180)  # the server trains the opening run once, at start or on this first load
            wait_for_opening_run(page)  # no click: the first preset, trained to its end
            assert page.locator("#overfit-preset input").input_value() == "memorise the noise"
            epochs = ended(page)  # 200, unless a very busy machine hit the wall-time cap
            assert page.locator("#overfit-loss .live-curves").get_attribute("data-points") == str(epochs)
            assert page.locator("#overfit-picture img").count() == 1
            assert "this run · run 1: two moons" in page.locator("#overfit-runs").inner_text()

            page.get_by_role("button", name="Add weight decay").click()  # Try this: picks the preset and trains it
            runs_box = page.locator("#overfit-runs")
            page.wait_for_function("el => el.innerText.includes('run 2')", arg=runs_box.element_handle(), timeout=30_000)
            epochs = ended(page)
            assert page.locator("#overfit-preset input").input_value() == "fix it with weight decay"
            assert page.get_by_label("Weight decay (L2)").first.input_value() == "0.03"
            assert "L2 0.03" in runs_box.inner_text()
        finally:
            stop(server)
        server = start_app(port, log)  # the same address: the browser's storage belongs to it
        try:
            open_gradio(page, url)
            wait_for_opening_run(page)
            listed = page.locator("#overfit-runs").inner_text()
            assert "this run · run 2: two moons, 200 pts, 3×128 relu, L2 0.03" in listed and "1 run ago · run 1" in listed
            assert page.locator("#overfit-loss .live-curves").get_attribute("data-points") == str(epochs)  # its curves too
            assert f"run 2 (kept in this browser), epoch {epochs}" in page.locator("#overfit-summary").inner_text()
        finally:
            stop(server)
            context.close()


@pytest.mark.browser
def test_the_palette_recolours_the_picture_and_its_legend_and_the_url_keeps_it(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/", timeout=180)  # the first to open it may wait for the opening run
    wait_for_opening_run(page)
    default = picture_colours(page)
    assert CLASSES["default"][1] in default and CLASSES["safe"][1] not in default  # class 1's filled dots
    picture = page.locator("#overfit-picture img")
    before = picture.get_attribute("src")
    page.get_by_label("Colour-blind safe (blue / orange)").check()
    page.wait_for_function("([el, before]) => el.getAttribute('src') !== before", arg=[picture.element_handle(), before], timeout=30_000)
    safe = picture_colours(page)
    assert CLASSES["safe"][1] in safe and CLASSES["default"][1] not in safe
    assert "orange = the model" in page.locator("#overfit-legend").inner_text()
    page.wait_for_function("() => window.location.search.includes('palette=safe')", timeout=10_000)

    open_gradio(page, page.url)  # reload with ?palette=safe: the opening picture is drawn in it
    wait_for_opening_run(page)
    page.wait_for_function("el => el.innerText.includes('orange = the model')", arg=page.locator("#overfit-legend").element_handle())
    assert CLASSES["safe"][1] in picture_colours(page)
    problems = [v for v in axe_violations(page, "#overfit-result") if v["impact"] == "critical"]
    assert problems == []


@pytest.mark.browser
def test_each_try_this_button_picks_its_preset_and_trains_it(page, app_url):
    open_gradio(page, f"{app_url}/demos/overfit/", timeout=180)
    wait_for_opening_run(page)
    page.get_by_role("button", name="Early stopping").click()
    page.wait_for_function("el => el.innerText.includes('run 2')", arg=page.locator("#overfit-runs").element_handle(), timeout=30_000)
    ended(page)
    assert "Stopped: early stopping" in page.locator("#overfit-summary").inner_text()
    assert page.locator("#overfit-preset input").input_value() == "stop early"
    assert page.get_by_label("Early stopping patience (0 = off)").first.input_value() == "20"
    page.get_by_role("button", name="Memorise: a big net, few points").click()
    page.wait_for_function("el => el.innerText.includes('run 3')", arg=page.locator("#overfit-runs").element_handle(), timeout=30_000)
    ended(page)
    assert page.locator("#overfit-preset input").input_value() == "memorise the noise"
    assert page.get_by_label("Early stopping patience (0 = off)").first.input_value() == "0"
    assert (
        "1 run ago · run 2: two moons, 200 pts, 3×128 relu, Adam lr 0.01, seed 0, patience 20" in page.locator("#overfit-runs").inner_text()
    )


@pytest.mark.unit
def test_a_setting_the_page_cannot_train_keeps_what_the_page_shows_and_says_why():
    values = values_of(replace(pg.DEFAULTS, data_csv="x,y\n1,2\n"))
    with pytest.warns(UserWarning, match="no label column"):  # gr.Warning outside a request: a toast in the page
        updates = list(overfit.train_on_page(*values.values(), "default", []))
    assert len(updates) == 1 and all(u == {"__type__": "update"} for u in updates[0])  # gr.skip(): every output kept


@pytest.mark.unit
def test_the_points_kept_in_the_browser_come_back_as_the_csv_text():
    text = "x,y,label\n0,0,0\n1,1,1\n"
    assert saved_text([text]) == text and saved_text([""]) == ""  # [""]: cleared points are stored too
    assert saved_text(text) == text  # as stored before the list
    assert saved_text(None) == "" and saved_text([1]) == "" and saved_text({"x": 1}) == ""


TINY = replace(pg.DEFAULTS, problem="moons", points=40, depth=1, width=4, epochs=2)


@pytest.mark.unit
def test_the_opening_run_is_trained_once_and_never_pushed_out(monkeypatch):
    first = store.finished(TINY)
    for seed in range(store.FINISHED.size + 1):  # visitors' runs push it out of FINISHED
        run = pg.PlaygroundRun(replace(TINY, seed=seed + 1))
        store.FINISHED.put(run, list(run.records()))
    assert store.FINISHED.get(runs.run_key(replace(TINY, max_seconds=pg.LIMITS["max_seconds"][1]))) is None

    def no_training(*args, **kwargs):
        raise AssertionError("the opening run was trained again")

    monkeypatch.setattr(pg, "PlaygroundRun", no_training)
    assert store.finished(TINY) is first
    # and the page still finds it: a palette change redraws the opening run's picture (it said "no longer
    # on the server" once eight visitors' runs had pushed the run out of FINISHED)
    entry = runs.from_records(1, first.settings, first.records)
    picture, network, _ = overfit.redraw("safe", [entry])
    assert store.kept(entry["key"]) is first and isinstance(picture, str) and isinstance(network, dict)  # not gr.skip()


@pytest.mark.unit
def test_a_page_load_does_not_wait_for_ever_on_the_opening_run(monkeypatch):
    other = replace(TINY, seed=99)
    with store._TRAINING_ONE:  # another thread is training it
        assert store.finished(other, wait=0.05) is None
    request = type("Request", (), {"query_params": {}})()
    monkeypatch.setattr(overfit.store, "finished", lambda settings, wait=None: None)
    shown = overfit.open_page([], request)
    assert shown[0] == overfit.OPENING and shown[5] == overfit.OPENING_NOT_READY

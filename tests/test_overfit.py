"""The overfitting playground: its data, model and runs; the presets' story; the streamed API; the page."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from gradio_client import Client

import core.playground.experiment as pg
from bench.overfit import preset_figures, preset_line
from core.errors import UserError
from core.playground.draw import CLASS_COLOURS, curve_update, decision_regions, picture
from demos import overfit
from tests.conftest import ROOT, open_gradio, wait_until_streaming_ends

SHORT = replace(pg.DEFAULTS, epochs=12)


def values_of(settings) -> dict:
    return {name: getattr(settings, name) for name in overfit.setting_names()}


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
def test_the_same_seed_gives_the_same_curves_and_another_seed_does_not():
    settings = replace(SHORT, dropout=0.3, batch_norm=True)
    strip = lambda records: [replace(r, elapsed=0.0) for r in records]  # noqa: E731
    first, second = strip(pg.run_to_end(settings)), strip(pg.run_to_end(settings))
    assert first == second
    assert strip(pg.run_to_end(replace(settings, seed=1))) != first


@pytest.mark.unit
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


# ---------- the story the presets tell (same seed) ----------


@pytest.fixture(scope="module")
def preset_results():
    return {name: pg.kept_metrics(pg.run_to_end(settings)) for name, settings in pg.PRESETS.items()}


@pytest.mark.reference
def test_memorising_the_noise_fits_training_far_better_than_validation(preset_results):
    memorise = preset_results["memorise the noise"]
    assert memorise.train_accuracy >= 0.97
    assert memorise.gap >= 0.1  # train accuracy 10+ points above validation


@pytest.mark.reference
@pytest.mark.parametrize("fix", ["fix it with dropout", "fix it with weight decay", "fix it with more data", "stop early"])
def test_each_fix_shrinks_the_gap(preset_results, fix):
    assert preset_results[fix].gap <= preset_results["memorise the noise"].gap - 0.07


@pytest.mark.reference
def test_underfitting_cannot_even_fit_the_training_set(preset_results):
    assert preset_results["underfit"].train_accuracy <= preset_results["memorise the noise"].train_accuracy - 0.25


@pytest.mark.reference
def test_the_readme_states_what_the_presets_command_prints():
    # `python -m bench.overfit --presets` prints this line; seeded, so exact to the printed 0.1%.
    figures = preset_figures()
    readme = " ".join((ROOT / "README.md").read_text().split())  # the sentence wraps over lines
    stated = {}
    for name in figures:
        found = re.search(rf"\b{re.escape(name)} (\d+\.\d)% / (\d+\.\d)%", readme)
        stated[name] = (float(found[1]), float(found[2])) if found else None
    assert stated == figures, f"README should say: {preset_line(figures)}"


# ---------- MNIST mode ----------


@pytest.mark.reference
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
        entry = overfit.new_entry(number, SHORT)
        for record in pg.run_to_end(replace(SHORT, seed=number)):
            overfit.add_record(entry, record)
        history.append(entry)
    current = history[-1]
    first = curve_update(history, "loss", 0, best_epoch=4, epochs=SHORT.epochs)
    assert first["reset"] and first["best"] == 4 and first["epochs"] == SHORT.epochs
    assert first["epoch"] == current["epoch"] and first["val"] == current["val_loss"]  # the whole run so far
    assert [run["val"] for run in first["earlier"]] == [history[0]["val_loss"]]  # and the run before it
    parts = [curve_update(history, "accuracy", sent, 4, SHORT.epochs) for sent in (0, 3, 7)]
    assert "reset" not in parts[1] and parts[1]["epoch"] == current["epoch"][3:] and parts[1]["train"] == current["train_accuracy"][3:]
    assert len({part["seq"] for part in parts}) == 3  # each update is a new frame for the page
    assert "1 run ago** (run 1)" in overfit.runs_list(history)


@pytest.mark.unit
def test_url_query_restores_settings_and_ignores_junk():
    settings = overfit.settings_from_query(
        {"seed": "42", "width": "32", "batch_norm": "true", "problem": "spiral", "depth": "99", "lr": "abc", "tab": "overfit"}
    )
    assert (settings.seed, settings.width, settings.batch_norm, settings.problem) == (42, 32, True, "spiral")
    assert settings.depth == pg.DEFAULTS.depth and settings.lr == pg.DEFAULTS.lr
    assert overfit.settings_from_query({"tab": "gan"}) is None


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
    page = overfit.build()
    limited = [fn for fn in page.fns.values() if fn.concurrency_id == "overfit_training"]
    assert {fn.api_name for fn in limited} == {"train_playground", "train_on_page"}
    assert all(fn.concurrency_limit == 2 for fn in limited)


# ---------- end to end: gradio_client and the browser ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/overfit/", verbose=False)


@pytest.mark.e2e
def test_train_playground_streams_records_and_reproduces_a_seed(client):
    runs = []
    for _ in range(2):
        job = client.submit(problem="circles", epochs=40, seed=3, api_name="/train_playground")
        streamed = list(job)
        final = job.result()
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
    page.get_by_role("button", name="Stop").click()
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

"""The playground's guided path (demos/lessons/paths/overfit.yaml): each step's judge
(core/playground/guide.py) on hand-made results for which each answer is the outcome, the reveal's
words formatting with the judge's facts, what the page's run hands the judge, and the path walked in
a browser (each step once right, once wrong), with a flip: weight decay 0 instead of 0.03 makes the
step's two runs one and the same run, so the gap cannot shrink, on any CPU.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import core.playground.guide as judges
import core.playground.settings as ps
from core.errors import UserError
from core.playground.experiment import EpochRecord
from demos.guide import load_path
from demos.overfit import path as overfit_path
from harness.guide import choose, next_step, open_step, run_step, step_shown
from tests.guide_checks import judged_as

PATH = load_path("overfit")
STEPS = {step.id: step for step in PATH.steps}
WAIT = 300  # seconds for one step's run and verdict: a run takes seconds, but the machine running the tests may be shared


def result(train=1.0, val=0.85, **more) -> dict:
    """A run's figures as demos/overfit/path.py hands them to a judge (200 epochs, no early stopping)."""
    epochs = list(range(1, 201))
    return {
        "points": 200,
        "epochs": 200,
        "patience": 0,
        "weight_decay": 0.0,
        "width": 128,
        "depth": 3,
        "epoch": epochs,
        "train_loss": [1 / e for e in epochs],
        "val_loss": [0.7] * 200,
        "train_accuracies": [train] * 200,
        "val_accuracies": [val] * 200,
        "train_accuracy": train,
        "val_accuracy": val,
        "gap": train - val,
        "last_epoch": 200,
        "stopped": "all 200 epochs done",
    } | more


def valley(lowest_at: int, end: float) -> list[float]:
    """Validation loss falling to 0.3 at epoch `lowest_at`, then moving straight to `end` at epoch 200."""
    return [0.7 - 0.4 * e / lowest_at if e <= lowest_at else 0.3 + (end - 0.3) * (e - lowest_at) / (200 - lowest_at) for e in range(1, 201)]


# For each step: a result for which each answer is the outcome.
CASES = {
    "memorise": {"wide": result(1.0, 0.85), "narrow": result(0.90, 0.85)},
    "turn": {
        "turns": result(val_loss=valley(19, 2.5)),
        "levels": result(val_loss=valley(33, 0.33)),
        "falls": result(val_loss=valley(138, 0.31)),
    },
    "weight-decay": {
        "shrinks": result(0.80, 0.84, weight_decay=0.03, baseline=result(1.0, 0.84)),
        "not": result(1.0, 0.84, weight_decay=0.0, baseline=result(1.0, 0.84)),
    },
    "target": {"reached": result(0.90, 0.875), "missed": result(1.0, 0.844)},
    "early": {
        "before": result(
            last_epoch=39, patience=20, stopped="early stopping: no better validation loss for 20 epochs; kept the weights of epoch 19"
        ),
        "after": result(
            last_epoch=119, patience=100, stopped="early stopping: no better validation loss for 100 epochs; kept the weights of epoch 19"
        ),
        "never": result(),
    },
    "underfit": {"fits": result(1.0, 0.85), "short": result(0.55, 0.49, width=1, depth=1)},
}


@pytest.mark.unit
def test_every_step_has_cases_for_each_of_its_answers():
    assert set(CASES) == set(STEPS)
    assert all(set(CASES[step_id]) == set(step.answers) for step_id, step in STEPS.items())


@pytest.mark.unit
@pytest.mark.parametrize("step_id, answer", [(s, a) for s, answers in CASES.items() for a in answers])
def test_each_answer_is_the_outcome_of_a_run_that_made_it_true_and_every_text_quotes_its_facts(step_id, answer):
    judged_as(PATH, STEPS[step_id], CASES[step_id][answer], answer)


@pytest.mark.unit
def test_the_thresholds_are_the_stories_and_the_edges_fall_on_the_stated_side():
    assert judges.gap_width(result(38 / 40, 136 / 160)).outcome == "wide"  # 10 points (9.999... in floats): "10 points or more"
    assert judges.gap_width(result(38 / 40, 137 / 160)).outcome == "narrow"
    assert judges.target(result(0.9, 0.85)).outcome == "reached"  # 85% is "85% or more"
    assert judges.target(result(0.9, 0.9, points=210)).outcome == "missed"  # too many points, however accurate
    assert judges.early_stop(CASES["early"]["before"] | {"last_epoch": 50}).outcome == "after"
    narrowed = result(0.95, 0.85, baseline=result(1.0, 0.85))  # the gap went from 15 to 10 points: 5 narrower
    assert judges.gap_change(narrowed).outcome == "shrinks"
    assert judges.fits_training(result(0.97, 0.85)).outcome == "fits"


@pytest.mark.unit
def test_a_run_that_produced_nothing_or_no_accuracy_is_the_learners_to_redo():
    with pytest.raises(UserError, match="no finished run"):
        judges.gap_width(None)
    with pytest.raises(UserError, match="classification"):
        judges.gap_width(result() | {"train_accuracy": None, "val_accuracy": None, "gap": None})
    with pytest.raises(UserError, match="baseline"):
        judges.gap_change(result())


@pytest.mark.unit
def test_each_step_sets_up_its_preset_and_only_the_weight_decay_step_trains_a_baseline_without_the_fix():
    names = ps.setting_names()
    for step_id, (name, settings) in overfit_path.SETUPS.items():
        box, *values = overfit_path.set_up(step_id)
        assert box == name and (name is None or ps.PRESETS[name] == settings)
        shown = {n: v for n, v in zip(names, values) if n not in ps.NOT_IN_URL}
        assert shown == {n: getattr(settings, n) for n in shown}, step_id
    values = {n: getattr(ps.PRESETS["fix it with weight decay"], n) for n in names}
    assert overfit_path.baseline_values("weight-decay", values) == values | {"weight_decay": 0.0}
    assert all(overfit_path.baseline_values(s, values) is None for s in STEPS if s != "weight-decay")


@pytest.mark.unit
def test_a_steps_run_is_the_pages_stream_and_its_result_comes_last_with_the_baseline_first():
    """run_step with a stand-in for the page's stream: it trains the baseline, then the page's settings on
    the runs the baseline left, and hands the judge both runs' figures only in its last yield."""
    calls = []

    def stream(values, palette, saved, kept):
        calls.append((values["weight_decay"], saved))
        gap = 0.15 if values["weight_decay"] == 0 else 0.0
        kept.extend(EpochRecord(e, 0.0, 0.1, 0.3, 0.85 + gap, 0.85, 1) for e in (1, 2))
        yield ("curve", "curve", "picture", 1.0, "words", "list", [*saved, f"run {len(saved) + 1}"])

    settings = replace(ps.PRESETS["fix it with weight decay"], epochs=2)
    args = [getattr(settings, n) for n in ps.setting_names()] + ["default", []]
    updates = list(overfit_path.run_step(stream, "weight-decay", *args))
    assert calls == [(0.0, []), (0.03, ["run 1"])]  # the baseline first, then this run beside it
    assert all(update[-1] is None for update in updates[:-1]) and len(updates[-1]) == 8
    assert updates[-1][:7] == ("curve", "curve", "picture", 1.0, "words", "list", ["run 1", "run 2"])  # the last values, not skips
    figures = updates[-1][-1]
    assert figures["baseline"]["gap"] == pytest.approx(0.15) and figures["gap"] == pytest.approx(0.0) and figures["weight_decay"] == 0.03
    assert judges.gap_change(figures).outcome == "shrinks"

    def refused(values, palette, saved, kept):
        yield ("skip",) * 7

    assert [u[-1] for u in overfit_path.run_step(refused, "memorise", *args)] == [None]  # nothing trained: nothing to judge


# ---------- in the browser ----------


@pytest.mark.browser
def test_the_path_walks_every_step_once_right_and_once_wrong(page, app_url):
    """Each step: the usual answer, "Set up and run" (the presets' story, with its margins, holds on any
    CPU); then another answer and "Run as it is now", which the same run marks wrong."""
    open_step(page, app_url, "overfit", 1)
    for number, step in enumerate(PATH.steps, 1):
        assert step_shown(page, "overfit") == number
        choose(page, "overfit", step.answers[step.usual])
        correct, outcome = run_step(page, "overfit", timeout=WAIT)
        assert (correct, outcome) == (True, step.usual), step.id
        other = next(answer for answer in step.answers if answer != step.usual)
        choose(page, "overfit", step.answers[other])
        correct, outcome = run_step(page, "overfit", setup=False, timeout=WAIT)
        assert (correct, outcome) == (False, step.usual), step.id
        assert page.locator("#overfit-reveal .explain").inner_text()
        if number < len(PATH.steps):
            next_step(page, "overfit")
    assert "this run" in page.locator("#overfit-runs").inner_text()  # the runs went on the page's charts


@pytest.mark.browser
def test_weight_decay_0_flips_the_weight_decay_step(page, app_url):
    """Set the step up (weight decay 0.03: the gap shrinks), then weight decay 0 and "Run as it is now":
    the baseline and the run are the same run, so the reveal marks "It shrinks" wrong."""
    step = STEPS["weight-decay"]
    open_step(page, app_url, "overfit", PATH.steps.index(step) + 1)
    choose(page, "overfit", step.answers["shrinks"])
    assert run_step(page, "overfit", timeout=WAIT) == (True, "shrinks")
    decay = page.locator("#overfit-weight-decay input[type=number]")
    decay.fill("0")
    decay.press("Enter")
    page.wait_for_function("() => new URL(window.location).searchParams.get('weight_decay') === '0'", timeout=10_000)
    assert run_step(page, "overfit", setup=False, timeout=WAIT) == (False, "not")
    assert "Weight decay 0 is too weak" in page.locator("#overfit-reveal").inner_text()

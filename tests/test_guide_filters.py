"""The filter visualiser's guided path (demos/lessons/paths/filters.yaml, core/vision/guide.py,
demos/filters/path.py).

- unit: each step's judge, on hand-made results for which each of its answers is the outcome, and
  every text of the step formats with that judge's facts; the two measures of a map on tiny inputs;
- figures: the page's own run, on the shipped digit CNN and the sandbox, gives each step its usual
  outcome, and a changed setting (the channel, the layer and input, the Transposed box) flips it;
- browser: every step walked once with a right answer and once with a wrong one, and flips: a
  setting changed on the page, "Run as it is now", the usual answer marked wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.guide import Judgement
from core.vision import convolution as conv
from core.vision import guide
from demos.filters import path
from demos.filters.handlers import ASSETS
from demos.guide import judge_of, load_path
from harness.guide import choose, next_step, open_step, run_step
from tests.guide_checks import judged_as

SLUG = "filters"
PATH = load_path(SLUG)
STEPS = {step.id: step for step in PATH.steps}


def sandbox_result(rows, cols, input_rows=15, input_cols=15, transposed=False, output=None):
    return dict(
        output=output if output is not None else np.zeros((rows, cols)).tolist(),
        rows=rows,
        cols=cols,
        input_rows=input_rows,
        input_cols=input_cols,
        kernel="3×3",
        stride=2,
        padding=1,
        transposed=transposed,
    )


def maps_result(side, likeness=0.5):
    return dict(layer="conv5", channel=0, upright=1.0, flat=1.0, side=side, input_side=28, channels=128, likeness=likeness, likest=3)


# For each step, a hand-made result per answer that makes that answer the outcome.
RESULTS = {
    "edges": {
        "upright": dict(layer="conv1", channel=18, upright=4.2, flat=3.0),
        "flat": dict(layer="conv1", channel=20, upright=2.0, flat=3.0),
        "alike": dict(layer="conv1", channel=5, upright=3.0, flat=2.9),
    },
    "sign": {
        "positive": dict(output=[[0.0, 4.0], [1.0, -3.0]]),
        "negative": dict(output=[[0.0, -4.0, -4.0], [0.0, -4.0, 2.0]]),
        "zero": dict(output=[[0.0, 0.0], [0.0, 0.0]]),
    },
    "size": {
        "seven": sandbox_result(7, 7),
        "eight": sandbox_result(8, 8),
        "same": sandbox_result(15, 15),
        "other": sandbox_result(29, 29, transposed=True),
    },
    "transposed": {
        "larger": sandbox_result(16, 16, 8, 8, transposed=True),
        "same": sandbox_result(8, 8, 8, 8),
        "smaller": sandbox_result(4, 4, 8, 8),
    },
    "deeper": {"full": maps_result(28, 0.9), "half": maps_result(14, 0.7), "quarter": maps_result(7, 0.5)},
    "excite": {
        "found": dict(layer="conv3", channel=10, found=5.1, start=-0.9, real=-4.8),
        "real": dict(layer="conv1", channel=18, found=0.67, start=-0.09, real=2.1),
    },
}


@pytest.mark.unit
def test_every_step_has_hand_made_results_for_each_of_its_answers():
    assert set(RESULTS) == set(STEPS)
    for step_id, step in STEPS.items():
        assert set(RESULTS[step_id]) == set(step.answers), step_id


@pytest.mark.unit
@pytest.mark.parametrize("step_id,answer", [(s, a) for s, answers in RESULTS.items() for a in answers])
def test_each_answer_is_the_outcome_of_a_run_that_made_it_true_and_every_text_quotes_its_facts(step_id, answer):
    judged_as(PATH, STEPS[step_id], RESULTS[step_id][answer], answer)


@pytest.mark.unit
def test_the_sign_is_the_strongest_values_and_the_size_step_names_a_lopsided_output_another_size():
    assert guide.edge_sign(dict(output=[[1.0, -5.0], [4.0, 0.0]])).facts == dict(strongest=-5.0, row=0, col=1, nonzero=3)
    assert guide.output_side(sandbox_result(8, 7)).outcome == "other"
    assert guide.resize(sandbox_result(16, 4, 8, 8)).outcome == "same"  # by area


@pytest.mark.unit
def test_a_map_that_follows_left_to_right_changes_answers_upright_edges():
    image = np.zeros((12, 12))
    image[3:9, 3:9] = 1.0  # a square: as many upright edges as flat ones
    across, down = np.abs(np.gradient(image, axis=1)), np.abs(np.gradient(image, axis=0))
    upright, flat = guide.edge_strengths(image, across)
    assert upright > 2 * flat
    upright, flat = guide.edge_strengths(image, down)
    assert flat > 2 * upright
    coarse = across[::2, ::2]  # a smaller map is stretched over the input's pixels
    assert guide.edge_strengths(image, coarse)[0] > guide.edge_strengths(image, coarse)[1]


@pytest.mark.unit
def test_likeness_finds_the_map_most_like_the_input_at_any_size():
    rng = np.random.default_rng(0)
    image = np.kron(rng.random((4, 4)), np.ones((2, 2)))  # (8, 8), constant over 2x2 blocks
    maps = [rng.random((4, 4)), -image[::2, ::2], np.zeros((4, 4))]
    value, channel = guide.likeness(image, maps)
    assert channel == 1 and value == pytest.approx(1.0)


# ---------- the page's own run, on the shipped model and the sandbox ----------


def run_as_set_up(step_id: str, **changed) -> Judgement:
    """The step's run on the page's controls as "Set up and run" leaves them, with `changed` applied."""
    values = dict(
        model="digits",
        layer="conv1",
        channel=0,
        source="upload",
        sketch=None,
        path=path.OPENING_EXAMPLE,
        palette="default",
        input_text=conv.input_text("vertical edge"),
        kernel_text=conv.kernel_text("edge (vertical, Sobel)"),
        stride=1,
        padding=0,
        row=0,
        col=0,
        dilation=1,
        transposed=False,
    )
    values.update({name: value for name, value in path.SETUPS[step_id].items() if name in values}, **changed)
    shown = {name: name for name in ("result", "excited", "excite_caption", "large", "kernels", "kernel_legend", "maps", "cam")}
    shown.update({name: name for name in ("prediction", "status", "sandbox_picture", "sandbox_numbers", "sandbox_size", "sandbox_worked")})
    answer = path.run_step(shown, step_id, *values.values())
    assert set(answer) > {"result"}, "a run shows what it computed on the page"
    return judge_of(PATH, STEPS[step_id])(answer["result"])


FLIPS = {  # a setting a learner can change, measured to end each step otherwise
    "edges": dict(channel=20),
    "sign": dict(kernel_text=conv.kernel_text("edge (horizontal, Sobel)")),
    "size": dict(padding=0),
    "transposed": dict(transposed=False),
    "deeper": dict(layer="conv1"),
    "excite": dict(layer="conv1", channel=18, path=str(ASSETS / "digit_7_white_on_black.png")),
}


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("step_id", list(STEPS))
def test_the_pages_run_tells_the_usual_story_and_a_changed_setting_flips_it(step_id):
    assert run_as_set_up(step_id).outcome == STEPS[step_id].usual
    assert run_as_set_up(step_id, **FLIPS[step_id]).outcome != STEPS[step_id].usual


# ---------- in the browser ----------


@pytest.mark.browser
def test_every_step_is_walked_with_a_right_and_a_wrong_answer(page, app_url):
    open_step(page, app_url, SLUG, 1)
    for number, step in enumerate(PATH.steps, start=1):
        choose(page, SLUG, step.answers[step.usual])
        correct, outcome = run_step(page, SLUG)
        assert (correct, outcome) == (True, step.usual), f"step {number}: {outcome}"
        other = next(label for key, label in step.answers.items() if key != outcome)
        choose(page, SLUG, other)
        correct, outcome = run_step(page, SLUG, setup=False)
        assert (correct, outcome) == (False, step.usual), f"step {number}, run again: {outcome}"
        if number < len(PATH.steps):
            next_step(page, SLUG)


@pytest.mark.browser
def test_a_changed_setting_flips_the_reveal(page, app_url):
    open_step(page, app_url, SLUG, 1)  # channel 18 follows upright edges; channel 20 flat ones
    choose(page, SLUG, STEPS["edges"].answers["upright"])
    assert run_step(page, SLUG) == (True, "upright")
    page.get_by_label("Channel").fill("20")
    page.get_by_label("Channel").press("Enter")
    assert run_step(page, SLUG, setup=False) == (False, "flat")

    open_step(page, app_url, SLUG, 4)  # the transposed convolution grows the square; unticked, it shrinks
    choose(page, SLUG, STEPS["transposed"].answers["larger"])
    assert run_step(page, SLUG) == (True, "larger")
    page.locator("#filters-transposed input").uncheck()
    assert run_step(page, SLUG, setup=False) == (False, "smaller")

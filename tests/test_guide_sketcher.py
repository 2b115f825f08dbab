"""The sketcher's guided path: each step's judge (core.digits.guide) on hand-made results for which
each answer is the outcome, every reveal text formatted with the judge's facts, and in the browser a
walk through every step, right and wrong, plus runs after the canvas was changed, whose reveal then
marks the usual answer wrong."""

from __future__ import annotations

import numpy as np
import pytest

from core.digits import guide
from core.errors import UserError
from demos.guide import judge_of, load_path, reveal_value
from harness.browser import settle
from harness.guide import choose, next_step, open_step, run_step
from tests.guide_checks import judged_as

PATH = load_path("sketcher")


def reads(digit: int, sure: float) -> list[float]:
    """Ten probabilities: `sure` on `digit`, the rest shared by the others."""
    probabilities = [(1 - sure) / 9] * 10
    probabilities[digit] = sure
    return probabilities


def result(cnn=(7, 0.9), mlp=(7, 0.8), cnn_top=0.3, mlp_top=0.7) -> dict:
    return {"cnn": reads(*cnn), "mlp": reads(*mlp), "cnn_top_share": cnn_top, "mlp_top_share": mlp_top}


# For each step, a result for which each answer is the outcome.
CASES = {
    "confidence": {"mlp": result((3, 0.94), (3, 0.96)), "cnn": result((7, 0.99), (7, 0.97))},
    "serif": {
        "mlp": result((1, 0.7), (7, 0.57)),
        "cnn": result((7, 0.6), (1, 0.8)),
        "both": result((7, 0.6), (7, 0.8)),
        "neither": result((1, 0.9), (1, 0.8)),
    },
    "serif-why": {"top": result((1, 0.7), (7, 0.57), mlp_top=0.72), "lower": result((1, 0.4), (2, 0.8), mlp_top=0.05)},
    "seven-push": {"top": result(cnn_top=0.62), "lower": result(cnn_top=0.34)},
    "smudge": {
        "both": result((7, 0.99), (7, 0.97)),
        "cnn": result((7, 0.64), (2, 0.56)),
        "mlp": result((2, 0.6), (7, 0.5)),
        "neither": result((2, 0.6), (2, 0.7)),
    },
    "photo": {"two": result((9, 0.96), (9, 0.98)), "one": result((9, 0.96), (8, 0.57)), "none": result((8, 0.6), (4, 0.5))},
}


@pytest.mark.unit
@pytest.mark.parametrize("step", PATH.steps, ids=lambda s: s.id)
def test_each_answer_is_the_outcome_of_some_run_and_every_text_formats(step):
    assert set(CASES[step.id]) == set(step.answers)
    for expected, run in CASES[step.id].items():
        judged_as(PATH, step, run, expected)


@pytest.mark.unit
def test_the_reveal_quotes_what_the_run_read():
    step = PATH.steps[1]  # the serif 1
    judgement = judge_of(PATH, step)(result((1, 0.7), (7, 0.57)))
    assert "reads a 7 (57% sure)" in reveal_value(step, "mlp", judgement.outcome, judgement.facts)["happened"]


@pytest.mark.unit
def test_top_share_is_the_positive_push_in_the_top_quarter_of_the_ink():
    attributions = np.zeros((40, 10))
    attributions[10, 2] = 3.0  # in the top quarter of rows 10..30 (10..15)
    attributions[20, 2] = 1.0
    attributions[25, 2] = -5.0  # a push against the answer is not counted
    assert guide.top_share(attributions, (10, 0, 30, 10)) == pytest.approx(0.75)
    assert guide.top_share(attributions, (0, 0, 10, 10)) == pytest.approx(0.0)  # the box's top quarter is rows 0..2
    assert guide.top_share(np.zeros((5, 5)), (0, 0, 5, 5)) == 0.0


@pytest.mark.unit
def test_a_run_with_nothing_read_is_the_learners_to_redo():
    with pytest.raises(UserError):
        guide.more_confident(None)
    with pytest.raises(UserError):
        guide.mlp_push_where({"cnn": reads(1, 0.5), "mlp": reads(7, 0.5)})


# ---------- in the browser ----------


def step_label(number: int, answer: str) -> str:
    return PATH.steps[number - 1].answers[answer]


@pytest.mark.browser
def test_walk_every_step_right_and_wrong(page, app_url):
    open_step(page, app_url, "sketcher", 1)
    for number, step in enumerate(PATH.steps, start=1):
        if number > 1:
            next_step(page, "sketcher")
        choose(page, "sketcher", step.answers[step.usual])
        correct, outcome = run_step(page, "sketcher")
        assert outcome == step.usual, f"{step.id}: the usual story did not happen ({outcome})"
        assert correct
        other = next(answer for answer in step.answers if answer != outcome)
        choose(page, "sketcher", step.answers[other])
        assert run_step(page, "sketcher", setup=False) == (False, outcome)


@pytest.mark.browser
def test_the_verdict_follows_the_canvas_not_the_step(page, app_url):
    """Changing the drawing after the set-up flips the outcome: the usual answer is then judged wrong."""
    # Who is surer: the clean 3 (the MLP), then the page's 7 loaded instead (the CNN).
    open_step(page, app_url, "sketcher", 1)
    choose(page, "sketcher", step_label(1, "mlp"))
    assert run_step(page, "sketcher") == (True, "mlp")
    page.get_by_role("button", name="Load a 7").click()
    page.wait_for_function("() => document.querySelector('#cnn-label .bars').dataset.digit === '7'", timeout=30_000)
    assert run_step(page, "sketcher", setup=False) == (False, "cnn")

    # Where the MLP found its 7 in the serif 1: the serif; smudged (Try this), it reads a 2 from below.
    next_step(page, "sketcher")
    next_step(page, "sketcher")
    choose(page, "sketcher", step_label(3, "top"))
    assert run_step(page, "sketcher") == (True, "top")
    page.locator("#sketcher-try-smudge").click()
    page.wait_for_function("() => document.querySelector('#mlp-label .bars').dataset.digit === '2'", timeout=30_000)
    assert run_step(page, "sketcher", setup=False) == (False, "lower")
    settle(page, lambda: None)  # the page's own pen-up work on the smudged digit (the methods) ends before the page closes

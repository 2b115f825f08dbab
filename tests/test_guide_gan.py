"""The small GAN's guided path (demos/lessons/paths/gan.yaml, core/gan/guide.py, demos/gan_path.py).

- unit: each step's judge, on hand-made results for which each of its answers is the outcome, and
  every text of the step formats with that judge's facts; the stroke-width measure on drawn strokes;
- figures: the page's own run, on the shipped GAN and judge CNN (the toy GAN trained), gives each
  step its usual outcome, and a changed setting (seed, same noise, k) flips it;
- browser: every step walked once with a right answer and once with a wrong one, and flips: a
  setting changed on the page, "Run as it is now", the usual answer marked wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import UserError
from core.gan import guide
from core.guide import Judgement
from demos import gan, gan_path
from demos.guide import judge_of, load_path
from harness.guide import choose, next_step, open_step, run_step
from tests.guide_checks import judged_as

SLUG = "gan"
PATH = load_path(SLUG)
STEPS = {step.id: step for step in PATH.steps}


def readings(asked: int, right: int, count: int = 20) -> dict:
    return dict(asked=[asked] * count, readings=[asked] * right + [9] * (count - right))


def widths(*values: float, same_noise: bool = True) -> dict:
    return dict(widths=list(values), asked=list(range(len(values))), same_noise=same_noise)


def walk(*frames: int, digit_b: int = 8) -> dict:
    return dict(digit_a=3, digit_b=digit_b, readings=list(frames))


def toy(modes: int, total: int = 8, d_steps: int = 1) -> dict:
    return dict(modes=modes, total_modes=total, step=300, total_steps=300, d_steps=d_steps, g_lr=0.01, d_lr=0.001)


# For each step, a hand-made result per answer that makes that answer the outcome.
RESULTS = {
    "sevens": {"nearly-all": readings(7, 18), "most": readings(7, 10), "few": readings(7, 9)},
    "same-noise": {"one-hand": widths(1.0, 1.5, 1.59), "apart": widths(1.0, 1.6, 1.2), "far-apart": widths(1.5, 3.0, same_noise=False)},
    "walk": {
        "early": walk(3, 3, 8, 8, 8, 8, 8, 8, 8, 8),
        "middle": walk(3, 3, 8, 3, 3, 8, 8, 8, 8, 8),  # the 8 at frame 3 does not stay: it does not count
        "late": walk(3, 3, 3, 3, 3, 3, 8, 8, 8, 8),
        "never": walk(3, 3, 3, 8, 8, 8, 8, 8, 8, 9),
    },
    "collapse": {"collapsed": toy(2), "some": toy(3), "most": toy(6, d_steps=5)},
    "more-d-steps": {"collapsed": toy(0), "some": toy(5, d_steps=5), "most": toy(19, total=25, d_steps=5)},
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
def test_the_judges_quote_what_the_run_measured():
    sevens = guide.read_as_asked(dict(asked=[7, 7, 7, 1], readings=[7, 9, 7, 1]))
    assert sevens.facts == dict(agree=3, count=4, share=0.75, misread="7 as 9")
    hand = guide.one_handwriting(widths(2.0, 0.0, 1.0, 3.0))  # the un-inked digit is left out
    assert (hand.facts["thinnest"], hand.facts["thin_digit"], hand.facts["thickest"], hand.facts["thick_digit"]) == (1.0, 2, 3.0, 3)
    assert hand.facts["count"] == 3 and hand.outcome == "far-apart"
    assert guide.first_reading(walk(3, 8, 3, 8, 8)).facts["frame"] == 4
    assert guide.settled_from([3, 3], 8) is None and guide.settled_from([8], 8) == 1


@pytest.mark.unit
@pytest.mark.parametrize(
    "judge,result",
    [
        (guide.read_as_asked, None),
        (guide.read_as_asked, dict(asked=[], readings=[])),
        (guide.one_handwriting, widths(1.0, 0.0)),
        (guide.first_reading, walk()),
        (guide.modes_kept, toy(3) | dict(modes=None, total_modes=None)),  # two moons: no clusters to count
    ],
)
def test_a_run_with_nothing_to_judge_is_the_learners_to_redo(judge, result):
    with pytest.raises(UserError):
        judge(result)


def stroke(width: int, horizontal: bool = False) -> np.ndarray:
    image = np.zeros((28, 28))
    image[4:24, 10 : 10 + width] = 1.0
    return image.T if horizontal else image


@pytest.mark.unit
def test_a_strokes_width_is_measured_whatever_its_length_or_direction():
    assert guide.stroke_width(np.zeros((28, 28))) == 0.0
    for width in (1, 2, 4):
        assert guide.stroke_width(stroke(width)) == pytest.approx(width, rel=0.25)
        assert guide.stroke_width(stroke(width, horizontal=True)) == pytest.approx(guide.stroke_width(stroke(width)))
    assert guide.stroke_width(stroke(4)) > 1.5 * guide.stroke_width(stroke(2))
    assert guide.stroke_width(stroke(3) * 0.4) == 0.0  # faint grey is not ink


# ---------- the page's own run, on the shipped GAN and judge CNN ----------

CONTROLS = [*gan_path.GENERATE, *gan_path.WALK, *gan_path.TOY]


def run_as_set_up(step_id: str, **changed) -> Judgement:
    """The step's run on the page's controls as "Set up and run" leaves them, with `changed` applied."""
    tab, values = gan_path.SETUPS[step_id]
    controls = dict(zip(CONTROLS, [-1, 0, 10, False, 3, 8, 0, 10, *gan_path.toy_values(1)], strict=True))
    controls |= dict(zip(gan_path.GROUPS[tab], values, strict=True)) | changed
    run = gan_path.path_run(gan.show_digits, gan.show_class_walk, gan.live_training)
    *shown, last = list(run(step_id, *controls.values()))
    assert all(values[-1] is None for values in shown), "the result comes with the last yield only"
    assert len(last) == len(gan_path.OUTPUTS) + 1
    judgement = judge_of(PATH, STEPS[step_id])(last[-1])
    assert judgement.facts.get("step", 0) == last[-1].get("total_steps", 0), "a toy run stopped by its time cap"
    return judgement


FLIPS = {  # a setting a learner can change, measured to end each step otherwise
    "sevens": dict(seed=1, same_noise=True),  # seed 1's first noise draws a 7 the judge reads as 9, twenty times
    "same-noise": dict(same_noise=False),
    "walk": dict(class_seed=1),  # seed 1's 3 stays a 3 until frame 8
    "collapse": dict(d_steps=5),
    "more-d-steps": dict(d_steps=1),
}


@pytest.fixture
def one_torch_thread():
    """One intra-op thread, as the server runs (core.device.configure_for_serving): two threads thrash
    on a busy two-core machine, and the toy GAN's time cap would stop it after a few dozen steps."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("step_id", list(STEPS))
def test_the_pages_run_tells_the_usual_story_and_a_changed_setting_flips_it(step_id, one_torch_thread):
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
def test_a_changed_seed_flips_the_reveal(page, app_url):
    open_step(page, app_url, SLUG, 3)  # seed 0's walk reads an 8 from frame 5; seed 1's only from frame 8
    choose(page, SLUG, STEPS["walk"].answers["middle"])
    assert run_step(page, SLUG) == (True, "middle")
    seed = page.locator("#gan-class-seed input")
    seed.fill("1")
    seed.press("Enter")
    assert run_step(page, SLUG, setup=False) == (False, "late")

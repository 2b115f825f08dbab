"""The augmentation previewer's guided path (demos/lessons/paths/augment.yaml, core/augment/guide.py,
demos/augment_path.py).
- unit: each step's judge, on hand-made results for which each of its answers is the outcome, and
  every text of the step formats with that judge's facts; a run without the step's transform is the
  learner's to redo;
- figures: the page's own run, on the shipped digit CNN, gives each step its usual outcome, and a
  changed setting (another digit, seed, probability or strength) flips it;
- browser: every step walked once with a right answer and once with a wrong one, and flips: a seed
  changed and a digit drawn on the page, "Run as it is now", the usual answer marked wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from core.augment import guide
from core.augment.catalogue import CATALOGUE
from core.errors import UserError
from core.guide import Judgement
from demos import augment, augment_path, drawing
from demos.guide import judge_of, load_path
from harness.browser import draw
from harness.guide import choose, next_step, open_step, run_step
from tests.guide_checks import judged_as
from tests.test_augment import need_digit_cnn

SLUG = "augment"
PATH = load_path(SLUG)
STEPS = {step.id: step for step in PATH.steps}


def digits(original: int, classes: list[int], records: list[list[dict]] | None = None) -> dict:
    """A run's result as the page makes it: the CNN's readings, and each sample's records."""
    return dict(original_class=original, classes=classes, records=records if records is not None else [[] for _ in classes])


def turned(original: int, readings: list[tuple[int, float]]) -> dict:
    """Samples turned by the given angles, each with the CNN's reading."""
    return digits(original, [c for c, _ in readings], [[{"transform": "rotation", "angle": a}] for _, a in readings])


def jittered(original: int, readings: list[tuple[int, float]]) -> dict:
    records = [[{"transform": "color_jitter", "order": ["contrast"], "contrast_factor": f}] for _, f in readings]
    return digits(original, [c for c, _ in readings], records)


def erased(original: int, classes: list[int], side: int = 14) -> dict:
    return digits(original, classes, [[{"transform": "erasing", "applied": True, "i": 0, "j": 0, "h": side, "w": side}] for _ in classes])


def mirrored(original: int, classes: list[int]) -> dict:
    return digits(original, classes, [[{"transform": "hflip", "applied": True}] for _ in classes])


def blamed(vflip: int, rotation: int, elastic: int) -> dict:
    rows = [("vflip", 8, vflip), ("rotation", 16, rotation), ("elastic", 16, elastic)]
    return dict(per_transform=[{"transform": t, "fired": fired, "changed_alone": alone} for t, fired, alone in rows])


# For each step, a hand-made result per answer that makes that answer the outcome.
RESULTS = {
    "mirror": {"same": mirrored(1, [1] * 16), "nine": mirrored(6, [9] * 10 + [6] * 6), "other": mirrored(6, [2] * 16)},
    "quarter-turns": {
        "few": turned(6, [(6, 10.0)] * 5 + [(9, -80.0)] * 11),
        "half": turned(6, [(6, 30.0)] * 6 + [(0, 70.0)] * 10),
        "most": turned(6, [(6, 40.0)] * 15 + [(2, -60.0)]),
    },
    "jitter": {
        "none": jittered(6, [(6, 0.7)] * 16),
        "few": jittered(6, [(6, 1.1)] * 12 + [(8, 0.7)] * 4),
        "many": jittered(6, [(6, 1.1)] * 11 + [(8, 0.6)] * 5),
    },
    "erasing": {"few": erased(6, [6] * 5 + [0] * 11), "half": erased(6, [6] * 11 + [0] * 5), "most": erased(6, [6] * 12 + [0] * 4)},
    "blame": {"vflip": blamed(8, 1, 0), "rotation": blamed(0, 3, 1), "elastic": blamed(1, 1, 2), "none": blamed(0, 0, 0)},
    "label-safe": {"all": digits(2, [2] * 16), "some": digits(2, [2] * 15 + [7])},
}


@pytest.mark.unit
def test_every_step_has_hand_made_results_for_each_of_its_answers():
    assert set(RESULTS) == set(STEPS) == set(augment_path.SETUPS)
    for step_id, step in STEPS.items():
        assert set(RESULTS[step_id]) == set(step.answers), step_id


@pytest.mark.unit
@pytest.mark.parametrize("step_id,answer", [(s, a) for s, answers in RESULTS.items() for a in answers])
def test_each_answer_is_the_outcome_of_a_run_that_made_it_true_and_every_text_quotes_its_facts(step_id, answer):
    judged_as(PATH, STEPS[step_id], RESULTS[step_id][answer], answer)


@pytest.mark.unit
def test_the_judges_quote_what_the_run_measured():
    facts = guide.quarter_turns(turned(6, [(6, 40.0), (6, -52.5), (9, -61.0), (0, 75.0)])).facts
    assert (facts["kept"], facts["changed"], facts["widest_kept"], facts["narrowest_changed"]) == (2, 2, 52.5, 61.0)
    facts = guide.jitter(jittered(6, [(6, 0.5), (8, 0.7), (8, 0.72), (0, 0.6)])).facts
    assert (facts["changed"], facts["became"], facts["highest_contrast"]) == (3, 8, 0.72)
    assert guide.erasing(erased(6, [6, 0], side=14)).facts["mean_area"] == 0.25
    assert guide.mirror(mirrored(6, [2, 2, 6])).facts == dict(original=6, read=2, times=2, count=3, mirrored=3)
    assert guide.blame(blamed(2, 2, 0)).outcome == "vflip"  # a tie goes to the first in the pipeline


@pytest.mark.unit
def test_a_run_without_the_steps_transform_or_without_samples_is_the_learners_to_redo():
    with pytest.raises(UserError, match="rotation"):
        guide.quarter_turns(digits(6, [6, 6], [[{"transform": "hflip", "applied": True}]] * 2))
    with pytest.raises(UserError, match="no samples"):
        guide.label_safe(digits(6, []))
    with pytest.raises(UserError, match="run the step first"):
        guide.mirror(None)
    with pytest.raises(UserError, match="affine"):  # another transform changed most: the step compares three others
        guide.blame(dict(per_transform=[{"transform": "affine", "fired": 16, "changed_alone": 5}, *blamed(1, 0, 0)["per_transform"]]))


@pytest.mark.unit
def test_each_steps_setup_sentence_names_the_seed_its_setup_sets():
    for step_id, setup in augment_path.SETUPS.items():
        assert f"(seed {setup.seed})" in STEPS[step_id].setup, step_id


# ---------- the page's own run, on the shipped digit CNN ----------

WIDGETS = [(key, p.name) for key, spec in CATALOGUE.items() for p in spec.params]  # the page's widgets, in order


def upright_one() -> np.ndarray:
    """A plain upright stroke, drawn big as on the canvas: the same mirrored."""
    ink = np.zeros((280, 280), np.float32)
    ink[50:230, 130:150] = 1.0
    return ink


def run_as_set_up(step_id: str, seed: int | None = None, digit: np.ndarray | None = None, **settings) -> Judgement:
    """The step's run on the page's controls as "Set up and run" leaves them, with another seed, a
    drawing on the canvas, or widgets (named transform__param) changed."""
    source, canvas, chosen, _note, *values, set_seed, count, _tabs = augment_path.setup(augment.example_digit, step_id)
    for name, value in settings.items():
        values[WIDGETS.index(tuple(name.split("__")))] = value
    canvas = canvas if digit is None else drawing.surface_with(digit)
    seed = set_seed if seed is None else seed
    *shown, result = augment_path.run(
        augment.make_grid, augment.shown_grid, step_id, source, None, "", canvas, chosen, seed, count, *values
    )
    assert len(shown) == augment.SAMPLE_OUTPUTS and "reads the original as" in shown[1], "a run shows its grid on the page"
    return judge_of(PATH, STEPS[step_id])(result)


FLIPS = {  # a change a learner can make on the page, measured to end each step otherwise
    "mirror": dict(digit=upright_one()),
    "quarter-turns": dict(seed=17),
    "jitter": dict(color_jitter__brightness=1.0, color_jitter__contrast=1.0),
    "erasing": dict(erasing__scale_min=0.01, erasing__scale_max=0.02),
    "blame": dict(vflip__p=0.0),
    "label-safe": dict(elastic__alpha=200.0),
}


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("step_id", list(STEPS))
def test_the_pages_run_tells_the_usual_story_and_a_changed_setting_flips_it(step_id):
    need_digit_cnn()
    assert run_as_set_up(step_id).outcome == STEPS[step_id].usual
    assert run_as_set_up(step_id, **FLIPS[step_id]).outcome != STEPS[step_id].usual


# ---------- in the browser ----------


@pytest.mark.browser
def test_every_step_is_walked_with_a_right_and_a_wrong_answer(page, app_url):
    need_digit_cnn()
    open_step(page, app_url, SLUG, 1)
    summary = page.locator("#augment-summary")
    for number, step in enumerate(PATH.steps, start=1):
        choose(page, SLUG, step.answers[step.usual])
        correct, outcome = run_step(page, SLUG)
        assert (correct, outcome) == (True, step.usual), f"step {number}: {outcome}"
        digit = augment_path.SETUPS[step.id].digit
        expect(summary).to_contain_text(f"reads the original as a {digit}")  # the run's grid is on the page
        other = next(label for key, label in step.answers.items() if key != outcome)
        choose(page, SLUG, other)
        correct, outcome = run_step(page, SLUG, setup=False)
        assert (correct, outcome) == (False, step.usual), f"step {number}, run again: {outcome}"
        if number < len(PATH.steps):
            next_step(page, SLUG)


@pytest.mark.browser
def test_a_changed_seed_or_drawing_flips_the_reveal(page, app_url):
    need_digit_cnn()
    summary, code = page.locator("#augment-summary"), page.locator("#augment-code")
    open_step(page, app_url, SLUG, 2)  # seed 1 keeps 12 or more of 16 sixes through turns of up to 90°; seed 17 fewer
    choose(page, SLUG, STEPS["quarter-turns"].answers["most"])
    assert run_step(page, SLUG) == (True, "most")
    page.get_by_label("Seed").fill("17")
    assert run_step(page, SLUG, setup=False) == (False, "half")
    expect(code).to_contain_text("torch.manual_seed(17)")  # that run sampled the seed as changed

    page.locator("#augment-path-back").click()  # mirrored, the 6 reads as another digit; a plain 1 stays a 1
    choose(page, SLUG, STEPS["mirror"].answers["other"])
    assert run_step(page, SLUG) == (True, "other")
    page.locator("#augment-canvas .clear").click()
    canvas = page.locator("#augment-canvas canvas")
    canvas.scroll_into_view_if_needed()
    draw(page, canvas, [[(0.5, 0.18), (0.5, 0.82)]])
    expect(summary).to_contain_text("reads the original as a 1", timeout=60_000)
    assert run_step(page, SLUG, setup=False) == (False, "same")

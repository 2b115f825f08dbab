"""The guided paths' machinery (demos/guide/, core/guide.py), and what every page's path shares.

Each page's own steps, judges and walks are in tests/test_guide_<slug>.py. Here:
- every page has a path, 4 to 8 steps, each judged by a function that exists in core;
- a path file that breaks the rules is refused with a message that names the step;
- the reveal quotes the run's facts and says when the run left the usual story;
- progress keeps the latest answer per step and ignores what a browser sends that is not a step;
- in a browser: `?step=N` opens the path on that step (in the gallery, on the tab the address
  names), the path works by keyboard, axe finds nothing critical in the open panel, and a reload
  resumes where the learner left.
"""

from __future__ import annotations

import inspect
import urllib.parse
from pathlib import Path

import gradio as gr
import pytest
from playwright.sync_api import expect

from core.errors import UserError
from core.guide import Judgement, need, top
from demos import DEMOS
from demos.guide import (
    ANSWERS,
    STEPS,
    clamp,
    judge_of,
    load_path,
    reveal_value,
    step_value,
    with_answer,
)
from demos.guide import _open as open_from_address
from harness.browser import open_gradio
from harness.guide import choose, open_step, wait_for_step
from tests.conftest import axe_violations

SLUGS = [demo.slug for demo in DEMOS]

GOOD_STEP = """
  - id: {id}
    title: Odd or even
    point: toy-out
    setup: Sets the seed to 3.
    question: Will the number be odd or even?
    answers: {{odd: Odd, even: Even}}
    usual: odd
    judge: parity
    results: {{odd: "It came out {{n}}, odd.", even: "It came out {{n}}, even."}}
    unusual: "This seed made {{n}}, even."
    explain: "Parity is the last bit of {{n}}."
"""


def write_path(folder: Path, slug: str, steps: list[str]) -> None:
    (folder / f"{slug}.yaml").write_text("title: Toy\njudges: core.guide\nsteps:\n" + "".join(steps), encoding="utf-8")


@pytest.mark.unit
@pytest.mark.parametrize("slug", SLUGS)
def test_every_page_has_a_path_whose_judges_exist_in_core(slug):
    path = load_path(slug)
    assert STEPS[0] <= len(path.steps) <= STEPS[1]
    assert path.judges.startswith("core."), "a judge is a pure function in core/"
    for step in path.steps:
        judge = judge_of(path, step)
        assert callable(judge) and len(inspect.signature(judge).parameters) == 1, step.id
        assert ANSWERS[0] <= len(step.answers) <= ANSWERS[1]


@pytest.mark.unit
def test_a_path_file_that_breaks_the_rules_is_refused_with_the_step_named(tmp_path):
    four = [GOOD_STEP.format(id=f"s{i}") for i in range(4)]
    write_path(tmp_path, "good", four)
    assert [s.id for s in load_path("good", tmp_path).steps] == ["s0", "s1", "s2", "s3"]

    write_path(tmp_path, "short", four[:3])
    with pytest.raises(ValueError, match="4 to 8 steps, not 3"):
        load_path("short", tmp_path)
    write_path(tmp_path, "twice", four[:3] + [four[0]])
    with pytest.raises(ValueError, match="share an id"):
        load_path("twice", tmp_path)
    write_path(tmp_path, "unusual", four[:3] + [four[3].replace("usual: odd", "usual: three")])
    with pytest.raises(ValueError, match="s3.*`usual` must be an answer"):
        load_path("unusual", tmp_path)
    write_path(tmp_path, "untold", four[:3] + [four[3].replace(', even: "It came out {n}, even."', "")])
    with pytest.raises(ValueError, match="s3.*each answer"):
        load_path("untold", tmp_path)
    write_path(tmp_path, "one", four[:3] + [four[3].replace(", even: Even", "")])
    with pytest.raises(ValueError, match="2 to 4 answers, not 1"):
        load_path("one", tmp_path)
    write_path(tmp_path, "typo", four[:3] + [four[3].replace("explain:", "explains:")])
    with pytest.raises(ValueError, match=r"s3: unknown \['explains'\], missing \['explain'\]"):
        load_path("typo", tmp_path)


@pytest.fixture
def toy(tmp_path):
    write_path(tmp_path, "toy", [GOOD_STEP.format(id=f"s{i}") for i in range(4)])
    return load_path("toy", tmp_path)


@pytest.mark.unit
def test_the_reveal_quotes_the_run_and_says_when_it_left_the_usual_story(toy):
    step = toy.steps[0]
    usual = reveal_value(step, "odd", "odd", {"n": 3})
    assert usual["correct"] is True and usual["outcome"] == "odd"
    assert usual["happened"] == "It came out 3, odd." and usual["unusual"] == ""
    assert usual["verdict"].startswith("Right") and usual["explain"] == "Parity is the last bit of 3."

    otherwise = reveal_value(step, "odd", "even", {"n": 6})
    assert otherwise["correct"] is False and otherwise["outcome"] == "even"
    assert otherwise["happened"] == "It came out 6, even." and otherwise["unusual"] == "This seed made 6, even."
    assert reveal_value(step, "even", "even", {"n": 6})["correct"] is True


@pytest.mark.unit
def test_progress_keeps_the_latest_answer_per_step_and_ignores_the_rest(toy):
    sent = {"at": 1, "answers": {"s0": {"answer": "odd", "right": True}, "not-a-step": {"answer": "x"}, "s1": "junk"}}
    kept = with_answer(sent, toy, toy.steps[0], "even", False, 0)
    assert kept == {"at": 0, "answers": {"s0": {"answer": "even", "right": False}}}
    kept = with_answer(kept, toy, toy.steps[2], "odd", True, 2)
    shown = step_value(toy, 0, kept)
    assert (shown["number"], shown["count"], shown["answered"], shown["right"]) == (1, 4, 2, 1)
    assert "“Even”: not what the run showed" in shown["before"]
    for junk in (None, [], "x", {"answers": [1, 2]}, {"answers": {"s0": {"answer": "seven"}}}):
        assert step_value(toy, 0, junk)["answered"] in (0, 1) and step_value(toy, 0, junk)["before"] == ""


@pytest.mark.unit
def test_a_step_number_from_anyone_becomes_a_step_of_the_path():
    assert [clamp(x, 4) for x in (0, 3, -5, 99, "2", "two", None, 1e300, float("nan"))] == [0, 3, 0, 3, 2, 0, 0, 3, 0]


@pytest.mark.unit
def test_the_address_opens_the_step_it_names_on_its_own_page_only(toy):
    def opened(query: dict, progress=None):
        box, shown, *_ = open_from_address(toy, progress, "?" + urllib.parse.urlencode(query))
        return isinstance(box, gr.Accordion) and box.open is True, shown["number"]

    assert opened({"step": "3"}) == (True, 3)
    assert opened({"step": "3", "tab": "toy"}) == (True, 3)
    assert opened({"step": "3", "tab": "other"}) == (False, 1)  # the gallery opens the tab's own path only
    assert opened({"step": "99"}) == (True, 4)
    assert opened({}, {"at": 2}) == (False, 3)  # no address: the path stays closed, on the step last open


@pytest.mark.unit
def test_the_shared_judging_helpers_refuse_a_missing_run():
    assert need({"a": 1, "b": 2}, "a") == {"a": 1, "b": 2}
    with pytest.raises(UserError, match="run the step first"):
        need(None, "a")
    with pytest.raises(UserError, match=r"\(b\)"):
        need({"a": 1}, "a", "b")
    assert top([0.1, 0.7, 0.7, 0.2]) == 1
    assert Judgement("odd").facts == {}


# ---------- in a browser ----------


@pytest.mark.browser
def test_the_gallery_opens_the_path_of_the_tab_the_address_names(page, app_url):
    open_gradio(page, f"{app_url}/?tab=overfit&step=2")
    wait_for_step(page, "overfit", 2)
    expect(page.locator("#overfit-answers")).to_be_visible()
    expect(page.locator("#sketcher-answers")).to_have_count(0)  # an inactive tab is not in the page


@pytest.mark.browser
def test_the_path_works_by_keyboard_and_axe_finds_nothing_critical_in_it(page, app_url):
    open_step(page, app_url, "filters", 1)
    radios = page.locator("#filters-answers input[type=radio]")
    radios.first.focus()
    page.keyboard.press("Space")
    expect(radios.first).to_be_checked()
    expect(page.locator("#filters-path-run")).to_be_enabled()
    page.locator("#filters-path-next").focus()
    page.keyboard.press("Enter")
    wait_for_step(page, "filters", 2)
    expect(page.locator("#filters-reveal")).to_have_attribute("aria-live", "polite")
    critical = [v for v in axe_violations(page, "#filters-path") if v["impact"] == "critical"]
    assert not critical, critical


@pytest.mark.browser
def test_a_reload_resumes_the_step_the_learner_had_open(page, app_url):
    open_step(page, app_url, "sentiment", 1)
    page.locator("#sentiment-path-next").click()
    wait_for_step(page, "sentiment", 2)
    choose(page, "sentiment", load_path("sentiment").steps[1].answers[load_path("sentiment").steps[1].usual])
    open_gradio(page, f"{app_url}/demos/sentiment/")  # no ?step: the path stays closed, on step 2
    expect(page.locator("#sentiment-answers")).to_be_hidden()
    page.locator("#sentiment-path").get_by_text("Guided path").first.click()
    expect(page.locator("#sentiment-path [data-step]")).to_have_attribute("data-step", "2", timeout=30_000)

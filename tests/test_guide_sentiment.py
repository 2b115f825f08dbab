"""The sentiment page's guided path: each step's judge (core.sentiment.guide) on hand-made results
for which each answer is the outcome, every reveal text formatted with the judge's facts, and in the
browser a walk through every step, right and wrong, plus runs after the text or the attribution
method was changed, whose reveal then marks the usual answer wrong."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.sentiment import guide
from demos.guide import judge_of, load_path, reveal_value
from demos.sentiment.path import read_words, without_not
from harness.guide import choose, next_step, open_step, run_step
from tests.guide_checks import judged_as

PATH = load_path("sentiment")
SLUG = "sentiment"


def result(scratch=0.2, transfer=0.9, scratch_words=(("bad", -1.0),), transfer_words=(("not", 1.0),), **more) -> dict:
    """A run's result: each model's p(positive), its words with scores, and how much it read."""
    return {
        "scratch": scratch,
        "transfer": transfer,
        "scratch_words": [list(pair) for pair in scratch_words],
        "transfer_words": [list(pair) for pair in transfer_words],
        "scratch_read": len(scratch_words),
        "scratch_cut": 0,
        "transfer_read": len(transfer_words),
        "transfer_cut": 0,
        **more,
    }


def top_word(word: str) -> dict:
    words = [("i", 0.1), ("hate", -0.7), ("but", 0.4), ("charming", 0.5), ("most", 0.3)]
    return result(1.0, 1.0, transfer_words=[(w, -1.0 if w == word else s) for w, s in words])


LONG = {"scratch_read": 400, "scratch_cut": 211, "transfer_read": 122, "transfer_cut": 489}

# For each step, a result for which each answer is the outcome.
CASES = {
    "strongest-words": {
        "same": result(0.02, 0.3, [("terrible", -1.0), ("great", 0.8)], [("Terrible", -1.0), ("great", 0.6)]),
        "different": result(0.01, 0.92, [("terrible", -1.0), ("great", 0.83)], [("great", 1.0), ("terrible", -0.95)]),
    },
    "negation": {
        "both": result(0.7, 0.99),
        "transfer": result(0.001, 0.99),
        "scratch": result(0.6, 0.2),
        "neither": result(0.3, 0.001),
    },
    "not-flip": {"flips": result(0.1, 0.001, scratch_without_not=0.99), "stays": result(0.58, 0.01, scratch_without_not=0.99)},
    "top-word": {"hate": top_word("hate"), "but": top_word("but"), "charming": top_word("charming"), "other": top_word("most")},
    "sarcasm": {"fooled": result(0.8, 0.95), "negative": result(0.01, 0.45), "disagree": result(0.25, 0.98)},
    "long-review": {
        "both": result(0.99, 0.87, **LONG),
        "transfer": result(0.21, 0.78, **LONG),
        "scratch": result(0.6, 0.1, **LONG),
        "neither": result(0.1, 0.2, **LONG),
    },
}


@pytest.mark.unit
@pytest.mark.parametrize("step", PATH.steps, ids=lambda s: s.id)
def test_each_answer_is_the_outcome_of_some_run_and_every_text_formats(step):
    assert set(CASES[step.id]) == set(step.answers)
    for expected, run in CASES[step.id].items():
        judged_as(PATH, step, run, expected)


@pytest.mark.unit
def test_the_reveal_quotes_what_the_run_read():
    step = PATH.steps[0]
    judgement = judge_of(PATH, step)(CASES["strongest-words"]["different"])
    happened = reveal_value(step, "same", judgement.outcome, judgement.facts)["happened"]
    assert "on “terrible” (-1.00), the transfer model on “great” (+1.00)" in happened
    assert "from scratch says negative (99% sure), transfer says positive (92%)" in happened
    step = PATH.steps[-1]
    judgement = judge_of(PATH, step)(CASES["long-review"]["transfer"])
    assert (
        "Of 611 words, the from-scratch model read 400 and left 211 unread"
        in reveal_value(step, "both", "transfer", judgement.facts)["happened"]
    )


@pytest.mark.unit
def test_the_strongest_word_is_the_biggest_push_either_way_and_half_is_positive():
    assert guide.strongest([["great", 0.9], ["terrible", -1.0], ["plot", 0.1]]) == ("terrible", -1.0)
    assert guide.strongest([["a", 0.5], ["b", -0.5]]) == ("a", 0.5)  # the first of equals
    assert (guide.says(0.5), guide.says(0.4999)) == ("positive", "negative")
    assert guide.sure(0.2) == pytest.approx(0.8)


@pytest.mark.unit
def test_a_run_with_nothing_read_is_the_learners_to_redo():
    with pytest.raises(UserError):
        guide.reads_positive(None)
    with pytest.raises(UserError):
        guide.not_flips_scratch(result())  # no reading without "not"
    with pytest.raises(UserError):
        guide.transfer_top_word(result(transfer_words=()))


@pytest.mark.unit
def test_the_run_reads_the_words_and_the_cut_as_the_page_shows_them():
    view = [("great", 1.0), (" ", None), (" ✂ … 1,211 words cut off, not read … ✂ ", None), ("plot", -0.25), (".", 0.0)]
    assert read_words(view) == ([["great", 1.0], ["plot", -0.25], [".", 0.0]], 1211)
    assert without_not("I did NOT enjoy it, not once.") == "I did enjoy it, once."
    assert without_not("Nothing knotted here.") == ""


# ---------- in the browser ----------


def label(number: int, answer: str) -> str:
    return PATH.steps[number - 1].answers[answer]


@pytest.mark.browser
def test_walk_every_step_right_and_wrong(page, app_url):
    open_step(page, app_url, SLUG, 1)
    for number, step in enumerate(PATH.steps, start=1):
        if number > 1:
            next_step(page, SLUG)
        choose(page, SLUG, step.answers[step.usual])
        correct, outcome = run_step(page, SLUG)
        assert outcome == step.usual, f"{step.id}: the usual story did not happen ({outcome})"
        assert correct
        other = next(answer for answer in step.answers if answer != outcome)
        choose(page, SLUG, step.answers[other])
        assert run_step(page, SLUG, setup=False) == (False, outcome)


@pytest.mark.browser
def test_the_verdict_follows_the_text_and_the_method_not_the_step(page, app_url):
    """Changing the text, or the attribution method, after the set-up flips the outcome: the usual
    answer is then judged wrong."""
    # "not bad at all": only the transfer model reads praise; "not good at all" is negative to both.
    open_step(page, app_url, SLUG, 2)
    choose(page, SLUG, label(2, "transfer"))
    assert run_step(page, SLUG) == (True, "transfer")
    page.locator("#sentiment-text textarea").fill("not good at all")
    assert run_step(page, SLUG, setup=False) == (False, "neither")

    # The turning review: integrated gradients weighs "charming" most; Saliency crowns another word.
    next_step(page, SLUG)
    next_step(page, SLUG)
    choose(page, SLUG, label(4, "charming"))
    assert run_step(page, SLUG) == (True, "charming")
    page.locator("#sentiment-method input").click()
    page.get_by_role("option", name="Saliency", exact=True).click()
    note = page.locator("#sentiment-method-note")
    page.wait_for_function("el => el.innerText.includes('Saliency')", arg=note.element_handle(), timeout=30_000)
    assert run_step(page, SLUG, setup=False) == (False, "other")
    assert "Another word" in page.locator(f"#{SLUG}-reveal").inner_text()

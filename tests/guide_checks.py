"""What every page's guided-path tests check of a judge (tests/test_guide_<slug>.py)."""

from __future__ import annotations

from collections.abc import Mapping

from core.guide import Judgement
from demos.guide import GuidedPath, Step, judge_of, reveal_value


def judged_as(path: GuidedPath, step: Step, run: Mapping, expected: str) -> Judgement:
    """The step's judge on this run's result makes `expected` the outcome, and every verdict a learner
    could be shown (whichever answer they chose) formats with the judge's facts: no field left
    unfilled, no missing fact quoted as None, the "unusual" text exactly when the run left the usual story."""
    judgement = judge_of(path, step)(run)
    assert isinstance(judgement, Judgement)
    assert judgement.outcome == expected, f"{step.id}: {judgement.outcome} != {expected}"
    for chosen in step.answers:
        shown = reveal_value(step, chosen, judgement.outcome, judgement.facts)
        assert shown["correct"] == (chosen == expected)
        assert shown["happened"] and shown["explain"]
        text = shown["happened"] + shown["unusual"] + shown["explain"]
        assert "{" not in text and "None" not in text, text
        assert bool(shown["unusual"]) == (expected != step.usual)
    return judgement

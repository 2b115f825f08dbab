"""What every guided-path judge returns, and the small pure helpers the judges share.

A guided step asks a question before it runs an experiment, then judges the learner's answer by
what the run produced. The judge is a pure function in the concept's package (`core/<concept>/guide.py`):
the run's result (plain numbers, lists and strings, made by the page from what it just computed) in,
a `Judgement` out. The judge never knows which answer the learner picked, and no answer is ever
right in advance: the outcome is whichever answer this run made true.

The page's words (the question, the answers, what each outcome looks like, why a run can differ from
the usual story) are data beside the page, in demos/lessons/paths/<slug>.yaml; `facts` are the
measured numbers those words quote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.errors import UserError


@dataclass(frozen=True)
class Judgement:
    outcome: str  # the answer's id that this run made true
    facts: Mapping[str, object] = field(default_factory=dict)  # the measured values the reveal quotes, by name


def need(result: Mapping | None, *names: str) -> Mapping:
    """`result`, checked to hold every one of `names`; a run that produced no result (a stopped
    training, an empty canvas) is the learner's to redo, not a bug."""
    if not isinstance(result, Mapping):
        raise UserError("There is no finished run to judge yet: run the step first.")
    missing = [name for name in names if name not in result]
    if missing:
        raise UserError(f"This run did not produce what the step asks about ({', '.join(missing)}): run the step again.")
    return result


def top(values: Sequence[float]) -> int:
    """The index of the largest value (the first one on a tie), e.g. the digit a model reads."""
    if not values:
        raise UserError("There is nothing to compare: run the step again.")
    return max(range(len(values)), key=lambda i: (values[i], -i))

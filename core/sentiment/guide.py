"""The sentiment page's guided path: one pure judge per step (demos/lessons/paths/sentiment.yaml).

A run's result is plain values, made by the page from the reading it just showed:
- `scratch`, `transfer`: each model's probability that the text is positive;
- `scratch_words`, `transfer_words`: each word the model read, with its attribution scaled to
  [-1, 1] as the page colours it (1: the model's strongest push towards positive);
- `scratch_read`, `scratch_cut`, `transfer_read`, `transfer_cut`: how many words each model read,
  and how many in the middle of a long text it did not;
- `scratch_without_not` (the negation step only): the from-scratch model's probability that the
  same text without its "not" is positive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.errors import UserError
from core.guide import Judgement, need

CANDIDATES = ("hate", "but", "charming")  # the words the top-word step offers as answers; any other word is "other"


def says(positive: float) -> str:
    """p(positive) -> the model's answer, as the page's verdict reads it."""
    return "positive" if positive >= 0.5 else "negative"


def sure(positive: float) -> float:
    """p(positive) -> how sure the model is of its own answer."""
    return max(positive, 1 - positive)


def strongest(words: Sequence) -> tuple[str, float]:
    """[(word, score)] -> the word with the largest push either way (the first one on a tie), and its score."""
    if not words:
        raise UserError("This run read no words: type a sentence and run the step again.")
    word, score = max(words, key=lambda pair: abs(float(pair[1])))  # max keeps the first of equals
    return str(word), float(score)


def _readings(result: Mapping) -> dict:
    need(result, "scratch", "transfer")
    facts = {}
    for model in ("scratch", "transfer"):
        positive = float(result[model])
        facts |= {model: positive, f"{model}_says": says(positive), f"{model}_sure": sure(positive)}
    return facts


def _who(scratch_positive: bool, transfer_positive: bool) -> str:
    return {(True, True): "both", (False, True): "transfer", (True, False): "scratch", (False, False): "neither"}[
        (scratch_positive, transfer_positive)
    ]


def same_top_word(result: Mapping) -> Judgement:
    """Whether both models' strongest word is the same word."""
    need(result, "scratch_words", "transfer_words")
    (scratch_word, scratch_score), (transfer_word, transfer_score) = (strongest(result[f"{m}_words"]) for m in ("scratch", "transfer"))
    facts = {
        **_readings(result),
        "scratch_word": scratch_word,
        "scratch_score": scratch_score,
        "transfer_word": transfer_word,
        "transfer_score": transfer_score,
    }
    return Judgement("same" if scratch_word.lower() == transfer_word.lower() else "different", facts)


def reads_positive(result: Mapping) -> Judgement:
    """Which models call the text positive."""
    facts = _readings(result)
    return Judgement(_who(facts["scratch_says"] == "positive", facts["transfer_says"] == "positive"), facts)


def not_flips_scratch(result: Mapping) -> Judgement:
    """Whether the from-scratch model's answer on the text differs from its answer on the text without "not"."""
    need(result, "scratch_without_not")
    facts = _readings(result)
    without = float(result["scratch_without_not"])
    facts |= {"without": without, "without_says": says(without), "without_sure": sure(without)}
    return Judgement("flips" if facts["without_says"] != facts["scratch_says"] else "stays", facts)


def transfer_top_word(result: Mapping) -> Judgement:
    """Which word the transfer model weighs most (the largest push either way): one of CANDIDATES, or "other"."""
    need(result, "transfer_words")
    word, score = strongest(result["transfer_words"])
    facts = {**_readings(result), "word": word, "score": score, "towards": "positive" if score >= 0 else "negative"}
    return Judgement(word.lower() if word.lower() in CANDIDATES else "other", facts)


def models_agree(result: Mapping) -> Judgement:
    """Whether both models call the text positive ("fooled", for a sarcastic text), both negative, or disagree."""
    facts = _readings(result)
    answers = {facts["scratch_says"], facts["transfer_says"]}
    return Judgement("disagree" if len(answers) == 2 else {"positive": "fooled", "negative": "negative"}[answers.pop()], facts)


def long_review(result: Mapping) -> Judgement:
    """Which models call a long review positive, with how much of it each one read."""
    counts = ("scratch_read", "scratch_cut", "transfer_read", "transfer_cut")
    need(result, *counts)
    judgement = reads_positive(result)
    read = {key: int(result[key]) for key in counts}
    return Judgement(judgement.outcome, {**judgement.facts, **read, "words": read["scratch_read"] + read["scratch_cut"]})

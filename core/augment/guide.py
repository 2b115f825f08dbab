"""The augmentation previewer's guided path: one pure judge per step (the steps' words are
demos/lessons/paths/augment.yaml).

A judge takes the run's result, plain values the page made from the digit grid it just showed:

    {"original_class": 6,                      # the CNN's reading of the digit before any transform
     "classes": [2, 2, ...],                   # its reading of each sample
     "per_transform": [{"transform": "vflip", "fired": 9, "changed_alone": 9}, ...],  # the table's rows
     "records": [[{"transform": "rotation", "angle": -51.3, ...}, ...], ...]}         # each sample's parameters

and returns the answer this run made true with the facts the reveal quotes. No torch: plain numbers in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from core.errors import UserError
from core.guide import Judgement, need

MOST = 0.75  # "most keep their label": at least 12 of 16
HALF = 0.375  # "about half or more": at least 6 of 16 (fewer is "few")
A_FEW = 0.25  # "a few changed": at most 4 of 16 (more is "many")
BLAMED = ("vflip", "rotation", "elastic")  # the transforms the blame step compares


def _readings(result: Mapping) -> tuple[int, list[int]]:
    result = need(result, "original_class", "classes")
    classes = [int(c) for c in result["classes"]]
    if not classes:
        raise UserError("This run made no samples: set Samples to 1 or more and run again.")
    return int(result["original_class"]), classes


def _step_records(result: Mapping, transform: str) -> list[dict | None]:
    """Each sample's record of `transform` (None where the pipeline has no such step), or a UserError
    when no sample has one: the step is about that transform."""
    records = [next((r for r in sample if r.get("transform") == transform), None) for sample in need(result, "records")["records"]]
    if not any(records):
        raise UserError(f"This step is about the {transform} transform, which this pipeline lacks: press Set up and run.")
    return records


def _kept_share(kept: int, count: int) -> str:
    """Samples that kept their label -> "most" (at least 12 of 16), "half" (6 to 11) or "few" (0 to 5)."""
    return "most" if kept >= MOST * count else "half" if kept >= HALF * count else "few"


def mirror(result: Mapping) -> Judgement:
    """What the CNN reads in most samples of a mirrored digit: the same digit, a 9, or another one."""
    original, classes = _readings(result)
    mirrored = sum(1 for r in _step_records(result, "hflip") if r and r.get("applied", True))
    read, times = Counter(classes).most_common(1)[0]  # on a tie, the reading seen first
    outcome = "same" if read == original else "nine" if read == 9 else "other"
    return Judgement(outcome, dict(original=original, read=read, times=times, count=len(classes), mirrored=mirrored))


def _turn_facts(original: int, classes: list[int], records: list[dict | None]) -> dict:
    """The widest turn that kept the label, and the narrowest that changed it (degrees, unsigned;
    0 when there was none)."""
    kept = [abs(r["angle"]) for c, r in zip(classes, records) if r and c == original]
    changed = [abs(r["angle"]) for c, r in zip(classes, records) if r and c != original]
    return dict(widest_kept=max(kept, default=0.0), narrowest_changed=min(changed, default=0.0))


def quarter_turns(result: Mapping) -> Judgement:
    """How many samples keep their label when turned by up to ±90°: most, about half, or few."""
    original, classes = _readings(result)
    kept = sum(1 for c in classes if c == original)
    facts = _turn_facts(original, classes, _step_records(result, "rotation"))
    return Judgement(
        _kept_share(kept, len(classes)), dict(original=original, kept=kept, changed=len(classes) - kept, count=len(classes), **facts)
    )


def jitter(result: Mapping) -> Judgement:
    """How many samples a colour jitter changes: none, a few (at most a quarter), or many."""
    original, classes = _readings(result)
    records = _step_records(result, "color_jitter")
    changed = [(c, r) for c, r in zip(classes, records) if c != original]
    outcome = "none" if not changed else "few" if len(changed) <= A_FEW * len(classes) else "many"
    contrasts = [r["contrast_factor"] for _, r in changed if r and "contrast_factor" in r]
    became = Counter(c for c, _ in changed).most_common(1)[0][0] if changed else original
    facts = dict(original=original, changed=len(changed), count=len(classes), became=became, highest_contrast=max(contrasts, default=1.0))
    return Judgement(outcome, facts)


def erasing(result: Mapping) -> Judgement:
    """How many samples keep their label after a large random erasing: most, about half, or few."""
    original, classes = _readings(result)
    records = _step_records(result, "erasing")
    areas = [r["h"] * r["w"] / 28**2 for r in records if r and r.get("applied", True) and "h" in r]
    kept = sum(1 for c in classes if c == original)
    facts = dict(original=original, kept=kept, changed=len(classes) - kept, count=len(classes), erased=len(areas))
    return Judgement(_kept_share(kept, len(classes)), dict(facts, mean_area=sum(areas) / len(areas) if areas else 0.0))


def blame(result: Mapping) -> Judgement:
    """Which transform, applied alone, changes the most labels (the table's "changed class alone"):
    the vertical flip, the small rotation, the elastic warp, or none of them."""
    rows = need(result, "per_transform")["per_transform"]
    alone = {row["transform"]: int(row["changed_alone"]) for row in rows}
    fired = {row["transform"]: int(row["fired"]) for row in rows}
    if not any(key in alone for key in BLAMED):
        raise UserError("This step compares the vertical flip, the rotation and the elastic warp: press Set up and run.")
    worst = max(alone, key=lambda key: alone[key])  # the first in pipeline order on a tie
    if alone[worst] and worst not in BLAMED:
        raise UserError(f"In this pipeline {worst} changes the most labels, and the step compares three others: press Set up and run.")
    outcome = worst if alone[worst] else "none"
    facts = {f"{key}_changed": alone.get(key, 0) for key in BLAMED} | {f"{key}_fired": fired.get(key, 0) for key in BLAMED}
    return Judgement(outcome, facts)


def label_safe(result: Mapping) -> Judgement:
    """Whether every sample of the gentle pipeline keeps its label, or some change."""
    original, classes = _readings(result)
    changed = [c for c in classes if c != original]
    became = Counter(changed).most_common(1)[0][0] if changed else original
    facts = dict(original=original, kept=len(classes) - len(changed), changed=len(changed), count=len(classes), became=became)
    return Judgement("all" if not changed else "some", facts)

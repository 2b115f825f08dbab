"""A guided path's steps, as data (demos/lessons/paths/<slug>.yaml, read and checked by `load_path`),
and the plain values the panel shows from them: the step (`step_value`), the verdict (`reveal_value`)
and the learner's progress (`with_answer`). No Gradio: demos/guide/__init__.py makes the panel."""

from __future__ import annotations

import functools
import importlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from demos import LESSONS

PATHS = LESSONS / "paths"
STEPS = (4, 8)  # a path has this many steps, at least and at most
ANSWERS = (2, 4)  # a question has this many answers


@dataclass(frozen=True)
class Step:
    id: str  # stable name, e.g. "weight-decay": progress is kept under it
    title: str
    point: str  # elem_id of the part of the page the step is about (outlined and scrolled into view)
    setup: str  # one sentence: what "Set up and run" sets
    question: str
    answers: Mapping[str, str]  # answer id -> its label, in the order shown
    usual: str  # the answer the usual story expects
    judge: str  # name of the judging function in the page's core guide module
    results: Mapping[str, str]  # answer id -> what the reveal says happened when the run made it true, with {facts}
    unusual: str  # why a run can end otherwise: shown when the outcome is not the usual one
    explain: str  # two to four sentences tied to what is on the screen


@dataclass(frozen=True)
class GuidedPath:
    slug: str
    title: str
    judges: str  # the core module with one judging function per step (imported on first use)
    steps: tuple[Step, ...]

    def step(self, index) -> Step:
        return self.steps[clamp(index, len(self.steps))]


def clamp(index, count: int) -> int:
    """A step index from the browser or the address (anything) -> a valid 0-based index."""
    if isinstance(index, str):
        index = int(index) if re.fullmatch(r"\s*-?\d{1,9}\s*", index) else 0
    elif isinstance(index, float):
        index = int(index) if math.isfinite(index) else 0
    elif not isinstance(index, int) or isinstance(index, bool):
        index = 0
    return min(max(index, 0), count - 1)


@functools.cache
def load_path(slug: str, folder: Path = PATHS) -> GuidedPath:
    """demos/lessons/paths/<slug>.yaml -> the page's path, checked; a malformed file is a ValueError
    that names the step and what is wrong (tests/test_guide.py loads every page's)."""
    data = yaml.safe_load((folder / f"{slug}.yaml").read_text(encoding="utf-8"))
    steps = tuple(_step(slug, raw) for raw in data["steps"])
    if not STEPS[0] <= len(steps) <= STEPS[1]:
        raise ValueError(f"{slug}: a path has {STEPS[0]} to {STEPS[1]} steps, not {len(steps)}")
    if len({s.id for s in steps}) != len(steps):
        raise ValueError(f"{slug}: two steps share an id")
    return GuidedPath(slug, str(data["title"]), str(data["judges"]), steps)


def _step(slug: str, raw: dict) -> Step:
    fields = Step.__dataclass_fields__
    unknown, missing = set(raw) - set(fields), set(fields) - set(raw)
    where = f"{slug}, step {raw.get('id', '?')}"
    if unknown or missing:
        raise ValueError(f"{where}: unknown {sorted(unknown)}, missing {sorted(missing)}")
    step = Step(**{name: raw[name] for name in fields})
    answers = dict(step.answers)
    if not ANSWERS[0] <= len(answers) <= ANSWERS[1]:
        raise ValueError(f"{where}: a question has {ANSWERS[0]} to {ANSWERS[1]} answers, not {len(answers)}")
    if step.usual not in answers or set(step.results) != set(answers):
        raise ValueError(f"{where}: `usual` must be an answer, and `results` must say what each answer's outcome looks like")
    return step


def judge_of(path: GuidedPath, step: Step) -> Callable:
    """The pure function in core that judges `step` from a run's result (see core/guide.py)."""
    return getattr(importlib.import_module(path.judges), step.judge)


# ---------- values the browser shows ----------


def step_value(path: GuidedPath, index: int, progress: Mapping | None = None) -> dict:
    """What the step panel shows for step `index` (0-based): its place, title, set-up sentence, the part
    of the page it points at, and the learner's score so far."""
    index = clamp(index, len(path.steps))
    step, done = path.steps[index], _answers(path, progress)
    return {
        "index": index,
        "number": index + 1,
        "count": len(path.steps),
        "title": step.title,
        "setup": step.setup,
        "point": step.point,
        "answered": len(done),
        "right": sum(1 for record in done.values() if record.get("right")),
        "before": _before(step, done.get(step.id)),
    }


def _answers(path: GuidedPath, progress: Mapping | None) -> dict:
    kept = (progress or {}).get("answers") if isinstance(progress, Mapping) else None
    ids = {step.id for step in path.steps}
    return {k: v for k, v in kept.items() if k in ids and isinstance(v, Mapping)} if isinstance(kept, Mapping) else {}


def _before(step: Step, record: Mapping | None) -> str:
    if not record or record.get("answer") not in step.answers:
        return ""
    verdict = "right" if record.get("right") else "not what the run showed"
    return f"Last time you answered “{step.answers[record['answer']]}”: {verdict}."


def reveal_value(step: Step, chosen: str, outcome: str, facts: Mapping) -> dict:
    """The verdict on `chosen` when this run's outcome was `outcome`, with the measured `facts`
    quoted: what happened, why it differs from the usual story when it does, and the explanation."""
    return {
        "correct": chosen == outcome,
        "outcome": outcome,
        "verdict": ("Right: " if chosen == outcome else "Not this time: ") + f"this run says “{step.answers[outcome]}”.",
        "happened": step.results[outcome].format_map(facts),
        "unusual": "" if outcome == step.usual else step.unusual.format_map(facts),
        "explain": step.explain.format_map(facts),
    }


NO_VERDICT = {"correct": None, "outcome": "", "verdict": "", "happened": "", "unusual": "", "explain": ""}
RUNNING = {**NO_VERDICT, "verdict": "Running…"}


def with_answer(progress, path: GuidedPath, step: Step, chosen: str, correct: bool, index: int) -> dict:
    """The learner's progress with this step's answer recorded (the latest answer counts)."""
    answers = _answers(path, progress)
    answers[step.id] = {"answer": chosen, "right": correct}
    return {"at": index, "answers": answers}

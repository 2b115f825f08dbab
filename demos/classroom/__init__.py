"""A class in the gallery: the teacher's page `/class`, the class API `/class/api/...` (`api`), and
what the pages need to join a class (`class_store`, `questions`, `student_path`).

The store is core/classroom's, opened once per process on GALLERY_CLASS_DB:
- unset: a SQLite file, `.gallery/classes.db` beside app.py, shared by every replica that
  deploy/serve.sh starts on this machine (WAL mode);
- `postgresql://user:password@host/db`: PostgreSQL, for replicas on several machines.

A class is the teacher's: its code (what students type or scan) and its secret (only in the
teacher's link). Its settings are the link's: the page (`tab`), the guided-path step and the controls
to hide. Each class is deleted with everything of it when it ends (`sweep`, every
GALLERY_CLASS_SWEEP_S seconds, 600 by default; a class lasts 24 h unless its teacher chose 1 to 168).
"""

from __future__ import annotations

import functools
import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from core.classroom.store import ClassStore, open_store
from core.errors import UserError
from demos import DEMOS
from demos.guide.steps import GuidedPath, load_path

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DATABASE = ROOT / ".gallery" / "classes.db"
SWEEP_SECONDS = float(os.environ.get("GALLERY_CLASS_SWEEP_S", "600"))
CONTROL_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")  # an elem_id a teacher's link may hide
MOST_HIDDEN = 40


def database() -> str:
    """Where the class store lives: GALLERY_CLASS_DB, or the SQLite file beside the app."""
    setting = os.environ.get("GALLERY_CLASS_DB", "").strip()
    if setting:
        return setting
    DEFAULT_DATABASE.parent.mkdir(parents=True, exist_ok=True)
    return str(DEFAULT_DATABASE)


@functools.cache
def paths() -> dict[str, GuidedPath]:
    """Every page's guided path, by the page's slug, in tab order."""
    return {demo.slug: load_path(demo.slug) for demo in DEMOS}


def question_id(slug: str, number: int) -> str:
    """Step `number` (1-based, as `data-step` and `?step=` count) of `slug`'s path, as a class names it."""
    return f"{slug}-{number}"


@functools.cache
def questions() -> dict[str, frozenset[str]]:
    """Each guided step a class may answer ("sketcher-3") -> its answers' ids."""
    return {
        question_id(slug, number): frozenset(step.answers)
        for slug, path in paths().items()
        for number, step in enumerate(path.steps, start=1)
    }


@functools.cache
def class_store() -> ClassStore:
    """This process's class store, its schema migrated on first use (several processes may open it at once)."""
    return open_store(database(), questions=questions())


def class_settings(raw: object) -> dict:
    """A teacher's settings for a class -> {"tab", "step", "hide"}, checked: a page of the gallery
    (or none), a step of its path, and the controls to hide as element ids."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise UserError('A class\'s settings are a mapping: {"tab": ..., "step": ..., "hide": [...]}.')
    tab = raw.get("tab") or None
    if tab is not None and (not isinstance(tab, str) or tab not in paths()):
        raise UserError(f"There is no page {str(tab)[:40]!r}: choose one of {', '.join(paths())}.")
    step = raw.get("step") or None
    if step is not None:
        if tab is None:
            raise UserError("A step belongs to a page: choose the page too.")
        count = len(paths()[tab].steps)
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= count:
            raise UserError(f"{tab}'s guided path has steps 1 to {count}.")
    hide = raw.get("hide") or []
    if isinstance(hide, str):
        hide = [part for part in hide.split(",") if part]
    if (
        not isinstance(hide, list | tuple)
        or len(hide) > MOST_HIDDEN
        or not all(isinstance(h, str) and CONTROL_ID.fullmatch(h) for h in hide)
    ):
        raise UserError(f"Hidden controls are at most {MOST_HIDDEN} element ids (letters, digits, - and _).")
    return {"tab": tab, "step": step, "hide": sorted(set(hide))}


def student_path(settings: Mapping, code: str | None = None) -> str:
    """The address (from the site's root) that opens the class's page as its teacher set it up: the
    page alone (/demos/<tab>/), or the gallery for a class of the whole gallery. The page alone is
    what a class of 200 arriving at once can be served: 280 KB in about 22 ms against the gallery's
    1.24 MB in about 280 ms (curl on this 2-core machine; bench/class.py --open-page)."""
    tab = settings.get("tab")
    query = {"step": settings.get("step"), "hide": ",".join(settings.get("hide") or ()), "class": code}
    where = f"/demos/{tab}/" if tab else "/"
    return where + "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v})

"""A page in a class (demos/guide/classroom.py, demos/sketcher's class drawing): the verdict held until
the teacher reveals its step, the answer a run records, the teacher's link, and the digit a student sends,
each on a real class store (a SQLite file in tmp_path; the store's own tests run both databases)."""

from __future__ import annotations

import asyncio
import threading

import gradio as gr
import numpy as np
import pytest

import app
import demos.classroom
import demos.overfit
from core.classroom.store import open_store
from core.digits import reading
from core.errors import UserError
from demos import drawing, sketcher
from demos.guide import _judge, load_path
from demos.guide.classroom import link_value, membership, page_controls, show_held, waits_for_reveal
from demos.sketcher.handlers import example_digit, send_to_class

pytestmark = pytest.mark.unit

PATH = load_path("sketcher")
STUDENT = "student-000000000001"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The app's class store, on a fresh file: what the pages' handlers call."""
    monkeypatch.setenv("GALLERY_CLASS_DB", str(tmp_path / "classes.db"))
    opened = demos.classroom.class_store  # a test may put another in its place
    opened.cache_clear()
    yield opened()
    opened.cache_clear()


@pytest.fixture
def member(store):
    """A class with one student in it, and that student's strip value."""
    new = store.create_class()
    store.join(new.code, STUDENT)
    return new, {"slug": "sketcher", "code": new.code, "student": STUDENT}


def judged(member_value, chosen="mlp", index=0, outcome_cnn=0.94, outcome_mlp=0.96):
    """`_judge` on a result whose outcome is "mlp" for step 1 (the MLP the surer of a 3)."""
    reads = lambda sure: [(1 - sure) / 9] * 3 + [sure] + [(1 - sure) / 9] * 6  # noqa: E731
    result = {"cnn": reads(outcome_cnn), "mlp": reads(outcome_mlp), "cnn_top_share": 0.3, "mlp_top_share": 0.7}
    return _judge(PATH, {"index": index}, chosen, result, {}, member_value)


def test_outside_a_class_the_verdict_shows_at_once(store):
    value, progress, _, held = judged({"slug": "sketcher"})
    assert value["correct"] is True and value["outcome"] == "mlp"
    assert progress["answers"]["confidence"] == {"answer": "mlp", "right": True}
    assert held is None


def test_in_a_class_the_verdict_waits_for_the_reveal_and_the_answer_is_recorded(store, member):
    new, strip = member
    value, progress, step, held = judged(strip, chosen="cnn")
    assert value["correct"] is None and value["held"] == "sketcher-1" and value["outcome"] == ""
    assert "The CNN" in value["verdict"] and "mlp" not in str(value).lower()  # the outcome stays on the server
    assert progress == {} and step["answered"] == 0  # the score waits too
    assert held["value"]["outcome"] == "mlp" and held["value"]["correct"] is False  # judged from the run all the same
    assert store.board(new.code, new.teacher_secret).answers["sketcher-1"] == {"cnn": 1, "mlp": 0}

    # Asked before the reveal, nothing changes; after it, the held verdict shows, scored.
    assert show_held(PATH, held, strip, {}) == (gr.skip(),) * 4
    store.reveal(new.code, new.teacher_secret, "sketcher-1")
    value, progress, step, kept = show_held(PATH, held, strip, {})
    assert value == held["value"] and kept is None
    assert progress["answers"]["confidence"] == {"answer": "cnn", "right": False} and step["answered"] == 1


def test_a_revealed_step_is_judged_at_once_and_its_board_left_alone(store, member):
    new, strip = member
    store.reveal(new.code, new.teacher_secret, "sketcher-1")
    value, _, _, held = judged(strip, chosen="cnn")
    assert value["correct"] is False and held is None
    assert "sketcher-1" not in store.board(new.code, new.teacher_secret).answers  # answers after the reveal are not counted


def test_a_class_that_ended_or_was_never_joined_holds_nothing(store, member):
    new, strip = member
    store.delete(new.code, new.teacher_secret)
    assert not waits_for_reveal(strip, "sketcher-1", "mlp")
    stranger = {**strip, "student": "student-000000000099"}
    other = store.create_class()
    assert not waits_for_reveal({**stranger, "code": other.code}, "sketcher-1", "mlp")
    assert judged(stranger)[0]["correct"] is True


def test_a_held_verdict_shows_once_its_class_has_ended(store, member):
    new, strip = member
    held = judged(strip)[3]
    store.delete(new.code, new.teacher_secret)
    assert show_held(PATH, held, strip, {})[0] == held["value"]


@pytest.mark.parametrize("value", [None, {}, {"code": "X"}, {"code": 5, "student": "s" * 20}, "text"])
def test_a_strip_value_that_is_not_a_membership_is_none(value):
    assert membership(value) is None


def test_the_verdict_a_class_waits_for_is_the_one_the_run_made(store, member):
    """Held or not, the verdict is judged from the same run: held, it is exactly what shows without a class."""
    held = judged(member[1], chosen="cnn")[3]
    assert held["value"] == judged({"slug": "sketcher"}, chosen="cnn")[0]


# ---------- the teacher's link ----------


def test_the_teachers_link_keeps_a_step_the_chosen_controls_and_a_checked_code():
    assert link_value("sketcher", 6, ["sketcher-mlp"], 3, " abcd-efgh ".replace("a", "k")) == {
        "slug": "sketcher",
        "step": 3,
        "hide": ["sketcher-mlp"],
        "code": "KBCDEFGH",
    }
    assert link_value("sketcher", 6, None, 0, "")["step"] == 0
    assert link_value("sketcher", 6, [], 99, None)["step"] == 6
    with pytest.raises(gr.Error, match="class code"):
        link_value("sketcher", 6, [], 1, "not a code")


def test_the_controls_a_teacher_may_hide_are_the_pages_own():
    page = sketcher.build()
    controls = dict((elem_id, label) for label, elem_id in page_controls(page, "sketcher"))
    assert {"sketcher-canvas", "mlp-label", "sketcher-look-inside"} <= set(controls)
    assert not [c for c in controls if c.startswith(("sketcher-path", "sketcher-answers", "sketcher-class", "sketcher-teach"))]
    assert 0 < len(controls) <= demos.classroom.MOST_HIDDEN


# ---------- the sketcher's digit for the class ----------


def test_a_digit_sent_to_the_class_is_what_the_cnn_read(store, member):
    new, strip = member
    ink = drawing.surface_with(example_digit("digit_3.png"))
    note = send_to_class(ink, "3", strip)
    found = reading.read_digit(drawing.ink_raster(ink), explain=False)
    read = int(found.cnn.argmax())
    assert note.endswith(f"the CNN read {read}.")
    board = store.board(new.code, new.teacher_secret)
    assert board.confusion[3][read] == 1 and sum(map(sum, board.confusion)) == 1
    (sent,) = store.drawings(new.code, new.teacher_secret, 3, read)
    assert np.abs(sent.image.astype(int) - np.rint(found.prepared.image * 255)).max() == 0


@pytest.mark.parametrize(
    "ink, meant, strip, message",
    [
        ("digit", None, "member", "which digit you meant"),
        ("digit", "12", "member", "which digit you meant"),
        (None, "3", "member", "draw a digit"),
        ("digit", "3", None, "in no class"),
    ],
)
def test_a_digit_for_the_class_needs_a_drawing_a_meaning_and_a_class(store, member, ink, meant, strip, message):
    ink = drawing.surface_with(example_digit("digit_3.png")) if ink == "digit" else None
    with pytest.raises(gr.Error, match=message):
        send_to_class(ink, meant, member[1] if strip == "member" else strip)


def test_a_student_who_sends_too_many_digits_is_told_to_wait(store, member, monkeypatch):
    new, strip = member
    ink = drawing.surface_with(example_digit("digit_3.png"))
    for _ in range(store.limits.drawings_per_minute):
        send_to_class(ink, "3", strip)
    with pytest.raises(gr.Error, match="drawings this minute"):
        send_to_class(ink, "3", strip)


def test_the_store_a_page_opens_is_the_one_the_setting_names(tmp_path, monkeypatch):
    monkeypatch.setenv("GALLERY_CLASS_DB", str(tmp_path / "named.db"))
    demos.classroom.class_store.cache_clear()
    try:
        new = demos.classroom.class_store().create_class()
        other = open_store(str(tmp_path / "named.db"), questions=demos.classroom.questions())
        assert other.board(new.code, new.teacher_secret).joined == 0
    finally:
        demos.classroom.class_store.cache_clear()
    with pytest.raises(UserError):
        demos.classroom.class_settings({"tab": "chess"})


# ---------- the app's sweep ----------


def test_the_app_sweeps_ended_classes_on_its_schedule_and_outlives_a_failing_database(store, monkeypatch, capsys):
    ended, live = store.create_class(hours=1), store.create_class(hours=1)
    with store.transaction(write=True) as tx:
        tx.run("UPDATE classes SET expires = 0 WHERE code = ?", (ended.code,))
    calls = []

    def flaky():  # the database is away once, then back
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the database is away")
        return store

    monkeypatch.setattr(demos.classroom, "SWEEP_SECONDS", 0.05)
    monkeypatch.setattr(demos.classroom, "class_store", flaky)

    async def run_a_while():
        sweeping = asyncio.create_task(app._sweep_classes())
        await asyncio.sleep(0.5)
        sweeping.cancel()

    # In a thread of its own: after the browser tests, Playwright's loop runs in this one.
    sweeper = threading.Thread(target=asyncio.run, args=(run_a_while(),))
    sweeper.start()
    sweeper.join()
    assert len(calls) > 2 and "class sweep failed" in capsys.readouterr().out
    with store.transaction() as tx:
        assert [row[0] for row in tx.run("SELECT code FROM classes").fetchall()] == [live.code]


def test_each_control_a_teacher_may_hide_has_an_id_of_its_own_in_the_gallery():
    """`?hide=` hides by id in the whole document: an id two elements share would hide both."""
    gallery = app._build_gallery()
    ids = [block.elem_id for block in gallery.blocks.values() if getattr(block, "elem_id", None)]
    assert len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)
    overfit = [i for _, i in page_controls(demos.overfit.build(), "overfit")]
    assert {"overfit-dropout", "overfit-depth", "overfit-noise"} <= set(overfit)  # the playground's knobs, as TF Playground hides them

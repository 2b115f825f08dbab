"""The class store (core/classroom, issue 29): a class's whole life, one test per guard, several
processes on one store, and a restart. Every test runs on SQLite (a file in tmp_path) and on
PostgreSQL (GALLERY_TEST_POSTGRES, a fresh schema a test; .ci/run starts Debian's server), which is
skipped where that variable is unset and fails in CI."""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from core.classroom import codes
from core.classroom import database as database_module
from core.classroom.schema import MIGRATIONS
from core.classroom.store import ClassStore, Limits, open_store
from core.errors import UserError
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PATHS = ROOT / "demos" / "lessons" / "paths"
INJECTED_QUESTION = "x'); DROP TABLE answers;--"  # a step id a caller might pass in, taken as data
INJECTED_ANSWER = "' OR '1'='1"
INJECTED_NICKNAME = "';DROP TABLE students;--"  # 24 characters, the longest a nickname may be


def path_questions(folder: Path = PATHS) -> dict[str, frozenset[str]]:
    """Each guided step's id ("sketcher-3", numbered from 1 in its path) -> its answers' ids, read
    from the paths' YAML as the app will pass them to the store."""
    questions = {}
    for path in sorted(folder.glob("*.yaml")):
        for number, step in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["steps"], start=1):
            questions[f"{path.stem}-{number}"] = frozenset(step["answers"])
    return questions


QUESTIONS = path_questions() | {INJECTED_QUESTION: frozenset({INJECTED_ANSWER})}


class Clock:
    """A clock the test moves: expiry and the per-minute limits without sleeping."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def student(number: int) -> str:
    return f"student-{number:012d}"  # 20 characters of [A-Za-z0-9_-], as a browser's id


def digit_image(value: int = 0) -> np.ndarray:
    return np.full((28, 28), value, dtype=np.uint8)


# ---------- the two databases ----------


@pytest.fixture
def database(class_database):
    """A store's address: a fresh SQLite file, or a fresh schema on PostgreSQL (tests/conftest.py)."""
    return class_database


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(database, clock) -> ClassStore:
    return open_store(database, questions=QUESTIONS, clock=clock)


TABLES = ("classes", "students", "answers", "reveals", "drawings")


def rows(store: ClassStore, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    """How many rows each table holds, read in one transaction."""
    with store.transaction() as tx:
        return {table: tx.run(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}  # names from this file


# ---------- a class's whole life ----------


def test_a_class_whole_life(store, clock):
    new = store.create_class(hours=2, settings={"path": "sketcher", "hide": ["sketcher-mlp"]})
    assert new.expires == clock.now + 2 * 3600
    assert store.join(new.code.lower(), student(1), nickname="  Ada ") == {"path": "sketcher", "hide": ["sketcher-mlp"]}
    store.join(new.code, student(2))
    store.join(f"{new.code[:4]}-{new.code[4:]}", student(3), nickname="Bo")  # typed with a dash

    store.answer(new.code, student(1), "sketcher-2", "mlp")
    store.answer(new.code, student(2), "sketcher-2", "mlp")
    store.answer(new.code, student(3), "sketcher-2", "cnn")
    store.answer(new.code, student(1), "sketcher-2", "both")  # changed: the last answer counts
    board = store.board(new.code, new.teacher_secret)
    assert board.joined == 3 and board.nicknames == ("Ada", "Bo")
    assert board.answers == {"sketcher-2": {"mlp": 1, "cnn": 1, "both": 1, "neither": 0}}
    assert board.revealed == frozenset()
    assert store.revealed(new.code, student(2)) == frozenset()

    store.reveal(new.code, new.teacher_secret, "sketcher-2")
    store.reveal(new.code, new.teacher_secret, "sketcher-2")  # twice is once
    assert store.revealed(new.code, student(2)) == {"sketcher-2"}
    assert store.board(new.code, new.teacher_secret).revealed == {"sketcher-2"}

    seven, one = digit_image(7), digit_image(1)
    store.drawing(new.code, student(1), meant=7, read=1, image=seven)
    store.drawing(new.code, student(2), meant=7, read=1, image=one)
    store.drawing(new.code, student(3), meant=3, read=3, image=digit_image(3))
    confusion = np.array(store.board(new.code, new.teacher_secret).confusion)
    assert confusion.shape == (10, 10) and confusion[7, 1] == 2 and confusion[3, 3] == 1 and confusion.sum() == 3
    cell = store.drawings(new.code, new.teacher_secret, meant=7, read=1)
    assert [(d.meant, d.read) for d in cell] == [(7, 1), (7, 1)]
    assert sorted(int(d.image[0, 0]) for d in cell) == [1, 7] and all(d.image.shape == (28, 28) and d.image.dtype == np.uint8 for d in cell)
    assert store.drawings(new.code, new.teacher_secret, meant=7, read=1, limit=1)[0].image[0, 0] in (1, 7)
    assert store.drawings(new.code, new.teacher_secret, meant=0, read=8) == []

    assert store.sweep() == 0  # not yet expired
    clock.now = new.expires
    assert store.sweep() == 1
    assert rows(store) == dict.fromkeys(TABLES, 0)
    with pytest.raises(UserError, match="no such class"):
        store.board(new.code, new.teacher_secret)


# ---------- one test per guard ----------


def test_the_teacher_secret_is_needed(store):
    new, other = store.create_class(), store.create_class()
    store.join(new.code, student(1))
    store.drawing(new.code, student(1), 4, 9, digit_image(4))
    wrong = ["", "x", other.teacher_secret, new.teacher_secret[:-1], student(1), None]
    for secret in wrong:
        for call, arguments in ((store.board, ()), (store.reveal, ("filters-1",)), (store.drawings, (4, 9)), (store.delete, ())):
            with pytest.raises(UserError) as refused:
                call(new.code, secret, *arguments)
            assert str(refused.value) == "There is no such class, or this is not its teacher's link."  # no details
    assert store.board(new.code, new.teacher_secret).revealed == frozenset() and store.board(new.code, new.teacher_secret).joined == 1
    with store.transaction() as tx:  # only the secret's SHA-256 is kept
        kept = [row[0] for row in tx.run("SELECT teacher_secret_hash FROM classes")]
    assert new.teacher_secret not in kept and codes.secret_hash(new.teacher_secret) in kept


def test_failed_joins_are_limited_per_address(store, clock):
    new = store.create_class()
    unknown = "ABCDEFGH" if new.code != "ABCDEFGH" else "ABCDEFGJ"
    for _ in range(10):
        with pytest.raises(UserError, match="no such class"):
            store.join(unknown, student(1), address="203.0.113.7")
    for code in (unknown, new.code):  # the 11th try is refused, even with the right code: no oracle
        with pytest.raises(UserError, match="Too many tries"):
            store.join(code, student(1), address="203.0.113.7")
    store.join(new.code, student(2), address="198.51.100.1")  # another address is not held back
    clock.now += 61  # a minute later the address may try again
    store.join(new.code, student(1), address="203.0.113.7")
    assert store.board(new.code, new.teacher_secret).joined == 2


def test_one_answer_per_student_per_question(store):
    new = store.create_class()
    for number in (1, 2):
        store.join(new.code, student(number))
    for answer in ("top", "lower", "top", "lower"):
        store.answer(new.code, student(1), "sketcher-3", answer)
    store.answer(new.code, student(2), "sketcher-3", "lower")
    store.answer(new.code, student(2), "sketcher-1", "cnn")
    assert store.board(new.code, new.teacher_secret).answers == {
        "sketcher-3": {"top": 0, "lower": 2},
        "sketcher-1": {"mlp": 0, "cnn": 1},
    }
    assert rows(store)["answers"] == 3


def test_a_revealed_step_takes_no_more_answers(store):
    new = store.create_class()
    for number in (1, 2):
        store.join(new.code, student(number))
    store.answer(new.code, student(1), "sketcher-1", "mlp")
    store.reveal(new.code, new.teacher_secret, "sketcher-1")
    for number, chosen in ((1, "cnn"), (2, "cnn")):  # a change of mind, and a late first answer
        with pytest.raises(UserError, match="revealed this step"):
            store.answer(new.code, student(number), "sketcher-1", chosen)
    store.answer(new.code, student(2), "sketcher-2", "mlp")  # another step is still open
    assert store.board(new.code, new.teacher_secret).answers == {
        "sketcher-1": {"mlp": 1, "cnn": 0},
        "sketcher-2": {**_zeros("sketcher-2"), "mlp": 1},
    }


def _zeros(question: str) -> dict[str, int]:
    return dict.fromkeys(sorted(QUESTIONS[question]), 0)


def test_drawings_per_minute_are_bounded(store, clock):
    new = store.create_class()
    store.join(new.code, student(1))
    store.join(new.code, student(2))
    for _ in range(12):
        store.drawing(new.code, student(1), 5, 5, digit_image(5))
        clock.now += 1
    with pytest.raises(UserError, match="drawings this minute"):
        store.drawing(new.code, student(1), 5, 5, digit_image(5))
    store.drawing(new.code, student(2), 5, 5, digit_image(5))  # another student draws on
    clock.now += 49  # the first drawing is now a minute old
    store.drawing(new.code, student(1), 5, 5, digit_image(5))
    assert store.board(new.code, new.teacher_secret).confusion[5][5] == 14


def test_a_full_class_takes_no_one_new(database, clock):
    store = open_store(database, questions=QUESTIONS, clock=clock, limits=Limits(students_per_class=2))
    new = store.create_class()
    store.join(new.code, student(1))
    store.join(new.code, student(2))
    with pytest.raises(UserError, match="full"):
        store.join(new.code, student(3))
    store.join(new.code, student(2), nickname="Back")  # one already in may join again
    assert store.board(new.code, new.teacher_secret).nicknames == ("Back",)


def test_a_class_keeps_a_bounded_number_of_drawings(database, clock):
    store = open_store(database, questions=QUESTIONS, clock=clock, limits=Limits(drawings_per_class=3))
    new = store.create_class()
    for number in (1, 2):
        store.join(new.code, student(number))
    for number in (1, 1, 2):
        store.drawing(new.code, student(number), 4, 4, digit_image(4))
    with pytest.raises(UserError, match="holds 3 drawings"):
        store.drawing(new.code, student(2), 4, 4, digit_image(4))  # under its own per-minute limit, over the class's
    assert store.board(new.code, new.teacher_secret).confusion[4][4] == 3


def test_one_address_starts_a_bounded_number_of_classes(database, clock):
    store = open_store(database, questions=QUESTIONS, clock=clock, limits=Limits(classes_per_hour=2))
    for _ in range(2):
        store.create_class(address="203.0.113.9")
    with pytest.raises(UserError, match="started 2 classes"):
        store.create_class(address="203.0.113.9")
    store.create_class(address="198.51.100.4")  # another address starts its own
    clock.now += 3601  # an hour later the address may start again, and the sweep forgets its starts
    store.sweep()
    store.create_class(address="203.0.113.9")
    assert rows(store, ("class_starts",))["class_starts"] == 1


def test_the_store_holds_a_bounded_number_of_live_classes(database, clock):
    store = open_store(database, questions=QUESTIONS, clock=clock, limits=Limits(live_classes=2))
    first = store.create_class(hours=1, address="a")
    store.create_class(hours=2, address="b")
    with pytest.raises(UserError, match="holds 2 classes"):
        store.create_class(address="c")
    clock.now += 3601  # the first class has ended: its place is free, swept or not
    store.create_class(address="c")
    with pytest.raises(UserError):
        store.join(first.code, student(1))


BAD_INPUTS = {
    "code too short": lambda s, c: s.join(c.code[:7], student(9)),
    "code with an O": lambda s, c: s.join("O" + c.code[1:], student(9)),
    "code not text": lambda s, c: s.join(12345678, student(9)),
    "student id too short": lambda s, c: s.join(c.code, "abc"),
    "student id too long": lambda s, c: s.join(c.code, "a" * 65),
    "student id with a space": lambda s, c: s.join(c.code, "student 000000000001"),
    "nickname too long": lambda s, c: s.join(c.code, student(9), nickname="n" * 25),
    "nickname with a control character": lambda s, c: s.join(c.code, student(9), nickname="a\x00b"),
    "nickname not text": lambda s, c: s.join(c.code, student(9), nickname=7),
    "unknown step": lambda s, c: s.answer(c.code, student(1), "sketcher-99", "mlp"),
    "step of no path": lambda s, c: s.answer(c.code, student(1), "chess-1", "mlp"),
    "answer of another step": lambda s, c: s.answer(c.code, student(1), "sketcher-1", "top"),
    "answer not text": lambda s, c: s.answer(c.code, student(1), "sketcher-1", None),
    "meant 10": lambda s, c: s.drawing(c.code, student(1), 10, 3, digit_image()),
    "read -1": lambda s, c: s.drawing(c.code, student(1), 3, -1, digit_image()),
    "meant 3.5": lambda s, c: s.drawing(c.code, student(1), 3.5, 3, digit_image()),
    "meant True": lambda s, c: s.drawing(c.code, student(1), True, 3, digit_image()),
    "image 28x27": lambda s, c: s.drawing(c.code, student(1), 3, 3, np.zeros((28, 27), np.uint8)),
    "image float32": lambda s, c: s.drawing(c.code, student(1), 3, 3, np.zeros((28, 28), np.float32)),
    "image RGB": lambda s, c: s.drawing(c.code, student(1), 3, 3, np.zeros((28, 28, 3), np.uint8)),
    "image as a list": lambda s, c: s.drawing(c.code, student(1), 3, 3, [[0] * 28] * 28),
    "reveal of an unknown step": lambda s, c: s.reveal(c.code, c.teacher_secret, "sketcher-99"),
    "cell meant 10": lambda s, c: s.drawings(c.code, c.teacher_secret, 10, 0),
    "cell limit 0": lambda s, c: s.drawings(c.code, c.teacher_secret, 0, 0, limit=0),
    "cell limit 10,000": lambda s, c: s.drawings(c.code, c.teacher_secret, 0, 0, limit=10_000),
    "hours 0": lambda s, c: s.create_class(hours=0),
    "hours a year": lambda s, c: s.create_class(hours=24 * 365),
    "hours NaN": lambda s, c: s.create_class(hours=math.nan),
    "hours text": lambda s, c: s.create_class(hours="24"),
    "settings not a mapping": lambda s, c: s.create_class(settings=["hide"]),
    "settings not JSON": lambda s, c: s.create_class(settings={"when": object()}),
    "settings too large": lambda s, c: s.create_class(settings={"hide": ["x" * 5000]}),
}


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_each_input_is_checked(store, bad):
    new = store.create_class()
    store.join(new.code, student(1))
    before = rows(store, (*TABLES, "failed_joins"))
    with pytest.raises(UserError):
        BAD_INPUTS[bad](store, new)
    assert rows(store, (*TABLES, "failed_joins")) == before  # nothing stored, no join counted as failed


def test_a_student_sees_only_reveals(store):
    new = store.create_class(settings={"path": "filters"})
    store.join(new.code, student(1), nickname="Ann")
    store.join(new.code, student(2))
    store.answer(new.code, student(1), "filters-1", next(iter(QUESTIONS["filters-1"])))
    store.drawing(new.code, student(1), 2, 7, digit_image(2))
    # What a student's calls return: the class's settings (join) and the reveals, nothing of another student.
    assert store.join(new.code, student(2)) == {"path": "filters"}
    assert store.revealed(new.code, student(2)) == frozenset()
    store.reveal(new.code, new.teacher_secret, "filters-1")
    assert store.revealed(new.code, student(2)) == {"filters-1"}
    with pytest.raises(UserError, match="Join the class first"):  # a page that has not joined learns nothing
        store.revealed(new.code, student(3))
    for teacher_call in (lambda: store.board(new.code, student(2)), lambda: store.drawings(new.code, student(2), 2, 7)):
        with pytest.raises(UserError):  # a student's id is no teacher's secret
            teacher_call()


def test_sql_injection_is_stored_as_data(store):
    new = store.create_class()
    store.join(new.code, student(1), nickname=INJECTED_NICKNAME)
    store.answer(new.code, student(1), INJECTED_QUESTION, INJECTED_ANSWER)
    store.reveal(new.code, new.teacher_secret, INJECTED_QUESTION)
    board = store.board(new.code, new.teacher_secret)
    assert board.nicknames == (INJECTED_NICKNAME,)
    assert board.answers == {INJECTED_QUESTION: {INJECTED_ANSWER: 1}}
    assert board.revealed == {INJECTED_QUESTION} and store.revealed(new.code, student(1)) == {INJECTED_QUESTION}
    assert rows(store) == {"classes": 1, "students": 1, "answers": 1, "reveals": 1, "drawings": 0}


@pytest.mark.parametrize("ending", ["deleted", "swept", "expired, not yet swept"])
def test_an_ended_class_cannot_be_read(store, clock, ending):
    gone, kept = store.create_class(hours=1), store.create_class(hours=48)
    for new in (gone, kept):
        store.join(new.code, student(1), nickname="Cy")
        store.answer(new.code, student(1), "gan-1", next(iter(QUESTIONS["gan-1"])))
        store.reveal(new.code, new.teacher_secret, "gan-1")
        store.drawing(new.code, student(1), 1, 7, digit_image(1))
    if ending == "deleted":
        store.delete(gone.code, gone.teacher_secret)
    else:
        clock.now += 3601
        if ending == "swept":
            assert store.sweep() == 1
    for call in (
        lambda: store.join(gone.code, student(2)),
        lambda: store.answer(gone.code, student(1), "gan-1", next(iter(QUESTIONS["gan-1"]))),
        lambda: store.revealed(gone.code, student(1)),
        lambda: store.drawing(gone.code, student(1), 1, 7, digit_image(1)),
        lambda: store.board(gone.code, gone.teacher_secret),
        lambda: store.reveal(gone.code, gone.teacher_secret, "gan-2"),
        lambda: store.drawings(gone.code, gone.teacher_secret, 1, 7),
        lambda: store.delete(gone.code, gone.teacher_secret),
    ):
        with pytest.raises(UserError, match="no such class"):
            call()
    left = rows(store)
    assert left == (dict.fromkeys(TABLES, 2) if ending.startswith("expired") else dict.fromkeys(TABLES, 1))
    assert store.board(kept.code, kept.teacher_secret).joined == 1  # the other class is untouched


def test_codes_are_hard_to_guess():
    assert len(codes.ALPHABET) == len(set(codes.ALPHABET)) == 30 and not set("01ILOU") & set(codes.ALPHABET)
    assert codes.CODE_LENGTH * math.log2(len(codes.ALPHABET)) > 39
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000 and all(codes.CODE_PATTERN.fullmatch(code) for code in drawn)
    assert set("".join(drawn)) == set(codes.ALPHABET)  # every character used: 16,000 draws of 30
    assert codes.checked_code(" 7kqm-4rxt ") == "7KQM4RXT"
    assert len(codes.new_secret()) >= 43  # 32 random bytes


# ---------- several processes, and a restart ----------


def answer_for_students(url: str, code: str, first: int, count: int, start) -> None:
    """One process's students: join, answer "mlp", then change to "cnn" (run by multiprocessing)."""
    store = open_store(url, questions=QUESTIONS)
    start.wait(timeout=60)
    for number in range(first, first + count):
        store.join(code, student(number), address=f"10.0.0.{number % 250}")
        store.answer(code, student(number), "sketcher-1", "mlp")
        store.answer(code, student(number), "sketcher-1", "cnn")


def open_only(url: str, start) -> None:
    start.wait(timeout=60)
    open_store(url, questions=QUESTIONS)


def run_processes(target, argument_lists: list[tuple]) -> None:
    """Each of `target`'s calls in its own process, released at once; each must exit cleanly."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(argument_lists))
    processes = [context.Process(target=target, args=(*arguments, start)) for arguments in argument_lists]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * len(processes)


def test_processes_answering_at_once_lose_nothing(database):
    store = open_store(database, questions=QUESTIONS)
    new = store.create_class()
    run_processes(answer_for_students, [(database, new.code, 1, 30), (database, new.code, 101, 30), (database, new.code, 201, 30)])
    board = store.board(new.code, new.teacher_secret)
    assert board.joined == 90 and board.answers == {"sketcher-1": {"mlp": 0, "cnn": 90}}


def test_threads_of_one_process_take_turns_and_never_find_the_file_locked(tmp_path, monkeypatch):
    """One process's writers queue in the store, not at SQLite's busy timeout: a writer held up
    mid-transaction (here 50 ms, as a thread starved of the GIL in an overloaded server is) makes the
    others wait, never fail. The timeout is cut to 10 ms so that without the queue they would."""
    monkeypatch.setattr(database_module, "BUSY_SECONDS", 0.01)
    store = open_store(str(tmp_path / "class.db"), questions=QUESTIONS)
    new = store.create_class()
    failures = []

    def slow_join(number: int) -> None:
        try:
            with store.transaction(write=True) as tx:
                class_id = tx.run("SELECT id FROM classes WHERE code = ?", (new.code,)).fetchone()[0]
                time.sleep(0.05)
                tx.run("INSERT INTO students (class_id, student_id, nickname, joined) VALUES (?, ?, NULL, 0)", (class_id, student(number)))
        except Exception as error:  # noqa: BLE001  (what a thread met is the result)
            failures.append(repr(error))

    threads = [threading.Thread(target=slow_join, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and store.board(new.code, new.teacher_secret).joined == 8


def test_processes_opening_at_once_migrate_once(database):
    # Four processes opening a store at once, five times, each time on a new SQLite file: opening a
    # new file together failed one time in four for three processes (WAL mode, core.classroom.database.wal_mode).
    rounds = [f"{database}.{n}" for n in range(5)] if database.endswith(".db") else [database]
    for url in rounds:
        run_processes(open_only, [(url,)] * 4)
        store = open_store(url, questions=QUESTIONS)
        with store.transaction() as tx:
            versions = [row[0] for row in tx.run("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_answers_survive_a_restart(database, clock):
    store = open_store(database, questions=QUESTIONS, clock=clock)
    new = store.create_class()
    store.join(new.code, student(1))
    store.answer(new.code, student(1), "overfit-1", next(iter(QUESTIONS["overfit-1"])))
    store.drawing(new.code, student(1), 8, 8, digit_image(8))
    del store
    again = open_store(database, questions=QUESTIONS, clock=clock)
    board = again.board(new.code, new.teacher_secret)
    assert board.joined == 1 and sum(board.answers["overfit-1"].values()) == 1 and board.confusion[8][8] == 1
    again.answer(new.code, student(1), "overfit-1", next(iter(QUESTIONS["overfit-1"])))  # the student goes on
    assert np.array_equal(again.drawings(new.code, new.teacher_secret, 8, 8)[0].image, digit_image(8))

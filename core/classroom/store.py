"""The class store: a class's students, answers, reveals and drawings, on SQLite or PostgreSQL.

`open_store(url_or_path, questions=...)` opens one: a `postgresql://` URL through psycopg 3, anything
else a SQLite file. Every operation is its own short transaction on its own connection, so the
store is safe under threads and under several processes sharing one file or database (the replicas
behind nginx, deploy/serve.sh): SQLite in WAL mode with a busy timeout, writers taking the write
lock at BEGIN IMMEDIATE; PostgreSQL with its row locks. The same SQL serves both, written with `?`
placeholders that `Transaction.run` turns into psycopg's `%s`; values only ever travel as parameters.

The limits (failed joins per address, drawings per student) are counted in the database, not in one
process's memory, so they hold across replicas and restarts. Codes and their bits: `codes`.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import numpy as np
import psycopg

from core.classroom import checks
from core.classroom.checks import LimitReached, Questions
from core.classroom.codes import checked_code, new_code, new_secret, secret_hash, secret_matches
from core.classroom.database import Transaction, transaction, wal_mode
from core.classroom.schema import MIGRATIONS, SCHEMA_VERSION_TABLE, statement_for
from core.errors import UserError, whole_number

MIGRATION_LOCK = 290029  # PostgreSQL advisory lock key: two processes opening at once migrate one after the other
NO_CLASS = "There is no such class: check the code, or the class may have ended."
NOT_TEACHER = "There is no such class, or this is not its teacher's link."  # one message: no oracle for codes
NO_SECRET = secret_hash("")  # compared against when the class is missing, so both paths do the same work


@dataclass(frozen=True)
class Limits:
    failed_joins_per_minute: int = 10  # per address: a class behind one address can mistype; a guesser gets 14,400 a day
    drawings_per_minute: int = 12  # per student: a digit every 5 s is brisk drawing, and bounds what one fills
    students_per_class: int = 500  # a lecture hall; bounds the rows one class can make
    drawings_per_class: int = 5000  # 30 students drawing 160 digits each; about 4 MB of a disk at most
    classes_per_hour: int = 10  # started by one address: a teacher restarting a class is a few a lesson
    live_classes: int = 200  # in all: with the caps above, at most about 1 GB of drawings on the disk


LIMITS = Limits()


@dataclass(frozen=True)
class NewClass:
    code: str  # what students type
    teacher_secret: str  # goes in the teacher's link only; the store keeps its SHA-256
    expires: float  # seconds since the epoch; `sweep` deletes the class after it


@dataclass(frozen=True)
class Board:
    """What the teacher sees: never shown to a student."""

    joined: int
    nicknames: tuple[str, ...]  # in the order they joined; students without one are not listed
    answers: Mapping[str, Mapping[str, int]]  # question -> each of its answers -> how many students chose it last
    revealed: frozenset[str]
    confusion: tuple[tuple[int, ...], ...]  # (10, 10): [meant][read], the class's drawings
    settings: Mapping = field(default_factory=dict)  # the teacher's, as given to create_class
    expires: float = 0.0


@dataclass(frozen=True)
class Drawing:
    meant: int
    read: int
    image: np.ndarray  # (28, 28) uint8
    at: float


class ClassStore:
    """Classes, their students and what they sent. Student calls take the class code and the
    student's id; teacher calls take the code and the teacher's secret. A class past its expiry
    answers as if it had never been, before and after `sweep` deletes it."""

    def __init__(self, url_or_path: str, questions: Questions, limits: Limits = LIMITS, clock: Callable[[], float] = time.time):
        self.url = str(url_or_path)
        self.postgres = self.url.startswith(("postgresql://", "postgres://"))
        self.questions = {step: frozenset(answers) for step, answers in questions.items()}
        self.limits, self.clock = limits, clock
        # SQLite: this process's writers take turns here before they ask the file for its write lock, so
        # SQLite's busy timeout is only ever spent waiting for another process. Without it, 200 students
        # joining one overloaded `python app.py` at once got "database is locked" (bench/class.py).
        self._writing = threading.Lock()

    def transaction(self, write: bool = False) -> AbstractContextManager[Transaction]:
        """A connection and a transaction for one operation: committed if it returns, rolled back if it raises."""
        return transaction(self.url, self.postgres, write, self._writing)

    def migrate(self) -> int:
        """Apply the migrations this database lacks, in order, in one transaction; the version now."""
        if not self.postgres:
            wal_mode(self.url)
        with self.transaction(write=True) as tx:
            if self.postgres:
                tx.run(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")  # a constant, not a value
            tx.run(SCHEMA_VERSION_TABLE)
            done = tx.run("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version > done:
                    for statement in statements:
                        tx.run(statement_for(statement, self.postgres))
                    tx.run("INSERT INTO schema_version (version, applied) VALUES (?, ?)", (version, self.clock()))
        return len(MIGRATIONS)

    # ---------- a class ----------

    def create_class(self, hours: float = 24, settings: Mapping | None = None, address: str = "unknown") -> NewClass:
        """A new class for `hours`, with the teacher's `settings` (a step, hidden controls) for its
        students. `address` may start `Limits.classes_per_hour` classes an hour, and the store holds
        at most `Limits.live_classes` live ones: together they bound what strangers can make it keep."""
        lifetime, settings_json = checks.hours(hours), checks.settings(settings)
        secret, now, address = new_secret(), self.clock(), str(address)[:64]
        for _ in range(5):  # a code already in use (one chance in billions) draws another
            code = new_code()
            try:
                with self.transaction(write=True) as tx:
                    if tx.postgres:  # one address's starts in turn, so concurrent starts cannot all read the same count
                        tx.run("SELECT pg_advisory_xact_lock(hashtext(?))", ("start " + address,))
                    started = tx.run("SELECT COUNT(*) FROM class_starts WHERE address = ? AND at > ?", (address, now - 3600)).fetchone()[0]
                    if started >= self.limits.classes_per_hour:
                        raise LimitReached(
                            f"This address has started {started} classes in the last hour, the most it may: reuse one of them.",
                            retry_after=3600,
                        )
                    live = tx.run("SELECT COUNT(*) FROM classes WHERE expires > ?", (now,)).fetchone()[0]
                    if live >= self.limits.live_classes:
                        raise LimitReached(
                            f"The gallery holds {live} classes now, the most it keeps: try again when one ends.", retry_after=3600
                        )
                    tx.run("INSERT INTO class_starts (address, at) VALUES (?, ?)", (address, now))
                    tx.run(
                        "INSERT INTO classes (id, code, teacher_secret_hash, created, expires, settings) VALUES (?, ?, ?, ?, ?, ?)",
                        (secrets.token_hex(12), code, secret_hash(secret), now, now + lifetime * 3600, settings_json),
                    )
            except (sqlite3.IntegrityError, psycopg.IntegrityError):
                continue
            return NewClass(code, secret, now + lifetime * 3600)
        raise RuntimeError("five class codes in a row were taken: the code space is not random")

    def delete(self, code: str, teacher_secret: str) -> None:
        """The class and everything of it, gone (ON DELETE CASCADE)."""
        with self.transaction(write=True) as tx:
            tx.run("DELETE FROM classes WHERE id = ?", (self._teacher_class(tx, code, teacher_secret),))

    def sweep(self, now: float | None = None) -> int:
        """Delete the classes past their expiry, with all their data, and failed joins older than a
        minute; the number of classes deleted."""
        now = self.clock() if now is None else now
        with self.transaction(write=True) as tx:
            deleted = tx.run("DELETE FROM classes WHERE expires <= ?", (now,)).rowcount
            tx.run("DELETE FROM failed_joins WHERE at <= ?", (now - 60,))
            tx.run("DELETE FROM class_starts WHERE at <= ?", (now - 3600,))
        return deleted

    # ---------- students ----------

    def join(self, code: str, student_id: str, nickname: str | None = None, address: str = "unknown") -> dict:
        """Join (or join again, changing the nickname); the class's settings. An unknown or expired
        code counts against `address`: past `Limits.failed_joins_per_minute` in the last minute,
        every join from it is refused, so that the refusal says nothing about the code."""
        student, name, code = checks.student_id(student_id), checks.nickname(nickname), checked_code(code)
        address, now = str(address)[:64], self.clock()
        with self.transaction(write=True) as tx:
            if tx.postgres:  # one address's joins in turn, so concurrent guesses cannot all read the same count
                tx.run("SELECT pg_advisory_xact_lock(hashtext(?))", (address,))
            failed = tx.run("SELECT COUNT(*) FROM failed_joins WHERE address = ? AND at > ?", (address, now - 60)).fetchone()[0]
            if failed >= self.limits.failed_joins_per_minute:
                outcome = "too many"
            else:
                row = tx.run("SELECT id, settings FROM classes WHERE code = ? AND expires > ?", (code, now)).fetchone()
                if row is None:
                    tx.run("INSERT INTO failed_joins (address, at) VALUES (?, ?)", (address, now))  # kept: not rolled back
                    outcome = "unknown"
                else:
                    class_id, outcome = row
                    self._make_room(tx, class_id, student)
                    tx.run(
                        "INSERT INTO students (class_id, student_id, nickname, joined) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (class_id, student_id) DO UPDATE SET nickname = excluded.nickname",
                        (class_id, student, name, now),
                    )
        if outcome == "too many":
            raise LimitReached("Too many tries with a wrong class code: wait a minute, then check the code with your teacher.")
        if outcome == "unknown":
            raise UserError(NO_CLASS)
        return json.loads(outcome)

    def answer(self, code: str, student_id: str, question: str, answer: str) -> None:
        """A student's answer to a guided-path step; a later answer to the same step replaces it, until
        the teacher reveals the step: the spread the class discussed stays the one it answered."""
        student, code = checks.student_id(student_id), checked_code(code)
        step = checks.question(self.questions, question)
        chosen = checks.answer(self.questions, step, answer)
        with self.transaction(write=True) as tx:
            class_id = self._student_class(tx, code, student)
            if tx.run("SELECT 1 FROM reveals WHERE class_id = ? AND question = ?", (class_id, step)).fetchone():
                raise UserError("Your teacher has revealed this step: answers to it no longer count.")
            tx.run(
                "INSERT INTO answers (class_id, student_id, question, answer, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (class_id, student_id, question) DO UPDATE SET answer = excluded.answer, at = excluded.at",
                (class_id, student, step, chosen, self.clock()),
            )

    def revealed(self, code: str, student_id: str) -> frozenset[str]:
        """The steps the teacher has revealed: all a student's page may learn of the class."""
        student, code = checks.student_id(student_id), checked_code(code)
        with self.transaction() as tx:
            class_id = self._student_class(tx, code, student)
            return frozenset(row[0] for row in tx.run("SELECT question FROM reveals WHERE class_id = ?", (class_id,)))

    def drawing(self, code: str, student_id: str, meant: int, read: int, image: np.ndarray) -> None:
        """A digit a student drew, the digit they meant and the one the CNN read; at most
        `Limits.drawings_per_minute` a student."""
        student, code = checks.student_id(student_id), checked_code(code)
        meant, read, pixels = checks.digit(meant, "The digit you meant"), checks.digit(read, "The digit read"), checks.image(image)
        now = self.clock()
        with self.transaction(write=True) as tx:
            class_id = self._student_class(tx, code, student, lock=True)
            recent = tx.run(
                "SELECT COUNT(*) FROM drawings WHERE class_id = ? AND student_id = ? AND at > ?", (class_id, student, now - 60)
            ).fetchone()[0]
            if recent >= self.limits.drawings_per_minute:
                raise LimitReached(f"That is {recent} drawings this minute, the most a class takes: wait a little before the next.")
            kept = tx.run("SELECT COUNT(*) FROM drawings WHERE class_id = ?", (class_id,)).fetchone()[0]
            if kept >= self.limits.drawings_per_class:
                raise LimitReached(
                    f"This class holds {kept} drawings, the most it keeps: your teacher can start a new class.", retry_after=None
                )
            tx.run(
                "INSERT INTO drawings (id, class_id, student_id, meant, read, image, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (secrets.token_hex(12), class_id, student, meant, read, pixels, now),
            )

    # ---------- the teacher ----------

    def board(self, code: str, teacher_secret: str) -> Board:
        with self.transaction() as tx:
            class_id = self._teacher_class(tx, code, teacher_secret)
            settings, expires = tx.run("SELECT settings, expires FROM classes WHERE id = ?", (class_id,)).fetchone()
            joined = tx.run("SELECT COUNT(*) FROM students WHERE class_id = ?", (class_id,)).fetchone()[0]
            nicknames = tx.run(
                "SELECT nickname FROM students WHERE class_id = ? AND nickname IS NOT NULL ORDER BY joined, nickname", (class_id,)
            ).fetchall()
            answered = tx.run("SELECT question, answer, COUNT(*) FROM answers WHERE class_id = ? GROUP BY question, answer", (class_id,))
            answers: dict[str, dict[str, int]] = {}
            for step, chosen, count in answered.fetchall():
                spread = answers.setdefault(step, dict.fromkeys(sorted(self.questions.get(step, ())), 0))
                spread[chosen] = count
            revealed = frozenset(row[0] for row in tx.run("SELECT question FROM reveals WHERE class_id = ?", (class_id,)))
            confusion = [[0] * 10 for _ in range(10)]
            for meant, read, count in tx.run(
                "SELECT meant, read, COUNT(*) FROM drawings WHERE class_id = ? GROUP BY meant, read", (class_id,)
            ):
                confusion[meant][read] = count
        return Board(
            joined, tuple(row[0] for row in nicknames), answers, revealed, tuple(map(tuple, confusion)), json.loads(settings), expires
        )

    def reveal(self, code: str, teacher_secret: str, question: str) -> None:
        """Show step `question`'s outcome on every student's page (`revealed`)."""
        step = checks.question(self.questions, question)
        with self.transaction(write=True) as tx:
            class_id = self._teacher_class(tx, code, teacher_secret)
            tx.run("INSERT INTO reveals (class_id, question, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (class_id, step, self.clock()))

    def drawings(self, code: str, teacher_secret: str, meant: int, read: int, limit: int = 50) -> list[Drawing]:
        """The class's latest drawings meant as `meant` and read as `read`: a confusion-matrix cell."""
        meant, read = checks.digit(meant, "The digit meant"), checks.digit(read, "The digit read")
        limit = whole_number(limit, "The number of drawings", 1, 200)
        with self.transaction() as tx:
            class_id = self._teacher_class(tx, code, teacher_secret)
            rows = tx.run(
                "SELECT image, at FROM drawings WHERE class_id = ? AND meant = ? AND read = ? ORDER BY at DESC LIMIT ?",
                (class_id, meant, read, limit),
            ).fetchall()
        return [Drawing(meant, read, np.frombuffer(bytes(image), np.uint8).reshape(checks.IMAGE_SHAPE).copy(), at) for image, at in rows]

    # ---------- whose class ----------

    def _teacher_class(self, tx: Transaction, code: str, teacher_secret: str) -> str:
        """The id of the live class `code` whose teacher's secret this is; one UserError for a
        missing class and a wrong secret alike, so the teacher's calls cannot probe for codes."""
        row = tx.run(
            "SELECT id, teacher_secret_hash FROM classes WHERE code = ? AND expires > ?", (checked_code(code), self.clock())
        ).fetchone()
        if not secret_matches(teacher_secret, row[1] if row else NO_SECRET) or row is None:
            raise UserError(NOT_TEACHER)
        return row[0]

    def _student_class(self, tx: Transaction, code: str, student: str, lock: bool = False) -> str:
        """The id of the live class `code` that `student` has joined. `lock`: hold the student's row
        to the transaction's end (PostgreSQL), so one student's concurrent drawings are counted in turn."""
        row = tx.run("SELECT id FROM classes WHERE code = ? AND expires > ?", (code, self.clock())).fetchone()
        if row is None:
            raise UserError(NO_CLASS)
        if lock:  # an update that changes nothing, for its row lock
            joined = tx.run("UPDATE students SET joined = joined WHERE class_id = ? AND student_id = ?", (row[0], student)).rowcount > 0
        else:
            joined = tx.run("SELECT 1 FROM students WHERE class_id = ? AND student_id = ?", (row[0], student)).fetchone() is not None
        if not joined:
            raise UserError("Join the class first: this page has not joined it.")
        return row[0]

    def _make_room(self, tx: Transaction, class_id: str, student: str) -> None:
        """Refuse a new student in a full class; one already in may always join again."""
        there = tx.run("SELECT 1 FROM students WHERE class_id = ? AND student_id = ?", (class_id, student)).fetchone()
        joined = tx.run("SELECT COUNT(*) FROM students WHERE class_id = ?", (class_id,)).fetchone()[0]
        if there is None and joined >= self.limits.students_per_class:
            raise LimitReached(f"This class is full ({joined} students): ask your teacher to start another.", retry_after=None)


def open_store(url_or_path: str, *, questions: Questions, limits: Limits = LIMITS, clock: Callable[[], float] = time.time) -> ClassStore:
    """The class store at `url_or_path` (a `postgresql://` URL, or a SQLite file's path), its schema
    migrated. `questions`: each guided-path step id ("sketcher-3") -> its answers' ids, the only
    ones a student may send (the caller reads them from demos/lessons/paths/*.yaml)."""
    store = ClassStore(url_or_path, questions, limits, clock)
    store.migrate()
    return store

"""The class API (demos/classroom/api.py) over HTTP: what it adds to the class store's own guards
(tests/test_class_store.py), one test per guard. The router is served by a small FastAPI app through
fastapi's TestClient, on SQLite (a file in tmp_path) and on PostgreSQL (a fresh schema in
GALLERY_TEST_POSTGRES's database, skipped where that is unset and failing in CI); the last test reads
a board from the real app (`app_url`) to show that its routes come before the gallery's "/"."""

from __future__ import annotations

import base64
import io
import json
import re
import sqlite3
import time
import urllib.parse
from xml.etree import ElementTree

import httpx
import numpy as np
import psycopg
import pytest
import segno
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from core.classroom import codes
from core.classroom.store import NO_CLASS, NOT_TEACHER, ClassStore, Limits, open_store
from demos import classroom
from demos.classroom import api

CLASSES, JOIN, ANSWER, REVEALED = "/class/api/classes", "/class/api/join", "/class/api/answer", "/class/api/revealed"
BOARD, REVEAL, DRAWINGS, END, QR = "/class/api/board", "/class/api/reveal", "/class/api/drawings", "/class/api/end", "/class/api/qr.svg"
PROXY = "127.0.0.1"  # nginx on this machine (deploy/serve.sh): the proxy the app trusts by default
STUDENTS_ADDRESS = "203.0.113.10"  # a documentation address (RFC 5737): a school's, say
QUESTION = "sketcher-2"  # a guided step with four answers
DRAWING = (np.arange(28 * 28) % 256).astype(np.uint8).reshape(28, 28)  # a digit with every pixel different from its neighbours


def answers_of(question: str) -> list[str]:
    """The answers' ids a student may send for `question`, as the app reads them from the paths' YAML."""
    return sorted(classroom.questions()[question])


def student(number: int) -> str:
    return f"student-{number:012d}"  # 20 characters of [A-Za-z0-9_-], as a browser's id


def other_code(*taken: str) -> str:
    """A well-formed class code that no class here has: what a guesser sends."""
    while (code := codes.new_code()) in taken:
        pass
    return code


def client_at(address: str = STUDENTS_ADDRESS) -> TestClient:
    """A client connecting from `address`, to an app that holds only the class API (server errors
    come back as 500s, so that a test can say which input caused one)."""
    app = FastAPI()
    app.include_router(api.router)
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def as_teacher(secret: str) -> dict[str, str]:
    return {"X-Teacher-Secret": secret}


# ---------- the two databases ----------


@pytest.fixture
def database(class_database):
    """A store's address: a fresh SQLite file, or a fresh schema on PostgreSQL (tests/conftest.py)."""
    return class_database


@pytest.fixture(autouse=True)
def trusted_proxies(monkeypatch):
    """The default trusted proxies, whatever GALLERY_TRUSTED_PROXIES says where the tests run."""
    monkeypatch.setattr(api, "TRUSTED", ("127.0.0.1", "::1"))


@pytest.fixture
def store(database, monkeypatch) -> ClassStore:
    """The store the router uses, opened as the app opens it: on GALLERY_CLASS_DB, once per process."""
    monkeypatch.setenv("GALLERY_CLASS_DB", database)
    classroom.class_store.cache_clear()
    yield classroom.class_store()
    classroom.class_store.cache_clear()


def limited(database: str, monkeypatch, **limits) -> ClassStore:
    """The router's store replaced by one on `database` with smaller `Limits`."""
    small = open_store(database, questions=classroom.questions(), limits=Limits(**limits))
    monkeypatch.setattr(api, "class_store", lambda: small)
    return small


def classes_kept(store: ClassStore) -> int:
    with store.transaction() as tx:
        return tx.run("SELECT COUNT(*) FROM classes").fetchone()[0]


def start(client: TestClient | None = None, **body) -> dict:
    """A class started through the API: its {code, secret, expires, student_path}."""
    reply = (client or client_at()).post(CLASSES, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def joined_class(client: TestClient, *students: int) -> dict:
    """A class started through the API, with `students` joined."""
    new = start()
    for number in students:
        assert client.post(JOIN, json={"code": new["code"], "student": student(number)}).status_code == 200
    return new


# ---------- a class's whole life ----------


def every_call(client: TestClient, code: str, secret: str) -> list[tuple[str, int, dict]]:
    """Each route's answer for class `code`, as a student and as its teacher: (route, status, JSON)."""
    first = answers_of(QUESTION)[0]
    replies = [
        (JOIN, client.post(JOIN, json={"code": code, "student": student(1)})),
        (ANSWER, client.post(ANSWER, json={"code": code, "student": student(1), "question": QUESTION, "answer": first})),
        (REVEALED, client.post(REVEALED, json={"code": code, "student": student(1)})),
        (BOARD, client.get(BOARD, params={"code": code}, headers=as_teacher(secret))),
        (REVEAL, client.post(REVEAL, json={"code": code, "question": QUESTION}, headers=as_teacher(secret))),
        (DRAWINGS, client.get(DRAWINGS, params={"code": code, "meant": 7, "read": 1}, headers=as_teacher(secret))),
        (END, client.post(END, json={"code": code}, headers=as_teacher(secret))),
    ]
    return [(route, reply.status_code, reply.json()) for route, reply in replies]


def picture(data_url: str) -> np.ndarray:
    """A drawing the API sent as a data: URL -> its pixels."""
    head, _, encoded = data_url.partition(",")
    assert head == "data:image/png;base64"
    return np.array(Image.open(io.BytesIO(base64.b64decode(encoded))))


@pytest.mark.unit
def test_a_class_whole_life_over_http(store):
    first, second = answers_of(QUESTION)[:2]
    teacher, students = client_at("198.51.100.1"), client_at()
    settings = {"tab": "sketcher", "step": 2, "hide": ["sketcher-mlp", "sketcher-cnn"]}
    started = teacher.post(CLASSES, json={"hours": 2, "settings": settings})
    assert started.status_code == 201, started.text
    new = started.json()
    code, secret = new["code"], new["secret"]
    assert set(new) == {"code", "secret", "expires", "student_path"} and codes.CODE_PATTERN.fullmatch(code)
    assert abs(new["expires"] - (time.time() + 2 * 3600)) < 60
    link = urllib.parse.urlsplit(new["student_path"])
    assert link.path == "/demos/sketcher/"  # the page alone: a class arriving at once loads a twelfth of the gallery
    assert urllib.parse.parse_qs(link.query) == {"step": ["2"], "hide": ["sketcher-cnn,sketcher-mlp"], "class": [code]}

    typed = f"{code[:4]}-{code[4:]}".lower()  # as a student may type it
    joined = students.post(JOIN, json={"code": typed, "student": student(1), "nickname": "  Ada "})
    assert joined.status_code == 200, joined.text
    assert joined.json() == {
        "code": code,
        "settings": {"tab": "sketcher", "step": 2, "hide": ["sketcher-cnn", "sketcher-mlp"]},
        "student_path": new["student_path"],
    }
    assert students.post(JOIN, json={"code": code, "student": student(2)}).status_code == 200
    assert students.post(JOIN, json={"code": code, "student": student(3), "nickname": "Bo"}).status_code == 200

    for number, chosen in [(1, first), (2, first), (3, second), (1, second)]:  # student 1 changes their mind: the last counts
        sent = students.post(ANSWER, json={"code": code, "student": student(number), "question": QUESTION, "answer": chosen})
        assert sent.status_code == 200 and sent.json() == {"ok": True}
    store.drawing(code, student(1), 7, 1, DRAWING)  # the sketcher's server side sends these

    board = teacher.get(BOARD, params={"code": code}, headers=as_teacher(secret))
    assert board.status_code == 200, board.text
    shown = board.json()
    assert shown["code"] == code and shown["joined"] == 3 and shown["nicknames"] == ["Ada", "Bo"]
    assert shown["student_path"] == new["student_path"]
    step = classroom.paths()["sketcher"].steps[1]
    assert [(q["id"], q["question"], q["total"], q["revealed"]) for q in shown["questions"]] == [(QUESTION, step.question, 3, False)]
    spread = {answer["id"]: answer["count"] for answer in shown["questions"][0]["answers"]}
    assert spread == {key: {first: 1, second: 2}.get(key, 0) for key in step.answers}
    assert shown["confusion"][7][1] == 1 and sum(map(sum, shown["confusion"])) == 1
    cell = teacher.get(DRAWINGS, params={"code": code, "meant": 7, "read": 1}, headers=as_teacher(secret))
    assert cell.status_code == 200
    assert [picture(d["png"]).tolist() for d in cell.json()["drawings"]] == [DRAWING.tolist()]

    assert students.post(REVEALED, json={"code": code, "student": student(2)}).json() == {"revealed": []}
    assert teacher.post(REVEAL, json={"code": code, "question": QUESTION}, headers=as_teacher(secret)).json() == {"ok": True}
    assert students.post(REVEALED, json={"code": code, "student": student(2)}).json() == {"revealed": [QUESTION]}
    assert teacher.get(BOARD, params={"code": code}, headers=as_teacher(secret)).json()["questions"][0]["revealed"] is True

    ended = teacher.post(END, json={"code": code}, headers=as_teacher(secret))
    assert ended.status_code == 200 and ended.json() == {"ok": True}
    after = every_call(students, code, secret)
    assert after == every_call(students, other_code(code), secret)  # as if there had never been a class
    assert [(route, status, reply["error"]) for route, status, reply in after] == [
        (route, 400, NO_CLASS) for route in (JOIN, ANSWER, REVEALED)
    ] + [(route, 403, NOT_TEACHER) for route in (BOARD, REVEAL, DRAWINGS, END)]


# ---------- the teacher's secret ----------


def teacher_call(
    client: TestClient, route: str, code: str, headers: dict | None = None, query: dict | None = None, extra: dict | None = None
):
    """One teacher's call on class `code`; `query` and `extra` add to its query string and its body."""
    query, extra = query or {}, extra or {}
    if route in (BOARD, DRAWINGS):
        params = {"code": code, **({"meant": 0, "read": 0} if route == DRAWINGS else {}), **query}
        return client.get(route, params=params, headers=headers)
    body = {"code": code, **({"question": QUESTION} if route == REVEAL else {}), **extra}
    return client.post(route, params=query, json=body, headers=headers)


@pytest.mark.unit
@pytest.mark.parametrize("route", [BOARD, REVEAL, DRAWINGS, END])
def test_the_teachers_calls_need_the_secret_in_its_header(store, route):
    client = client_at()
    mine, another = start(client), start(client)
    refused = {
        "no secret": teacher_call(client, route, mine["code"]),
        "a wrong one": teacher_call(client, route, mine["code"], as_teacher(codes.new_secret())),
        "another class's": teacher_call(client, route, mine["code"], as_teacher(another["secret"])),
        "no such class": teacher_call(client, route, other_code(mine["code"], another["code"]), as_teacher(mine["secret"])),
    }
    for name in ("secret", "teacher_secret", "x-teacher-secret"):  # where an address would carry it: servers log those
        refused[f"?{name}="] = teacher_call(client, route, mine["code"], query={name: mine["secret"]})
    refused["in the body"] = teacher_call(client, route, mine["code"], extra={"secret": mine["secret"], "teacher_secret": mine["secret"]})
    assert {name: (reply.status_code, reply.json()) for name, reply in refused.items()} == dict.fromkeys(
        refused, (403, {"error": NOT_TEACHER})
    )

    assert teacher_call(client, BOARD, mine["code"], as_teacher(mine["secret"])).json()["joined"] == 0  # nothing refused changed it
    assert teacher_call(client, route, mine["code"], as_teacher(mine["secret"])).status_code == 200


# ---------- a student sees only their own ----------


OPEN = "sketcher-1"  # a step no test here reveals


@pytest.mark.unit
def test_a_student_never_sees_another_students_answers(store):
    first, second = answers_of(QUESTION)[:2]
    client, new = client_at(), start()
    code = new["code"]
    for number, nickname, chosen in [(1, "Ada", first), (2, "Bo", second)]:
        client.post(JOIN, json={"code": code, "student": student(number), "nickname": nickname})
        client.post(ANSWER, json={"code": code, "student": student(number), "question": QUESTION, "answer": chosen})
    client.post(REVEAL, json={"code": code, "question": QUESTION}, headers=as_teacher(new["secret"]))

    own = {"code": code, "student": student(3)}
    replies = [
        client.post(JOIN, json={**own, "nickname": "Cy"}),
        client.post(ANSWER, json={**own, "question": OPEN, "answer": answers_of(OPEN)[0]}),  # a step not yet revealed
        client.post(REVEALED, json=own),
        client.post(JOIN, json=own),  # joining again
    ]
    settings = {"tab": None, "step": None, "hide": []}
    assert [reply.json() for reply in replies] == [
        {"code": code, "settings": settings, "student_path": f"/?class={code}"},
        {"ok": True},
        {"revealed": [QUESTION]},
        {"code": code, "settings": settings, "student_path": f"/?class={code}"},
    ]
    text = " ".join(reply.text for reply in replies)
    assert not any(other in text for other in ("Ada", "Bo", student(1), student(2)))


# ---------- bodies ----------


def padded(body: dict, size: int) -> bytes:
    """`body` as JSON of exactly `size` bytes, made up with a field the API ignores."""
    short = len(json.dumps({**body, "padding": ""}).encode())
    return json.dumps({**body, "padding": "x" * (size - short)}).encode()


@pytest.mark.unit
def test_a_body_over_16_kb_is_refused_and_changes_nothing(store):
    client, new = client_at(), start()
    join = {"code": new["code"], "student": student(1), "nickname": "Ada"}
    too_large = padded(join, api.BODY_BYTES + 1)
    chunks = iter([too_large[:8000], too_large[8000:]])  # sent chunked, without a Content-Length
    for content in (too_large, chunks):
        refused = client.post(JOIN, content=content, headers={"Content-Type": "application/json"})
        assert (refused.status_code, refused.json()) == (413, {"error": "A class call's body is at most 16 KB."})
    refused = client.post(CLASSES, content=padded({"hours": 2}, api.BODY_BYTES + 1))
    assert refused.status_code == 413 and classes_kept(store) == 1
    assert client.get(BOARD, params={"code": new["code"]}, headers=as_teacher(new["secret"])).json()["joined"] == 0

    accepted = client.post(JOIN, content=padded(join, api.BODY_BYTES), headers={"Content-Type": "application/json"})
    assert accepted.status_code == 200
    assert client.get(BOARD, params={"code": new["code"]}, headers=as_teacher(new["secret"])).json()["nicknames"] == ["Ada"]


NOT_AN_OBJECT = {
    "not JSON": b"a class, please",
    "cut short": b'{"code": "ABCD',
    "not UTF-8": b'{"code": "\xff\xfe"}',
    "a list": b'["ABCDEFGH"]',
    "a string": b'"ABCDEFGH"',
    "a number": b"42",
    "null": b"null",
}


@pytest.mark.unit
@pytest.mark.parametrize("route", [CLASSES, JOIN, ANSWER, REVEALED, REVEAL, END])
def test_a_body_that_is_not_a_json_object_is_400(store, route):
    client, new = client_at(), start()
    replies = {name: client.post(route, content=body, headers=as_teacher(new["secret"])) for name, body in NOT_AN_OBJECT.items()}
    assert {name: (reply.status_code, reply.json()) for name, reply in replies.items()} == dict.fromkeys(
        NOT_AN_OBJECT, (400, {"error": "Send a JSON object."})
    )
    assert classes_kept(store) == 1


@pytest.mark.unit
@pytest.mark.parametrize("body", [b'{"hours": ' + b"9" * 5000 + b"}", b"[" * 5000], ids=["a 5,000-digit number", "5,000 brackets deep"])
def test_a_body_json_cannot_hold_is_400(store, body):
    refused = client_at().post(CLASSES, content=body)
    assert refused.status_code == 400 and "error" in refused.json()


# ---------- limits ----------


def failed_join(client: TestClient, forwarded: str | None, *taken: str):
    """A join with a code no class has, through a proxy that says it came from `forwarded` (None: no header)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(JOIN, json={"code": other_code(*taken), "student": student(1)}, headers=headers)


@pytest.mark.unit
def test_failed_joins_are_limited_per_address_whatever_x_forwarded_for_says(store):
    """A guesser connecting directly sends a new X-Forwarded-For each time: the app does not believe it."""
    new, guesser = start(), client_at("192.0.2.66")
    assert store.limits.failed_joins_per_minute == 10
    for number in range(10):
        failed = failed_join(guesser, f"198.51.100.{number}", new["code"])
        assert (failed.status_code, failed.json()) == (400, {"error": NO_CLASS})
    blocked = guesser.post(JOIN, json={"code": new["code"], "student": student(1)}, headers={"X-Forwarded-For": "198.51.100.99"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) == 60  # a minute's window
    assert "wait a minute" in blocked.json()["error"]  # the same answer for a right code: it says nothing of the code
    assert client_at("192.0.2.67").post(JOIN, json={"code": new["code"], "student": student(2)}).status_code == 200  # another address


@pytest.mark.unit
def test_through_the_trusted_proxy_the_forwarded_address_is_limited(store):
    """nginx appends the address it saw to X-Forwarded-For: the last entry is the client's, whatever the client put before it."""
    new, proxy = start(), client_at(PROXY)
    for _ in range(10):
        assert failed_join(proxy, "192.0.2.66", new["code"]).status_code == 400
    guesser = proxy.post(JOIN, json={"code": new["code"], "student": student(1)}, headers={"X-Forwarded-For": "198.51.100.7, 192.0.2.66"})
    assert guesser.status_code == 429
    classmate = proxy.post(JOIN, json={"code": new["code"], "student": student(2)}, headers={"X-Forwarded-For": "192.0.2.67"})
    assert classmate.status_code == 200  # behind the same proxy, another address: not the guesser's limit
    for _ in range(10):  # without the header, the proxy's own address is counted
        assert failed_join(proxy, None, new["code"]).status_code == 400
    assert proxy.post(JOIN, json={"code": new["code"], "student": student(3)}).status_code == 429


@pytest.mark.unit
def test_classes_started_per_address_are_limited(database, monkeypatch):
    small = limited(database, monkeypatch, classes_per_hour=2)
    teacher = client_at("192.0.2.20")
    for number in range(2):
        assert teacher.post(CLASSES, json={}, headers={"X-Forwarded-For": f"198.51.100.{number}"}).status_code == 201
    refused = teacher.post(CLASSES, json={}, headers={"X-Forwarded-For": "198.51.100.9"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 3600 and "2 classes" in refused.json()["error"]
    assert classes_kept(small) == 2
    assert client_at("192.0.2.21").post(CLASSES, json={}).status_code == 201  # another teacher


# ---------- every input ----------

BAD_SETTINGS = {
    "an unknown tab": ({"tab": "nosuchpage"}, "no page"),
    "a step without a tab": ({"step": 2}, "choose the page too"),
    "a step past the path": ({"tab": "sketcher", "step": 99}, "steps 1 to"),
    "a step as text": ({"tab": "sketcher", "step": "2"}, "steps 1 to"),
    "a step with a fraction": ({"tab": "sketcher", "step": 1.5}, "steps 1 to"),
    "a bad element id": ({"hide": ["sketcher-mlp", "a b"]}, "element ids"),
    "markup in hide": ({"hide": "sketcher-mlp,<script>"}, "element ids"),
    "a number in hide": ({"hide": [3]}, "element ids"),
    "41 element ids": ({"hide": [f"control-{n}" for n in range(41)]}, "at most 40"),
}


@pytest.mark.unit
@pytest.mark.parametrize(
    "settings, says",
    [*BAD_SETTINGS.values(), ({"tab": ["sketcher"]}, "no page"), ("sketcher", "a mapping"), (["sketcher"], "a mapping")],
    ids=[*BAD_SETTINGS, "a list as the tab", "settings as text", "settings as a list"],
)
def test_a_class_settings_are_checked(store, settings, says):
    refused = client_at().post(CLASSES, json={"settings": settings})
    assert refused.status_code == 400 and says in refused.json()["error"]
    assert classes_kept(store) == 0


@pytest.mark.unit
def test_the_largest_settings_are_taken(store):
    steps = len(classroom.paths()["sketcher"].steps)
    hidden = [f"control-{n}" for n in range(classroom.MOST_HIDDEN)]
    new = start(settings={"tab": "sketcher", "step": steps, "hide": ",".join(hidden)})
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(new["student_path"]).query)
    assert query["step"] == [str(steps)] and query["hide"][0].split(",") == sorted(hidden)


def bad_inputs(code: str, secret: str) -> dict[str, tuple[str, str, dict, str]]:
    """Calls with one wrong input each, on class `code` that student 1 has joined: name -> (method,
    route, the request's options, what the refusal says)."""
    join, teacher = {"code": code, "student": student(2)}, as_teacher(secret)
    answer = {"code": code, "student": student(1), "question": QUESTION, "answer": answers_of(QUESTION)[0]}
    return {
        "hours 1e308": ("POST", CLASSES, {"json": {"hours": 1e308}}, "A class lasts 1 to 168 hours."),
        "hours -1": ("POST", CLASSES, {"json": {"hours": -1}}, "A class lasts 1 to 168 hours."),
        "hours as text": ("POST", CLASSES, {"json": {"hours": "24"}}, "A class lasts 1 to 168 hours."),
        "hours true": ("POST", CLASSES, {"json": {"hours": True}}, "A class lasts 1 to 168 hours."),
        "hours null": ("POST", CLASSES, {"json": {"hours": None}}, "A class lasts 1 to 168 hours."),
        "hours 169": ("POST", CLASSES, {"json": {"hours": 169}}, "A class lasts 1 to 168 hours."),
        "hours Infinity": ("POST", CLASSES, {"content": b'{"hours": 1e400}'}, "A class lasts 1 to 168 hours."),
        "hours NaN": ("POST", CLASSES, {"content": b'{"hours": NaN}'}, "A class lasts 1 to 168 hours."),
        "join: no code": ("POST", JOIN, {"json": {"student": student(2)}}, "class code is 8"),
        "join: no student": ("POST", JOIN, {"json": {"code": code}}, "student id is not valid"),
        "join: nothing": ("POST", JOIN, {"content": b""}, "student id is not valid"),
        "join: a number as the code": ("POST", JOIN, {"json": {**join, "code": 23456789}}, "class code is 8"),
        "join: a number as the student": ("POST", JOIN, {"json": {**join, "student": 1234567890123456789}}, "student id is not valid"),
        "join: a list as the student": ("POST", JOIN, {"json": {**join, "student": [student(2)]}}, "student id is not valid"),
        "join: a short student id": ("POST", JOIN, {"json": {**join, "student": "abc"}}, "student id is not valid"),
        "join: a number as the nickname": ("POST", JOIN, {"json": {**join, "nickname": 5}}, "A nickname is text"),
        "join: a 25-character nickname": ("POST", JOIN, {"json": {**join, "nickname": "n" * 25}}, "at most 24 characters"),
        "join: a bell in the nickname": ("POST", JOIN, {"json": {**join, "nickname": "Ada\a"}}, "control characters"),
        "join: a 40-character code": ("POST", JOIN, {"json": {**join, "code": "A" * 40}}, "class code is 8"),
        "answer: no question": ("POST", ANSWER, {"json": {k: v for k, v in answer.items() if k != "question"}}, "no guided-path step"),
        "answer: no answer": (
            "POST",
            ANSWER,
            {"json": {k: v for k, v in answer.items() if k != "answer"}},
            "not one of step sketcher-2's answers",
        ),
        "answer: a number as the question": ("POST", ANSWER, {"json": {**answer, "question": 2}}, "no guided-path step"),
        "answer: a number as the answer": ("POST", ANSWER, {"json": {**answer, "answer": 1}}, "not one of step sketcher-2's answers"),
        "answer: no such answer": ("POST", ANSWER, {"json": {**answer, "answer": "nope"}}, "not one of step sketcher-2's answers"),
        "answer: no such step": ("POST", ANSWER, {"json": {**answer, "question": "sketcher-99"}}, "no guided-path step"),
        "answer: not joined": ("POST", ANSWER, {"json": {**answer, "student": student(9)}}, "Join the class first"),
        "revealed: no student": ("POST", REVEALED, {"json": {"code": code}}, "student id is not valid"),
        "reveal: no question": ("POST", REVEAL, {"json": {"code": code}, "headers": teacher}, "no guided-path step"),
        "reveal: a number as the question": (
            "POST",
            REVEAL,
            {"json": {"code": code, "question": 2}, "headers": teacher},
            "no guided-path step",
        ),
        "reveal: no code": ("POST", REVEAL, {"json": {"question": QUESTION}, "headers": teacher}, "class code is 8"),
        "end: no code": ("POST", END, {"json": {}, "headers": teacher}, "class code is 8"),
        "board: no code": ("GET", BOARD, {"headers": teacher}, "class code is 8"),
        "board: a long code": ("GET", BOARD, {"params": {"code": "A" * 1000}, "headers": teacher}, "class code is 8"),
        "drawings: no digits": ("GET", DRAWINGS, {"params": {"code": code}, "headers": teacher}, "The digit meant must be between 0 and 9"),
        "drawings: a word": (
            "GET",
            DRAWINGS,
            {"params": {"code": code, "meant": "seven", "read": 7}, "headers": teacher},
            "The digit meant must be between 0 and 9",
        ),
        "drawings: 10": (
            "GET",
            DRAWINGS,
            {"params": {"code": code, "meant": 10, "read": 7}, "headers": teacher},
            "The digit meant must be between 0 and 9",
        ),
        "drawings: -1": (
            "GET",
            DRAWINGS,
            {"params": {"code": code, "meant": 1, "read": -1}, "headers": teacher},
            "The digit read must be between 0 and 9",
        ),
        "drawings: 1e308": (
            "GET",
            DRAWINGS,
            {"params": {"code": code, "meant": "1e308", "read": 7}, "headers": teacher},
            "The digit meant must be between 0 and 9",
        ),
    }


@pytest.mark.unit
def test_every_input_is_checked_at_the_http_layer(store):
    """One call per wrong input, each a 400 that says what is wrong; none a 500, none changing the class."""
    client = client_at()
    new = joined_class(client, 1)
    calls = bad_inputs(new["code"], new["secret"])
    replies = {name: client.request(method, route, **options) for name, (method, route, options, _) in calls.items()}
    assert {name: reply.status_code for name, reply in replies.items()} == dict.fromkeys(replies, 400)
    assert [name for name, reply in replies.items() if calls[name][3] not in reply.json()["error"]] == []
    board = client.get(BOARD, params={"code": new["code"]}, headers=as_teacher(new["secret"])).json()
    assert (board["joined"], board["questions"], classes_kept(store)) == (1, [], 1)


@pytest.mark.unit
def test_a_200000_character_nickname_is_refused_by_the_body_cap(store):
    """The cap answers before the nickname's own check (which test_every_input... shows at 25 characters)."""
    client = client_at()
    new = start()
    refused = client.post(JOIN, json={"code": new["code"], "student": student(1), "nickname": "n" * 200_000})
    assert refused.status_code == 413 and "16 KB" in refused.json()["error"]
    assert client.get(BOARD, params={"code": new["code"]}, headers=as_teacher(new["secret"])).json()["joined"] == 0


# ---------- the QR code ----------


def drawn_modules(svg: bytes) -> set[tuple[int, int]]:
    """The dark modules (row, column) that segno's SVG draws: one path of horizontal runs, "M x y"
    and "m dx dy" moving the pen to a row's middle, "h n" drawing n modules."""
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    (path,) = root.iter("{http://www.w3.org/2000/svg}path")
    steps = re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d"))
    assert "".join(f"{c}{a}{' ' + b if b else ''}" for c, a, b in steps) == path.get("d"), "segno's SVG paths have changed"
    x = y = 0.0
    dark = set()
    for command, a, b in steps:
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(y), column) for column in range(int(x), int(x) + int(a)))
            x += float(a)
    return dark


@pytest.mark.unit
def test_the_qr_code_draws_the_address():
    client = client_at()
    address = "https://gallery.example.org/?tab=sketcher&step=2&class=7KQM4RXT"
    reply = client.get(QR, params={"text": address})
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/svg+xml"
    border = 2  # modules of quiet zone around the code, as the route draws it
    matrix = segno.make(address, error="m").matrix
    assert drawn_modules(reply.content) == {
        (row + border, column + border) for row, line in enumerate(matrix) for column, dark in enumerate(line) if dark
    }
    other = client.get(QR, params={"text": address.replace("7KQM4RXT", "7KQM4RXV")})
    assert other.status_code == 200 and drawn_modules(other.content) != drawn_modules(reply.content)
    assert client.get(QR, params={"text": "https://x.example/" + "a" * (api.QR_TEXT - 18)}).status_code == 200  # 512 characters


@pytest.mark.unit
@pytest.mark.parametrize(
    "text",
    [
        "",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "ftp://files.example/",
        "7KQM4RXT",
        "https://x.example/" + "a" * (api.QR_TEXT + 1 - 18),
    ],
    ids=["nothing", "javascript", "data", "ftp", "a bare code", "513 characters"],
)
def test_the_qr_code_takes_only_a_short_web_address(text):
    refused = client_at().get(QR, params={"text": text} if text else {})
    assert (refused.status_code, refused.json()) == (400, {"error": "A QR code here holds an http(s) address of at most 512 characters."})


# ---------- in the real app ----------


@pytest.mark.e2e
def test_the_app_serves_the_class_before_the_gallery(app_url):
    """app.py mounts the gallery at "/" last: /class and /class/api/* must still reach the class's routes."""
    started = httpx.post(f"{app_url}{CLASSES}", json={"hours": 1}, timeout=30)
    assert started.status_code == 201, started.text
    new = started.json()
    board = httpx.get(f"{app_url}{BOARD}", params={"code": new["code"]}, headers=as_teacher(new["secret"]), timeout=30)
    assert board.status_code == 200 and board.json()["code"] == new["code"] and board.json()["joined"] == 0
    refused = httpx.get(f"{app_url}{BOARD}", params={"code": new["code"]}, timeout=30)
    assert (refused.status_code, refused.json()) == (403, {"error": NOT_TEACHER})
    page = httpx.get(f"{app_url}/class", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.search(r"""id=["']?class-board""", page.text)


@pytest.mark.unit
@pytest.mark.parametrize(
    "failure", [sqlite3.OperationalError("database is locked"), psycopg.OperationalError("connection refused")], ids=["locked", "away"]
)
def test_a_busy_or_absent_database_is_503_with_a_retry_not_500(monkeypatch, failure):
    class Away:
        def __getattr__(self, name):
            def failing(*args, **kwargs):
                raise failure

            return failing

    monkeypatch.setattr(api, "class_store", Away)
    client = client_at()
    for reply in (
        client.post(JOIN, json={"code": "ABCDEFGH", "student": "s" * 20}),
        client.post(CLASSES, json={}),
        client.get("/class/api/board", params={"code": "ABCDEFGH"}, headers=as_teacher("x")),
    ):
        assert reply.status_code == 503 and reply.headers["Retry-After"] == "2" and "try again" in reply.json()["error"]

"""The class API under /class/api, JSON in and out; the teacher's page (`/class`) and the pages'
class strip (demos/assets/classroom/) call it, and so can anyone (the README's "Teaching a class").

Students send their class code and their browser's anonymous id; the teacher sends the class code
and, in the `X-Teacher-Secret` header (never in an address, which servers log), the teacher's
secret. A refused call answers `{"error": "..."}`: 400 for a wrong input, 429 for a limit reached,
403 for a teacher's call without the class's secret, 503 (Retry-After: 2) when the database is
locked past its timeout or cannot be reached. Bodies are capped at 16 KB.

    POST /class/api/classes   {hours?, settings?: {tab?, step?, hide?}} -> {code, secret, expires, student_path}
    POST /class/api/join      {code, student, nickname?}              -> {code, settings, student_path}
    POST /class/api/answer    {code, student, question, answer}       -> {ok}
    POST /class/api/revealed  {code, student}                         -> {revealed: [question, ...]}
    GET  /class/api/board?code=C                      (teacher)       -> the board (`board_value`)
    POST /class/api/reveal    {code, question}        (teacher)       -> {ok}
    GET  /class/api/drawings?code=C&meant=M&read=R    (teacher)       -> {drawings: [{png, at}]}
    POST /class/api/end       {code}                  (teacher)       -> {ok}: the class and all of it deleted
    GET  /class/api/qr.svg?text=URL                                   -> the address as a QR code (SVG)
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import sqlite3
import sys
import time
from collections.abc import Callable

import psycopg
import segno
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image

from core.classroom.checks import LimitReached
from core.classroom.codes import checked_code
from core.classroom.store import NOT_TEACHER, Board
from core.errors import UserError
from demos.classroom import class_settings, class_store, paths, student_path
from demos.visitors.who import client_address, shares_from_environment

BODY_BYTES = 16 * 1024  # the largest call (a nickname, a code, ids) is under 300 bytes
QR_TEXT = 512  # characters: a student's address is about 80
BUSY = "The class store is busy or away for a moment: try again in a few seconds."
TRUSTED = shares_from_environment().trusted_proxies

router = APIRouter(prefix="/class/api")


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def body_of(request: Request) -> dict:
    """The request's JSON object, read up to BODY_BYTES."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > BODY_BYTES:
            raise Refused(413, f"A class call's body is at most {BODY_BYTES // 1024} KB.")
    try:
        value = json.loads(received or b"{}")
    except (UnicodeDecodeError, ValueError, RecursionError):  # not JSON, a number too long to convert, nesting too deep
        raise Refused(400, "Send a JSON object.") from None
    if not isinstance(value, dict):
        raise Refused(400, "Send a JSON object.")
    return value


async def answered(call: Callable, *args) -> JSONResponse:
    """`call(*args)` in a worker thread (the store blocks on its database) -> its JSON, or the refusal."""
    try:
        return JSONResponse(await asyncio.to_thread(call, *args))
    except LimitReached as limit:
        wait = {} if limit.retry_after is None else {"Retry-After": str(limit.retry_after)}
        return JSONResponse({"error": str(limit)}, status_code=429, headers=wait)
    except UserError as error:
        return JSONResponse({"error": str(error)}, status_code=403 if str(error) == NOT_TEACHER else 400)
    except (sqlite3.OperationalError, psycopg.OperationalError) as busy:  # a locked file, a database away: not the caller's fault
        print(f"class store: {busy!r}", file=sys.stderr, flush=True)
        return JSONResponse({"error": BUSY}, status_code=503, headers={"Retry-After": "2"})


def refusing(route):
    """Answer a `Refused` (a body too large or not JSON) with its status."""

    async def guarded(request: Request):
        try:
            return await route(request)
        except Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=refused.status)

    guarded.__name__ = route.__name__
    return guarded


def secret_of(request: Request) -> str:
    return request.headers.get("x-teacher-secret", "")


# ---------- the teacher ----------


@router.post("/classes")
@refusing
async def start_class(request: Request):
    body = await body_of(request)
    address = client_address(request.scope, TRUSTED)

    def start():
        settings = class_settings(body.get("settings"))
        new = class_store().create_class(body.get("hours", 24), settings, address=address)
        return {"code": new.code, "secret": new.teacher_secret, "expires": new.expires, "student_path": student_path(settings, new.code)}

    response = await answered(start)
    if response.status_code == 200:
        response.status_code = 201
    return response


@router.get("/board")
async def board(request: Request, code: str = ""):
    return await answered(lambda: board_value(code, class_store().board(code, secret_of(request))))


def board_value(code: str, board: Board) -> dict:
    """What the teacher's board draws: who joined, each question the class has answered (or the
    teacher's chosen step) with its spread, and the confusion matrix [meant][read]."""
    settings = dict(board.settings)
    shown = set(board.answers) | set(board.revealed)
    if settings.get("tab") and settings.get("step"):
        shown.add(f"{settings['tab']}-{settings['step']}")
    questions = []
    for slug, path in paths().items():
        for number, step in enumerate(path.steps, start=1):
            question = f"{slug}-{number}"
            if question not in shown:
                continue
            spread = board.answers.get(question, {})
            questions.append(
                {
                    "id": question,
                    "page": slug,
                    "page_title": path.title,
                    "number": number,
                    "title": step.title,
                    "question": step.question,
                    "answers": [{"id": key, "label": label, "count": int(spread.get(key, 0))} for key, label in step.answers.items()],
                    "total": int(sum(spread.values())),
                    "revealed": question in board.revealed,
                }
            )
    return {
        "code": checked_code(code),
        "joined": board.joined,
        "nicknames": list(board.nicknames),
        "settings": settings,
        "student_path": student_path(settings, checked_code(code)),
        "expires": board.expires,
        "now": time.time(),
        "questions": questions,
        "confusion": [list(row) for row in board.confusion],
    }


@router.post("/reveal")
@refusing
async def reveal(request: Request):
    body = await body_of(request)

    def show():
        class_store().reveal(body.get("code"), secret_of(request), body.get("question"))
        return {"ok": True}

    return await answered(show)


@router.get("/drawings")
async def drawings(request: Request, code: str = "", meant: str = "", read: str = ""):
    def cell():
        found = class_store().drawings(code, secret_of(request), meant, read, limit=60)
        return {"drawings": [{"png": png_data_url(d.image), "at": d.at} for d in found]}

    return await answered(cell)


def png_data_url(image) -> str:
    """A 28x28 drawing as a data: URL (the page enlarges it without smoothing)."""
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@router.post("/end")
@refusing
async def end(request: Request):
    body = await body_of(request)

    def delete():
        class_store().delete(body.get("code"), secret_of(request))
        return {"ok": True}

    return await answered(delete)


# ---------- students ----------


@router.post("/join")
@refusing
async def join(request: Request):
    body = await body_of(request)
    address = client_address(request.scope, TRUSTED)

    def joined():
        settings = class_store().join(body.get("code"), body.get("student"), body.get("nickname"), address=address)
        code = checked_code(body.get("code"))
        return {"code": code, "settings": settings, "student_path": student_path(settings, code)}

    return await answered(joined)


@router.post("/answer")
@refusing
async def answer(request: Request):
    body = await body_of(request)

    def send():
        class_store().answer(body.get("code"), body.get("student"), body.get("question"), body.get("answer"))
        return {"ok": True}

    return await answered(send)


@router.post("/revealed")
@refusing
async def revealed(request: Request):
    body = await body_of(request)
    return await answered(lambda: {"revealed": sorted(class_store().revealed(body.get("code"), body.get("student")))})


# ---------- a QR code ----------


@router.get("/qr.svg")
async def qr(text: str = ""):
    """`text` (the class's address, made by the teacher's page from its own origin) as a QR code."""
    if not text or len(text) > QR_TEXT or not text.lower().startswith(("http://", "https://")):
        return JSONResponse({"error": f"A QR code here holds an http(s) address of at most {QR_TEXT} characters."}, status_code=400)
    svg = io.BytesIO()
    segno.make(text, error="m").save(svg, kind="svg", scale=6, border=2, title="The class's address as a QR code")
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})

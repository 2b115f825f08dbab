"""The teacher's page, /class: start a class, then its board (`#class-board`). Built by a helper; placeholder until then."""

from __future__ import annotations

from fastapi.responses import HTMLResponse


async def teacher_page() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>A class</title><main id='class-board'></main>")

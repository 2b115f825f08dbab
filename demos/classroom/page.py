"""The teacher's page, /class: a form that starts a class, then the class's board (`#class-board`).

A plain page, no Gradio: one HTML file with its style and script inlined (demos/assets/classroom/
teacher.html, .css, .js), read once per process. The list of pages and their guided steps, which the
form offers, is embedded as JSON. Everything else the page shows comes from the class API
(demos/classroom/api.py), which the script calls at addresses relative to the page, so the page works at
/class on any host. The teacher's secret lives in the address's fragment, which browsers never send.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from fastapi.responses import HTMLResponse

from demos import DEMOS
from demos.classroom import paths

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "classroom"
SLOT = re.compile(r"\{\{(style|script|pages)\}\}")
# The page is the same for every teacher; the fragment (the class and its secret) never reaches here.
HEADERS = {"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def pages_value() -> list[dict]:
    """Each page in tab order, with its guided steps by number and title: what the form offers."""
    titles = {demo.slug: demo.title for demo in DEMOS}
    return [
        {
            "slug": slug,
            "title": titles.get(slug, path.title),
            "steps": [{"number": n, "title": step.title} for n, step in enumerate(path.steps, 1)],
        }
        for slug, path in paths().items()
    ]


def script_json(value) -> str:
    """`value` as JSON that is safe inside a <script> element: no "</script>" or "<!--" can end or bend it."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


@functools.cache
def page_html() -> str:
    """The page, assembled once: the template's slots filled in one pass, so nothing inserted is read as a slot."""
    parts = {"style": asset("teacher.css"), "script": asset("teacher.js"), "pages": script_json(pages_value())}
    for name in ("style", "script"):
        if re.search(r"</(style|script)", parts[name], re.IGNORECASE):
            raise ValueError(f"teacher.{'css' if name == 'style' else 'js'} holds a closing tag, which would end its inlined element early")
    return SLOT.sub(lambda slot: parts[slot[1]], asset("teacher.html"))


async def teacher_page() -> HTMLResponse:
    return HTMLResponse(page_html(), headers=HEADERS)

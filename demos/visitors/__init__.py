"""Each visitor's share of one server: how a visitor is known, how much it may upload, how many
events it may have in flight, and a file cache bounded by size.

`VisitorShares` is an ASGI middleware on app.py's FastAPI app, so it sees every request of the
gallery and of every standalone page before Gradio does (one `python app.py` on a Space is
protected without a proxy in front).

- **Who a visitor is.** Not the session hash: the client chooses it. A page or `/config` answered
  to a request without a valid `gallery_visitor` cookie sets one: a random id signed with the
  server's secret (HMAC-SHA256; `GALLERY_SECRET`, else random per process). A request carrying a
  valid one is that visitor's; any other is keyed by its address. New ids are handed out at a
  bounded rate per address, so a script cannot make itself unlimited fresh visitors, yet a class
  behind one school address each gets its own. The address is the connection's, or, from a proxy
  we run (`Shares.trusted_proxies`: nginx in deploy/ connects from 127.0.0.1), the last one in
  X-Forwarded-For (the one nginx appended), never a header sent by anyone else.
- **Uploads.** A request that sends files (multipart) is charged its Content-Length against the
  visitor's budget and its address's, before its body is read. Past either, 429.
- **Events in flight.** Gradio's queue is first come, first served across sessions, so one client's
  16 events would sit ahead of everyone else's. A join (`.../gradio_api/queue/join`, an API call
  `.../gradio_api/call/<name>`) is let through only while its visitor has fewer than
  `events_in_flight` events of that kind (the same endpoint or page event) joined and not finished,
  fewer than `visitor_events` in all, and its address fewer than `events_per_address` of that
  kind (a class's page loads start hundreds of events at once, a few of them slow); otherwise
  it waits here, costing nothing, until one finishes. Per kind, because Gradio queues each kind
  apart: another visitor's event waits only behind its own kind's, and a page load starts about
  fifteen kinds at once, some of which take a while (a first training run). An event is
  finished when its completion passes through an event stream (`queue/data`, `call/<name>/<id>`),
  when the stream that would carry it ends (a closed tab: Gradio drops its events), or at the
  latest `event_expiry` after it joined. Too many waiting, or waiting too long: 429.
- **Refusals** are HTTP 429 with Retry-After. A page shows the message: Gradio's client shows a
  join's JSON `detail` as an error toast, and an upload's text after "HTTP 429:".
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from demos.visitors.budgets import EventsInFlight, FileCache, UploadBudget
from demos.visitors.who import COOKIE, MB, Identities, Shares, client_address, cookie_value, shares_from_environment, trusted_networks

__all__ = [
    "COOKIE",
    "MB",
    "FileCache",
    "Identities",
    "Shares",
    "VisitorShares",
    "client_address",
    "shares_from_environment",
    "trusted_networks",
]

# ---------- the middleware ----------

JOIN = re.compile(r"/gradio_api/(queue/join|call/[^/]+)/?$")
CALL_STREAM = re.compile(r"/gradio_api/call/(?:v2/)?[^/]+/([^/]+)$")
QUEUE_STREAM = re.compile(r"/gradio_api/queue/data$")
COMPLETED = re.compile(rb'^data: \{"msg":"process_completed","event_id":"([^"]+)"', re.MULTILINE)
CALL_ENDED = re.compile(rb"^event: (complete|error)$", re.MULTILINE)

TOO_MANY_EVENTS = "Too many requests at once: wait for your earlier ones to finish, then try again in a few seconds."
TOO_MUCH_UPLOADED = "You have uploaded a lot in the last minute: wait {seconds} s before uploading again."


class VisitorShares:
    """The ASGI middleware: `app.add_middleware(VisitorShares, cache=FileCache(...))`."""

    def __init__(self, app, cache: FileCache | None = None, shares: Shares | None = None, identities: Identities | None = None):
        self.app, self.cache = app, cache
        self.shares = shares or shares_from_environment()
        self.identities = identities or Identities()
        self.uploads = UploadBudget(self.shares)
        self.events = EventsInFlight(self.shares)
        self._new_visitors = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._new_visitor_rate = RateLimitItemPerMinute(self.shares.new_visitors_per_minute, namespace="new-visitor")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        path, method = scope["path"], scope["method"]
        address = client_address(scope, self.shares.trusted_proxies)
        visitor = self.identities.verified(cookie_value(headers, COOKIE))
        key = f"visitor {visitor}" if visitor else f"address {address}"
        if visitor is None and method == "GET" and (path.endswith("/") or path.endswith("/config")):
            send = self._with_new_visitor(send, address, headers)

        if method == "POST" and headers.get(b"content-type", b"").startswith(b"multipart/form-data"):
            length = headers.get(b"content-length", b"")
            if not length.isdigit():
                await _refuse(send, 411, "Send the upload's Content-Length.", None, text=True)
                return
            wait = self.uploads.charge(key, address, int(length))
            if wait is not None:
                await _refuse(send, 429, TOO_MUCH_UPLOADED.format(seconds=wait), wait, text=True)
                return
            await self.app(scope, receive, send)
            if self.cache is not None:  # its files are in the cache now (Gradio moves them before the call ends)
                self.cache.uploaded(int(length))
            return
        elif method == "POST" and JOIN.search(path):
            await self._join(scope, receive, send, key, address)
            return
        elif method == "GET" and (QUEUE_STREAM.search(path) or CALL_STREAM.search(path)):
            await self._stream(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _with_new_visitor(self, send, address: str, headers: dict[bytes, bytes]):
        async def sending(message):
            if message["type"] == "http.response.start" and self._new_visitors.hit(self._new_visitor_rate, address):
                https = headers.get(b"x-forwarded-proto") == b"https"
                # In a Space the page is inside a huggingface.co iframe: a cookie there must be SameSite=None; Secure.
                where = "SameSite=None; Secure" if https else "SameSite=Lax"
                cookie = f"{COOKIE}={self.identities.new()}; Path=/; Max-Age=86400; HttpOnly; {where}"
                message = dict(message, headers=[*message.get("headers", []), (b"set-cookie", cookie.encode())])
            await send(message)

        return sending

    async def _join(self, scope, receive, send, key: str, address: str) -> None:
        asked = await _whole_body(receive)  # a join's JSON: which event, in which session
        if asked is None:  # the client went away
            return
        call = JOIN.search(scope["path"]).group(1)
        kind, session = call, None
        if call == "queue/join":
            try:
                body = json.loads(asked)
                kind, session = f"event {body.get('fn_index')}", body.get("session_hash")
            except (ValueError, AttributeError):
                pass  # Gradio answers it (422)
        limits = [
            (key, self.shares.visitor_events),
            (f"{key} {kind}", self.shares.events_in_flight),
            (f"all from {address} {kind}", self.shares.events_per_address),
        ]
        ticket = await self.events.admit(limits)
        if ticket is None:
            await _refuse(send, 429, TOO_MANY_EVENTS, self.shares.retry_after)
            return
        status, answer, replayed = None, bytearray(), False

        async def replaying():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": asked, "more_body": False}

        async def answering(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status == 200 and len(answer) < 4096:
                answer.extend(message.get("body", b""))
            await send(message)

        event = None
        try:
            await self.app(scope, replaying, answering)
            if status == 200:
                event = json.loads(answer).get("event_id")
        except ValueError:  # not JSON, or cut short
            pass
        finally:
            self.events.joined(ticket, event, session if isinstance(session, str) else None)

    async def _stream(self, scope, receive, send) -> None:
        """An event stream: each completion that passes finishes its event; its end, every event it carried."""
        call = CALL_STREAM.search(scope["path"])

        async def streaming(message):
            if message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if call is not None:
                    if CALL_ENDED.search(chunk):
                        self.events.finished(call.group(1))
                elif b'"process_completed"' in chunk:
                    for match in COMPLETED.finditer(chunk):
                        self.events.finished(match.group(1).decode())
            await send(message)

        try:
            await self.app(scope, receive, streaming)
        finally:
            if call is not None:
                self.events.stream_ended(event=call.group(1))
            else:
                session = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash", [None])[0]
                if session:
                    self.events.stream_ended(session=session)


async def _whole_body(receive) -> bytes | None:
    """A request's body (None if the client disconnected first). A join's is a few kilobytes: a
    drawing's ink at most (nginx and Gradio bound what else may come)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _refuse(send, status: int, message: str, retry_after: int | None, text: bool = False) -> None:
    """An answer without reading the request's body: JSON `detail` (what a page shows for a
    refused join), or plain text (what it shows after "HTTP 429:" for a refused upload)."""
    body = message.encode() if text else json.dumps({"detail": message, "error": message}).encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8" if text else b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

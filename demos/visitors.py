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

import asyncio
import hashlib
import hmac
import ipaddress
import json
import math
import os
import re
import secrets
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from demos import png

COOKIE = "gallery_visitor"
MB = 2**20


@dataclass(frozen=True)
class Shares:
    """What one visitor, and one address, may have. The defaults, and why, are in the README
    ("Many visitors"); `shares_from_environment` says which environment variables override them."""

    upload_mb_per_minute: int = 30  # three uploads at the 10 MB cap, or ten phone photos, a minute
    address_upload_mb_per_minute: int = 150  # a class of 30 behind one address, each sending a 5 MB photo at once
    new_visitors_per_minute: int = 120  # ids handed to one address: a lecture hall arriving at once
    events_in_flight: int = 1  # of one kind: a page's next of a kind follows its last; more let a flood slow others
    visitor_events: int = 16  # in all: a gallery page load starts about fifteen kinds at once
    events_per_address: int = 32  # of one kind: a class of 30 behind one address, each with a reading in flight
    events_waiting: int = 32  # a gallery page load joins about fifteen events at once
    wait_seconds: float = 30.0  # then a waiting join is refused
    event_expiry: float = 120.0  # a backstop: an event whose completion and stream end were never seen (longest run: 60 s)
    retry_after: int = 5  # seconds, for a refused join
    trusted_proxies: tuple[str, ...] = (
        "127.0.0.1",
        "::1",
    )  # addresses or networks whose X-Forwarded-For is believed: nginx on this machine


def shares_from_environment() -> Shares:
    """The defaults, with what GALLERY_UPLOAD_MB, GALLERY_ADDRESS_UPLOAD_MB (a minute),
    GALLERY_EVENTS_IN_FLIGHT, GALLERY_VISITOR_EVENTS, GALLERY_ADDRESS_EVENTS and
    GALLERY_TRUSTED_PROXIES (comma-separated addresses or networks, e.g. 10.0.0.0/8) set instead."""
    default = Shares()
    return Shares(
        upload_mb_per_minute=int(os.environ.get("GALLERY_UPLOAD_MB", default.upload_mb_per_minute)),
        address_upload_mb_per_minute=int(os.environ.get("GALLERY_ADDRESS_UPLOAD_MB", default.address_upload_mb_per_minute)),
        events_in_flight=int(os.environ.get("GALLERY_EVENTS_IN_FLIGHT", default.events_in_flight)),
        visitor_events=int(os.environ.get("GALLERY_VISITOR_EVENTS", default.visitor_events)),
        events_per_address=int(os.environ.get("GALLERY_ADDRESS_EVENTS", default.events_per_address)),
        trusted_proxies=trusted_networks(os.environ.get("GALLERY_TRUSTED_PROXIES", ",".join(default.trusted_proxies))),
    )


def trusted_networks(setting: str) -> tuple[str, ...]:
    """GALLERY_TRUSTED_PROXIES's comma-separated addresses or networks, each checked: a typo must
    stop the server at start, not silently trust no proxy (or every client)."""
    entries = tuple(entry.strip() for entry in setting.split(",") if entry.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"GALLERY_TRUSTED_PROXIES: {entry!r} is not an address or a network (e.g. 127.0.0.1, 10.0.0.0/8)") from None
    return entries


# ---------- who a visitor is ----------


class Identities:
    """Signed visitor ids: `<id>.<HMAC-SHA256 of id>`. Anyone can read one; only the server makes one."""

    def __init__(self, secret: bytes | None = None):
        configured = os.environ.get("GALLERY_SECRET")
        self._secret = secret or (configured.encode() if configured else secrets.token_bytes(32))

    def _signature(self, visitor: str) -> str:
        return hmac.new(self._secret, visitor.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self) -> str:
        visitor = secrets.token_hex(12)
        return f"{visitor}.{self._signature(visitor)}"

    def verified(self, value: str | None) -> str | None:
        """The visitor id in a cookie's value, or None if the server did not sign it."""
        visitor, _, signature = (value or "").partition(".")
        if visitor and hmac.compare_digest(signature, self._signature(visitor)):
            return visitor
        return None


def cookie_value(headers: dict[bytes, bytes], name: str) -> str | None:
    try:
        cookies = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    except CookieError:
        return None
    return cookies[name].value if name in cookies else None


def is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    """Whether `address` is one of `trusted`'s addresses or inside one of its networks."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # "unknown", or a test client's name
        return address in trusted
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in trusted)


def client_address(scope, trusted: tuple[str, ...]) -> str:
    """The client's address: the connection's, or, from a trusted proxy, the last X-Forwarded-For entry."""
    address = scope["client"][0] if scope.get("client") else "unknown"
    if is_trusted(address, trusted):
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded = value.decode("latin-1").split(",")[-1].strip()
                return forwarded or address
    return address


# ---------- upload budgets ----------


class UploadBudget:
    """Bytes a minute per visitor and per address, counted in KiB over a sliding window (`limits`)."""

    def __init__(self, shares: Shares):
        self._window = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._visitor = RateLimitItemPerMinute(shares.upload_mb_per_minute * 1024, namespace="upload-visitor")
        self._address = RateLimitItemPerMinute(shares.address_upload_mb_per_minute * 1024, namespace="upload-address")

    def charge(self, visitor: str, address: str, size: int) -> int | None:
        """Charge `size` bytes; None if allowed, else the seconds to wait (nothing is charged)."""
        cost = max(1, math.ceil(size / 1024))
        for item, key in ((self._visitor, visitor), (self._address, address)):
            if not self._window.test(item, key, cost=cost):
                # The window frees its budget as it slides: `cost` of it in about cost/amount of a minute.
                return min(60, max(1, math.ceil(60 * cost / item.amount)))
        self._window.hit(self._visitor, visitor, cost=cost)
        self._window.hit(self._address, address, cost=cost)
        return None


# ---------- events in flight ----------


class Ticket:
    """One admitted join: the keys it counts against, until its event finishes or expires; the
    session whose event stream (queue/data) carries its result, when it was joined through the queue."""

    __slots__ = ("keys", "expires", "session")

    def __init__(self, keys: tuple[str, ...], expires: float):
        self.keys, self.expires, self.session = keys, expires, None


class EventsInFlight:
    """Events joined and not yet finished, per key. A join over a key's limit waits for a place."""

    def __init__(self, shares: Shares):
        self.shares = shares
        self._held: dict[str, set[Ticket]] = {}
        self._by_event: dict[str, Ticket] = {}
        self._by_session: dict[str, set[str]] = {}  # session hash -> its events still held
        self._finished_early: dict[str, float] = {}  # completions seen before their join was answered
        self._waiting: dict[str, int] = {}
        self._changed: asyncio.Condition | None = None  # made in the server's event loop
        self._swept = 0.0

    def held(self, key: str, now: float) -> int:
        return sum(ticket.expires > now for ticket in self._held.get(key, ()))

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _expire(self, now: float) -> None:
        """Forget expired tickets and old early completions, at most once a second (a full scan)."""
        if now - self._swept < 1:
            return
        self._swept = now
        for event in [event for event, ticket in self._by_event.items() if ticket.expires <= now]:
            self._forget(event)
        for key in list(self._held):
            self._held[key] = {ticket for ticket in self._held[key] if ticket.expires > now}
            if not self._held[key]:
                del self._held[key]
        for event in [event for event, seen in self._finished_early.items() if now - seen > 60]:
            del self._finished_early[event]

    async def admit(self, limits: list[tuple[str, int]]) -> Ticket | None:
        """A ticket once every key in `limits` (key, most in flight) has room, or None: refused.
        The first key is the visitor's: its waiting joins are counted against `events_waiting`."""
        visitor, shares = limits[0][0], self.shares
        deadline = time.monotonic() + shares.wait_seconds
        async with self._condition():
            while True:
                now = time.monotonic()
                self._expire(now)
                if all(self.held(key, now) < most for key, most in limits):
                    break
                if now >= deadline or self._waiting.get(visitor, 0) >= shares.events_waiting:
                    return None
                self._waiting[visitor] = self._waiting.get(visitor, 0) + 1
                try:  # woken by a finished event; at the latest in a second, when one may have expired
                    await asyncio.wait_for(self._condition().wait(), timeout=min(deadline - now, 1.0))
                except TimeoutError:
                    pass
                finally:
                    self._waiting[visitor] -= 1
                    if not self._waiting[visitor]:
                        del self._waiting[visitor]
        ticket = Ticket(tuple(key for key, _ in limits), time.monotonic() + shares.event_expiry)
        for key in ticket.keys:
            self._held.setdefault(key, set()).add(ticket)
        return ticket

    def joined(self, ticket: Ticket, event: str | None, session: str | None = None) -> None:
        """The join was answered: `event` is its event id (None: not queued), `session` the session
        whose queue/data stream will carry its result."""
        if event is None or self._finished_early.pop(event, None) is not None:
            self._release(ticket)
            return
        self._by_event[event] = ticket
        if session:
            ticket.session = session
            self._by_session.setdefault(session, set()).add(event)

    def finished(self, event: str) -> None:
        """Its completion passed through an event stream."""
        ticket = self._forget(event)
        if ticket is None:
            self._finished_early[event] = time.monotonic()
        else:
            self._release(ticket)

    def stream_ended(self, session: str | None = None, event: str | None = None) -> None:
        """An event stream ended, finished or dropped by its client. Gradio then drops the session's
        events still queued (its `clean_events`); one already running ends soon. Either way they
        no longer hold their places: a closed or reloaded tab must not lock its visitor out."""
        events = self._by_session.get(session, set()).copy() if session else {event}
        for ended in events:
            ticket = self._forget(ended)
            if ticket is not None:
                self._release(ticket)

    def _forget(self, event: str) -> Ticket | None:
        ticket = self._by_event.pop(event, None)
        if ticket is not None and ticket.session in self._by_session:
            self._by_session[ticket.session].discard(event)
            if not self._by_session[ticket.session]:
                del self._by_session[ticket.session]
        return ticket

    def _release(self, ticket: Ticket) -> None:
        for key in ticket.keys:
            self._held.get(key, set()).discard(ticket)
        asyncio.get_running_loop().create_task(self._wake_waiters())

    async def _wake_waiters(self) -> None:
        async with self._condition():
            self._condition().notify_all()


# ---------- the file cache, bounded by size ----------


class FileCache:
    """Gradio's upload folder, kept under `limit` bytes: trimmed oldest first on the sweep's
    schedule, and at once when uploads counted since the last trim may have passed the limit.
    `keep`: files the pages need for as long as they are served (their default pictures and
    examples, there when the pages were built); they are neither counted nor deleted."""

    def __init__(self, limit: int, keep: frozenset[str] = frozenset()):
        self.limit, self.keep = limit, keep
        self._total, self._added = 0, 0
        self._trimming: asyncio.Task | None = None

    def trim(self) -> int:
        """Trim now (blocking: call it in a thread); the bytes left."""
        added = self._added
        self._total = png.trim_to(self.limit, self.keep)
        self._added -= added
        return self._total

    def uploaded(self, size: int) -> None:
        """`size` bytes have arrived; trim in the background if they may have passed the limit."""
        self._added += size
        if self._total + self._added > self.limit and (self._trimming is None or self._trimming.done()):
            self._trimming = asyncio.get_running_loop().create_task(asyncio.to_thread(self.trim))


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

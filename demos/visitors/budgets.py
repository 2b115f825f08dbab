"""What a visitor spends, counted: uploaded bytes a minute (`UploadBudget`), events joined and not yet
finished (`EventsInFlight`), and the file cache that uploads fill, bounded by size (`FileCache`)."""

from __future__ import annotations

import asyncio
import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from demos import png
from demos.visitors.who import Shares

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

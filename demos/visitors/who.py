"""Who a visitor is, and what one visitor and one address may have (`Shares`): the settings and the
identity that `demos.visitors`' middleware keys every limit by. Why each default is what it is: the
README's "Many visitors"."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

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

"""Who may talk to the server: the bind rule, the token check, body size limits.

- `check_bind`: a loopback address needs nothing; any other needs a token.
- `TokenMiddleware`: with a token set, every ``/api/`` request carries it as
  ``Authorization: Bearer <token>``, a ``?token=`` query parameter or the
  ``remap_token`` cookie (EventSource cannot send headers); else 401. A page opened
  with a valid ``?token=`` gets the cookie, so the UI's own requests carry it.
- `read_body`: a request body read in chunks up to a cap, else `BodyTooLarge` (413).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "COOKIE",
    "BindError",
    "BodyTooLarge",
    "TokenMiddleware",
    "check_bind",
    "is_loopback",
    "read_body",
]

COOKIE = "remap_token"


class BindError(ValueError):
    """Binding a non-loopback address without a token."""


class BodyTooLarge(Exception):
    """A request body over its cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the request body is larger than {limit:,} bytes")


def is_loopback(host: str) -> bool:
    """Whether `host` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, token: str | None) -> None:
    """Raise `BindError` unless `host` is loopback or a token is set."""
    if not is_loopback(host) and not token:
        raise BindError(
            f"binding {host} makes the server reachable from other machines: give a token "
            "with --token TOKEN (or REMAP_TOKEN) that every client must send, or bind 127.0.0.1"
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _presented(scope: Scope) -> tuple[list[str], bool]:
    """Every token the request presents, and whether one came in the query string."""
    found: list[str] = []
    auth = _header(scope, b"authorization")
    if auth and auth[:7].lower() == "bearer ":
        found.append(auth[7:].strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    from_query = query.get("token", [])
    found.extend(from_query)
    cookie = _header(scope, b"cookie")
    if cookie:
        jar = SimpleCookie()
        try:
            jar.load(cookie)
        except Exception:  # a malformed cookie header is no token
            jar = SimpleCookie()
        if COOKIE in jar:
            found.append(jar[COOKIE].value)
    return found, bool(from_query)


class TokenMiddleware:
    """See the module. `protected`: path prefixes that need the token."""

    def __init__(self, app: ASGIApp, token: str, protected: Iterable[str] = ("/api",)) -> None:
        if not token:
            raise ValueError("TokenMiddleware needs a non-empty token")
        self.app = app
        self.token = token.encode()
        self.protected = tuple(protected)

    def _valid(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tokens, from_query = _presented(scope)
        ok = any(self._valid(t) for t in tokens)
        path = scope.get("path", "")
        if not ok and path.startswith(self.protected):
            body = (
                b'{"error":"missing or wrong token: send Authorization: Bearer <token>",'
                b'"path":null,"line":null}'
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="remap"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if not (ok and from_query):
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (`BodyTooLarge`) as soon as it passes `limit` bytes:
    at once from its Content-Length, else while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)

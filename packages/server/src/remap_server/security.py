"""Who may talk to the server: the bind rule, the browser guard, the token check, body
size limits.

- `check_bind`: a loopback address needs nothing; any other needs a token.
- `BrowserGuard` keeps the web pages a user visits from driving a server on their
  machine, the way Jupyter's server defends itself (its Host check against DNS
  rebinding, its Origin check), plus a content-type rule:

  - **Host.** Bound to loopback, a request must be addressed to this machine: its
    ``Host`` is ``localhost``, a 127.x address, ``[::1]`` or the bound host, with any
    port; else 403, for reads too. A page whose own name was re-pointed at 127.0.0.1
    (DNS rebinding) sends that name, and gets nothing. Bound to any other address, a
    token is required, any Host is taken and the token guards everything.
    ``--allow-origin`` names pages that may call the server; it adds no Host.
  - **Origin.** A POST, PUT, PATCH or DELETE that carries an ``Origin`` must come from
    the server's own origin (the scheme, host and port the request came to, by its
    allowed Host) or one named with ``--allow-origin`` (``*``: any page; then only a
    token protects the server); else 403. So must one a browser marks
    ``Sec-Fetch-Site: cross-site``. ``Origin: null`` (a sandboxed frame, a file page) is
    no one's. A request with no Origin (curl, the CLI, Python clients) passes: browsers
    send one with every cross-origin POST.
  - **Content-Type.** A state-changing request's body is JSON, sent as
    ``application/json`` (parameters such as ``charset`` allowed); a session file to
    ``POST /api/import`` may also come as ``application/x-ndjson`` or
    ``application/jsonl``. Anything else, or none, is 415 before a handler runs. The
    types a page may send to another origin without a CORS preflight (``text/plain``,
    ``application/x-www-form-urlencoded``, ``multipart/form-data``) are never among
    them, so every cross-origin write needs the preflight only ``--allow-origin`` passes.

  Every refusal is an ``ErrorBody`` saying why, in REMAP's words.
- `TokenMiddleware`: with a token set, every ``/api/`` request carries it as
  ``Authorization: Bearer <token>``, a ``?token=`` query parameter or the
  ``remap_token`` cookie (EventSource cannot send headers); else 401. A page opened
  with a valid ``?token=`` gets the cookie, so the UI's own requests carry it.
- `read_body`: a request body read in chunks up to a cap, else `BodyTooLarge` (413).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BindError, BodyTooLarge

__all__ = [
    "COOKIE",
    "JSON_TYPES",
    "SESSION_FILE_TYPES",
    "BrowserGuard",
    "TokenMiddleware",
    "check_bind",
    "is_loopback",
    "normalize_origin",
    "read_body",
]

COOKIE = "remap_token"


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


# --- the browser guard -----------------------------------------------------------------

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json",)
SESSION_FILE_TYPES = ("application/x-ndjson", "application/jsonl", "application/json")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# a Host header: a name or IPv4 address, or an IPv6 address in brackets; then a port
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)(?::([0-9]{1,5}))?")


def _segments(pattern: str, path: str) -> bool:
    """Whether `path` is `pattern` with each ``*`` segment any one segment."""
    want, have = pattern.split("/"), path.split("/")
    return len(want) == len(have) and all(w in ("*", h) for w, h in zip(want, have, strict=True))


def _host_name(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


def _parse_host(header: str) -> tuple[str, int | None] | None:
    """A Host header's name (lower case, no brackets) and port; None when it is no
    host at all (userinfo, a path, spaces…)."""
    match = _HOST.fullmatch(header.strip())
    if match is None:
        return None
    port = match.group(2)
    return _host_name(match.group(1)), None if port is None else int(port)


def _parse_origin(text: str) -> tuple[str, str, int | None] | None:
    """An origin as (scheme, host, port), the scheme's default port filled in; None
    for ``null`` or anything that is not ``scheme://host[:port]``."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    scheme = parts.scheme.lower()
    return scheme, _host_name(parts.hostname), port or _DEFAULT_PORTS.get(scheme)


def normalize_origin(text: str) -> str:
    """`text` as a browser writes an ``Origin`` (``http://localhost:5173``: lower case,
    no path, no default port), or ``*``; ValueError when it is not an origin."""
    if text.strip() == "*":
        return "*"
    parsed = _parse_origin(text)
    if parsed is None:
        raise ValueError(f"{text!r} is not an origin like https://host or http://host:port")
    scheme, host, port = parsed
    shown = f"[{host}]" if ":" in host else host
    default = _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{shown}" + ("" if port is None or port == default else f":{port}")


def _refusal(error: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": error, "path": None, "line": None}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    return headers, body


class BrowserGuard:
    """See the module. `host`: the address the server is bound to; `allow_origins`:
    the pages that may change state besides the server's own; `body_types`: for a
    path, the content types its body may come as (any other path: JSON)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str,
        allow_origins: Iterable[str] = (),
        body_types: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.app = app
        self.check_host = is_loopback(host)
        self.bound = _host_name(host)
        origins = [normalize_origin(o) for o in allow_origins]
        self.any_origin = "*" in origins
        self.origins = {_parse_origin(o) for o in origins if o != "*"}
        self.body_types = dict(body_types or {})

    def _local(self, name: str) -> bool:
        return name == self.bound or is_loopback(name)

    def _host_problem(self, host: str | None) -> tuple[str, int | None] | str:
        """The request's (host, port), or why it is refused."""
        parsed = None if host is None else _parse_host(host)
        if parsed is None:
            shown = "no Host header" if host is None else f"the Host header {host[:100]!r}"
            return f"the request has {shown}, which names no host"
        if self.check_host and not self._local(parsed[0]):
            return (
                f"this server answers requests to localhost, 127.0.0.1 or [::1] only, not to "
                f"{host[:100]!r}: a web page may have pointed its own name at this machine"
            )
        return parsed

    def _origin_problem(self, scope: Scope, host: tuple[str, int | None]) -> str | None:
        origin = _header(scope, b"origin")
        site = (_header(scope, b"sec-fetch-site") or "").strip().lower()
        if origin is None:
            if site == "cross-site":
                return (
                    "a request from another site may not change anything here: only this "
                    "server's own pages and those named with --allow-origin may"
                )
            return None  # not a browser's cross-origin request (curl, the CLI, Python)
        parsed = _parse_origin(origin)
        scheme = scope.get("scheme", "http")
        own = (scheme, host[0], host[1] or _DEFAULT_PORTS.get(scheme))
        if parsed is not None and (parsed == own or self.any_origin or parsed in self.origins):
            return None
        return (
            f"a page of {origin[:100]!r} may not change anything here: only this server's "
            "own pages and those named with --allow-origin may"
        )

    def _type_problem(self, scope: Scope) -> str | None:
        path = scope.get("path", "")
        allowed = self.body_types.get(path)
        if allowed is None:  # a key ending in "/" names every path under it; "*" a segment
            under = (
                t for p, t in self.body_types.items()
                if (p[-1:] == "/" and path.startswith(p)) or ("*" in p and _segments(p, path))
            )  # fmt: skip
            allowed = next(under, JSON_TYPES)
        given = _header(scope, b"content-type")
        media = None if given is None else given.split(";", 1)[0].strip().lower()
        if media in allowed:
            return None
        what = " or ".join(allowed)
        if given is None:
            return f"the request has no Content-Type: send the body as {what}"
        return f"the body must be sent as {what}, not as {given[:100]!r}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, problem = 403, None
        host = self._host_problem(_header(scope, b"host"))
        if isinstance(host, str):
            problem = host
        elif scope.get("method", "GET") in STATE_CHANGING:
            problem = self._origin_problem(scope, host)
            if problem is None:
                status, problem = 415, self._type_problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        headers, body = _refusal(problem)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# --- the token --------------------------------------------------------------------------


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
    """See the module. `protected`: path prefixes that need the token; `exempt`: those
    among them whose handlers check a token of their own (the workers' weights)."""

    def __init__(
        self,
        app: ASGIApp,
        token: str,
        protected: Iterable[str] = ("/api",),
        exempt: Iterable[str] = (),
    ) -> None:
        if not token:
            raise ValueError("TokenMiddleware needs a non-empty token")
        self.app = app
        self.token = token.encode()
        self.protected = tuple(protected)
        self.exempt = tuple(exempt)  # prefixes that check a token of their own

    def _valid(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tokens, from_query = _presented(scope)
        ok = any(self._valid(t) for t in tokens)
        path = scope.get("path", "")
        if not ok and path.startswith(self.protected) and not path.startswith(self.exempt):
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

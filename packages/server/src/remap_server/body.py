"""A request body read for a route: at most a cap, checked to be UTF-8 (msgspec would
raise a bare UnicodeDecodeError on a bad string), the error in REMAP's words."""

from __future__ import annotations

import codecs

from starlette.requests import Request

from .errors import ApiError, BodyTooLarge
from .security import read_body

__all__ = ["checked_body"]


async def checked_body(request: Request, limit: int, *, lines: bool = False) -> bytes:
    """The body, at most `limit` bytes, checked to be UTF-8 (msgspec would raise a bare
    UnicodeDecodeError on a bad string); `lines`: a session file, whose error names the
    line."""
    try:
        data = await read_body(request, limit)
    except BodyTooLarge as exc:
        raise ApiError(413, str(exc), None) from exc
    offset = _bad_utf8(data)
    if offset is not None:
        line = data.count(b"\n", 0, offset) + 1
        raise ApiError(
            400,
            f"the body is not valid UTF-8: byte 0x{data[offset]:02x} at offset {offset}",
            None if lines else "$",
            line if lines else None,
        )
    return data


def _bad_utf8(data: bytes, chunk: int = 1 << 20) -> int | None:
    """The offset of the first byte that is not UTF-8, else None (decoded in chunks, so
    a large import never exists twice in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), chunk):
        held = len(decoder.getstate()[0])  # the start of a character split across chunks
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as exc:
            return start - held + exc.start
    return None

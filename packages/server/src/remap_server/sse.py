"""Server-sent events of a session's log: ``id:`` = seq, ``event:`` = kind, ``data:`` =
the envelope as JSON (one line), comment lines as heartbeats.

A client resumes with the ``Last-Event-ID`` header (which EventSource sends by itself
when it reconnects) or ``?after=N``: the stream starts at seq N + 1, so nothing is lost
and nothing comes twice. Waiting uses the store's async `wait`, which wakes at once on
an append through the same store object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import msgspec

from nas_core.events import Envelope, EventStore, event_kind
from nas_core.events.store import MAX_SEQ

__all__ = ["RETRY_MS", "encode_events", "event_stream", "parse_resume"]

RETRY_MS = 1000  # how soon an EventSource reconnects after the connection drops

_encode = msgspec.json.Encoder().encode


def encode_events(envelopes: Sequence[Envelope]) -> bytes:
    """The SSE frames of `envelopes`, one chunk."""
    parts: list[bytes] = []
    for e in envelopes:
        parts.append(b"id: %d\nevent: %s\ndata: " % (e.seq, event_kind(e.event).encode()))
        parts.append(_encode(e))
        parts.append(b"\n\n")
    return b"".join(parts)


def parse_resume(last_event_id: str | None, after: str | None) -> int:
    """The seq to resume after: the ``Last-Event-ID`` header wins over ``?after``
    (a reconnecting EventSource keeps its URL but sends the header). ValueError when
    either is not a seq, 0 to `MAX_SEQ` (a session holds no more events)."""
    for what, text in (("Last-Event-ID", last_event_id), ("after", after)):
        if text is None or text.strip() == "":
            continue
        text = text.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) > MAX_SEQ:
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise ValueError(
                f"{what} must be a seq from 0 to {MAX_SEQ:,} (a session holds no more "
                f"events), not {shown!r}"
            )
        return int(text)
    return 0


async def event_stream(
    store: EventStore,
    session: str,
    after: int,
    *,
    heartbeat_s: float,
    batch: int,
    closing: Callable[[], bool],
    clock: Callable[[], float],
    until: int | None = None,
) -> AsyncIterator[bytes]:
    """The frames of `session` after seq `after`, forever (or up to seq `until`), a
    heartbeat comment after `heartbeat_s` of silence; ends when `closing()` turns true
    (the server is shutting down)."""
    tick = min(heartbeat_s, 0.5)  # how often a quiet stream looks at `closing`
    yield b"retry: %d\n\n" % RETRY_MS
    last_write = clock()
    while not closing() and (until is None or after < until):
        limit = batch if until is None else min(batch, until - after)
        envelopes = await store.wait(session, after, tick, limit)
        if envelopes:
            after = envelopes[-1].seq
            yield encode_events(envelopes)
            last_write = clock()
        elif clock() - last_write >= heartbeat_s:
            yield b": keep-alive\n\n"
            last_write = clock()

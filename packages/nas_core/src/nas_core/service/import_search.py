"""Import a search REMAP did not run into a session (issue 20): every line checked,
every model embedded, then all of it appended in one transaction.

The models come in as "model imported" events (`nas_core.imports.import_events`) in the
file's order, each followed by its "model embedded" placements (a model that recorded
its test predictions is placed in both learned projections; one without them is not
embedded: the prediction distance needs them, and the accuracy projection shows it by
its validation accuracy). A line that does not import, or a model that cannot be
embedded, raises `SearchFileError` naming its line, and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import msgspec

from nas_core.events import Pending
from nas_core.events.kinds import ModelImported
from nas_core.imports import LineError, SearchFile, SearchFileError, import_events

from .embedding import EmbeddingError

__all__ = ["Imported", "import_search"]

Tick = Callable[[int, int], object]  # (models embedded so far, of how many)


class Imported(msgspec.Struct, frozen=True):
    """What an import did: its search id, the models it added (ids in the file's
    order), how many of them were embedded, and the seqs it appended."""

    search: str
    models: tuple[str, ...]
    embedded: int
    first_seq: int
    last_seq: int


def import_search(
    service, session: str, search: SearchFile, *, source: str, search_id: str | None = None,
    on_progress: Tick | None = None,
) -> Imported:  # fmt: skip
    """Import `search` into `session` of `service` (a `SessionService`); see the
    module. `on_progress(done, total)` sees the embedding go."""
    search_id = search_id or f"search-{uuid.uuid4().hex[:8]}"
    with service._lock:
        live = service._open(session)
        events = import_events(search, live.state, search_id=search_id, source=source)
        pending: list[Pending] = []
        embedder = live.embedder
        total, embedded = len(events), 0
        try:
            for k, p in enumerate(events):
                pending.append(p)
                e: ModelImported = p.event
                if e.result is not None and e.result.predictions:
                    try:
                        update = embedder.add(e.model, e.arch, e.result.predictions)
                    except EmbeddingError as error:
                        raise SearchFileError(
                            [LineError(e.origin.line, "$.predictions", str(error))], source
                        ) from None
                    pending += [Pending(f"{e.model}:embedded:{u.projection}", u)
                                for u in update.placements]  # fmt: skip
                    pending += [Pending(f"{e.model}:layout:{u.projection}", u)
                                for u in update.relayouts]  # fmt: skip
                    embedded += 1
                if on_progress is not None and (k % 1000 == 0 or k + 1 == total):
                    on_progress(k + 1, total)
            new = service._append(session, live, pending)
        except BaseException:
            service._reload(session)  # the embedder holds models the log does not
            raise
    return Imported(
        search_id, tuple(p.event.model for p in events), embedded,
        new[0].seq if new else live.state.last_seq, live.state.last_seq,
    )  # fmt: skip

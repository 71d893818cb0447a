"""Import a search REMAP did not run into a session (issue 20): every line checked,
every model embedded, then all of it appended in one transaction.

The models come in as "model imported" events (`nas_core.imports.import_batch`) in the
file's order, each followed by its "model embedded" placements (a model that recorded
its test predictions is placed in both learned projections; one without them is not
embedded: the prediction distance needs them, and the accuracy projection shows it by
its validation accuracy). A line that does not import, or a model that cannot be
embedded, raises `SearchFileError` naming its line, and nothing is written.

Built for 100,000 models a go: the embedder takes them in batches (`Embedder.add_many`:
rows and positions as one at a time, vectorised), and the cycle collector is paused
meanwhile (`nas_core.imports.collector`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import msgspec

from nas_core.events import Pending
from nas_core.events.fold import SessionState
from nas_core.events.kinds import ModelImported
from nas_core.imports import LineError, SearchFile, SearchFileError, import_batch
from nas_core.imports.collector import collector_paused

from .embedding import Embedder, EmbeddingError

__all__ = ["BATCH", "Imported", "import_search"]

Tick = Callable[[int, int], object]  # (models embedded so far, of how many)
BATCH = 10_000  # models embedded at once: progress is reported between batches


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
    made: list = []

    def build(state: SessionState, embedder: Embedder) -> list[Pending]:
        batch = import_batch(search, state, search_id=search_id, source=source)
        made.append(batch)
        return _with_placements(batch, embedder, source, on_progress)

    with collector_paused():
        new = service.append_built(session, build)
    (batch,) = made
    last = new[-1].seq if new else service.state(session).last_seq
    return Imported(
        search_id, tuple(p.event.model for p in batch.events), len(batch.predicted),
        new[0].seq if new else last, last,
    )  # fmt: skip


def _with_placements(batch, embedder: Embedder, source: str, on_progress) -> list[Pending]:
    """The import's events, each model's embedding right after it."""
    events = batch.events
    chosen = [events[k].event for k in batch.predicted]
    total = len(events)
    after: dict[int, list[Pending]] = {}  # event position → its placements and relayouts
    for start in range(0, len(chosen), BATCH):
        part: list[ModelImported] = chosen[start : start + BATCH]
        where = batch.predicted[start : start + len(part)]
        try:
            updates = embedder.add_many(
                [e.model for e in part], [e.arch for e in part],
                batch.predictions[start : start + len(part)],
                hashes=[e.arch_hash for e in part],
            )  # fmt: skip
        except EmbeddingError as error:
            bad = next((e for e in part if e.model == error.model), part[0])
            raise SearchFileError(
                [LineError(bad.origin.line, "$.predictions", str(error))], source
            ) from None
        for k, update in zip(where, updates, strict=True):
            m = update.model
            after[k] = [Pending(f"{m}:embedded:{u.projection}", u) for u in update.placements]
            after[k] += [Pending(f"{m}:layout:{u.projection}", u) for u in update.relayouts]
        if on_progress is not None and where[-1] + 1 < total:
            on_progress(where[-1] + 1, total)
    if on_progress is not None:
        on_progress(total, total)
    pending: list[Pending] = []
    for k, p in enumerate(events):
        pending.append(p)
        pending += after.get(k, ())
    return pending

"""Opening a session from its log: what the service rebuilds when it opens a session
(at ``remap serve``'s start, or at its first command), and what an import proves before
it commits (DESIGN.md: "An import proves the log before it commits").

`restore(envelopes)` folds the log, rebuilds the embedder from the recorded rows
(`Embedder.restore`, computing no distance), refits the throughput model from the
finished trainings, and checks that each finished model the log has not embedded yet
can be embedded when the session opens (the service embeds it then). A log that does
not restore raises `RestoreError` with the seq of the event that breaks it.

The fold itself is lenient on purpose (a late or redelivered training event changes
nothing), so a log can fold and still not open: a model embedded that never finished,
embedded against models that were not embedded before it, laid out without its
placements… Those are refused here, where the service and the import both look.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from nas_core.errors import NasCoreError

# the events' own modules, not the `nas_core.events` package: its session files run
# `restore` to check an import, so importing the package here would be an import cycle
from nas_core.events.fold import SessionState, fold
from nas_core.events.kinds import (
    Envelope,
    LayoutRecomputed,
    ModelEmbedded,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
)
from nas_core.packed import unpack_labels
from nas_core.training import Observation, Throughput

from .embedding import Embedder, EmbeddingError
from .timings import observed_seconds, started_key

if TYPE_CHECKING:
    from .snapshots import Snapshot

__all__ = ["RestoreError", "Restored", "SessionSetAside", "restore"]

_RECORD = re.compile(r"^record \d+: ")


class RestoreError(NasCoreError):
    """Raised when a session's log folds but cannot be opened: `seq` is the event that
    breaks it (``None`` when no one event does), `reason` says why."""

    def __init__(self, seq: int | None, reason: str) -> None:
        self.seq = seq
        self.reason = reason
        super().__init__(reason if seq is None else f"seq {seq}: {reason}")

    def __reduce__(self):
        return (RestoreError, (self.seq, self.reason))


class SessionSetAside(NasCoreError):
    """Raised for a session the service set aside: its log cannot be restored
    (`reason`, the `RestoreError` in words); the other sessions are served. It is tried
    again once its log changes (an import that extends it)."""

    def __init__(self, session: str, reason: str) -> None:
        self.session = session
        self.reason = reason
        super().__init__(f"session {session!r} is set aside: its log cannot be restored: {reason}")

    def __reduce__(self):
        return (SessionSetAside, (self.session, self.reason))


class Restored(NamedTuple):
    """A session as the service opens it: the folded state, the embedder, the
    throughput model, and the finished models still to embed (in creation order).
    `seconds`: each finished model's observed training seconds; `started`: when the
    attempts still running started (model, attempt → time): what a snapshot keeps so
    that the throughput model is the same when it opens from the snapshot."""

    state: SessionState
    embedder: Embedder
    throughput: Throughput
    unembedded: tuple[str, ...]
    seconds: dict[str, float]
    started: dict[tuple[str, int], str]


def restore(envelopes: Sequence[Envelope], start: Snapshot | None = None) -> Restored:
    """The session of `envelopes` (a whole log, in seq order) as the service opens it;
    raises `RestoreError` (see the module). With `start` (a snapshot of the session,
    `nas_core.service.snapshots`), `envelopes` are the events after the snapshot's seq:
    the snapshot is the session up to there, the events are checked as a whole log's."""
    state = fold(envelopes, None if start is None else start.state)
    records: list[ModelEmbedded | LayoutRecomputed] = []
    seqs: list[int] = []
    for e in envelopes:
        if isinstance(e.event, ModelEmbedded | LayoutRecomputed):
            records.append(e.event)
            seqs.append(e.seq)
    # a model whose training is in question (a finished one queued again: only a
    # tampered log has that) counts as not finished, or a restart mid-training would
    # find it embedded with no result
    # (an imported model that recorded no test predictions is not embedded: issue 20)
    done = [
        m for m in state.models.values()
        if m.status == "done" and m.result is not None and m.result.predictions
    ]  # fmt: skip
    try:
        embedder = Embedder.restore(
            records,
            {m.id: m.arch for m in done},
            {m.id: m.result.predictions for m in done},  # type: ignore[union-attr]
            **({} if start is None else {"start": start.embedder}),
        )
    except EmbeddingError as error:
        seq = None if error.record is None else seqs[error.record]
        raise _not_restored(envelopes, state, error, seq) from None
    unembedded = tuple(m.id for m in done if m.id not in embedder)
    width = embedder.prediction_width
    for model in unembedded:
        m = state.models[model]
        predictions = m.result.predictions  # type: ignore[union-attr]
        try:
            embedder.check(model, m.arch, predictions, width)
        except (EmbeddingError, NasCoreError) as error:
            raise RestoreError(_finished_seq(envelopes, state, model), str(error)) from None
        width = width or len(unpack_labels(predictions))
    n_train = 0 if state.split is None else state.split.train
    started = {} if start is None else {(m, a): at for m, a, at in start.started}
    seconds = {} if start is None else dict(start.seconds)
    seconds.update(_seconds(envelopes, started))
    observed = [
        Observation(m.flops, n_train, m.result.epochs, seconds.get(m.id, m.result.wall_s))
        for m in done
        if n_train and m.result is not None and m.result.epochs >= 1
    ]
    throughput = Throughput().observe_all(observed)  # one fit, not one per model
    running = {m.id: m.attempts for m in state.models.values() if m.status == "running"}
    started = {k: at for k, at in started.items() if running.get(k[0]) == k[1]}
    return Restored(state, embedder, throughput, unembedded, seconds, started)


def _seconds(
    envelopes: Iterable[Envelope], started: dict[tuple[str, int], str]
) -> dict[str, float]:
    """`timings.training_seconds` of `envelopes`, the attempts in `started` (updated in
    place) having started before them."""
    seconds: dict[str, float] = {}
    for env in envelopes:
        event = env.event
        if isinstance(event, TrainingStarted):
            started.setdefault(started_key(event), env.at)  # a redelivery starts nothing
        elif isinstance(event, TrainingFinished):
            at = started.get(started_key(event))
            seconds[event.model] = observed_seconds(at, env.at, event.result.wall_s)
    return seconds


def _not_restored(
    envelopes: Sequence[Envelope], state: SessionState, error: EmbeddingError, seq: int | None
) -> RestoreError:
    """The `EmbeddingError` of a restore in REMAP's words, at the event that breaks it: a
    model embedded that has no result is told apart by what became of it."""
    model = None if error.model is None else state.models.get(error.model)
    if error.model is None or (model is not None and model.status == "done"):
        # "record 7: …" counts the embedder's records; the seq says where it is
        return RestoreError(seq, _RECORD.sub("", str(error)))
    if model is None:
        return RestoreError(seq, f"model {error.model} is embedded but was never created")
    for e in envelopes:  # a finished (and embedded) model queued again: that line
        if (
            seq is not None
            and e.seq > seq
            and isinstance(e.event, TrainingQueued)
            and e.event.model == model.id
        ):
            return RestoreError(
                e.seq,
                f"model {model.id} is queued to train again after it was embedded (seq "
                f"{seq}): a model that finished training does not train again",
            )
    return RestoreError(
        seq, f"model {model.id} is embedded but has not finished training (it is {model.status})"
    )


def _finished_seq(envelopes: Sequence[Envelope], state: SessionState, model: str) -> int | None:
    """The seq of the "training finished" that gave `model` its result."""
    attempt = state.models[model].attempts
    for e in reversed(envelopes):
        if (
            isinstance(e.event, TrainingFinished)
            and e.event.model == model
            and e.event.attempt == attempt
        ):
            return e.seq
    return None

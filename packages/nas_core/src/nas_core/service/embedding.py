"""Where each finished model lands in the two learned projections (REMAP paper, 5.3).

Pure: no I/O, no clock, no randomness. The session service feeds it finished models
(`Embedder.add`) and records what it returns as "model embedded" and "layout
recomputed" events; replay rebuilds it from those records (`Embedder.restore`) without
computing a single distance again.

Two projections, each with the model ids in embedding order, their distance matrix
(grown one row at a time) and a fitted `distances.OutOfSampleMDS`:

- ``"structure"``: OTMANN between the architectures' graphs in REMAP's vocabulary
  (`nas_core.arch.to_layer_graph(arch, "remap")`), with ``struct_coef=0.1`` (NASBOT's
  default, the smallest of the four its GP uses: the path-length term refines the
  label and mass matching rather than dominating it) and ``normalize=True`` (the OT
  cost divided by the two networks' total masses). Normalised because the raw cost
  grows with the networks' masses (their widths): between 100 models sampled for
  digits the raw distances span 0.15 to 49,000 (median 1,300), so a few wide models
  would set the whole picture, while the normalised ones lie in [0, 1] (median 0.63)
  and compare the networks' make-up (which layers, in what order, of what relative
  width) at any size.
- ``"predictions"``: the fraction of test examples on which two models predict
  different labels (`distances.prediction_matrix`).

**Landmarks** (landmark MDS, de Silva & Tenenbaum 2004): the first `LANDMARKS` (64)
models embedded in a session are its landmarks. A new model's rows are computed against
the landmarks only (against every model embedded before it while there are fewer) and
recorded packed; its position comes from out-of-sample MDS into the current layout
(Trosset & Priebe 2008), so the points already shown do not move. A row is never
longer than the landmark set, so the log grows by the same bytes a model at any
session size, and embedding a model costs L distances, not n. Because out-of-sample placement never
revises the layout, the picture drifts from what a fresh MDS of all the models would
show as the set grows; the **drift rule** recomputes the layout with classical MDS on
every distance so far, aligned onto the previous picture with Procrustes
(`distances.align`: rotation, reflection, scale, translation), when

- the session has at most `first_fits` (4) models: out-of-sample placement into a
  layout of one to three points says nothing (every first model is laid out afresh),
- or the number of models has grown by at least `growth` (25 %) since the last fit,
- or the landmark set is complete (the `LANDMARKS`-th model): the layout is fitted on
  every landmark, once and for all. Past the landmarks nothing is laid out again: a
  landmark layout places every later model where a fresh landmark MDS of all of them
  would (the triangulation of the landmarks' layout), so there is no drift to correct.

So the layouts are recomputed at 2, 3, 4, 5, 7, 9, 12, 15, 19, … models up to the
landmarks: about log(L) / log(1.25) times, each an MDS of at most L models; the
embedder holds L × L distances and the landmarks' graphs and predictions, whatever n.

Old logs (version 1 rows, against every earlier model) restore as they are: their
rows past the landmarks are checked, their first L columns are the landmark rows, and
a layout recorded over more than L models is restored from its first L.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import msgspec
import numpy as np

from nas_core.arch import Architecture, arch_hash, to_layer_graph
from nas_core.errors import NasCoreError

# the events' own module, not the `nas_core.events` package, whose session files run
# the service's `restore` (and so this module) to check an import: no import cycle
from nas_core.events.kinds import LayoutRecomputed, ModelEmbedded
from nas_core.packed import PackError, pack_floats, unpack_floats, unpack_labels

if TYPE_CHECKING:
    from distances import LayerGraph, OutOfSampleMDS

__all__ = [
    "FIRST_FITS",
    "GROWTH",
    "LANDMARKS",
    "PROJECTIONS",
    "STRUCTURE_NORMALIZE",
    "STRUCT_COEF",
    "EmbedUpdate",
    "Embedder",
    "EmbedderSnapshot",
    "EmbeddingError",
    "Projection",
]

Projection = Literal["structure", "predictions"]
PROJECTIONS: tuple[Projection, ...] = ("structure", "predictions")

STRUCT_COEF = 0.1
STRUCTURE_NORMALIZE = True
FIRST_FITS = 4
GROWTH = 0.25
LANDMARKS = 64
_FLAT = 1e-12  # a layout (or a row of distances) whose spread is below this is a point


class EmbeddingError(NasCoreError, ValueError):
    """Raised when a model cannot be embedded or a record cannot be restored; says which
    and why. Also a `ValueError`, as the bad arguments of `Embedder` always were.

    From `Embedder.restore`: `record` is the position (in the records it was given) of
    the record that breaks the restore, `model` the model it is about, when there is
    one; so a caller can name the event at fault (an import names its line)."""

    def __init__(
        self, message: str, *, record: int | None = None, model: str | None = None
    ) -> None:
        super().__init__(message)
        self.record = record
        self.model = model


class EmbedUpdate(msgspec.Struct, frozen=True):
    """What embedding one model produced: its "model embedded" event per projection
    and, where the drift rule fired, the "layout recomputed" events, to be recorded in
    that order (`events`)."""

    model: str
    placements: tuple[ModelEmbedded, ...]
    relayouts: tuple[LayoutRecomputed, ...]

    def events(self) -> tuple[ModelEmbedded | LayoutRecomputed, ...]:
        """The events to record, in order: the placements, then the relayouts."""
        return (*self.placements, *self.relayouts)


class LayoutSnapshot(msgspec.Struct, frozen=True, gc=False):
    """One projection of an `EmbedderSnapshot`: every model's point (packed float64
    x, y pairs, in embedding order), the landmarks' distances (packed, row-major
    k × k), and the last fit (over the first `n_fit` models, shown at `fit_shown`)."""

    points: bytes
    landmark_distances: bytes
    n_fit: int
    fit_shown: bytes


class EmbedderSnapshot(msgspec.Struct, frozen=True, gc=False):
    """An embedder's state, to open a session without its records (issue 20): the
    constructor's settings, the embedded models in order, and each projection's
    `LayoutSnapshot`. Bounded but for the ids and points (O(n), 16 bytes a model a
    projection); the landmarks' graphs and predictions come from the session's state."""

    settings: dict[str, float | int | str]
    ids: tuple[str, ...]
    layouts: dict[str, LayoutSnapshot]


class _Similarity:
    """x -> x @ linear + shift (Procrustes: rotation/reflection times a scale, then a shift)."""

    def __init__(self, linear: np.ndarray, shift: np.ndarray) -> None:
        self.linear = linear
        self.shift = shift

    @classmethod
    def identity(cls) -> _Similarity:
        return cls(np.eye(2), np.zeros(2))

    @classmethod
    def between(cls, source: np.ndarray, target: np.ndarray) -> _Similarity:
        """The similarity that takes `source` onto `target` (least squares; exact when
        `target` is a similarity image of `source`, as aligned layouts are)."""
        mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
        s, t = source - mu_s, target - mu_t
        norm = float(np.sum(s * s))
        if norm <= _FLAT:
            return cls(np.eye(2), mu_t - mu_s)
        u, sigma, vt = np.linalg.svd(s.T @ t)
        rotation = u @ vt
        scale = float(sigma.sum()) / norm
        linear = scale * rotation
        return cls(linear, mu_t - mu_s @ linear)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        # one product and one addition at a time, not a matrix product (whose order,
        # and so last bits, depends on the shapes): a batch lands where one at a time does
        out = points[:, :1] * self.linear[0]
        for i in range(1, self.linear.shape[0]):
            out += points[:, i : i + 1] * self.linear[i]
        out += self.shift
        return out


class _Grown:
    """The landmarks' square distance matrix (at most `cap` × `cap`) and every model's
    point, growing one model at a time (doubling)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.n = 0
        self.matrix = np.zeros((8, 8))
        self.points = np.zeros((8, 2))

    def append(self, row: np.ndarray, point: tuple[float, float]) -> None:
        n = self.n
        if n < self.cap:
            if n == self.matrix.shape[0]:
                size = min(2 * n, self.cap)
                matrix = np.zeros((size, size))
                matrix[:n, :n] = self.matrix[:n, :n]
                self.matrix = matrix
            self.matrix[n, :n] = row[:n]
            self.matrix[:n, n] = row[:n]
        if n == self.points.shape[0]:
            points = np.zeros((2 * n, 2))
            points[:n] = self.points[:n]
            self.points = points
        self.points[n] = point
        self.n = n + 1

    def extend(self, points: np.ndarray) -> None:
        """Add the points of models past the landmarks (their rows are not kept)."""
        n, m = self.n, len(points)
        assert n >= self.cap, "a landmark's row must be appended"
        if n + m > self.points.shape[0]:
            grown = np.zeros((max(2 * n, n + m), 2))
            grown[:n] = self.points[:n]
            self.points = grown
        self.points[n : n + m] = points
        self.n = n + m

    @property
    def landmarks(self) -> int:
        return min(self.n, self.cap)

    @property
    def distances(self) -> np.ndarray:
        k = self.landmarks
        return self.matrix[:k, :k]

    @property
    def positions(self) -> np.ndarray:
        return self.points[: self.n]


class _Layout:
    """One projection: ids in order, distances, positions, and the fitted layout.

    The models of the last fit are always the first `n_fit` (a fit takes every model
    there is). `mds` is fitted on their distances; `to_shown` takes its raw
    coordinates to the coordinates shown (the raw layout aligned onto the previous
    picture), so out-of-sample points land in the picture the user sees.
    """

    def __init__(self, name: Projection, method: str, landmarks: int) -> None:
        self.name = name
        self.method = method
        self.ids: list[str] = []
        self.members: set[str] = set()  # `ids` as a set (a restore asks for each record)
        self.grown = _Grown(landmarks)
        self.n_fit = 0
        self.mds: OutOfSampleMDS | None = None
        self.to_shown = _Similarity.identity()
        self.fit_shown = np.zeros((0, 2))  # where the last fit showed its models

    def place(self, row: np.ndarray) -> tuple[float, float] | None:
        """Out-of-sample position of a model with distances `row` to every embedded
        one, in the picture shown; None when the layout cannot place it."""
        if self.mds is None:
            return None
        raw = np.asarray(self.mds.transform(row[None, : self.n_fit]), dtype=float)
        if raw.shape != (1, 2) or not np.all(np.isfinite(raw)):
            return None
        x, y = self.to_shown(raw)[0]
        return float(x), float(y)

    def place_many(self, rows: np.ndarray) -> np.ndarray:
        """`place` of every row of `rows` (m, landmarks) past the landmarks, where no
        refit comes: (m, 2), a row the layout cannot place at the landmarks' centre (as
        `Embedder.add` puts it). Bit for bit what `place` gives one row at a time
        (`distances.OutOfSampleMDS.transform` places a batch as it places one)."""
        centre = self.grown.points[: self.grown.landmarks].mean(axis=0)
        if self.mds is None:
            return np.tile(centre, (len(rows), 1))
        part = rows[:, : self.n_fit]
        if self.method == "classical":
            raw = np.asarray(self.mds.transform(part), dtype=float)
        else:  # smacof's descent stops on the whole batch's moves: one at a time
            raw = np.vstack([self.mds.transform(r[None, :]) for r in part]).astype(float)
        ok = np.isfinite(raw).all(axis=1)
        shown = self.to_shown(np.where(ok[:, None], raw, 0.0))
        shown[~ok] = centre
        return shown

    def fit(self) -> np.ndarray:
        """Fit the layout on every model so far (a fit happens only while every model
        is a landmark), aligned onto the positions shown (the first model of all sits
        at the origin). Returns the new positions."""
        from distances import OutOfSampleMDS

        n = self.grown.n
        if n == 1:
            self.mds, self.n_fit = None, 1
            self.to_shown = _Similarity.identity()
            self.fit_shown = np.zeros((1, 2))
            return np.zeros((1, 2))
        mds = OutOfSampleMDS(n_components=2, method=self.method).fit(self.grown.distances)
        raw = np.asarray(mds.embedding_, dtype=float)
        old = self.grown.positions[: n - 1]
        shown = _aligned(raw, old)
        self.mds, self.n_fit = mds, n
        self.to_shown = _Similarity.between(raw, shown)
        self.fit_shown = shown.copy()
        return shown

    def restore_fit(self, n_fit: int, shown: np.ndarray) -> None:
        """Rebuild the fitted state of a recorded layout of the first `n_fit` models
        shown at `shown`: the MDS of their recorded distances (no distance is
        computed) and the similarity from its raw coordinates to the recorded ones."""
        from distances import OutOfSampleMDS

        self.n_fit = n_fit
        self.fit_shown = np.array(shown[:n_fit], dtype=float).reshape(-1, 2)
        if n_fit < 2:
            self.mds, self.to_shown = None, _Similarity.identity()
            return
        distances = self.grown.matrix[:n_fit, :n_fit]
        # recorded numbers are finite, but they may be too large to lay out (squared,
        # they overflow): refuse them rather than show a picture of NaNs
        with np.errstate(all="ignore"):
            try:
                mds = OutOfSampleMDS(n_components=2, method=self.method).fit(distances)
                raw = np.asarray(mds.embedding_, dtype=float)
                to_shown = _Similarity.between(raw, shown)
                finite = all(np.all(np.isfinite(a)) for a in (raw, to_shown.linear))
            except (ValueError, np.linalg.LinAlgError):
                finite = False
        if not finite:
            raise EmbeddingError(
                f"the recorded {self.name} distances of {n_fit} models cannot be laid out "
                "(classical MDS of them is not finite)"
            )
        self.mds, self.to_shown = mds, to_shown


def _aligned(raw: np.ndarray, old: np.ndarray) -> np.ndarray:
    """`raw` (a fresh layout: the old points first, then the new ones) moved by the
    Procrustes similarity that best takes its old points onto `old` (where they are
    shown), so the picture does not jump."""
    from distances import align

    if len(old) == 0:
        return raw
    return np.asarray(align(raw, old), dtype=float)


class Embedder:
    """Embeds finished models into the structure and prediction projections.

    ``add(model_id, arch, predictions)`` computes the new model's rows (one
    `otmann_matrix` call of 1 × n, one `prediction_matrix` row), places it by
    out-of-sample MDS and applies the drift rule of the module docstring.
    ``add_many`` embeds a batch (an imported search, issue 20) with the same results
    bit for bit, vectorised past the landmarks. Not thread-safe: the one process that
    owns the store calls it.
    """

    def __init__(
        self,
        *,
        struct_coef: float = STRUCT_COEF,
        normalize: bool = STRUCTURE_NORMALIZE,
        first_fits: int = FIRST_FITS,
        growth: float = GROWTH,
        method: Literal["classical", "smacof"] = "classical",
        landmarks: int = LANDMARKS,
    ) -> None:
        if landmarks < 2:
            raise EmbeddingError(f"landmarks must be >= 2, got {landmarks}")
        if first_fits < 1:
            raise EmbeddingError(f"first_fits must be >= 1, got {first_fits}")
        if not growth > 0 or not math.isfinite(growth):
            raise EmbeddingError(f"growth must be a finite fraction > 0, got {growth}")
        self.struct_coef = struct_coef
        self.normalize = normalize
        self.first_fits = first_fits
        self.growth = growth
        self.method = method
        self.landmarks = landmarks
        self._layouts = {name: _Layout(name, method, landmarks) for name in PROJECTIONS}
        self._index: dict[str, int] = {}
        self._graphs: list[LayerGraph] = []
        self._predictions = np.zeros((0, 0), dtype=np.uint8)  # compact: compared fastest
        self._n_predictions = 0
        # past the landmarks a structure row depends on the architecture only: a search
        # that trains one architecture many times (an import, issue 20) computes it once
        self._rows: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------- reading

    @property
    def ids(self) -> tuple[str, ...]:
        """The embedded models, in embedding order."""
        return tuple(self._layouts["structure"].ids)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._index

    def positions(self, projection: Projection) -> dict[str, tuple[float, float]]:
        """Every embedded model's position in `projection`, as shown."""
        layout = self._layout(projection)
        points = layout.grown.positions
        return {m: (float(points[k, 0]), float(points[k, 1])) for k, m in enumerate(layout.ids)}

    def distances(self, projection: Projection) -> np.ndarray:
        """A copy of `projection`'s distances between the landmarks (rows and columns in
        `ids` order: the first ``min(len(self), landmarks)`` models)."""
        return self._layout(projection).grown.distances.copy()

    def fitted_count(self, projection: Projection) -> int:
        """How many models the current layout of `projection` was fitted on."""
        return self._layout(projection).n_fit

    @property
    def prediction_width(self) -> int:
        """How many test-set predictions each embedded model has (0: none embedded)."""
        return int(self._predictions.shape[1]) if self._n_predictions else 0

    def check(
        self,
        model_id: str,
        arch: Architecture,
        predictions: bytes | Sequence[int] | np.ndarray,
        width: int = 0,
    ) -> None:
        """Raise the `EmbeddingError` that `add` would raise for this model, computing
        no distance. `width`: the number of predictions it must have when no model is
        embedded yet (0: any)."""
        if model_id in self._index:
            raise EmbeddingError(f"model {model_id} is already embedded", model=model_id)
        self._graph(model_id, arch)
        labels = self._labels(model_id, predictions)
        if width and labels.size != width:
            raise EmbeddingError(
                f"model {model_id}: {labels.size} predictions, but the other finished "
                f"models have {width} (one per test example)",
                model=model_id,
            )

    def refit_due(self, n: int, n_fit: int) -> str | None:
        """The drift rule: why a layout fitted on `n_fit` models must be recomputed now
        that there are `n`, or None when it need not be."""
        if n > self.landmarks:
            return None  # a landmark layout places the others where a refit would
        if n == self.landmarks and n_fit < n:
            return (
                f"model {n}: the {n} landmarks are all embedded, the layout is fitted on "
                "them once and for all (landmark MDS)"
            )
        if n <= self.first_fits:
            return (
                f"model {n} of the first {self.first_fits}: too few for out-of-sample "
                "placement, every one of them is laid out afresh"
            )
        if n - n_fit >= self.growth * n_fit:
            return (
                f"{n} models, {n - n_fit} added since the layout of {n_fit} "
                f"(grown by {(n - n_fit) / n_fit:.0%}, the rule recomputes at "
                f">= {self.growth:.0%})"
            )
        return None

    # ---------------------------------------------------------------- adding

    def add(
        self, model_id: str, arch: Architecture, predictions: bytes | Sequence[int] | np.ndarray
    ) -> EmbedUpdate:
        """Embed the finished model `model_id` (its architecture and its test-set
        predictions, a sequence of labels or packed) against the landmarks; see the
        class docstring."""
        from distances import otmann_matrix, prediction_matrix

        if not isinstance(model_id, str) or not model_id:
            raise EmbeddingError(f"model id must be a non-empty string, got {model_id!r}")
        if model_id in self._index:
            raise EmbeddingError(f"model {model_id} is already embedded")
        n = len(self._index)
        if n >= self.landmarks:  # one model of a batch: the same arithmetic
            if not isinstance(arch, Architecture):
                self._graph(model_id, arch)  # raises, naming it
            labels = self._labels(model_id, predictions)
            return self._add_past_landmarks([model_id], [arch], labels[None, :], None)[0]
        graph = self._graph(model_id, arch)  # it joins the landmarks
        labels = self._labels(model_id, predictions)
        if n:
            structure = otmann_matrix(
                [graph], self._graphs[:n], struct_coef=self.struct_coef,
                normalize=self.normalize, vocabulary="remap",
            )[0]  # fmt: skip
            behaviour = prediction_matrix(labels[None, :], self._predictions[:n])[0]
        else:
            structure = behaviour = np.zeros(0)
        rows = {"structure": structure, "predictions": behaviour}
        placements: list[ModelEmbedded] = []
        relayouts: list[LayoutRecomputed] = []
        for name in PROJECTIONS:
            layout = self._layouts[name]
            row = np.asarray(rows[name], dtype=float)
            point = layout.place(row)
            reason = self.refit_due(n + 1, layout.n_fit)
            if point is None and reason is None:
                reason = f"{n + 1} models: the layout of {layout.n_fit} cannot place a new one"
            layout.ids.append(model_id)
            layout.members.add(model_id)
            layout.grown.append(row, point or (0.0, 0.0))
            if reason is not None:
                shown = layout.fit()
                layout.grown.points[: n + 1] = shown
                if point is None:
                    point = (float(shown[n, 0]), float(shown[n, 1]))
                if n + 1 > 1:
                    relayouts.append(
                        LayoutRecomputed(
                            projection=name,
                            positions=_position_map(layout.ids, shown),
                            reason=reason,
                        )
                    )
            assert point is not None
            placements.append(
                ModelEmbedded(
                    model=model_id,
                    projection=name,
                    x=point[0],
                    y=point[1],
                    distances=pack_floats(row),
                )
            )
        self._remember(model_id, graph, labels)
        return EmbedUpdate(model_id, tuple(placements), tuple(relayouts))

    def add_many(
        self,
        model_ids: Sequence[str],
        archs: Sequence[Architecture],
        predictions: np.ndarray | Sequence[bytes | Sequence[int] | np.ndarray],
        *,
        hashes: Sequence[str] | None = None,
    ) -> list[EmbedUpdate]:
        """Embed several finished models, in order: the updates `add` returns one model
        at a time, rows and positions bit for bit, but past the landmarks in one
        vectorised step (one OTMANN row per distinct architecture, one prediction
        distance matrix, one placement per projection). `predictions`: a 2-D integer
        array (a row per model) or, per model, what `add` takes; `hashes`: the
        architectures' `arch_hash`es when the caller has them (else computed). Every
        model is checked before any is embedded (`EmbeddingError` names the first bad
        one."""
        ids, archs = list(model_ids), list(archs)
        if (
            len(archs) != len(ids)
            or len(predictions) != len(ids)
            or (hashes is not None and len(hashes) != len(ids))
        ):
            raise EmbeddingError(
                f"add_many takes one architecture, one set of predictions (and one hash) "
                f"per model: got {len(ids)} ids, {len(archs)} architectures and "
                f"{len(predictions)} predictions"
            )
        seen: set[str] = set()
        for model_id, arch in zip(ids, archs, strict=True):
            if not isinstance(model_id, str) or not model_id:
                raise EmbeddingError(f"model id must be a non-empty string, got {model_id!r}")
            if model_id in self._index or model_id in seen:
                where = "already embedded" if model_id in self._index else "twice in the batch"
                raise EmbeddingError(f"model {model_id} is {where}", model=model_id)
            if not isinstance(arch, Architecture):
                self._graph(model_id, arch)  # raises, naming it
            seen.add(model_id)
        labels = self._many_labels(ids, predictions)
        head = min(len(ids), max(0, self.landmarks - len(self)))
        updates = [self.add(ids[j], archs[j], labels[j]) for j in range(head)]
        if head < len(ids):
            rest = None if hashes is None else list(hashes[head:])
            updates += self._add_past_landmarks(ids[head:], archs[head:], labels[head:], rest)
        return updates

    def _many_labels(self, ids: list[str], predictions) -> np.ndarray | list[np.ndarray]:
        """`predictions` checked as `_labels` checks one model's, and all of one width."""
        if isinstance(predictions, np.ndarray) and predictions.ndim == 2:
            if not np.issubdtype(predictions.dtype, np.integer) or predictions.shape[1] == 0:
                raise EmbeddingError(
                    f"predictions must be integer labels, one row per model, got "
                    f"{predictions.dtype} of shape {predictions.shape}"
                )
            width = self.prediction_width or predictions.shape[1]
            if predictions.shape[1] != width:
                raise EmbeddingError(
                    f"model {ids[0]}: {predictions.shape[1]} predictions, but the embedded "
                    f"models have {width} (one per test example)",
                    model=ids[0],
                )
            return predictions
        out = [self._labels(m, p) for m, p in zip(ids, predictions, strict=True)]
        for m, labels in zip(ids, out, strict=True):
            if labels.size != out[0].size:
                raise EmbeddingError(
                    f"model {m}: {labels.size} predictions, but model {ids[0]} has "
                    f"{out[0].size} (one per test example)",
                    model=m,
                )
        return out

    def _add_past_landmarks(
        self,
        ids: list[str],
        archs: list[Architecture],
        labels: np.ndarray | list[np.ndarray],
        hashes: list[str] | None,
    ) -> list[EmbedUpdate]:
        """Embed models that come after every landmark: rows against the landmarks (a
        structure row per distinct architecture, cached), placed by the landmark layout
        (no refit comes past the landmarks)."""
        from distances import otmann_matrix, prediction_matrix

        k = self.landmarks
        keys = [arch_hash(a) for a in archs] if hashes is None else hashes
        missing: dict[str, int] = {}  # a distinct architecture with no row yet → a model of it
        for j, key in enumerate(keys):
            if key not in self._rows and key not in missing:
                missing[key] = j
        new_rows: dict[str, np.ndarray] = {}
        if missing:
            graphs = [self._graph(ids[j], archs[j]) for j in missing.values()]
            matrix = otmann_matrix(
                graphs, self._graphs[:k], struct_coef=self.struct_coef,
                normalize=self.normalize, vocabulary="remap",
            )  # fmt: skip
            new_rows = dict(zip(missing, matrix, strict=True))
        known = self._rows
        structure = np.array([known[key] if key in known else new_rows[key] for key in keys])
        structure = structure.reshape(len(ids), k)
        table = labels if isinstance(labels, np.ndarray) else np.stack(labels)
        behaviour = prediction_matrix(table, self._predictions[:k])
        placed = {}
        for name, rows in (("structure", structure), ("predictions", behaviour)):
            rows = np.ascontiguousarray(rows, dtype="<f8")
            points = self._layouts[name].place_many(rows)
            blob, width = rows.tobytes(), 8 * k
            placed[name] = (points[:, 0].tolist(), points[:, 1].tolist(), blob, width, points)
        # nothing above changed the embedder: now it takes them all
        self._rows.update(new_rows)
        for name in PROJECTIONS:
            layout = self._layouts[name]
            layout.ids.extend(ids)
            layout.members.update(ids)
            layout.grown.extend(placed[name][4])
        for model_id in ids:
            self._index[model_id] = len(self._index)
        (sx, sy, sb, w, _), (px, py, pb, _, _) = placed["structure"], placed["predictions"]
        return [
            EmbedUpdate(model_id, (
                ModelEmbedded(model=model_id, projection="structure", x=sx[j], y=sy[j],
                              distances=sb[j * w : (j + 1) * w]),
                ModelEmbedded(model=model_id, projection="predictions", x=px[j], y=py[j],
                              distances=pb[j * w : (j + 1) * w]),
            ), ())
            for j, model_id in enumerate(ids)
        ]  # fmt: skip

    # ---------------------------------------------------------------- snapshots

    def snapshot(self) -> EmbedderSnapshot:
        """This embedder's state (see `EmbedderSnapshot`); `restore(records, archs,
        predictions, start=snapshot)` continues it."""
        layouts = {}
        for name, layout in self._layouts.items():
            layouts[name] = LayoutSnapshot(
                points=pack_floats(layout.grown.positions.ravel()),
                landmark_distances=pack_floats(layout.grown.distances.ravel()),
                n_fit=layout.n_fit,
                fit_shown=pack_floats(layout.fit_shown.ravel()),
            )
        settings = {
            "struct_coef": self.struct_coef, "normalize": int(self.normalize),
            "first_fits": self.first_fits, "growth": self.growth, "method": self.method,
            "landmarks": self.landmarks,
        }  # fmt: skip
        return EmbedderSnapshot(settings=settings, ids=self.ids, layouts=layouts)

    @classmethod
    def _thawed(cls, snap: EmbedderSnapshot) -> Embedder:
        """An embedder holding `snap`'s models, rows and points; `restore` finishes it
        (the landmarks' graphs and predictions, the fits)."""
        settings = dict(snap.settings)
        settings["normalize"] = bool(settings.get("normalize", STRUCTURE_NORMALIZE))
        try:
            self = cls(**settings)  # type: ignore[arg-type]
            for name in PROJECTIONS:
                part = snap.layouts[name]
                layout = self._layouts[name]
                points = unpack_floats(part.points).reshape(-1, 2)
                k = min(len(snap.ids), self.landmarks)
                matrix = unpack_floats(part.landmark_distances).reshape(k, k)
                if len(points) != len(snap.ids) or not 0 <= part.n_fit <= k:
                    raise ValueError("its points, distances or fit do not fit its models")
                layout.ids = list(snap.ids)
                layout.members = set(snap.ids)
                grown = layout.grown
                size = max(8, len(points))
                grown.points = np.zeros((size, 2))
                grown.points[: len(points)] = points
                grown.matrix = np.zeros((max(k, 1), max(k, 1)))
                grown.matrix[:k, :k] = matrix
                grown.n = len(points)
                layout.n_fit = part.n_fit
                layout.fit_shown = unpack_floats(part.fit_shown).reshape(-1, 2)
                if len(layout.fit_shown) != part.n_fit:
                    raise ValueError("its fit does not list the models it was fitted on")
        except (KeyError, TypeError, ValueError, PackError) as error:
            raise EmbeddingError(f"the embedder's snapshot does not restore: {error}") from None
        return self

    # ---------------------------------------------------------------- restoring

    @classmethod
    def restore(
        cls,
        records: Iterable[ModelEmbedded | LayoutRecomputed],
        archs: Mapping[str, Architecture],
        predictions: Mapping[str, bytes | Sequence[int] | np.ndarray],
        *,
        start: EmbedderSnapshot | None = None,
        **settings: object,
    ) -> Embedder:
        """An embedder in the state that produced `records` (the "model embedded" and
        "layout recomputed" records of a session, in log order, both projections
        interleaved as they came), computing no distance: rows and positions are the
        recorded ones. `archs` and `predictions` give every embedded model's
        architecture and test-set predictions, for the models embedded later.
        `settings` are the constructor's keywords, as the session used them.
        `start`: an embedder's `snapshot` that `records` continue (the records after
        it); its settings are the snapshot's.

        Raises `EmbeddingError` naming the record that breaks the restore (see the
        class): a model embedded twice, or against other models than were embedded
        before it, or in another order in the two projections, or in one only; a
        layout of other models than were embedded; a second model embedded with no
        layout recorded; an embedded model with no architecture or predictions; or
        distances no layout can be computed from."""
        self = cls(**settings) if start is None else cls._thawed(start)  # type: ignore[arg-type]
        first: dict[str, int] = {}  # model → its first placement's position
        second: dict[Projection, int] = {}  # projection → its second placement's position
        refits: dict[Projection, tuple[int, LayoutRecomputed] | None] = dict.fromkeys(PROJECTIONS)
        for position, record in enumerate(records):
            if isinstance(record, ModelEmbedded):
                self._restore_placement(record, position)
                first.setdefault(record.model, position)
                if len(self._layouts[record.projection].ids) == 2:
                    second[record.projection] = position
            elif isinstance(record, LayoutRecomputed):
                layout = self._layout(record.projection, position)
                if record.positions.keys() != layout.members:
                    raise EmbeddingError(
                        f"record {position}: the {record.projection} layout lists "
                        f"{len(record.positions)} models, not the {len(layout.ids)} embedded "
                        "before it",
                        record=position,
                    )
                if layout.ids:  # (an empty layout moves nothing)
                    layout.grown.points[: len(layout.ids)] = [
                        record.positions[m] for m in layout.ids
                    ]
                refits[record.projection] = (position, record)
            else:
                raise EmbeddingError(
                    f"record {position} is a {type(record).__name__}, "
                    "not a ModelEmbedded or LayoutRecomputed event",
                    record=position,
                )
        structure, predicted = (self._layouts[name].ids for name in PROJECTIONS)
        if len(structure) != len(predicted):  # in order so far (checked per record)
            longer, shorter = PROJECTIONS if len(structure) > len(predicted) else PROJECTIONS[::-1]
            model = self._layouts[longer].ids[len(self._layouts[shorter].ids)]
            raise EmbeddingError(
                f"model {model} is embedded in the {longer} projection but not in the "
                f"{shorter} one",
                record=first.get(model),
                model=model,
            )
        for model_id in self.ids:
            if model_id not in archs or model_id not in predictions:
                missing = "architecture" if model_id not in archs else "predictions"
                raise EmbeddingError(
                    f"model {model_id} is embedded but its {missing} are missing",
                    record=first.get(model_id),
                    model=model_id,
                )
            self._index[model_id] = len(self._index)
            if len(self._graphs) == self.landmarks:
                continue  # only the landmarks' graphs and predictions place new models
            try:
                graph = self._graph(model_id, archs[model_id])
                labels = self._labels(model_id, predictions[model_id])
            except EmbeddingError as error:
                raise EmbeddingError(
                    str(error), record=first.get(model_id), model=model_id
                ) from None
            self._remember(model_id, graph, labels)
        for name in PROJECTIONS:
            layout = self._layouts[name]
            refit = refits[name]
            if refit is None and start is not None:  # the snapshot's fit still holds
                layout.restore_fit(layout.n_fit, layout.fit_shown)
                continue
            if refit is None:
                if len(layout.ids) > 1:
                    raise EmbeddingError(
                        f"{len(layout.ids)} models but no {name} layout recorded",
                        record=second[name],
                    )
                layout.restore_fit(len(layout.ids), layout.grown.positions)
                continue
            position, record = refit
            # a layout over more models than the landmarks (an old log's) is restored
            # from its landmarks: they place every model embedded after it
            n_fit = min(len(record.positions), self.landmarks)
            shown = np.array([record.positions[m] for m in layout.ids[:n_fit]])
            try:
                layout.restore_fit(n_fit, shown.reshape(-1, 2))
            except EmbeddingError as error:
                raise EmbeddingError(f"record {position}: {error}", record=position) from None
        return self

    def _restore_placement(self, record: ModelEmbedded, position: int) -> None:
        layout = self._layout(record.projection, position)
        if record.model in layout.members:
            raise EmbeddingError(
                f"record {position}: model {record.model} embedded twice in {record.projection}",
                record=position,
            )
        k = len(layout.ids)
        try:
            row = unpack_floats(record.distances)
        except PackError as error:
            raise EmbeddingError(f"record {position}: model {record.model}: {error}") from None
        if record.against:  # an old (version 1) row: against every model before it
            if len(record.against) != k or tuple(layout.ids) != record.against:
                raise EmbeddingError(
                    f"record {position}: model {record.model} was embedded against "
                    f"{len(record.against)} models, not the {k} embedded before it",
                    record=position,
                )
            if len(row) != len(record.against):
                raise EmbeddingError(
                    f"record {position}: model {record.model} has {len(row)} "
                    f"distances for {len(record.against)} models",
                    record=position,
                )
        elif len(row) != min(k, self.landmarks):
            want = min(k, self.landmarks)
            raise EmbeddingError(
                f"record {position}: model {record.model} has {len(row)} distances, not "
                f"{want} (one to each of the first {want} models embedded: the landmarks)",
                record=position,
            )
        (other,) = (self._layouts[name] for name in PROJECTIONS if name != record.projection)
        if k < len(other.ids) and other.ids[k] != record.model:
            # the two projections embed the same models in the same order
            raise EmbeddingError(
                f"record {position}: model {record.model} is embedded as number {k + 1} in "
                f"the {record.projection} projection, but {other.ids[k]} is number {k + 1} "
                f"in the {other.name} one",
                record=position,
            )
        layout.ids.append(record.model)
        layout.members.add(record.model)
        layout.grown.append(row, (record.x, record.y))

    # ---------------------------------------------------------------- helpers

    def _layout(self, projection: str, record: int | None = None) -> _Layout:
        try:
            return self._layouts[projection]  # type: ignore[index]
        except KeyError:
            raise EmbeddingError(
                f"unknown projection {projection!r}: use one of {', '.join(PROJECTIONS)}",
                record=record,
            ) from None

    def _graph(self, model_id: str, arch: Architecture) -> LayerGraph:
        if not isinstance(arch, Architecture):
            raise EmbeddingError(
                f"model {model_id}: architecture must be an Architecture, got {type(arch).__name__}"
            )
        return to_layer_graph(arch, "remap")

    def _labels(self, model_id: str, predictions: bytes | Sequence[int] | np.ndarray) -> np.ndarray:
        if isinstance(predictions, bytes | bytearray | memoryview):
            try:
                predictions = unpack_labels(predictions)
            except PackError as error:
                raise EmbeddingError(f"model {model_id}: its predictions: {error}") from None
        labels = np.asarray(predictions)
        if labels.ndim != 1 or labels.size == 0:
            raise EmbeddingError(
                f"model {model_id}: predictions must be a non-empty sequence of labels, "
                f"got shape {labels.shape}"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise EmbeddingError(
                f"model {model_id}: predictions must be integer labels, got {labels.dtype}"
            )
        width = self._predictions.shape[1]
        if self._n_predictions and labels.size != width:
            raise EmbeddingError(
                f"model {model_id}: {labels.size} predictions, but the embedded models "
                f"have {width} (one per test example)"
            )
        return labels

    def _remember(self, model_id: str, graph: LayerGraph | None, labels: np.ndarray) -> None:
        if model_id not in self._index:
            self._index[model_id] = len(self._index)
        if len(self._graphs) == self.landmarks:
            return  # only the landmarks' graphs and predictions place new models
        self._graphs.append(graph)
        n = self._n_predictions
        dtype = np.promote_types(self._predictions.dtype, _compact(labels))
        if n == self._predictions.shape[0] or dtype != self._predictions.dtype:
            grown = np.zeros((max(8, 2 * n), labels.size), dtype=dtype)
            if n:
                grown[:n] = self._predictions[:n]
            self._predictions = grown
        self._predictions[n] = labels
        self._n_predictions = n + 1


def _compact(labels: np.ndarray) -> np.dtype:
    """The smallest dtype that holds `labels` (class labels: small and non-negative)."""
    lo, hi = int(labels.min()), int(labels.max())
    for dtype in (np.uint8, np.uint16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _position_map(ids: Sequence[str], points: np.ndarray) -> dict[str, tuple[float, float]]:
    return {m: (float(points[k, 0]), float(points[k, 1])) for k, m in enumerate(ids)}

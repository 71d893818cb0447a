"""A finished model's embedding at 1,000 models: both rows and its placement.

Claim (issue 6): embedding one finished model — its OTMANN row against every embedded
model, its prediction-distance row, its out-of-sample place in both projections —
takes at most 100 ms when 1,000 models are embedded.

- ``test_embed_one_model``: `Embedder.add` of a model into an embedder holding 1,001
  models (the usual case: its rows against the 64 landmarks, its place out of sample,
  no refit: landmark MDS, issue 20). The embedder is restored from the records a real
  `Embedder` wrote, then embeds one model untimed (a running session has every graph's
  OTMANN features cached; a restored one computes them on its first add);
- ``test_embed_the_model_that_completes_the_landmarks``: the 64th model, whose add fits
  both layouts on the landmarks (once per session);
- ``test_baseline_recompute_everything``: the baseline, what a service without
  out-of-sample placement does per finished model: both full 1,001 × 1,001 matrices and
  a classical MDS refit of each (at 1,001 models).

Models are sampled from the default search space for digits; predictions are on a
10,000-example test set (CIFAR-10's size). Under ``--benchmark-disable`` (``make
test``) the session holds 60 models so that the file still runs in seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

import distances
from nas_core.arch import Input, Limits, to_layer_graph
from nas_core.events import LayoutRecomputed, ModelEmbedded
from nas_core.generators import load_search_space, sample
from nas_core.service import Embedder
from nas_core.service.embedding import (
    LANDMARKS,
    STRUCT_COEF,
    STRUCTURE_NORMALIZE,
)

pytest.importorskip("pytest_benchmark")

FULL = 1_000
SMALL = 70  # past the landmark set, so the usual case is what runs
TEST_EXAMPLES = 10_000
DIGITS = Input((1, 8, 8), 10)


def _predictions(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, TEST_EXAMPLES, dtype=np.uint8)
    out = np.tile(truth, (count, 1))
    for k in range(count):
        wrong = rng.random(TEST_EXAMPLES) < rng.uniform(0.02, 0.5)
        out[k, wrong] = rng.integers(0, 10, int(wrong.sum()), dtype=np.uint8)
    return out


class Session:
    """`n` embedded models (+2 to add), their full matrices, records to restore from."""

    def __init__(self, n: int) -> None:
        self.n = n
        space = load_search_space("default-v1")
        self.archs = sample(11, n + 2, input=DIGITS, space=space, limits=Limits())
        self.ids = [a.name for a in self.archs]
        self.preds = _predictions(n + 2)
        self.graphs = [to_layer_graph(a, "remap") for a in self.archs]
        self.matrices = {
            "structure": distances.otmann_matrix(
                self.graphs[:n], struct_coef=STRUCT_COEF, normalize=STRUCTURE_NORMALIZE,
                vocabulary="remap",
            ),
            "predictions": distances.prediction_matrix(self.preds[:n]),
        }  # fmt: skip

    def records(self, count: int) -> list[ModelEmbedded | LayoutRecomputed]:
        """What a session records embedding its first `count` models: a real `Embedder`
        run (rows against the landmarks, the layout fitted when the landmark set is
        complete)."""
        embedder = Embedder()
        out: list[ModelEmbedded | LayoutRecomputed] = []
        for k in range(count):
            out.extend(embedder.add(self.ids[k], self.archs[k], self.preds[k]).events())
        return out

    def restore(self, records: list, n: int | None = None) -> Embedder:
        n = self.n if n is None else n
        return Embedder.restore(
            records,
            dict(zip(self.ids[:n], self.archs[:n], strict=True)),
            dict(zip(self.ids[:n], self.preds[:n], strict=True)),
        )


@pytest.fixture(scope="module")
def session(request) -> Session:
    disabled = request.config.getoption("benchmark_disable", False)
    return Session(SMALL if disabled else FULL)


def _rounds(session: Session, many: int) -> int:
    return many if session.n == FULL else 1


def _embedder(session: Session, records: list, n: int) -> tuple[tuple[Embedder], dict]:
    """A restored embedder of `n` models that has embedded model n + 1 (which computes
    and caches every graph's OTMANN features, as a running session has them)."""
    embedder = session.restore(records, n)
    embedder.add(session.ids[n], session.archs[n], session.preds[n])
    return (embedder,), {}


def _add(session: Session, k: int):
    return lambda embedder: embedder.add(session.ids[k], session.archs[k], session.preds[k])


@pytest.fixture(scope="module")
def records(session: Session) -> list:
    return session.records(session.n)


def test_embed_one_model(benchmark, session: Session, records: list) -> None:
    update = benchmark.pedantic(
        _add(session, session.n + 1), setup=lambda: _embedder(session, records, session.n),
        rounds=_rounds(session, 15), iterations=1,
    )  # fmt: skip
    assert update.relayouts == ()
    # a row against the landmarks only, whatever the session's size (issue 20)
    assert [len(p.distances) for p in update.placements] == [8 * LANDMARKS] * 2
    benchmark.extra_info["models"] = session.n + 1


def test_embed_the_model_that_completes_the_landmarks(
    benchmark, session: Session, records: list
) -> None:
    # the LANDMARKS-th model: both layouts are fitted on the landmarks, once per session
    head = session.records(LANDMARKS - 2)
    update = benchmark.pedantic(
        _add(session, LANDMARKS - 1), setup=lambda: _embedder(session, head, LANDMARKS - 2),
        rounds=_rounds(session, 5), iterations=1,
    )  # fmt: skip
    assert len(update.relayouts) == 2
    benchmark.extra_info["models"] = LANDMARKS


def test_baseline_recompute_everything(benchmark, session: Session) -> None:
    def recompute():
        structure = distances.otmann_matrix(
            session.graphs[:-1], struct_coef=STRUCT_COEF, normalize=STRUCTURE_NORMALIZE,
            vocabulary="remap",
        )  # fmt: skip
        behaviour = distances.prediction_matrix(session.preds[:-1])
        return [distances.OutOfSampleMDS().fit(d).embedding_ for d in (structure, behaviour)]

    layouts = benchmark.pedantic(recompute, rounds=_rounds(session, 2), iterations=1)
    assert [x.shape for x in layouts] == [(session.n + 1, 2)] * 2
    benchmark.extra_info["models"] = session.n

"""A finished model's embedding at 1,000 models: both rows and its placement.

Claim (issue 6): embedding one finished model — its OTMANN row against every embedded
model, its prediction-distance row, its out-of-sample place in both projections —
takes at most 100 ms when 1,000 models are embedded.

- ``test_embed_one_model``: `Embedder.add` of a model into an embedder holding 1,001
  models, the layout fitted on the first 1,000 (the usual case: no refit). The
  embedder is restored from records, then embeds one model untimed (a running
  session has every graph's OTMANN features cached; a restored one computes them on
  its first add);
- ``test_embed_one_model_with_refit``: the same when the drift rule fires (a layout
  of 801 grows to 1,002 models: both layouts are recomputed and aligned);
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
from nas_core.service.embedding import PROJECTIONS, STRUCT_COEF, STRUCTURE_NORMALIZE

pytest.importorskip("pytest_benchmark")

FULL = 1_000
SMALL = 60
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

    def records(self, fitted: int) -> list[ModelEmbedded | LayoutRecomputed]:
        """Records of the `n` models, as if the last layout had been fitted on the first
        `fitted` and the others placed out of sample (positions: a classical MDS)."""
        out: list[ModelEmbedded | LayoutRecomputed] = []
        layouts = {
            p: distances.OutOfSampleMDS().fit(self.matrices[p]).embedding_ for p in PROJECTIONS
        }
        for k, m in enumerate(self.ids[: self.n]):
            for p in PROJECTIONS:
                x, y = layouts[p][k]
                out.append(
                    ModelEmbedded(
                        model=m,
                        projection=p,
                        x=float(x),
                        y=float(y),
                        distances=tuple(self.matrices[p][k, :k].tolist()),
                        against=tuple(self.ids[:k]),
                    )
                )
            if k + 1 == fitted:
                out.extend(
                    LayoutRecomputed(
                        projection=p,
                        positions={
                            self.ids[j]: (float(layouts[p][j, 0]), float(layouts[p][j, 1]))
                            for j in range(fitted)
                        },
                        reason="benchmark",
                    )
                    for p in PROJECTIONS
                )
        return out

    def restore(self, records: list) -> Embedder:
        n = self.n
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


def _embedder(session: Session, records: list) -> tuple[tuple[Embedder], dict]:
    """A restored embedder of `n` models that has embedded model n + 1 (which computes
    and caches every graph's OTMANN features, as a running session has them)."""
    embedder = session.restore(records)
    n = session.n
    warm = embedder.add(session.ids[n], session.archs[n], session.preds[n])
    assert warm.relayouts == ()
    return (embedder,), {}


def _add_last(session: Session):
    new = session.n + 1
    return lambda embedder: embedder.add(session.ids[new], session.archs[new], session.preds[new])


def test_embed_one_model(benchmark, session: Session) -> None:
    recs = session.records(fitted=session.n)
    update = benchmark.pedantic(
        _add_last(session), setup=lambda: _embedder(session, recs),
        rounds=_rounds(session, 15), iterations=1,
    )  # fmt: skip
    assert update.relayouts == ()
    assert [len(p.distances) for p in update.placements] == [session.n + 1] * 2
    benchmark.extra_info["models"] = session.n + 1


def test_embed_one_model_with_refit(benchmark, session: Session) -> None:
    # fitted so that model n + 1 does not trigger the rule and model n + 2 does
    fitted = int((session.n + 2) / 1.25)
    recs = session.records(fitted=fitted)
    update = benchmark.pedantic(
        _add_last(session), setup=lambda: _embedder(session, recs),
        rounds=_rounds(session, 5), iterations=1,
    )  # fmt: skip
    assert len(update.relayouts) == 2
    benchmark.extra_info["models"] = session.n + 1


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

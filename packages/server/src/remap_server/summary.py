"""Pure read-outs of a session's state for the command line: the table of models, the
Pareto front of size against accuracy, and the comparison of a re-execution."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from nas_core.events import ModelState, SessionState

__all__ = ["Match", "compare_runs", "model_table", "pareto_front", "summary_lines"]


def _acc(m: ModelState) -> float:
    assert m.result is not None
    return m.result.test_acc


def pareto_front(models: Iterable[ModelState]) -> list[ModelState]:
    """The trained models that no other trained model beats on both counts (fewer or
    as many parameters and a higher or equal test accuracy, better on one), smallest
    first."""
    done = sorted(
        (m for m in models if m.result is not None), key=lambda m: (m.params, -_acc(m), m.id)
    )
    front: list[ModelState] = []
    best = float("-inf")
    for m in done:  # by size: a model is on the front if it beats every smaller one
        if _acc(m) > best:
            front.append(m)
            best = _acc(m)
    return front


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def summary_lines(state: SessionState, wall_s: float) -> list[str]:
    """What `remap new` prints when it is done."""
    models = list(state.models.values())
    done = [m for m in models if m.result is not None]
    counts = {s: sum(1 for m in models if m.status == s) for s in ("done", "failed", "cancelled")}
    lines = [
        f"session {state.session} ({state.name}): {len(models)} models, "
        f"{counts['done']} trained, {counts['failed']} failed, {counts['cancelled']} cancelled, "
        f"in {wall_s:.1f} s"
    ]
    if not done:
        lines.append("no model finished training")
        return lines
    best = max(done, key=lambda m: (_acc(m), -m.params))
    front = pareto_front(done)
    smallest = front[0]
    lines.append(f"best accuracy: {best.id} {_pct(_acc(best))} ({best.params:,} params)")
    lines.append(
        f"smallest on the Pareto front: {smallest.id} {smallest.params:,} params "
        f"({_pct(_acc(smallest))})"
    )
    lines.append(
        "Pareto front (params → accuracy): "
        + ", ".join(f"{m.id} {m.params:,} → {_pct(_acc(m))}" for m in front)
    )
    return lines


def model_table(state: SessionState) -> list[str]:
    """One line per model: id, status, params, test accuracy, parent, description."""
    header = f"{'model':<8} {'status':<10} {'params':>10} {'test acc':>9} {'parent':<8} description"
    rows = [header]
    for m in state.models.values():
        acc = "" if m.result is None else _pct(m.result.test_acc)
        rows.append(
            f"{m.id:<8} {m.status:<10} {m.params:>10,} {acc:>9} {m.parent or '':<8} {m.description}"
        )
    return rows


class Match(msgspec.Struct, frozen=True):
    """One model of a re-execution beside the original: whether its architecture and
    its metrics (test accuracy, test predictions) are the same."""

    model: str
    architecture: bool
    metrics: bool | None  # None: the original or the re-run has no result to compare
    original_acc: float | None
    rerun_acc: float | None


def compare_runs(original: SessionState, rerun: SessionState) -> list[Match]:
    """Compare every model of `original` with the model of the same id in `rerun`."""
    out = []
    for mid, m in original.models.items():
        r = rerun.models.get(mid)
        arch = r is not None and r.arch_hash == m.arch_hash
        a = m.result
        b = None if r is None else r.result
        metrics = None
        if a is not None and b is not None:
            metrics = a.predictions == b.predictions and abs(a.test_acc - b.test_acc) <= 1e-9
        out.append(
            Match(
                mid,
                arch,
                metrics,
                None if a is None else a.test_acc,
                None if b is None else b.test_acc,
            )
        )
    return out

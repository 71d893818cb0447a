"""How far the training-time estimates are off, measured the way issue 17 did: a session
on digits (the default sample), one round of ablations of its best model and a batch of
variations of it, then, for every trained model that had an estimate when it was
queued, actual / estimate, where the estimate is the one its "training queued" event
recorded (what the queue showed) and actual is its "training started" -> "training
finished" span (what one waits). Also the queue total: the variations' batch planned
over the trainer processes (as the queue view's schedule does) against the time from
their queueing to the last one finished. Issue 17's baseline: median 0.78, range
0.39-9.0 over 213 models; "≈ 18 min" shown for a batch that took ≈ 6 min.

    .venv/bin/python tools/measure_estimates.py [--models 100] [--epochs 10]
        [--variations 30] [--processes 2] [--data-dir DIR] [--json FILE]

A measurement, not a test: it trains about 140 models (a minute or two on two cores)
and prints its figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from nas_core.events import EventStore
from nas_core.events.commands import Ablate, Vary
from nas_core.events.kinds import TrainingFinished, TrainingQueued, TrainingStarted
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def plan_total(estimates: list[float], slots: int) -> float:
    """Seconds until `estimates` have all trained on `slots` free trainers taken in
    order (the queue view's schedule.js with nothing running)."""
    free = [0.0] * max(1, slots)
    end = 0.0
    for seconds in estimates:
        k = min(range(len(free)), key=free.__getitem__)
        free[k] += seconds
        end = max(end, free[k])
    return end


def ratios(envelopes, models: set[str] | None = None) -> dict[str, tuple[float, float]]:
    """Each trained model's (estimate at queue time, actual seconds), for those queued
    with an estimate (the last queueing before its finished attempt)."""
    estimate: dict[str, float | None] = {}
    started: dict[tuple[str, int], float] = {}
    out: dict[str, tuple[float, float]] = {}
    for env in envelopes:
        e = env.event
        if isinstance(e, TrainingQueued):
            estimate[e.model] = e.estimate_s
        elif isinstance(e, TrainingStarted):
            started.setdefault((e.model, e.attempt), _at(env.at))
        elif isinstance(e, TrainingFinished):
            begun = started.get((e.model, e.attempt))
            guess = estimate.get(e.model)
            if begun is None or not guess or (models is not None and e.model not in models):
                continue
            out[e.model] = (guess, max(e.result.wall_s, _at(env.at) - begun))
    return out


def summary(pairs: dict[str, tuple[float, float]]) -> dict:
    r = sorted(actual / guess for guess, actual in pairs.values())
    if not r:
        return {"models": 0}
    return {
        "models": len(r),
        "median": round(statistics.median(r), 3),
        "min": round(r[0], 3),
        "max": round(r[-1], 3),
        "p10": round(r[len(r) // 10], 3),
        "p90": round(r[(9 * len(r)) // 10], 3),
        "within_2x": round(sum(0.5 <= x <= 2 for x in r) / len(r), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--variations", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a temp folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="remap-estimates-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        store = EventStore(data_dir / "remap.db")
        service = SessionService(store, data_root=data_dir, processes=args.processes)
        try:
            figures = _measure(service, store, args)
        finally:
            service.close()
            store.close()
    for phase, fig in figures.items():
        if phase != "pairs":
            print(f"{phase}: {json.dumps(fig)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _measure(service: SessionService, store, args) -> dict:
    settings = Settings(train=TrainConfig(epochs=args.epochs))
    session = service.create_session("estimates", DataSpec(), settings)
    service.start(session, args.models, seed=args.seed)
    began = time.monotonic()
    state = service.wait_idle(session)
    print(f"sample: {args.models} models in {time.monotonic() - began:.1f} s", file=sys.stderr)
    trained = [m for m in state.models.values() if m.result is not None]
    best = max(trained, key=lambda m: m.result.test_acc)
    phases: dict[str, set[str]] = {}

    before = set(state.models)
    layers = range(len(best.arch.layers))
    service.execute(session, Ablate(model=best.id, indices=tuple(layers)))
    state = service.wait_idle(session)
    phases["ablations"] = set(state.models) - before
    print(f"ablations of {best.id}: {len(phases['ablations'])} models", file=sys.stderr)

    before = set(state.models)
    queued_at = time.time()
    service.execute(session, Vary(model=best.id, count=args.variations, seed=args.seed))
    state = service.wait_idle(session)
    phases["variations"] = set(state.models) - before
    envelopes = store.read(session)
    every = ratios(envelopes)
    figures = {"all": summary(every)}
    figures["pairs"] = {m: [round(g, 2), round(a, 2)] for m, (g, a) in every.items()}
    for phase, models in phases.items():
        figures[phase] = summary({k: v for k, v in every.items() if k in models})
    batch = [every[m] for m in sorted(phases["variations"], key=lambda i: int(i[1:])) if m in every]
    finished = [
        _at(env.at)
        for env in envelopes
        if isinstance(env.event, TrainingFinished) and env.event.model in phases["variations"]
    ]
    if batch and finished:
        planned = plan_total([guess for guess, _ in batch], args.processes)
        took = max(finished) - queued_at
        figures["variations_total"] = {
            "planned_s": round(planned, 1),
            "took_s": round(took, 1),
            "actual_over_planned": round(took / planned, 3),
        }
    return figures


if __name__ == "__main__":
    raise SystemExit(main())

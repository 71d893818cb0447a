"""``remap oneshot``: a whole one-shot search headless, and its rank check (issue 18).

``remap oneshot --template NAME --iterations N [--data …] [--data-dir D]`` creates a
session, trains the template's supernet, samples and projects its search space, runs N
iterations of the evolutionary search, assembles the candidate and trains it alone;
the last line of output is the session's id. ``remap oneshot rank-check SESSION
--count K`` trains K of the session's subgraphs stand-alone (2 seeds each) and prints
Kendall τ-b with its 95% interval and the seed-to-seed noise ceiling. Embedded mode
only (the supernet's checkpoint is a file under the data folder).
"""

from __future__ import annotations

import argparse
import time
import uuid

from .errors import CliError

__all__ = ["add_oneshot", "cmd_oneshot"]


def add_oneshot(sub, training, data_dir, cli: dict) -> None:
    """Register ``remap oneshot`` (`training` and `data_dir` add the shared options;
    `cli` holds `remap_server.cli`'s helpers, passed in so that this module does not
    import it back)."""
    o = sub.add_parser(
        "oneshot",
        help="a one-shot supernet search, headless; or `oneshot rank-check SESSION`",
        description="Train a supernet, search its subgraphs, assemble and train the "
        "candidate; the last line of output is the session's id. "
        "`remap oneshot rank-check SESSION --count K` prints the rank check.",
    )
    o.add_argument("rest", nargs="*", metavar="rank-check SESSION", help=argparse.SUPPRESS)
    o.add_argument(
        "--template", default="lenet-digits-v1", help="bundled template (lenet-digits-v1)"
    )
    o.add_argument("--iterations", type=int, default=10, help="search iterations (10)")
    o.add_argument("--supernet-epochs", type=int, default=15, help="supernet epochs (15)")
    o.add_argument(
        "--rule", default="fitness", choices=["fitness", "argmax", "best"],
        help="how the candidate is assembled (fitness)",
    )  # fmt: skip
    o.add_argument("--count", type=int, default=30, help="rank check: subgraphs (30)")
    o.add_argument("--seeds", type=int, default=2, help="rank check: seeds per subgraph (2)")
    o.add_argument("--name", default="one-shot search", help="the session's name")
    training(o, 0)
    data_dir(o)
    o.set_defaults(run=lambda args: cmd_oneshot(args, cli))


def _report(state, err) -> None:
    one = state.oneshot
    r = one.supernets[one.supernet]
    err(
        f"supernet {r.id} ({r.arch.name}): {r.blocks} blocks, {r.subgraphs} subgraphs, "
        f"trained in {r.wall_s or 0:.1f} s, weights {r.sha256[:12]}"
    )
    q = one.searches.get(one.search or "")
    if q is not None:
        for h in q.history:
            mx, mean, mn = h.loss_stats
            err(f"iteration {h.iteration}: loss max {mx:.4f} mean {mean:.4f} min {mn:.4f}")
        err(f"{len(one.evaluations.get(r.id, {}))} subgraphs scored with shared weights")


def cmd_oneshot(args: argparse.Namespace, cli: dict) -> int:
    from nas_core.errors import NasCoreError
    from nas_core.events.commands import (
        AssembleCandidate,
        DefineSupernet,
        RankCheck,
        SampleSearchSpace,
        StartSearch,
        TrainSupernet,
    )

    _data_dir, _data_spec, _open_store = cli["data_dir"], cli["data_spec"], cli["open_store"]
    _err, _out, _service, _settings = cli["err"], cli["out"], cli["service"], cli["settings"]

    if args.rest and args.rest[0] != "rank-check":
        raise CliError(f"unknown oneshot action {args.rest[0]!r}: the one action is rank-check", 2)
    if args.rest and len(args.rest) != 2:
        raise CliError("usage: remap oneshot rank-check SESSION --count K", 2)
    if args.iterations < 0 or args.count < 3 or args.supernet_epochs < 1:
        raise CliError("--iterations must be >= 0, --count >= 3 and --supernet-epochs >= 1", 2)
    data_dir = _data_dir(args)
    store = _open_store(data_dir)
    service = _service(store, data_dir, processes=args.processes)
    try:
        runner = service.oneshot
        if args.rest:
            session = args.rest[1]
            if session not in {s.id for s in store.sessions()}:
                raise CliError(f"no session {session!r} in {store.path}", 2)
            try:
                command = RankCheck(
                    count=args.count, seeds=args.seeds, seed=args.seed, epochs=args.epochs
                )
                out = service.execute(session, command)
            except NasCoreError as exc:
                raise CliError(str(exc)) from exc
            check = next(e.event.check for e in out.envelopes if hasattr(e.event, "check"))
            _err(f"session {session}: rank check {check}, training {args.count} × {args.seeds}")
            state = runner.wait(session, lambda s: s.oneshot.rank_checks[check].status == "done")
            res = state.oneshot.rank_checks[check].result
            lo, hi = res.tau_ci
            ceiling = "n/a" if res.noise_ceiling is None else f"{res.noise_ceiling:.3f}"
            _out(
                f"kendall tau-b {res.kendall_tau:.3f} (95% CI {lo:.3f} to {hi:.3f}), "
                f"spearman {res.spearman:.3f}, noise ceiling {ceiling}, "
                f"one-shot top-1 is stand-alone rank {res.top1_rank}"
            )
            return 0
        session = uuid.uuid4().hex[:12]
        started = time.monotonic()
        try:
            service.create_session(args.name, _data_spec(args), _settings(args), session=session)
            for command in (
                DefineSupernet(template=args.template),
                TrainSupernet(epochs=args.supernet_epochs, seed=args.seed),
                SampleSearchSpace(seed=args.seed),
                StartSearch(iterations=args.iterations, seed=args.seed),
            ):
                service.execute(session, command)
        except NasCoreError as exc:
            raise CliError(str(exc)) from exc
        _err(f"session {session}: one-shot search of {args.template} in {store.path}")
        state = runner.wait(session, lambda s: _search_over(s))
        trained = state.oneshot.supernets[state.oneshot.supernet]
        if trained.status == "failed":
            raise CliError(f"the supernet's training failed: {trained.error}")
        if args.iterations > 0:
            try:
                service.execute(session, AssembleCandidate(rule=args.rule))
            except NasCoreError as exc:
                raise CliError(str(exc)) from exc
            state = service.wait_idle(session)
        _report(state, _err)
        for c in state.oneshot.candidates:
            m = state.models[c.model]
            acc = "not trained" if m.result is None else f"test accuracy {m.result.test_acc:.4f}"
            _err(f"candidate {c.model} ({c.rule}): {' '.join(c.mask)}, {acc}")
        _err(f"done in {time.monotonic() - started:.1f} s")
        _out(session)
        return 0
    except KeyboardInterrupt:
        _err("interrupted: the session is kept")
        return 130
    finally:
        service.close()
        store.close()


def _search_over(state) -> bool:
    one = state.oneshot
    r = one.supernets.get(one.supernet or "")
    if r is not None and r.status == "failed":
        return True
    q = one.searches.get(one.search or "")
    return q is not None and q.status == "done"

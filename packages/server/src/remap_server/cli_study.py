"""``remap study`` (issue 21): is the person worth it? Runs the automated searches and
the scripted users at equal training budgets (`nas_core.study`), each run an ordinary
session in ``--out DIR``'s store (``remap serve --data-dir DIR`` shows them; the
scripted users' sessions are also written to ``DIR/sessions/*.remap.jsonl``), and
writes the table (``study.md``, ``study.csv``, each run's figures in
``study-runs.csv``) and the plot (``study.svg``) into DIR. Run again with the same
options, it reuses the runs that are over."""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
from pathlib import Path

from .errors import CliError

__all__ = ["add_study", "cmd_study", "markdown_table"]


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not whole numbers separated by commas: {text!r}"
        ) from None
    return values


def _names(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(","))
    if any(not n for n in names):
        raise argparse.ArgumentTypeError(f"an empty name in {text!r} (give a,b,c)")
    return names


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def add_study(sub, cli: dict) -> None:
    """Register ``remap study`` (`cli`: `remap_server.cli`'s helpers)."""
    from nas_core.study import POLICIES, TASKS

    p = sub.add_parser(
        "study",
        help="measure automated searches against scripted users at equal budgets",
        description="Run the random chain, evolution, Hyperband, MetaQNN and the GP search "
        "and two scripted users (the REMAP paper's use case; keep varying the best) at "
        "equal training budgets in model-epochs, on every task and seed; write the table "
        "(markdown, CSV) and the plot (SVG) into --out. Each run is a session in --out's "
        "store (remap serve --data-dir DIR shows them).",
    )
    p.add_argument("--budgets", type=_ints, default=(100, 300, 1000), metavar="A,B,C",
                   help="training budgets in model-epochs (100,300,1000)")  # fmt: skip
    p.add_argument("--seeds", type=_positive, default=5, help="seeds per policy and task (5)")
    p.add_argument("--tasks", type=_names, default=TASKS, metavar="A,B",
                   help=f"tasks: {', '.join(TASKS)} (both)")  # fmt: skip
    p.add_argument("--policies", type=_names, default=POLICIES, metavar="A,B",
                   help=f"policies: {', '.join(POLICIES)} (all)")  # fmt: skip
    p.add_argument("--epochs", type=_positive, default=3,
                   help="epochs per model (Hyperband's largest rung) (3)")  # fmt: skip
    p.add_argument("--overview", type=_positive, default=10,
                   help="models a scripted user samples first (10)")  # fmt: skip
    p.add_argument("--variations", type=_positive, default=5,
                   help="variations a scripted user asks for at a time (5)")  # fmt: skip
    p.add_argument("--limit", type=_positive, default=None, metavar="N",
                   help="use at most N training examples per task (quick runs)")  # fmt: skip
    p.add_argument("--out", default="study", metavar="DIR",
                   help="where the sessions, table and plot go (./study)")  # fmt: skip
    p.add_argument("--processes", type=_positive, default=2, help="trainer processes (2)")
    p.add_argument("--parallel", type=_positive, default=3, help="sessions at once (3)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=lambda args: cmd_study(args, cli))


def _spec(args: argparse.Namespace):
    from nas_core.specs import TrainConfig
    from nas_core.study import TASKS, StudyError, StudySpec

    spec = StudySpec(
        tasks=args.tasks, policies=args.policies, budgets=tuple(sorted(args.budgets)),
        seeds=args.seeds, train=TrainConfig(epochs=args.epochs, batch_size=64),
        overview=args.overview, variations=args.variations, limit=args.limit,
    )  # fmt: skip
    try:
        spec.check(TASKS)
    except StudyError as exc:
        raise CliError(str(exc), 2) from exc
    return spec


def cmd_study(args: argparse.Namespace, cli: dict) -> int:
    from tqdm import tqdm

    from nas_core.errors import NasCoreError
    from nas_core.events import StoreError, export_session
    from nas_core.study import SCRIPTED, StudyError, aggregate, run_study

    from .figures.study import study_svg

    spec = _spec(args)
    out = Path(args.out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot create it: {exc.strerror}", 2) from exc
    store = cli["open_store"](out)
    service = cli["service"](store, out, processes=args.processes)
    runs = len(spec.tasks) * len(spec.policies) * spec.seeds
    cli["err"](
        f"study: {runs} runs ({', '.join(spec.tasks)}; {len(spec.policies)} policies; "
        f"{spec.seeds} seeds) to {spec.max_budget} model-epochs each, in {store.path}"
    )
    bar = tqdm(total=runs * spec.max_budget, unit="model-epoch", desc="study",
               disable=args.no_progress, dynamic_ncols=True, mininterval=0.5)  # fmt: skip
    spent: dict[str, int] = {}

    def tell(session: str, epochs: int) -> None:
        spent[session] = epochs
        bar.n = sum(spent.values())
        bar.set_postfix(runs=f"{sum(e >= spec.max_budget for e in spent.values())}/{runs}",
                        refresh=False)  # fmt: skip
        bar.refresh()

    try:
        try:
            done, found = run_study(spec, service, out, parallel=args.parallel, on_progress=tell)
        except (StudyError, NasCoreError) as exc:
            raise CliError(str(exc)) from exc
        finally:
            bar.close()
        sessions = out / "sessions"
        sessions.mkdir(exist_ok=True)
        for run in done:
            if run.policy in SCRIPTED:
                try:
                    export_session(store, run.session, sessions / f"{run.session}.remap.jsonl")
                except (StoreError, OSError) as exc:
                    raise CliError(f"{sessions}: cannot write {run.session}: {exc}") from exc
    except KeyboardInterrupt:
        cli["err"](f"interrupted: the runs that are over are kept in {out}")
        return 130
    finally:
        service.close()
        store.close()
    rows = aggregate(found, spec.policies)
    table = markdown_table(rows, spec)
    _write(out / "study.md", table)
    _write(out / "study.csv", rows_csv(rows))
    _write(out / "study-runs.csv", runs_csv(done, found))
    _write(out / "study.svg", study_svg(rows))
    cli["out"](table)
    cli["err"](f"wrote study.md, study.csv, study-runs.csv, study.svg into {out}")
    return 0


def _write(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        raise CliError(f"{path}: cannot write: {exc.strerror}") from exc


def _count(params: float) -> str:
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if params >= div:
            return f"{params / div:.3g}{unit}"
    return f"{params:.3g}"


def _smallest(row) -> str:
    if row.smallest_log10_mean is None:
        return f"— (0/{row.n})"
    text = f"{_count(10**row.smallest_log10_mean)} ×/÷ {10**row.smallest_log10_sd:.2g}"
    return text if row.reached == row.n else f"{text} ({row.reached}/{row.n})"


def markdown_table(rows, spec) -> str:
    """Per task: the hypervolume at each budget (mean ± sd; the best in bold), and at
    the largest budget the smallest model reaching 90 % of the best accuracy
    (geometric mean ×/÷ geometric sd; how many seeds reached it) and the best accuracy."""
    lines: list[str] = []
    top = spec.max_budget
    for task in dict.fromkeys(r.task for r in rows):
        mine = [r for r in rows if r.task == task]
        budgets = sorted({r.budget for r in mine})
        threshold = mine[0].threshold
        lines += [
            f"**{task}** — hypervolume of the (test accuracy, −log₁₀ params) front "
            f"(reference: accuracy 0, 10⁶ params), mean ± sd over {mine[0].n} seeds; "
            f"smallest model reaching 90 % of the best accuracy ({threshold:.3f})",
            "",
            "| policy | "
            + " | ".join(f"HV @ {b}" for b in budgets)
            + f" | smallest ≥ {threshold:.3f} @ {top} | best acc @ {top} | models @ {top} |",
            "|---|" + "---:|" * (len(budgets) + 3),
        ]
        best = {b: max(r.hv_mean for r in mine if r.budget == b) for b in budgets}
        for policy in dict.fromkeys(r.policy for r in mine):
            cells = []
            last = None
            for b in budgets:
                r = next((r for r in mine if r.policy == policy and r.budget == b), None)
                if r is None:
                    cells.append("")
                    continue
                text = f"{r.hv_mean:.3f} ± {r.hv_sd:.3f}"
                cells.append(f"**{text}**" if math.isclose(r.hv_mean, best[b]) else text)
                last = r
            tail = ["", "", ""] if last is None else [
                _smallest(last), f"{last.best_mean:.3f} ± {last.best_sd:.3f}",
                f"{last.models_mean:.0f}",
            ]  # fmt: skip
            lines.append(f"| {policy} | " + " | ".join(cells + tail) + " |")
        lines.append("")
    return "\n".join(lines)


def rows_csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["task", "budget", "policy", "n", "hv_mean", "hv_sd", "best_acc_mean",
                "best_acc_sd", "threshold", "reached", "smallest_log10_params_mean",
                "smallest_log10_params_sd", "models_mean"])  # fmt: skip
    for r in rows:
        w.writerow([r.task, r.budget, r.policy, r.n, f"{r.hv_mean:.6f}", f"{r.hv_sd:.6f}",
                    f"{r.best_mean:.6f}", f"{r.best_sd:.6f}", f"{r.threshold:.6f}", r.reached,
                    "" if r.smallest_log10_mean is None else f"{r.smallest_log10_mean:.6f}",
                    "" if r.smallest_log10_sd is None else f"{r.smallest_log10_sd:.6f}",
                    f"{r.models_mean:.2f}"])  # fmt: skip
    return buf.getvalue()


def runs_csv(runs, found) -> str:
    from nas_core.study import REF, hypervolume, size_of

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["task", "policy", "seed", "budget", "session", "hv", "best_acc", "models",
                "epochs_queued"])  # fmt: skip
    for (task, policy, seed, budget), f in sorted(found.items()):
        session = next(
            r.session for r in runs if (r.task, r.policy, r.seed) == (task, policy, seed)
        )
        hv = hypervolume([(a, size_of(p)) for a, p in f.models], REF)
        best = max((a for a, _ in f.models), default=0.0)
        w.writerow([task, policy, seed, budget, session, f"{hv:.6f}", f"{best:.6f}",
                    len(f.models), f.epochs])  # fmt: skip
    return buf.getvalue()

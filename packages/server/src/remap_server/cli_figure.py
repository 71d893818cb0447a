"""``remap figure``, ``remap table`` and ``remap report`` (issue 22): a session's views
as SVG/PDF/PNG figures, its models as CSV/Parquet, its story as one HTML or Markdown
page. Each reads the store directly (no server); the format comes from the suffix."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import CliError

__all__ = ["add_figure_commands", "cmd_figure", "cmd_report", "cmd_table", "split_models"]

TABLE_FORMATS = ("csv", "parquet")
REPORT_FORMATS = ("html", "md")


def split_models(values: list[str] | None) -> list[str] | None:
    """``--models m1 m2`` or ``--models m1,m2`` as a list (None: not given)."""
    if not values:
        return None
    return [m for v in values for m in v.split(",") if m]


def _suffix(output: str, allowed: tuple[str, ...], what: str) -> str:
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix not in allowed:
        names = ", ".join(f".{a}" for a in allowed)
        raise CliError(f"-o {output}: a {what} is written as {names} (from the suffix)", 2)
    return suffix


def _write(output: str, data: bytes) -> None:
    target = Path(output)
    partial = target.with_name(target.name + ".part")  # nothing half-written
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CliError(f"{output}: cannot write: {exc.strerror or 'the system refused'}") from exc


def _state(store, session: str):
    from nas_core.events import load_state

    if store.session(session) is None:
        raise CliError(f"no session {session!r} in {store.path} (remap sessions lists them)")
    return load_state(store, session)


def cmd_figure(args: argparse.Namespace, data_dir: Path, store, out, err) -> int:
    from .figures import FigureError, convert, figure_svg

    fmt = _suffix(args.output, ("svg", "pdf", "png"), "figure")
    state = _state(store, args.session)
    try:
        svg = figure_svg(state, args.view, projection=args.projection,
                         models=split_models(args.models))  # fmt: skip
        data = convert(svg, fmt, args.dpi)
    except FigureError as exc:
        raise CliError(str(exc), 2) from exc
    _write(args.output, data)
    err(f"wrote the {args.view} figure of session {args.session} to {args.output}")
    return 0


def cmd_table(args: argparse.Namespace, data_dir: Path, store, out, err) -> int:
    from nas_core.weights import WeightStore

    from .figures import FigureError
    from .figures._select import chosen
    from .models_table import table_csv, table_parquet, table_rows

    fmt = _suffix(args.output, TABLE_FORMATS, "table")
    state = _state(store, args.session)
    try:
        ids = chosen(state, split_models(args.models), fallback="none") if args.models else None
    except FigureError as exc:
        raise CliError(str(exc), 2) from exc
    rows = table_rows(state, WeightStore.in_data_dir(data_dir), ids)
    data = table_csv(rows).encode() if fmt == "csv" else table_parquet(rows)
    _write(args.output, data)
    err(f"wrote {len(rows)} models of session {args.session} to {args.output}")
    return 0


def cmd_report(args: argparse.Namespace, data_dir: Path, store, out, err) -> int:
    from .figures import FigureError
    from .report import report_html, report_markdown

    fmt = _suffix(args.output, REPORT_FORMATS, "report")
    state = _state(store, args.session)
    try:
        models = split_models(args.models)
        text = report_html(state, models) if fmt == "html" else report_markdown(state, models)
    except FigureError as exc:
        raise CliError(str(exc), 2) from exc
    _write(args.output, text.encode())
    err(f"wrote the report of session {args.session} to {args.output}")
    return 0


def add_figure_commands(sub, data_dir, with_store) -> None:
    """Register ``figure``, ``table`` and ``report`` on the ``remap`` parser."""
    from nas_core.events import PROJECTIONS

    from .figures import DPI_RANGE, VIEWS

    def models(q: argparse.ArgumentParser, what: str, default: str = "the drawer") -> None:
        q.add_argument(
            "--models", nargs="+", metavar="MODEL", default=None,
            help=f"the models to {what} (m1 m2 or m1,m2; default: {default})",
        )  # fmt: skip

    f = sub.add_parser(
        "figure",
        help="a view of a session as an SVG, PDF or PNG figure",
        description="Draw one view of a session, print-ready; the format comes from the "
        "suffix of -o (.svg, .pdf with its fonts embedded, .png at --dpi). Views: "
        + "; ".join(f"{name}: {v.words}" for name, v in VIEWS.items())
        + ".",
    )
    f.add_argument("session", metavar="SESSION")
    f.add_argument("--view", required=True, metavar="NAME", help=f"one of {', '.join(VIEWS)}")
    f.add_argument("--projection", default=None, metavar="P",
                   help=f"the overview's projection: {', '.join(PROJECTIONS)} "
                   "(default: the session's)")  # fmt: skip
    models(f, "show or ring")
    lo, hi = DPI_RANGE
    f.add_argument("--dpi", type=int, default=96, metavar="N",
                   help=f"resolution of a PNG, {lo} to {hi} (96)")  # fmt: skip
    f.add_argument("-o", "--output", required=True, metavar="FILE")
    data_dir(f)
    f.set_defaults(run=with_store(cmd_figure))

    t = sub.add_parser("table", help="a session's models as CSV or Parquet",
                       description="Every column the drawer shows, plus origin and parent; "
                       "the format comes from the suffix of -o (.csv, .parquet).")  # fmt: skip
    t.add_argument("session", metavar="SESSION")
    models(t, "write", "all")
    t.add_argument("-o", "--output", required=True, metavar="FILE")
    data_dir(t)
    t.set_defaults(run=with_store(cmd_table))

    r = sub.add_parser("report", help="a session's story as one self-contained HTML or "
                       "Markdown page")  # fmt: skip
    r.add_argument("session", metavar="SESSION")
    models(r, "follow", "the drawer, else the best")
    r.add_argument("-o", "--output", required=True, metavar="FILE")
    data_dir(r)
    r.set_defaults(run=with_store(cmd_report))

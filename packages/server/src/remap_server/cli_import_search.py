"""``remap import-search``: import a search REMAP did not run (issue 20).

``remap import-search FILE [--session S]`` reads a ``remap-search`` JSON-lines file
(`nas_core.imports`), ``--optuna STORAGE --study NAME`` an Optuna study instead, and
``--schema`` prints the format's JSON Schema. Without ``--session`` a new session is
created (on ``--data``, digits by default) and its id is the last line of output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli_data import add_data_options
from .errors import CliError

__all__ = ["add_import_search"]


def add_import_search(sub, data_dir, cli: dict) -> None:
    """Register ``remap import-search`` (`cli`: `remap_server.cli`'s helpers)."""
    p = sub.add_parser(
        "import-search",
        help="import a search REMAP did not run (a remap-search JSON-lines file or an "
        "Optuna study)",
        description="Import the models of a search REMAP did not run into a session: "
        "every line is checked first and nothing is written if one is bad. The last line "
        "of output is the session's id.",
    )
    p.add_argument("file", nargs="?", help="the remap-search JSON-lines file")
    p.add_argument("--session", default=None, help="import into this session (default: new)")
    p.add_argument("--name", default=None, help="the new session's name (the file's name)")
    p.add_argument("--data", default="digits", help="the new session's data set (digits)")
    p.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    add_data_options(p)
    p.add_argument(
        "--optuna", metavar="STORAGE", default=None,
        help="an Optuna storage: RDB URL (sqlite:///x.db) or a journal file",
    )  # fmt: skip
    p.add_argument("--study", default=None, help="the Optuna study's name (with --optuna)")
    p.add_argument("--schema", action="store_true", help="print the format's JSON Schema")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    data_dir(p)
    p.set_defaults(run=lambda args: cmd_import_search(args, cli))


def _read(args: argparse.Namespace):
    from nas_core.imports import parse_search_file
    from nas_core.imports.optuna_study import read_optuna_study

    if args.optuna is not None:
        if not args.study:
            raise CliError("--optuna needs --study NAME (the study to import)", 2)
        return read_optuna_study(args.optuna, args.study), f"optuna:{args.study}"
    if not args.file:
        raise CliError("give a search file, --optuna STORAGE --study NAME, or --schema", 2)
    if not Path(args.file).is_file():
        raise CliError(f"no such file: {args.file}", 2)
    return parse_search_file(args.file), Path(args.file).name


def cmd_import_search(args: argparse.Namespace, cli: dict) -> int:
    from nas_core.errors import NasCoreError
    from nas_core.imports import SearchFileError, search_file_schema
    from nas_core.service.import_search import import_search

    out, err = cli["out"], cli["err"]
    if args.schema:
        out(json.dumps(search_file_schema(), indent=2))
        return 0
    try:
        search, source = _read(args)
    except SearchFileError as exc:
        raise CliError(str(exc)) from exc
    data_dir = cli["data_dir"](args)
    store = cli["open_store"](data_dir)
    service = cli["service"](store, data_dir, processes=1)
    try:
        session = args.session
        try:
            if session is None:
                name = args.name or (search.header.source if search.header else "") or source
                session = service.create_session(name, cli["data_spec"](args))
            elif store.session(session) is None:
                raise CliError(f"no session {session!r} in {store.path}")
            done = import_search(
                service, session, search, source=source, on_progress=_bar(args.no_progress)
            )
        except NasCoreError as exc:
            raise CliError(str(exc)) from exc
    finally:
        service.close()
        store.close()
    err(
        f"session {session}: imported {len(done.models)} models as search {done.search} "
        f"({done.embedded} embedded), seqs {done.first_seq}..{done.last_seq}"
    )
    out(session)
    return 0


def _bar(disabled: bool):
    from tqdm import tqdm

    bar = None

    def tick(k: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="model", desc="importing", file=sys.stderr,
                       disable=disabled or total < 1000, mininterval=0.2)  # fmt: skip
        bar.n = k
        bar.refresh()
        if k == total:
            bar.close()

    return tick

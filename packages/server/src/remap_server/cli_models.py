"""``remap models``, ``remap model export``, and the weights side of ``remap export
--with-weights`` / ``remap import`` of an archive: the CLI of trained models. Each reads
the store and the data folder directly (no server)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import msgspec

from .errors import CliError
from .models_table import model_rows

__all__ = ["cmd_model_export", "cmd_models", "export_with_weights", "import_archive"]


def _state(store, session: str):
    from nas_core.events import load_state

    if store.session(session) is None:
        raise CliError(f"no session {session!r} in {store.path} (remap sessions lists them)")
    return load_state(store, session)


def cmd_models(args: argparse.Namespace, data_dir: Path, store, out, err) -> int:
    from nas_core.weights import WeightStore

    state = _state(store, args.session)
    rows = model_rows(state, WeightStore.in_data_dir(data_dir))
    if args.json:
        out(msgspec.json.encode(rows).decode())
        return 0
    if not rows:
        err(f"session {args.session} has no models yet")
        return 0
    out(f"{'model':<8} {'status':<10} {'params':>9} {'test acc':>9}  {'weights':<8} origin")
    for r in rows:
        acc = "" if r.test_acc is None else f"{r.test_acc:.4f}"
        out(f"{r.id:<8} {r.status:<10} {r.params:>9,} {acc:>9}  {r.weights:<8} {r.origin}")
    return 0


def cmd_model_export(args: argparse.Namespace, data_dir: Path, store, out, err) -> int:
    from nas_core.data import load_dataset
    from nas_core.errors import NasCoreError
    from nas_core.export import ExportError, export_model
    from nas_core.weights import WeightStore

    state = _state(store, args.session)
    target = Path(args.output)
    try:
        written = export_model(
            state, args.model, args.format, target, store=WeightStore.in_data_dir(data_dir),
            dataset=lambda: load_dataset(state.data, root=data_dir),
        )  # fmt: skip
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    except NasCoreError as exc:  # the data set for the ONNX check
        raise CliError(f"cannot check the export: {exc}") from exc
    except OSError as exc:
        raise CliError(f"{target}: cannot write: {exc.strerror or 'the system refused'}") from exc
    err(f"exported {args.model} of session {args.session} as {args.format}:")
    for path in written:
        out(str(path))
    return 0


def export_with_weights(store, session: str, output: str, data_dir: Path) -> tuple[int, int, int]:
    """Write `session` and its recorded weights as one archive; (events, weights
    bundled, weights missing)."""
    from nas_core.events import TrainingFinished, export_session
    from nas_core.weights import WeightStore, write_archive

    buffer = io.BytesIO()
    n = export_session(store, session, buffer)
    digests = [
        e.event.result.weights.digest
        for e in store.read(session)
        if isinstance(e.event, TrainingFinished) and e.event.result.weights is not None
    ]
    bundled, missing = write_archive(
        buffer.getvalue(), session, digests, WeightStore.in_data_dir(data_dir), output
    )
    return n, bundled, missing


def import_archive(store, file: str, data_dir: Path):
    """Import an archive of ``remap export --with-weights`` (`nas_core.weights.
    import_archive`: every member checked before anything is written). Returns
    (ImportResult, weights stored)."""
    from nas_core.events import SessionFileError
    from nas_core.weights import WeightsError
    from nas_core.weights import import_archive as import_checked

    try:
        return import_checked(store, file, data_root=data_dir)
    except WeightsError as exc:
        raise CliError(str(exc)) from exc
    except SessionFileError as exc:
        raise CliError(f"{file}: {exc}") from exc

"""A session with its weights as one ``.zip``: ``<session>.remap.jsonl`` and every
recorded weights file as ``weights/<digest[:2]>/<digest>.pt`` (the data folder's own
layout), written by ``remap export --with-weights`` and read by ``remap import``.

Reading proves the archive before anything is written: exactly one session file, only
weights members of that layout, each hashing to its name and recorded by a "training
finished" of the session; then the session is imported (which folds and checks it),
then the weights are stored (once each).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import IO

from .errors import WeightsError
from .store import WEIGHTS_DIR, WeightStore, digest_of

__all__ = ["is_archive", "read_archive", "write_archive"]

_MEMBER = re.compile(rf"{WEIGHTS_DIR}/([0-9a-f]{{2}})/([0-9a-f]{{64}})\.pt")
SESSION_SUFFIX = ".remap.jsonl"


def is_archive(path: str | os.PathLike) -> bool:
    """Whether `path` is a zip file (else: a plain session file)."""
    return zipfile.is_zipfile(path)


def write_archive(
    session_file: bytes, session: str, digests: list[str], store: WeightStore, out: str | Path
) -> tuple[int, int]:
    """Write the archive to `out` atomically: `session_file` (the ``.remap.jsonl``
    bytes) and the files of `digests` that `store` holds. Returns (files bundled,
    files missing from the store)."""
    out = Path(out)
    bundled = missing = 0
    fd, temp = tempfile.mkstemp(prefix=f".{out.name}-", dir=out.parent or ".")
    os.fchmod(fd, 0o644)  # a file for the user, not mkstemp's private 0600
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(f"{session}{SESSION_SUFFIX}", session_file)
            for digest in dict.fromkeys(digests):
                if not store.has(digest):
                    missing += 1
                    continue
                archive.write(store.path(digest), f"{WEIGHTS_DIR}/{digest[:2]}/{digest}.pt")
                bundled += 1
        os.replace(temp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return bundled, missing


def read_archive(
    file: str | os.PathLike | IO[bytes], *, max_bytes: int | None = None
) -> tuple[str, bytes, dict[str, bytes]]:
    """The archive's session file (its name and bytes) and its weights by digest, each
    checked; `WeightsError` naming the member at fault. `max_bytes`: the most its
    members may unpack to, together (checked before anything is unpacked)."""
    name = str(file) if isinstance(file, str | os.PathLike) else "<archive>"
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WeightsError(f"{name}: not a readable .zip archive (damaged, or not a zip)") from exc
    sessions: list[str] = []
    weights: dict[str, bytes] = {}
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if max_bytes is not None and unpacked > max_bytes:
            raise WeightsError(
                f"{name}: unpacks to {unpacked:,} bytes, more than the {max_bytes:,} allowed"
            )
        for info in archive.infolist():
            member = info.filename
            if info.is_dir():
                continue
            if member.endswith(SESSION_SUFFIX) and "/" not in member:
                sessions.append(member)
                continue
            match = _MEMBER.fullmatch(member)
            if match is None or match.group(1) != match.group(2)[:2]:
                raise WeightsError(
                    f"{name}: member {member[:120]!r} is neither the session file "
                    f"(<session>{SESSION_SUFFIX}) nor a weights file "
                    f"({WEIGHTS_DIR}/<ab>/<sha256>.pt)"
                )
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise WeightsError(
                    f"{name}: member {member} cannot be read (the archive is damaged)"
                ) from exc
            if digest_of(data) != match.group(2):
                raise WeightsError(f"{name}: member {member} is damaged (its SHA-256 differs)")
            weights[match.group(2)] = data
        if len(sessions) != 1:
            raise WeightsError(
                f"{name}: holds {len(sessions)} session files (*{SESSION_SUFFIX}); an "
                "archive holds exactly one"
            )
        session_bytes = archive.read(sessions[0])
    return sessions[0], session_bytes, weights

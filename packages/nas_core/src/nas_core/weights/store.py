"""`WeightStore`: content-addressed weights files under one folder.

A file is ``<root>/<digest[:2]>/<digest>.pt``, where the digest is the SHA-256 of its
bytes. It is written once: into a temporary file beside it, flushed, then renamed into
place (``os.replace``), so a reader never sees half a file and two writers of the same
bytes both end with the one file. Nothing here imports torch: the bytes come from
`nas_core.weights.codec` in the process that trained the model.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from .errors import WeightsError
from .ref import Weights, is_digest

__all__ = ["WEIGHTS_DIR", "WeightStore", "digest_of"]

WEIGHTS_DIR = "weights"  # the store's folder inside the data folder
SUFFIX = ".pt"


def digest_of(data: bytes) -> str:
    """The SHA-256 of `data`, in hex."""
    return hashlib.sha256(data).hexdigest()


class WeightStore:
    """The weights files under `root` (created on first write)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> WeightStore:
        """The store of a data folder: ``<data_dir>/weights``."""
        return cls(Path(data_dir) / WEIGHTS_DIR)

    def path(self, digest: str) -> Path:
        """Where the file of `digest` is (whether or not it exists)."""
        if not is_digest(digest):
            raise WeightsError(f"{digest!r} is not a weights digest (64 hex digits)")
        return self.root / digest[:2] / f"{digest}{SUFFIX}"

    def has(self, digest: str) -> bool:
        """Whether the file of `digest` is here."""
        return is_digest(digest) and self.path(digest).is_file()

    def present(self, weights: Weights | None) -> bool:
        """Whether `weights` were recorded and their file is here with its size."""
        if weights is None:
            return False
        try:
            return self.path(weights.digest).stat().st_size == weights.size
        except OSError:
            return False

    def put(self, data: bytes, digest: str | None = None) -> Weights:
        """Store `data` (once; a second put of the same bytes writes nothing) and return
        its `Weights`. `digest`: what the sender says it is; `WeightsError` if the bytes
        hash otherwise (nothing is written)."""
        if not data:
            raise WeightsError("an empty weights file: nothing to store")
        actual = digest_of(data)
        if digest is not None and digest != actual:
            raise WeightsError(
                f"the bytes received hash to {actual}, not {digest}: the upload is corrupt "
                "or incomplete (nothing was stored)"
            )
        target = self.path(actual)
        if target.is_file() and target.stat().st_size == len(data):
            return Weights(actual, len(data))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{actual[:16]}-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return Weights(actual, len(data))

    def read(self, digest: str) -> bytes:
        """The bytes of `digest`'s file, checked against the digest; `WeightsError` when
        it is missing or damaged."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise WeightsError(f"weights {digest[:12]}… are missing (no file {path})") from None
        except OSError as exc:
            raise WeightsError(f"weights file {path} cannot be read: {exc.strerror}") from exc
        if digest_of(data) != digest:
            raise WeightsError(f"weights file {path} is damaged (its SHA-256 differs)")
        return data

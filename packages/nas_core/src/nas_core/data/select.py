"""A subset of a data set's classes (``DataSpec.classes``, ``--classes cat,bird``):
which classes to keep, and a `Raw` with only their examples, relabelled ``0..k - 1`` in
the order they were asked for."""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .raw import Raw

__all__ = ["pick_classes", "select_classes"]


def _known(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:40]) + (f", … ({len(names)} in all)" if len(names) > 40 else "")
    return f"the data set's classes are {shown}"


def pick_classes(
    known: tuple[str, ...], wanted: tuple[str, ...] | None, where: str | None
) -> tuple[int, ...]:
    """The indices in `known` of the classes `wanted` names, in its order (all of them,
    in order, when `wanted` is ``None``). Raises `DataError` for an unknown or repeated
    name, or fewer than two classes."""
    if wanted is None:
        return tuple(range(len(known)))
    if len(wanted) < 2:
        raise DataError(
            f"a subset of classes needs at least 2 classes, not {len(wanted)} "
            f"({', '.join(wanted) or 'none'}); {_known(known)}",
            path=where,
        )
    seen: set[str] = set()
    for name in wanted:
        if name in seen:
            raise DataError(f"class {name!r} is asked for twice", path=where)
        seen.add(name)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise DataError(
            f"no class {', '.join(map(repr, unknown))} in this data set; {_known(known)}",
            path=where,
        )
    index = {n: i for i, n in enumerate(known)}
    return tuple(index[n] for n in wanted)


def _keep(x: np.ndarray, y: np.ndarray, relabel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    new = relabel[y]
    mask = new >= 0
    return np.ascontiguousarray(x[mask]), new[mask]


def select_classes(raw: Raw, wanted: tuple[str, ...] | None, where: str | None) -> Raw:
    """`raw` with only the classes `wanted` names (see `pick_classes`); `raw` itself
    when that is all of them in their own order."""
    picked = pick_classes(raw.class_names, wanted, where)
    if picked == tuple(range(len(raw.class_names))):
        return raw
    relabel = np.full(len(raw.class_names), -1, dtype=np.int64)
    relabel[list(picked)] = np.arange(len(picked))
    x_train, y_train = _keep(raw.x_train, raw.y_train, relabel)
    x_test, y_test = _keep(raw.x_test, raw.y_test, relabel)
    names = tuple(raw.class_names[i] for i in picked)
    for split, y in (("training", y_train), ("test", y_test)):
        counts = np.bincount(y, minlength=len(names))
        if not counts.all():
            missing = [names[c] for c in np.flatnonzero(counts == 0)]
            raise DataError(
                f"the {split} split has no example of class {', '.join(map(repr, missing))}",
                path=where,
            )
    return Raw(x_train, y_train, x_test, y_test, names)

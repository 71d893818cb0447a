"""The data options of `remap new` and `remap demo`: ``--data`` (its kind told from what
the path holds), ``--classes``, ``--image-size``, ``--per-class``, ``--limit``, and the
session's parameter cap ``--max-params``; turned into a `DataSpec` and `Settings`."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_data_options", "data_spec", "settings"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _image_size(text: str) -> tuple[int, int]:
    """``32`` (32×32) or ``HxW`` (``24x32``: 24 high, 32 wide)."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        sides = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an image size: {text!r} (give N for N×N, or HxW)"
        ) from None
    if len(sides) not in (1, 2) or not all(1 <= s <= 4096 for s in sides):
        raise argparse.ArgumentTypeError(
            f"an image size is N or HxW with sides of 1 to 4096, not {text!r}"
        )
    return (sides[0], sides[-1])


def _classes(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(","))
    if any(not n for n in names):
        raise argparse.ArgumentTypeError(f"an empty class name in {text!r} (give a,b,c)")
    return names


def add_data_options(q: argparse.ArgumentParser) -> None:
    """The data options beside ``--data`` and ``--limit``, and ``--max-params``."""
    q.add_argument(
        "--classes",
        type=_classes,
        default=None,
        metavar="A,B",
        help="train on these classes only (e.g. cat,bird), in this order",
    )
    q.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        metavar="N|HxW",
        help="resize every image of an image folder to this (default: the first image's size)",
    )
    q.add_argument(
        "--per-class",
        type=_positive,
        default=None,
        metavar="N",
        help="a seeded sample of N drawings of each Quick, Draw! class",
    )
    q.add_argument(
        "--max-params",
        type=_positive,
        default=None,
        metavar="N",
        help="the session's parameter cap: no model of more than N parameters (1,000,000)",
    )


def data_spec(args: argparse.Namespace):
    """The `DataSpec` of ``--data`` and its options; raises `DataError` when the path
    holds no data set REMAP reads."""
    from nas_core.data import detect_kind
    from nas_core.specs import DataSpec

    options = {
        "limit": args.limit,
        "classes": args.classes,
        "image_size": args.image_size,
        "per_class": args.per_class,
    }
    if args.data == "digits":
        return DataSpec(**options)
    path = Path(args.data).expanduser().resolve()
    return DataSpec(kind=detect_kind(path), path=str(path), **options)


def settings(args: argparse.Namespace):
    """The session's `Settings`: ``--epochs`` and ``--max-params``."""
    from nas_core.arch.layers import Limits
    from nas_core.specs import Settings, TrainConfig

    train = TrainConfig(epochs=args.epochs)
    if args.max_params is None:
        return Settings(train=train)
    return Settings(train=train, limits=Limits(max_params=args.max_params))

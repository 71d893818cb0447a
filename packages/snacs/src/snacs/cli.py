"""The ``snacs`` command line tool.

::

    snacs render MODEL.json -o OUT.svg [--layout fixed|variable|squished] [--height N]
    snacs sheet A.json B.json … -o OUT.svg [--title TEXT]
    snacs diff A.json B.json -o diff.svg [--no-words]
    snacs legend -o legend.svg
    snacs gallery -o DIR

``-`` reads standard input (``render``) or writes standard output (``-o -``, the
default). A bad spec exits with status 1 and the reason with the path of the
offending field on standard error, e.g.
``snacs: error: model.json: must be at most 1.0 - at `$.layers[2].rate```, and
writes no output file (files are written atomically).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._decode import decode
from ._diff import diff
from ._errors import SnacsError
from ._gallery import gallery, write_atomic
from ._infer import infer
from ._sheet import legend, sheet
from ._spec import Spec
from ._svg import DEFAULT_HEIGHT, LAYOUTS, render

__all__ = ["main"]


class _Fail(Exception):
    pass


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as e:
        raise _Fail(f"{source}: cannot read: {e.strerror or 'the system refused'}") from None


def _load(source: str) -> Spec:
    data = _read(source)
    name = "<stdin>" if source == "-" else source
    try:
        spec = decode(data)
        infer(spec)
    except SnacsError as e:
        raise _Fail(f"{name}: {e}") from None
    if not spec.name and source != "-":
        spec = Spec(
            name=Path(source).stem,
            description=spec.description,
            input=spec.input,
            layers=spec.layers,
            skips=spec.skips,
            accuracy=spec.accuracy,
        )
    return spec


def _emit(output: str, text: str) -> None:
    if output == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    try:
        write_atomic(Path(output), text + "\n")
    except OSError as e:
        raise _Fail(f"{output}: cannot write: {e.strerror or 'the system refused'}") from None


def _size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of pixels: {text!r}") from None
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="snacs",
        description="Draw Sequential Neural Architecture Chips (SNACs) as SVG.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def drawing(q: argparse.ArgumentParser, height: float) -> None:
        q.add_argument(
            "-o",
            "--output",
            default="-",
            metavar="OUT.svg",
            help="output file, '-' for standard output (default)",
        )
        q.add_argument(
            "--layout",
            choices=LAYOUTS,
            default="fixed",
            help="fixed width (default), variable width, or squished",
        )
        q.add_argument(
            "--height",
            type=_size,
            default=height,
            metavar="N",
            help=f"chip height in pixels (default {height:g})",
        )
        q.add_argument(
            "--width",
            type=_size,
            default=None,
            metavar="N",
            help="chip width in pixels (fixed layout; default 10 × height)",
        )
        q.add_argument(
            "--no-fold",
            action="store_true",
            help="draw every layer instead of folding repeats into plates",
        )

    r = sub.add_parser(
        "render",
        help="render one model as a chip",
        description="Render one model (REMAP JSON or Keras to_json) as a chip.",
    )
    r.add_argument("model", metavar="MODEL.json", help="the model, '-' for standard input")
    drawing(r, DEFAULT_HEIGHT)

    s = sub.add_parser(
        "sheet",
        help="render many models side by side for comparison",
        description="Render models as aligned rows: name, chip, params, accuracy.",
    )
    s.add_argument("models", nargs="+", metavar="MODEL.json")
    s.add_argument("--title", default=None, help="a title above the rows")
    drawing(s, 32)

    d = sub.add_parser(
        "diff",
        help="render two models with the added, removed and changed layers marked",
        description="Draw A above B; mark B's added layers (+, solid outline), A's "
        "removed layers (−, hatched) and re-parameterised ones (Δ, dashed outline), "
        "and list the changes in words beside them.",
    )
    d.add_argument("a", metavar="A.json", help="the first model ('-' for standard input)")
    d.add_argument("b", metavar="B.json", help="the second model")
    d.add_argument("--no-words", action="store_true", help="leave out the list of changes")
    drawing(d, DEFAULT_HEIGHT)
    d.set_defaults(layout="variable")

    g = sub.add_parser("legend", help="render the legend of the encoding")
    g.add_argument("-o", "--output", default="-", metavar="OUT.svg")
    g.add_argument("--height", type=_size, default=DEFAULT_HEIGHT, metavar="N")

    y = sub.add_parser(
        "gallery",
        help="render the bundled examples, sheets and legend",
        description="Render every bundled example, comparison sheets, the "
        "legend and an index.html into DIR; print its path.",
    )
    y.add_argument("-o", "--output", default="snacs-gallery", metavar="DIR")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line tool; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            spec = _load(args.model)
            svg = render(
                spec,
                layout=args.layout,
                height=args.height,
                width=args.width,
                fold=not args.no_fold,
            )
            _emit(args.output, svg)
        elif args.command == "sheet":
            specs = [_load(m) for m in args.models]
            svg = sheet(
                specs,
                layout=args.layout,
                height=args.height,
                width=args.width,
                title=args.title,
                fold=not args.no_fold,
            )
            _emit(args.output, svg)
        elif args.command == "diff":
            if args.a == "-" and args.b == "-":
                raise _Fail("only one of A and B can be standard input")
            a, b = _load(args.a), _load(args.b)
            svg = diff(
                a,
                b,
                layout=args.layout,
                height=args.height,
                width=args.width,
                words=not args.no_words,
            )
            _emit(args.output, svg)
        elif args.command == "legend":
            _emit(args.output, legend(height=args.height))
        elif args.command == "gallery":
            try:
                index = gallery(args.output)
            except OSError as e:
                raise _Fail(f"{args.output}: {e.strerror or 'the system refused'}") from None
            print(index.resolve())
    except _Fail as e:
        print(f"snacs: error: {e}", file=sys.stderr)
        return 1
    except SnacsError as e:
        print(f"snacs: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

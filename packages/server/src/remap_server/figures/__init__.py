"""Figures of REMAP's views, drawn on the server from a session's folded state
(issue 22): pure functions state → SVG string, one module per view; `convert` turns
an SVG into PDF or PNG at the edge.

Every figure marks each model it shows with ``class="model-mark"`` and
``data-model="ID"``, so a figure can be read back (and tested) per model.

To add a view: write ``figures/NAME.py`` with ``NAME_svg(state, chosen)`` and add a row
to `VIEWS` (its words, whether it takes a projection, whom it shows by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from nas_core.events import PROJECTIONS, SessionState

from ._select import FigureError, chosen
from .children import children_svg
from .confusion import confusion_svg
from .convert import DPI_RANGE, FORMATS, MEDIA_TYPES, convert
from .curves import curves_svg
from .lineage import lineage_svg
from .mast import mast_svg
from .overview import overview_svg, pareto_front
from .per_class import per_class_svg
from .sheet import sheet_svg

__all__ = [
    "DPI_RANGE",
    "FORMATS",
    "MEDIA_TYPES",
    "PROJECTIONS",
    "VIEWS",
    "FigureError",
    "ViewInfo",
    "convert",
    "figure_svg",
    "pareto_front",
]


class ViewInfo(msgspec.Struct, frozen=True):
    """A view that has a figure: what it shows, and whom by default when no models
    are given (``drawer-or-best``: the drawer, else the most accurate model;
    ``drawer``: the drawer's models; ``all``: every model)."""

    words: str
    draw: Callable[[SessionState, str, list[str]], str]
    default: str = "drawer-or-best"
    projection: bool = False


VIEWS: dict[str, ViewInfo] = {
    "overview": ViewInfo(
        "every model in a projection, the Pareto front, the chosen models and their lineage",
        lambda s, p, c: overview_svg(s, p, c), default="drawer", projection=True,
    ),
    "mast": ViewInfo("validation accuracy over wall time, best so far",
                     lambda s, p, c: mast_svg(s), default="all"),
    "curves": ViewInfo("training curves of the chosen models", lambda s, p, c: curves_svg(s, c)),
    "per-class": ViewInfo("accuracy per class of the chosen models",
                          lambda s, p, c: per_class_svg(s, c)),
    "confusion": ViewInfo("confusion matrices of the chosen models (up to four)",
                          lambda s, p, c: confusion_svg(s, c)),
    "children": ViewInfo("the children of the first chosen model",
                         lambda s, p, c: children_svg(s, c)),
    "sheet": ViewInfo("the drawer (or the chosen models) as an aligned SNAC sheet",
                      lambda s, p, c: sheet_svg(s, c), default="drawer"),
    "lineage": ViewInfo("every model as a forest, parent → child, edges labelled Δacc and "
                        "Δparams, the chosen models' paths highlighted",
                        lambda s, p, c: lineage_svg(s, c), default="drawer"),
}  # fmt: skip


def figure_svg(
    state: SessionState,
    view: str,
    *,
    projection: str | None = None,
    models: Sequence[str] | None = None,
) -> str:
    """The figure of `view` of `state` as an SVG document. `projection`: the overview's
    (default: the session's own); `models`: whom to show or ring (default: see
    `ViewInfo`). FigureError names what is wrong and what is allowed."""
    info = VIEWS.get(view)
    if info is None:
        raise FigureError(f"no view {view!r} has a figure: one of {', '.join(VIEWS)}")
    if projection is not None and not info.projection:
        raise FigureError(f"the {view} view has no projection (only overview has one)")
    if projection is not None and projection not in PROJECTIONS:
        raise FigureError(
            f"no projection {projection!r}: the overview has {', '.join(PROJECTIONS)}"
        )
    fallback = "best" if info.default == "drawer-or-best" else "none"
    picked = chosen(state, models, fallback=fallback)
    return info.draw(state, projection or state.view.projection, picked)

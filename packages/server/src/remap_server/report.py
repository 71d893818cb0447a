"""``remap report`` (issue 22): a session's story as one self-contained page — its
data, the Pareto front, the MAST view, the chosen models as a SNAC sheet, the lineage
of each chosen model with the changes of every step (`nas_core.arch.diff`), their
curves, per-class accuracy and confusion, the notes and tags (the session's, and each
model's beside it on its lineage), and the table of every model. HTML inlines its SVGs;
Markdown carries them as data URIs. Nothing is fetched from elsewhere. Pure: state in, text out."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

import msgspec

from nas_core.arch.diff import describe_changes
from nas_core.events import SessionState

from .figures import FigureError, figure_svg
from .figures._select import chosen
from .models_table import COLUMNS, TableRow, table_rows

__all__ = ["Section", "lineage", "report_html", "report_markdown", "sections"]


class Step(msgspec.Struct, frozen=True):
    """One model on a lineage: how it came to be and what changed from its parent."""

    model: str
    origin: str
    changes: tuple[str, ...]
    test_acc: float | None
    params: int
    tags: tuple[str, ...] = ()  # issue 22: the model's tags and the texts of its notes
    notes: tuple[str, ...] = ()


class Section(msgspec.Struct, frozen=True):
    """A part of the report: a heading, paragraphs, a figure (SVG), a lineage."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    svg: str | None = None
    lineages: tuple[tuple[Step, ...], ...] = ()


def lineage(state: SessionState, model: str) -> tuple[Step, ...]:
    """`model`'s ancestors, first (a sampled model) to last (it), with their steps."""
    rows = {r.id: r for r in table_rows(state, None)}
    chain, seen, at = [], set(), model
    while at is not None and at in state.models and at not in seen:
        seen.add(at)
        chain.append(at)
        at = state.models[at].parent
    steps = []
    for mid in reversed(chain):
        m = state.models[mid]
        parent = state.models.get(m.parent) if m.parent else None
        changes = tuple(describe_changes(parent.arch, m.arch)) if parent is not None else ()
        acc = None if m.result is None else m.result.test_acc
        steps.append(Step(mid, rows[mid].origin, changes, acc, m.params, m.tags, rows[mid].notes))
    return tuple(steps)


def _pct(x: float | None) -> str:
    return "not trained" if x is None else f"{x * 100:.1f} %"


def _figure(state: SessionState, view: str, **options) -> str | None:
    try:
        return figure_svg(state, view, **options)
    except FigureError:  # nothing to draw (no trained model yet): the section says so
        return None


def _notes(state: SessionState) -> list[str]:
    """The session's tags and notes, then each model's that has any (creation order)."""
    out = []
    if state.tags:
        out.append(f"Session tags: {', '.join(state.tags)}.")
    out += [f"Session: {n.text}" for n in state.notes]
    for m in state.models.values():
        tags = f" [{', '.join(m.tags)}]" if m.tags else ""
        if m.notes:
            out += [f"{m.id}{tags}: {n.text}" for n in m.notes]
        elif tags:
            out.append(f"{m.id}{tags}")
    return out


def sections(state: SessionState, models: Sequence[str] | None) -> list[Section]:
    picked = chosen(state, models, fallback="best")
    trained = [m for m in state.models.values() if m.result is not None]
    data = state.data
    words = [f"Session {state.session} ({state.name}), created {state.created_at}."]
    if data is not None:
        source = data.kind + (f" from {data.path}" if data.path else "")
        words.append(f"Data: {source}; classes {', '.join(state.class_names) or '?'}.")
    if state.split is not None:
        s = state.split
        words.append(f"Split: {s.train} training, {s.val} validation, {s.test} test examples.")
    words.append(f"{len(state.models)} models, {len(trained)} trained.")
    if trained:
        best = max(trained, key=lambda m: m.result.test_acc)
        words.append(f"Best: {best.id}, {_pct(best.result.test_acc)} with {best.params:,} "
                     "parameters.")  # fmt: skip
    out = [Section("The session", tuple(words))]
    front = _figure(state, "overview", projection="accuracy", models=picked)
    words = ("Test accuracy against parameters; the dashed line is the Pareto front, the "
             "chosen models are ringed and their parent → child edges drawn.",)  # fmt: skip
    out.append(Section("The Pareto front", words, front))
    out.append(Section("The search over time", (), _figure(state, "mast")))
    if picked:
        out.append(Section("The chosen models", (", ".join(picked),),
                           _figure(state, "sheet", models=picked)))  # fmt: skip
        words = (
            "Every model as a forest, parent → child; the chosen models' paths from "
            "their roots in blue, each edge labelled Δ test accuracy and Δ parameters.",
        )
        out.append(Section("Their lineage", words, _figure(state, "lineage", models=picked),
                           tuple(lineage(state, m) for m in picked)))  # fmt: skip
        for view, heading in (("curves", "Training curves"), ("per-class", "Accuracy per class"),
                              ("confusion", "Confusion")):  # fmt: skip
            svg = _figure(state, view, models=picked)
            if svg is not None:
                out.append(Section(heading, (), svg))
    notes = _notes(state)
    if notes:
        out.append(Section("Notes and tags", tuple(notes)))
    return out


_CSS = """
body { font-family: 'DejaVu Sans', system-ui, sans-serif; color: #1f2328; max-width: 980px;
       margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
figure { margin: 1em 0; overflow-x: auto; } svg { max-width: 100%; height: auto; }
ol.lineage li { margin: .3em 0; } .changes { color: #57606a; }
.tag { font-size: .8em; padding: 0 .4em; border: 1px solid #8c959f; border-radius: .6em; }
blockquote.note { margin: .2em 0 .2em 1em; color: #424a53; border-left: 3px solid #d0d7de;
  padding-left: .6em; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: .85em; } td, th { padding: 2px 8px;
  border-bottom: 1px solid #e6e8eb; text-align: left; } td.num { text-align: right; }
"""


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, tuple):  # tags, notes (issue 22)
        return "; ".join(" ".join(str(x).split()) for x in v)
    return str(v)


def _rows(state: SessionState) -> list[TableRow]:
    return table_rows(state, None)


def report_html(state: SessionState, models: Sequence[str] | None = None) -> str:
    """The report as one HTML page with inline SVG figures."""
    title = f"REMAP report: {state.name or state.session}"
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width'><title>{escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"]  # fmt: skip
    for s in sections(state, models):
        parts.append(f"<section><h2>{escape(s.heading)}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in s.paragraphs]
        if s.svg is not None:
            parts.append(f"<figure>{s.svg}</figure>")
        for chain in s.lineages:
            parts.append(f"<h3>{escape(chain[-1].model)}</h3><ol class='lineage'>")
            for step in chain:
                changes = "; ".join(step.changes)
                parts.append(
                    f"<li><b>{escape(step.model)}</b>: {escape(step.origin)}, "
                    f"{step.params:,} parameters, {_pct(step.test_acc)}"
                    + (f" <span class='changes'>— {escape(changes)}</span>" if changes else "")
                    + _step_notes_html(step)
                    + "</li>"
                )
            parts.append("</ol>")
        parts.append("</section>")
    parts.append("<section><h2>Every model</h2><table><thead><tr>")
    parts += [f"<th>{escape(c)}</th>" for c in COLUMNS]
    parts.append("</tr></thead><tbody>")
    for row in _rows(state):
        cells = msgspec.structs.astuple(row)
        parts.append("<tr>" + "".join(
            f"<td class='{'num' if isinstance(v, int | float) else ''}'>{escape(_cell(v))}</td>"
            for v in cells) + "</tr>")  # fmt: skip
    parts.append("</tbody></table></section></body></html>\n")
    return "".join(parts)


def _step_notes_html(step: Step) -> str:
    """A lineage step's tags and notes, beside the model (issue 22)."""
    tags = "".join(f" <span class='tag'>{escape(t)}</span>" for t in step.tags)
    notes = "".join(f"<blockquote class='note'>{escape(n)}</blockquote>" for n in step.notes)
    return tags + notes


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def report_markdown(state: SessionState, models: Sequence[str] | None = None) -> str:
    """The report as Markdown; figures as SVG data URIs (no file beside it)."""
    lines = [f"# REMAP report: {state.name or state.session}", ""]
    for s in sections(state, models):
        lines += [f"## {s.heading}", ""]
        for p in s.paragraphs:
            lines += [p, ""]
        if s.svg is not None:
            lines += [f"![{s.heading}]({_data_uri(s.svg)})", ""]
        for chain in s.lineages:
            lines += [f"### {chain[-1].model}", ""]
            for k, step in enumerate(chain, 1):
                changes = "; ".join(step.changes)
                head = f"{k}. **{step.model}**: {step.origin}, {step.params:,} parameters"
                tags = "".join(f" `{t}`" for t in step.tags)
                lines.append(
                    f"{head}, {_pct(step.test_acc)}" + (f" — {changes}" if changes else "") + tags
                )
                lines += [f"   > {' '.join(n.split())}" for n in step.notes]
            lines.append("")
    lines += ["## Every model", "", "| " + " | ".join(COLUMNS) + " |",
              "|" + "---|" * len(COLUMNS)]  # fmt: skip
    for row in _rows(state):
        cells = [_cell(v).replace("|", "\\|") for v in msgspec.structs.astuple(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

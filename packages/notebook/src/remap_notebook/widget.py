"""`View`: a REMAP web component (`<remap-overview>`, `<remap-drawer>`, …) as a Jupyter
widget (anywidget), over a running server's session or a session file read-only."""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources

import anywidget
import msgspec
import traitlets

from nas_core.events.session_file import read_session_file

__all__ = ["View", "bundle_js"]


def bundle_js() -> str:
    """The packaged REMAP UI bundle (built by `make ui`)."""
    return resources.files("remap_server").joinpath("static/ui/remap.js").read_text("utf-8")


# The widget's front end: load the bundle (from the server, or inlined for a file),
# give a file's envelopes to a static Session, then render the view's element.
_ESM = """
async function bundle(model) {
  const inline = model.get("_bundle");
  if (inline) {
    const url = URL.createObjectURL(new Blob([inline], { type: "text/javascript" }));
    return import(url);
  }
  return import(model.get("server").replace(/\\/$/, "") + "/static/ui/remap.js");
}

async function render({ model, el }) {
  const remap = await bundle(model);
  const lines = model.get("_envelopes");
  const src = model.get("src");
  if (lines.length) remap.staticSession(src, lines.map((l) => JSON.parse(l)));
  const view = document.createElement("remap-" + model.get("view"));
  view.setAttribute("src", src);
  const height = model.get("height");
  if (height) view.style.height = height + "px";
  view.style.display = "block";
  el.appendChild(view);
  return () => view.remove();
}
export default { render };
"""


class View(anywidget.AnyWidget):
    """`View(view="overview", server=URL, session=ID)` shows that view of a live
    session; `View.from_file(path, view=..., models=...)` shows a session file."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    view = traitlets.Unicode("overview").tag(sync=True)
    server = traitlets.Unicode("http://127.0.0.1:8000").tag(sync=True)
    session = traitlets.Unicode("").tag(sync=True)
    src = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(480).tag(sync=True)
    _envelopes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _bundle = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        view: str = "overview",
        server: str = "http://127.0.0.1:8000",
        session: str = "",
        **kwargs,
    ) -> None:
        if not view.replace("-", "").isalnum():
            raise ValueError(
                f"view must name a REMAP component (overview, drawer, …), not {view!r}"
            )
        src = kwargs.pop("src", None) or (f"{server.rstrip('/')}/api/sessions/{session}/events")
        super().__init__(view=view, server=server, session=session, src=src, **kwargs)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike,
        view: str = "overview",
        models: Iterable[str] | None = None,
        **kwargs,
    ) -> View:
        """A read-only view of a session file; `models`: show only these (e.g. a pandas
        column of ids): the other models' creations and their events are left out."""
        parsed = read_session_file(path)
        envelopes = list(parsed.envelopes)
        if models is not None:
            envelopes = _only(envelopes, {str(m) for m in models}, str(path))
        session = parsed.header.session
        return cls(
            view=view,
            session=session,
            src=f"http://remap-file.invalid/api/sessions/{session}/events",
            server="",
            _envelopes=[msgspec.json.encode(e).decode() for e in envelopes],
            _bundle=bundle_js(),
            **kwargs,
        )


def _only(envelopes: list, keep: set[str], name: str) -> list:
    """The envelopes that are not about a model outside `keep`."""
    known = set()
    for e in envelopes:
        mid = getattr(e.event, "model", None)
        if isinstance(mid, str):
            known.add(mid)
    missing = keep - known
    if missing:
        raise ValueError(f"{name} has no model {sorted(missing)[0]!r}")
    return [e for e in envelopes if getattr(e.event, "model", None) in (None, *keep)]

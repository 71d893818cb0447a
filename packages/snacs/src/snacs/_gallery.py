"""The example gallery: every bundled example, the sheets and the legend, as files and
one HTML page that shows them (with hover titles, since the SVGs are inlined)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from html import escape
from pathlib import Path

from ._decode import decode
from ._examples import example_files
from ._sheet import legend, sheet
from ._svg import render

__all__ = ["gallery", "write_atomic"]

RESOLUTIONS = (16, 24, 40, 64)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that it is either complete or absent (temp file + rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 Inter, "Helvetica Neue", Helvetica, Arial, sans-serif; color: #111827;
       margin: 0 auto; max-width: 1180px; padding: 28px 36px 60px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -.01em; }
h2 { font-size: 17px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid #e5e7eb; }
p.lead { color: #4b5563; margin: 0 0 12px; max-width: 820px; }
.model { display: grid; grid-template-columns: 210px 1fr; gap: 4px 22px; padding: 12px 0;
         border-bottom: 1px solid #f1f2f4; align-items: center; }
.model .name { font-weight: 600; }
.model .desc { color: #6b7280; font-size: 13px; }
.model .files { font-size: 12px; color: #6b7280; }
.model .files a { color: #2563eb; text-decoration: none; margin-right: 8px; }
.layouts { display: flex; flex-wrap: wrap; gap: 10px 26px; align-items: flex-end; }
.layouts figure { margin: 0; }
figcaption { font-size: 11px; color: #6b7280; letter-spacing: .04em; text-transform: uppercase; }
.sizes { display: flex; gap: 28px; align-items: flex-end; flex-wrap: wrap; }
.panel { overflow-x: auto; }
"""


def gallery(directory: str | os.PathLike) -> Path:
    """Render the bundled examples, two comparison sheets and the legend into
    ``directory`` (created if needed) and return the path of its ``index.html``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "examples").mkdir(exist_ok=True)
    files = example_files()
    specs = {stem: decode(data) for stem, data in files.items()}
    svgs: dict[str, str] = {}

    def put(name: str, svg: str) -> str:
        write_atomic(out / name, svg + "\n")
        svgs[name] = svg
        return name

    rows = []
    for stem, spec in specs.items():
        write_atomic(out / "examples" / f"{stem}.json", files[stem].decode("utf-8"))
        fixed = put(f"{stem}.svg", render(spec))
        variable = put(f"{stem}-variable.svg", render(spec, layout="variable"))
        squished = put(f"{stem}-squished.svg", render(spec, layout="squished", height=24))
        flat = put(f"{stem}-unfolded.svg", render(spec, layout="variable", fold=False))
        rows.append((stem, spec, fixed, variable, squished, flat))
    fig4a = specs.get("remap-fig4a")
    sizes = []
    if fig4a is not None:
        for h in RESOLUTIONS:
            sizes.append(put(f"remap-fig4a-h{h}.svg", render(fig4a, layout="variable", height=h)))
    put("sheet.svg", sheet(list(specs.values()), title="Example architectures"))
    fig7 = [s for stem, s in specs.items() if stem.startswith("remap-fig7-")]
    if fig7:
        put(
            "remap-fig7.svg",
            sheet(fig7, title="REMAP Fig. 7: ablations, a variation and handcrafted models"),
        )
    put("legend.svg", legend())

    html = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>SNAC gallery</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{_CSS}</style></head><body>",
        "<h1>Sequential Neural Architecture Chips</h1>",
        '<p class="lead">Each block is a layer, left to right. Colour and symbol give the '
        "layer type, block height the number of values leaving the layer (log scale); "
        "repeated patterns are folded into plates with their repeat count, and skip "
        "connections are drawn as arcs. Hover a block for its details.</p>",
        "<h2>Legend</h2>",
        f'<div class="panel">{svgs["legend.svg"]}</div>',
        "<h2>Comparison sheets</h2>",
        f'<div class="panel">{svgs["sheet.svg"]}</div>',
    ]
    if fig7:
        html.append(f'<div class="panel">{svgs["remap-fig7.svg"]}</div>')
    if sizes:
        html.append("<h2>One chip at four resolutions (REMAP Fig. 4a)</h2>")
        html.append('<div class="sizes">')
        for h, name in zip(RESOLUTIONS, sizes, strict=True):
            html.append(f"<figure>{svgs[name]}<figcaption>{h} px</figcaption></figure>")
        html.append("</div>")
    html.append("<h2>Examples in the three layouts</h2>")
    for stem, spec, fixed, variable, squished, flat in rows:
        links = " ".join(
            f'<a href="{escape(n)}">{escape(n)}</a>'
            for n in (f"examples/{stem}.json", fixed, variable, squished, flat)
        )
        html.append(
            '<div class="model"><div>'
            f'<div class="name">{escape(spec.name or stem)}</div>'
            f'<div class="desc">{escape(spec.description)}</div></div>'
            '<div class="layouts">'
            f"<figure>{svgs[fixed]}<figcaption>fixed</figcaption></figure>"
            f"<figure>{svgs[variable]}<figcaption>variable</figcaption></figure>"
            f"<figure>{svgs[squished]}<figcaption>squished</figcaption></figure>"
            "</div>"
            f'<div></div><div class="files">{links}</div></div>'
        )
    html.append("</body></html>")
    index = out / "index.html"
    write_atomic(index, "\n".join(html) + "\n")
    return index

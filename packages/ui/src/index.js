// Every REMAP view, each a custom element that works alone on any page:
//   <remap-overview src="http://host:8000/api/sessions/ID/events"></remap-overview>
//
// How to add a view, say <remap-notes>:
// - Where it lives: its own folder, views/notes/, with the element in views/notes/notes.js
//   and its helpers beside it (views/overview/ is the worked example: pure painters,
//   viewport math, input handlers and the template apart from a thin element class).
//   What several views share goes to core/.
// - How it gets the session: extend RemapElement (core/element.js). It reads the `src`
//   attribute and hands you `this.session`, the page's one Session for that URL
//   (core/session.js: `state`, live or at the timeline's cursor; `live`; `ui`, the page's
//   selection and hover; `post(command)`; URLs for SNACs and data images). Write
//   `template()` returning lit-html; set `static styles` (CSS text) and `static watches`
//   (which session changes re-render it: "events", "cursor", "selection", "hover",
//   "connection"). Send commands with `this.post(...)`: a refusal becomes a "remap-error"
//   event (<remap-app> shows it as a toast) and the call returns null.
// - How it registers: `customElements.define("remap-notes", RemapNotes)` at the end of
//   its module, and an export of the class below (these exports are the package's API).
// - How it is bundled: `cd packages/ui && node build.mjs` (or `make ui`) bundles this file
//   with esbuild into packages/server/src/remap_server/static/ui/remap.js, which the
//   server serves at /ui/remap.js; add the element to <remap-app> (views/app/) to show it
//   in the tool.
// - How it is tested: tests/ui/test_ui_notes.py drives it in chromium through Playwright
//   against a real `remap serve` (fixtures in tests/ui/conftest.py, which rebuild the
//   bundle when a source is newer): a page holding only the element, asserting on what
//   it shows and the commands it posts, with a screenshot to out/screenshots/.
export { RemapElement } from "./core/element.js";
export { emptyState, foldInto, foldUpTo, toJSON } from "./core/fold.js";
export { RemapError, Session, sessionFor, staticSession } from "./core/session.js";
export { SnacChip } from "./views/snac-chip/snac-chip.js";
export { SnacDiff, diffUrl } from "./views/snac-chip/snac-diff.js";
export { RemapOverview } from "./views/overview/overview.js";
export { RemapDrawer } from "./views/drawer/drawer.js";
export { RemapGenerate } from "./views/generate/generate.js";
export { RemapQueue } from "./views/queue/queue.js";
export { RemapInspector } from "./views/inspector/inspector.js";
export { RemapClasses } from "./views/classes/classes.js";
export { RemapTimeline } from "./views/timeline/timeline.js";
export { RemapSessionControls } from "./views/session-controls/session-controls.js";
export { RemapAutoSearch } from "./views/autosearch/autosearch.js";
export { RemapApp } from "./views/app/app.js";
// the one-shot search (issue 18): the Search tab's views
export { RemapLego } from "./views/lego/lego.js";
export { RemapSupergraph } from "./views/supergraph/supergraph.js";
export { RemapSearchspace } from "./views/searchspace/searchspace.js";
export { RemapBlockinfo } from "./views/blockinfo/blockinfo.js";
export { RemapSearch } from "./views/search/search.js";
export { RemapMast } from "./views/mast/mast.js"; // MAST's overview (issue 20)
export { RemapLineage } from "./views/lineage/lineage.js"; // the models' family tree (issue 22)
// issue 22: the page's filter of the overview and drawer, and the phone's dashboard
export { RemapFilterBar } from "./views/filterbar/filterbar.js";
export { RemapDashboard } from "./views/dashboard/dashboard.js";
export { formatFilter, matches, parseFilter } from "./core/filters.js";

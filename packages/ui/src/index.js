// Every REMAP view, each a custom element that works alone on any page:
//   <remap-overview src="http://host:8000/api/sessions/ID/events"></remap-overview>
export { RemapElement } from "./core/element.js";
export { emptyState, foldInto, foldUpTo, toJSON } from "./core/fold.js";
export { RemapError, Session, sessionFor } from "./core/session.js";
export { SnacChip } from "./views/snac-chip.js";
export { RemapOverview } from "./views/overview.js";
export { RemapDrawer } from "./views/drawer.js";
export { RemapGenerate } from "./views/generate.js";
export { RemapQueue } from "./views/queue.js";
export { RemapInspector } from "./views/inspector.js";
export { RemapClasses } from "./views/classes.js";
export { RemapTimeline } from "./views/timeline.js";
export { RemapApp } from "./views/app.js";

// The lineage's layout (issue 22): a session's models as a forest, parent → child,
// laid out left to right. Pure: no DOM, so tests/test_ui_lineage_layout.py runs it
// under node against a reference.
//
// Column = depth (a root at 0, its children at 1 …). Rows are compact: a node's first
// child sits on its parent's row (a straight edge), each later child opens a new row
// below the previous sibling's whole subtree (an elbow edge down a trunk). So a
// subtree's rows are contiguous and no edge crosses a node; there are as many rows as
// visible leaves. A collapsed node hides its descendants (`hidden` counts them).

/** Origin kinds of the state (`model.origin.type`) in the order a session makes them,
 * with the words and colour (Okabe–Ito) the lineage shows. */
export const ORIGIN_KINDS = {
  sampled: { label: "sample", color: "#0072B2" },
  ablation: { label: "ablation", color: "#D55E00" },
  variation: { label: "variation", color: "#E69F00" },
  handcraft: { label: "handcraft", color: "#CC79A7" },
  continued: { label: "continued", color: "#009E73" },
  replicate: { label: "replicate", color: "#56B4E9" },
  auto_search: { label: "search proposal", color: "#7a5195" },
  imported: { label: "imported", color: "#5f6b7a" },
  oneshot: { label: "one-shot candidate", color: "#1d2330" },
};

/** The words and colour of origin kind `type` (an unknown kind: its own name, grey). */
export function originKind(type) {
  return ORIGIN_KINDS[type] ?? { label: String(type ?? "unknown"), color: "#8a8f98" };
}

/**
 * Lay out `models` (an iterable of {id, parent} in creation order; a parent that is
 * unknown or made later counts as none, so any input is a forest) with the ids in
 * `collapsed` folded. Returns {nodes, index, rows, depth}: `nodes` in preorder (a parent
 * before its children, siblings in creation order), each {id, parent, depth, row, kids
 * (direct children), size (descendants), collapsed, hidden (descendants hidden here)};
 * `index` maps id → node; `rows` and `depth` are the extent (depth: deepest column).
 */
export function lineageLayout(models, collapsed = new Set()) {
  const recs = [];
  const byId = new Map();
  for (const m of models) {
    if (byId.has(m.id)) continue; // every model once
    const rec = { id: m.id, parentId: m.parent ?? null, order: recs.length, children: [], size: 0 };
    byId.set(m.id, rec);
    recs.push(rec);
  }
  const roots = [];
  for (const rec of recs) {
    const p = rec.parentId === null ? undefined : byId.get(rec.parentId);
    if (p && p.order < rec.order) p.children.push(rec);
    else {
      rec.parentId = null;
      roots.push(rec);
    }
  }
  // descendants per node: children come later in creation order, so one backward pass
  for (let i = recs.length - 1; i >= 0; i--) {
    const r = recs[i];
    if (r.parentId !== null) byId.get(r.parentId).size += r.size + 1;
  }
  const nodes = [];
  const index = new Map();
  let maxRow = -1;
  let depth = 0;
  // iterative preorder (a chain of "continued" models may be deep)
  const stack = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i], 0, null]);
  while (stack.length) {
    const [rec, d, parentRow] = stack.pop();
    const row = parentRow === null ? ++maxRow : parentRow;
    const folded = collapsed.has(rec.id) && rec.children.length > 0;
    const node = {
      id: rec.id, parent: rec.parentId, depth: d, row, kids: rec.children.length, size: rec.size,
      collapsed: folded, hidden: folded ? rec.size : 0,
    }; // prettier-ignore
    nodes.push(node);
    index.set(rec.id, node);
    if (d > depth) depth = d;
    if (folded) continue;
    // the first child shares this row; each later one opens a row when it is reached
    for (let k = rec.children.length - 1; k >= 0; k--) stack.push([rec.children[k], d + 1, k === 0 ? row : null]);
  }
  return { nodes, index, rows: maxRow + 1, depth };
}

/** The ids from the root down to `id` (empty when `id` is not laid out). Works on the
 * parent links, so it also finds a node hidden in a collapsed subtree. */
export function ancestry(parents, id) {
  const path = [];
  const seen = new Set();
  let at = id;
  while (at !== null && at !== undefined && parents.has(at) && !seen.has(at)) {
    seen.add(at);
    path.push(at);
    at = parents.get(at);
  }
  return path.reverse();
}

/** What is on screen between rows r0 and r1 (inclusive): the nodes there and the
 * edges (parent → child) whose rows touch them — an elbow edge from far above still
 * crosses the window. One pass over the nodes: cheap at thousands. */
export function windowOf(layout, r0, r1) {
  const nodes = [];
  const edges = [];
  for (const n of layout.nodes) {
    if (n.row >= r0 && n.row <= r1) nodes.push(n);
    if (n.parent === null) continue;
    const p = layout.index.get(n.parent);
    if (p && p.row <= r1 && n.row >= r0) edges.push([p, n]);
  }
  return { nodes, edges };
}

// The Lego view's edits as data: where a layer, block or component is (an address),
// where a keyboard move or a drop puts it, and the edit objects posted in
// `edit_supernet` (the one place that knows their shape). Pure functions over a
// SuperArchitecture ({layers: [{id, blocks: [{id, components: [Layer…]}]}]}).

/** What an address names: "layer", "block" or "component". */
export const levelOf = (a) => (a.component !== undefined ? "component" : a.block !== undefined ? "block" : "layer");

/** The blocks of `arch` in order, with their layer index: [[li, bi], …]. */
function blockOrder(arch) {
  const out = [];
  arch.layers.forEach((l, li) => l.blocks.forEach((_, bi) => out.push([li, bi])));
  return out;
}

/** Where a keyboard move (`key`: ArrowUp / ArrowDown / ArrowLeft / ArrowRight) takes the
 * item at `a`: an address in the list after the item is taken out, or null to stay.
 * Layers go up and down; blocks left and right in their layer, up and down to the end
 * of the layer above or below; components up and down in their block, past its ends
 * into the block before or after (left / right: straight to that block's end / start). */
export function keyMove(arch, a, key) {
  const level = levelOf(a);
  const up = key === "ArrowUp" || key === "ArrowLeft";
  const n = arch.layers.length;
  if (level === "layer") {
    if (key !== "ArrowUp" && key !== "ArrowDown") return null;
    const to = a.layer + (up ? -1 : 1);
    return to < 0 || to >= n ? null : { layer: to };
  }
  const blocks = arch.layers[a.layer].blocks;
  if (level === "block") {
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const to = a.block + (up ? -1 : 1);
      return to < 0 || to >= blocks.length ? null : { layer: a.layer, block: to };
    }
    const li = a.layer + (up ? -1 : 1);
    if (li < 0 || li >= n) return null;
    return { layer: li, block: arch.layers[li].blocks.length };
  }
  const comps = blocks[a.block].components;
  const vertical = key === "ArrowUp" || key === "ArrowDown";
  if (vertical) {
    const to = a.component + (up ? -1 : 1);
    if (to >= 0 && to < comps.length) return { ...a, component: to };
  }
  const order = blockOrder(arch);
  const at = order.findIndex(([li, bi]) => li === a.layer && bi === a.block);
  const next = order[at + (up ? -1 : 1)];
  if (!next) return null;
  const [li, bi] = next;
  const size = arch.layers[li].blocks[bi].components.length;
  return { layer: li, block: bi, component: up ? size : 0 };
}

/** A drop of the item at `from` into the gap `gap` (an address one past the end means
 * "append"): the destination in the list after the item is taken out, or null when
 * the drop leaves everything where it is. */
export function dropTarget(from, gap) {
  const level = levelOf(from);
  if (levelOf(gap) !== level) return null;
  const key = level;
  const same =
    level === "layer" ||
    (level === "block" && from.layer === gap.layer) ||
    (level === "component" && from.layer === gap.layer && from.block === gap.block);
  const to = { ...gap };
  if (same && from[key] < gap[key]) to[key] -= 1; // the gap moves up once the item is out
  if (same && to[key] === from[key]) return null;
  return to;
}

/** The item at address `a` in `arch` (a layer, block or component object), or undefined. */
export function itemAt(arch, a) {
  const layer = arch.layers[a.layer];
  if (levelOf(a) === "layer") return layer;
  const block = layer?.blocks[a.block];
  if (levelOf(a) === "block") return block;
  return block?.components[a.component];
}

// --- the edits posted in `edit_supernet` (LegoEdit: ids name layers and blocks) ----------

const layerId = (arch, li) => arch.layers[li].id;
const blockId = (arch, li, bi) => arch.layers[li].blocks[bi].id;

/** A new layer at position `at` with one block holding `component`. */
export const addLayer = (arch, at, component) => ({ op: "add_layer", at, components: [component] });

/** The id the server gives the next new block: one past the highest block number
 * (nas_core.oneshot.edits numbers them so; ids are never reused). */
export function nextBlockId(arch) {
  let top = 0;
  for (const l of arch.layers) for (const b of l.blocks) top = Math.max(top, Number(b.id.slice(1)) || 0);
  return `b${top + 1}`;
}

/** A new block holding `component` in layer `li` at position `bi`: the edits (an
 * append, then a move when it goes before the end). */
export function addBlock(arch, li, bi, component) {
  const layer = arch.layers[li];
  const edits = [{ op: "add_block", layer: layer.id, components: [component] }];
  if (bi < layer.blocks.length) edits.push({ op: "move_block", block: nextBlockId(arch), layer: layer.id, to: bi });
  return edits;
}

/** `component` into block (li, bi) at position `ci` (past the end: appended). */
export function addComponent(arch, li, bi, ci, component) {
  const n = arch.layers[li].blocks[bi].components.length;
  return { op: "add_component", block: blockId(arch, li, bi), at: ci >= n ? null : ci, component };
}

/** Remove the layer, block or component at `a`. */
export function remove(arch, a) {
  const level = levelOf(a);
  if (level === "layer") return { op: "remove_layer", layer: layerId(arch, a.layer) };
  if (level === "block") return { op: "remove_block", block: blockId(arch, a.layer, a.block) };
  return { op: "remove_component", block: blockId(arch, a.layer, a.block), index: a.component };
}

/** Move the item at `from` to `to` (positions in the list after it is taken out). */
export function move(arch, from, to) {
  const level = levelOf(from);
  if (level === "layer") return { op: "move_layer", layer: layerId(arch, from.layer), to: to.layer };
  if (level === "block") {
    return { op: "move_block", block: blockId(arch, from.layer, from.block), layer: layerId(arch, to.layer), to: to.block };
  }
  return {
    op: "move_component",
    block: blockId(arch, from.layer, from.block),
    index: from.component,
    to_block: blockId(arch, to.layer, to.block),
    to: to.component,
  };
}

/** Set `params` of the component at `a`. */
export const setParams = (arch, a, params) => ({ op: "set_params", block: blockId(arch, a.layer, a.block), index: a.component, params });

/** An edit in words (the history line). */
export function describeEdit(edit) {
  switch (edit.op) {
    case "add_layer":
      return `added layer ${edit.at + 1} (${edit.components.map((c) => c.type).join(", ")})`;
    case "add_block":
      return `added a ${edit.components.map((c) => c.type).join(", ")} block to ${edit.layer}`;
    case "add_component":
      return `added ${edit.component.type} to ${edit.block}`;
    case "remove_layer":
      return `removed ${edit.layer}`;
    case "remove_block":
      return `removed ${edit.block}`;
    case "remove_component":
      return `removed component ${edit.index + 1} of ${edit.block}`;
    case "move_layer":
      return `moved ${edit.layer} to position ${edit.to + 1}`;
    case "move_block":
      return `moved ${edit.block} to ${edit.layer}`;
    case "move_component":
      return `moved component ${edit.index + 1} of ${edit.block} to ${edit.to_block}`;
    case "set_params":
      return `set ${Object.entries(edit.params).map(([k, v]) => `${k} ${v}`).join(", ")} in ${edit.block}`;
    default:
      return edit.op;
  }
}

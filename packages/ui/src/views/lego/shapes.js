// The shape entering each layer of a supernet (the rules of nas_core.arch.shapes, as
// generate/arch-check.js applies them), so that each block's chip is drawn on the
// input it really gets. All blocks of a layer give the same output shape (the server
// refuses a supernet where they do not), so the first block that steps decides it.

/** The shape after `layer` on `shape` ([C, H, W] or [N]), or null when undefined. */
export function stepShape(shape, layer) {
  if (!shape) return null;
  const t = layer.type;
  if (t === "conv") {
    if (shape.length !== 3) return null;
    const s = layer.stride ?? 1;
    const k = layer.kernel ?? 3;
    const pad = Math.floor(k / 2);
    const out = (d) => Math.floor((d + 2 * pad - k) / s) + 1;
    return [layer.filters, out(shape[1]), out(shape[2])];
  }
  if (t === "maxpool" || t === "avgpool") {
    if (shape.length !== 3) return null;
    const p = layer.pool ?? 2;
    return [shape[0], Math.floor(shape[1] / p), Math.floor(shape[2] / p)];
  }
  if (t === "flatten") return [shape.reduce((a, b) => a * b, 1)];
  if (t === "dense") return shape.length === 1 ? [layer.units] : null;
  return shape;
}

/** The shape entering each layer of `arch` (the last entry: its output); null from the
 * first layer whose shape is undefined on. */
export function layerInputs(arch) {
  const out = [arch.input?.shape ?? null];
  for (const layer of arch.layers) {
    const shape = out[out.length - 1];
    let next = null;
    for (const block of layer.blocks) {
      next = block.components.reduce(stepShape, shape);
      if (next) break;
    }
    out.push(next);
  }
  return out;
}

/** A block as a REMAP architecture the SNAC renderer draws: its components on the
 * layer's input (the session's input where that is undefined). */
export function blockSpec(arch, block, input) {
  const shape = input && input.length ? input : (arch.input?.shape ?? [1, 8, 8]);
  return { name: block.id, input: { shape, classes: arch.input?.classes ?? 10 }, layers: block.components };
}

// An architecture's parameters, FLOPs and validity, computed here by the rules of
// nas_core.arch (shapes.py `infer`, layers.py's per-type rules, validate.py), so the
// generate view can say before a command is sent which children would be invalid and
// what a handcrafted model costs. The server still has the last word.
// tests/test_ui_arch_check.py holds this to nas_core on sampled architectures.

const IMAGE = new Set(["conv", "maxpool", "avgpool"]);
const size = (shape) => shape.reduce((a, b) => a * b, 1);

/** {params, flops, error: {index, message} | null} of `layers` on `input`
 * ({shape: [C, H, W], classes}); `limits` ({max_params, max_depth, max_flops}) optional.
 * params/flops are null when the shapes are undefined. */
export function checkArch(input, layers, limits = null) {
  let shape = [...input.shape];
  let flatBy = null;
  let params = 0;
  let flops = 0;
  const fail = (index, message, counted = false) => ({
    params: counted ? params : null,
    flops: counted ? flops : null,
    error: { index, message },
  });
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const t = l.type;
    if (IMAGE.has(t) && flatBy !== null) return fail(i, `${t} after ${flatBy}`);
    if (t === "conv") {
      const k = l.kernel ?? 3;
      const s = l.stride ?? 1;
      if (![3, 5, 7].includes(k)) return fail(i, `conv kernel must be 3, 5 or 7, not ${k}`);
      if (!(Number.isInteger(l.filters) && l.filters >= 1)) return fail(i, `conv filters must be a positive integer, not ${l.filters}`);
      if (!(Number.isInteger(s) && s >= 1)) return fail(i, `conv stride must be a positive integer, not ${s}`);
      const [c, h, w] = shape;
      const pad = Math.floor(k / 2);
      const out = [l.filters, Math.floor((h + 2 * pad - k) / s) + 1, Math.floor((w + 2 * pad - k) / s) + 1];
      params += l.filters * c * k * k + l.filters;
      flops += 2 * c * k * k * size(out);
      shape = out;
    } else if (t === "maxpool" || t === "avgpool") {
      const p = l.pool ?? 2;
      if (!(Number.isInteger(p) && p >= 1)) return fail(i, `${t} pool must be a positive integer, not ${p}`);
      const [c, h, w] = shape;
      if (p > h || p > w) return fail(i, `${t} of ${p} on a ${h}×${w} input: the spatial size would fall below 1×1`);
      const out = [c, Math.floor(h / p), Math.floor(w / p)];
      flops += p * p * size(out);
      shape = out;
    } else if (t === "dense") {
      if (!(Number.isInteger(l.units) && l.units >= 1)) return fail(i, `dense units must be a positive integer, not ${l.units}`);
      if (flatBy === null) return fail(i, `dense needs a flatten before it (its input is ${shape.join("×")})`);
      params += shape[0] * l.units + l.units;
      flops += 2 * shape[0] * l.units;
      shape = [l.units];
      flatBy = "dense";
    } else if (t === "flatten") {
      if (flatBy !== null) return fail(i, `flatten after ${flatBy}: the input is already flat`);
      shape = [size(shape)];
      flatBy = "flatten";
    } else if (t === "batchnorm") {
      params += 2 * shape[0];
      flops += 2 * size(shape);
    } else if (t === "dropout") {
      if (!(l.rate > 0 && l.rate < 1)) return fail(i, `dropout rate must be in (0, 1), not ${l.rate}`);
    } else if (t === "relu" || t === "tanh" || t === "sigmoid") {
      flops += size(shape);
    } else {
      return fail(i, `not a layer: ${t}`);
    }
  }
  const classes = input.classes;
  const last = layers.length - 1;
  if (last < 0) return fail(null, `no layers: the last layer must be the classifier, a dense with ${classes} units`, true);
  const tail = layers[last];
  if (tail.type !== "dense") return fail(last, `the last layer must be the classifier (a dense with ${classes} units), not ${tail.type}`, true);
  if (tail.units !== classes) return fail(last, `the classifier has ${tail.units} units but the input has ${classes} classes`, true);
  if (limits) {
    const n = (x) => x.toLocaleString("en-US");
    if (layers.length > limits.max_depth) return fail(null, `${layers.length} layers exceed the depth cap of ${limits.max_depth}`, true);
    if (params > limits.max_params) return fail(null, `${n(params)} parameters exceed the cap of ${n(limits.max_params)}`, true);
    if (flops > limits.max_flops) return fail(null, `${n(flops)} FLOPs per example exceed the cap of ${n(limits.max_flops)}`, true);
  }
  return { params, flops, error: null };
}

/** For each layer index of `layers`: null when removing it leaves a valid model, else
 * why not (the ablations the server would skip). */
export function ablationProblems(input, layers, limits = null) {
  return layers.map((_, i) => {
    const rest = layers.filter((__, j) => j !== i);
    return checkArch(input, rest, limits).error?.message ?? null;
  });
}

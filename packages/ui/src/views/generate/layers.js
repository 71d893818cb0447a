// Layers as the generate view draws and edits them: the SNAC palette (the same
// Okabe–Ito colours, initials and activation glyphs as packages/snacs' _style.py), the
// parameters each layer type has with the values offered for them, and the handcraft
// edits applied client-side (the same rules as nas_core.generators.handcraft, so the
// preview shows what the server will build; the server still has the last word).

const OKABE = {
  blue: "#0072B2",
  sky: "#56B4E9",
  vermillion: "#D55E00",
  yellow: "#F0E442",
  purple: "#CC79A7",
  green: "#009E73",
  orange: "#E69F00",
  grey: "#A3A3A3",
};

// type -> [label, initial, colour], as snacs' STYLES
const STYLE = {
  conv: ["convolution", "C", "blue"],
  maxpool: ["max pooling", "M", "sky"],
  avgpool: ["average pooling", "A", "sky"],
  dense: ["dense", "D", "vermillion"],
  dropout: ["dropout", "D", "yellow"],
  batchnorm: ["batch norm", "B", "purple"],
  relu: ["ReLU", "R", "green"],
  tanh: ["tanh", "T", "green"],
  sigmoid: ["sigmoid", "S", "green"],
  flatten: ["flatten", "F", "orange"],
};

// Activation glyphs in a unit box (y down): [faint axis, curve] — snacs' GLYPHS.
export const GLYPHS = {
  relu: ["", "M0 .78H.5L1 .12"],
  tanh: ["M0 .5H1M.5 .12V.88", "M0 .88H.3C.45 .88 .55 .12 .7 .12H1"],
  sigmoid: ["M0 .92H1", "M0 .84C.35 .84 .65 .16 1 .16"],
};

export const LAYER_TYPES = Object.keys(STYLE);
export const ACTIVATIONS = ["relu", "tanh", "sigmoid"];

function darker(hex, f = 0.72) {
  const c = [1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** White or near-black, whichever contrasts more with the fill (as snacs' _ink). */
function ink(hex) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const [r, g, b] = [1, 3, 5].map((i) => lin(parseInt(hex.slice(i, i + 2), 16)));
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return 1.05 / (lum + 0.05) >= 3.2 ? "#ffffff" : "#1a1a1a";
}

const styles = new Map();

/** {label, initial, fill, ink, stroke} of a layer type (unknown types: grey, initial). */
export function styleOf(type) {
  let s = styles.get(type);
  if (!s) {
    const [label, initial, colour] = STYLE[type] ?? [type, (type.match(/[A-Za-z0-9]/)?.[0] ?? "?").toUpperCase(), "grey"];
    const fill = OKABE[colour];
    s = { label, initial, fill, ink: ink(fill), stroke: darker(fill) };
    styles.set(type, s);
  }
  return s;
}

// The values offered per parameter: the default search space's grids (default-v1),
// plus the layer's current value when it is off the grid.
const GRIDS = {
  filters: [8, 16, 32, 64, 128],
  kernel: [3, 5, 7],
  stride: [1, 2],
  pool: [2, 3, 5],
  units: [16, 32, 64, 128, 256],
  rate: [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875],
  activation: ACTIVATIONS,
};

// type -> its parameters with their defaults (a new layer starts with these)
const PARAMS = {
  conv: { filters: 32, kernel: 3, stride: 1 },
  maxpool: { pool: 2 },
  avgpool: { pool: 2 },
  dense: { units: 64 },
  dropout: { rate: 0.25 },
  batchnorm: {},
  flatten: {},
  relu: { activation: "relu" },
  tanh: { activation: "tanh" },
  sigmoid: { activation: "sigmoid" },
};

/** The parameters of a layer as handcraft's reparam sees them ({"activation": tag} for
 * an activation). */
export function paramsOf(layer) {
  if (ACTIVATIONS.includes(layer.type)) return { activation: layer.type };
  const out = {};
  for (const [key, value] of Object.entries(PARAMS[layer.type] ?? {})) out[key] = layer[key] ?? value;
  return out;
}

/** The values offered for `key`, `current` among them. */
export function choicesFor(key, current, classes) {
  const grid = [...(GRIDS[key] ?? [])];
  if (key === "units" && classes && !grid.includes(classes)) grid.push(classes);
  if (current !== undefined && !grid.includes(current)) grid.push(current);
  return typeof grid[0] === "number" ? grid.sort((a, b) => a - b) : grid;
}

/** A new layer of `type` from form values (the defaults for what `values` lacks). */
export function makeLayer(type, values = {}) {
  if (ACTIVATIONS.includes(type)) return { type: values.activation ?? type };
  const layer = { type };
  for (const [key, value] of Object.entries(PARAMS[type] ?? {})) layer[key] = values[key] ?? value;
  return layer;
}

/** A short text of a layer's parameters: "32·5×5", "p2", "256", "0.25". */
export function shortParams(layer) {
  switch (layer.type) {
    case "conv":
      return `${layer.filters}·${layer.kernel ?? 3}²${(layer.stride ?? 1) > 1 ? `/${layer.stride}` : ""}`;
    case "maxpool":
    case "avgpool":
      return `${layer.pool ?? 2}×${layer.pool ?? 2}`;
    case "dense":
      return String(layer.units);
    case "dropout":
      return String(layer.rate);
    default:
      return "";
  }
}

/** "conv 32 filters, 5×5" — a layer in words (titles, aria-labels). */
export function describeLayer(layer) {
  const label = styleOf(layer.type).label;
  switch (layer.type) {
    case "conv":
      return `${label}, ${layer.filters} filters, ${layer.kernel ?? 3}×${layer.kernel ?? 3}${(layer.stride ?? 1) > 1 ? `, stride ${layer.stride}` : ""}`;
    case "maxpool":
    case "avgpool":
      return `${label} ${layer.pool ?? 2}×${layer.pool ?? 2}`;
    case "dense":
      return `${label}, ${layer.units} units`;
    case "dropout":
      return `${label}, rate ${layer.rate}`;
    default:
      return label;
  }
}

/** A handcraft edit in words, with its index as the edits before it left the model. */
export function describeEdit(edit) {
  if (edit.op === "insert") return `Insert ${describeLayer(edit.layer)} at ${edit.index}`;
  if (edit.op === "remove") return `Remove layer ${edit.index}`;
  const parts = Object.entries(edit.params).map(([k, v]) => `${k} → ${v}`);
  return `Layer ${edit.index}: ${parts.join(", ")}`;
}

/** The layers after `edits` (in order, each index into the layers the edits before it
 * left). Returns {layers, marks, error: {index, message} | null}: `marks[i]` says
 * whether layer i is "new", "changed" or "" (the parent's); the first edit that cannot
 * apply stops the fold and is named. */
export function applyEdits(layers, edits) {
  const out = layers.map((l) => ({ ...l }));
  const marks = out.map(() => "");
  const stop = (j, message) => ({ layers: out, marks, error: { index: j, message } });
  for (let j = 0; j < edits.length; j++) {
    const e = edits[j];
    const n = out.length;
    if (e.op === "insert") {
      if (e.index < 0 || e.index > n) return stop(j, `cannot insert at ${e.index}: there are ${n} layers`);
      out.splice(e.index, 0, { ...e.layer });
      marks.splice(e.index, 0, "new");
      continue;
    }
    if (e.index < 0 || e.index >= n) return stop(j, `no layer at ${e.index}: there are ${n} layers`);
    if (e.op === "remove") {
      out.splice(e.index, 1);
      marks.splice(e.index, 1);
    } else {
      marks[e.index] ||= "changed";
      let layer = out[e.index];
      for (const [key, value] of Object.entries(e.params)) {
        layer = key === "activation" ? { type: value } : { ...layer, [key]: value };
      }
      out[e.index] = layer;
    }
  }
  return { layers: out, marks, error: null };
}

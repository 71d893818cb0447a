// The region of the structure projection an automated search is to stay in, from the
// models a person picked (brushed in the overview, then added to the drawer). Pure.

/** The region round `ids`' places in the structure projection (`positions`: a Map id ->
 * [x, y]): their bounding box, padded by a tenth of its size (a few hundredths of the
 * layout's span round a single point), as a polygon [[x, y], ...]; null with no place. */
export function regionAround(ids, positions) {
  const pts = ids.map((id) => positions.get(id)).filter(Boolean);
  if (!pts.length) return null;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const all = [...positions.values()];
  const span = Math.max(1e-9, ...all.map((p) => Math.abs(p[0])), ...all.map((p) => Math.abs(p[1])));
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const px = Math.max((x1 - x0) / 10, span / 25);
  const py = Math.max((y1 - y0) / 10, span / 25);
  return [[x0 - px, y0 - py], [x1 + px, y0 - py], [x1 + px, y1 + py], [x0 - px, y1 + py]];
}

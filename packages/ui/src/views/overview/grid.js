// A uniform grid over the unit square for nearest-point queries: hover and click
// stay O(points near the cursor) at 10,000 models instead of a scan of all of them.

export class SpatialGrid {
  /** `u`, `v`: Float32Arrays of positions in [0, 1] (outside is clamped to the edge
   * cells); `live(i)` says whether point i takes part. */
  constructor(u, v, live, size = 64) {
    this.size = size;
    this.u = u;
    this.v = v;
    const n = u.length;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(size * size + 1);
    for (let i = 0; i < n; i++) {
      if (!live(i)) {
        cellOf[i] = -1;
        continue;
      }
      const c = this.cell(u[i], v[i]);
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < size * size; c++) counts[c + 1] += counts[c];
    this.start = counts; // start[c]..start[c+1]: the points of cell c in `items`
    this.items = new Int32Array(counts[size * size]);
    const fill = counts.slice();
    for (let i = 0; i < n; i++) if (cellOf[i] >= 0) this.items[fill[cellOf[i]]++] = i;
  }

  clampIndex(t) {
    return Math.min(this.size - 1, Math.max(0, Math.floor(t * this.size)));
  }

  cell(u, v) {
    return this.clampIndex(v) * this.size + this.clampIndex(u);
  }

  /** The point nearest (u, v) within `ru`, `rv` (radii in unit coordinates, an
   * ellipse: the plot is not square); -1 if none. `extra(i)` adds a point's own
   * radius (in the same normalised distance) so big circles are easy to hit. */
  nearest(u, v, ru, rv, extra = () => 0) {
    const x0 = this.clampIndex(u - ru);
    const x1 = this.clampIndex(u + ru);
    const y0 = this.clampIndex(v - rv);
    const y1 = this.clampIndex(v + rv);
    let best = -1;
    let bestD = Infinity;
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        const c = cy * this.size + cx;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) {
          const i = this.items[k];
          const du = (this.u[i] - u) / ru;
          const dv = (this.v[i] - v) / rv;
          const d = Math.sqrt(du * du + dv * dv) - extra(i);
          if (d <= 1 && d < bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  /** Every live point inside the unit rectangle [u0, u1] × [v0, v1]. */
  within(u0, u1, v0, v1) {
    const out = [];
    for (let cy = this.clampIndex(v0); cy <= this.clampIndex(v1); cy++) {
      for (let cx = this.clampIndex(u0); cx <= this.clampIndex(u1); cx++) {
        const c = cy * this.size + cx;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) {
          const i = this.items[k];
          if (this.u[i] >= u0 && this.u[i] <= u1 && this.v[i] >= v0 && this.v[i] <= v1) out.push(i);
        }
      }
    }
    return out;
  }
}

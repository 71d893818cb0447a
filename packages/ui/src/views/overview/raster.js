// Circles rasterised in JS into one RGBA buffer, then drawn with a single drawImage.
// At 10,000 models a canvas path of 10,000 arcs costs ≈30 ms a frame to rasterise in
// software (no GPU); writing the few pixels of each small circle ourselves costs a few
// ms, so hover and the projection switch stay inside a frame.

export class PointRaster {
  constructor() {
    this.w = 0;
    this.h = 0;
    this.image = null;
    this.data = null;
    this.words = null;
    this.layer = null;
    this.layerCtx = null;
  }

  /** Make the buffer `w` × `h` device pixels (kept while the size does not change) and clear it. */
  begin(w, h) {
    w = Math.max(1, Math.round(w));
    h = Math.max(1, Math.round(h));
    if (w !== this.w || h !== this.h || !this.image) {
      this.w = w;
      this.h = h;
      this.image = new ImageData(w, h);
      this.data = this.image.data;
      this.words = new Uint32Array(this.data.buffer); // RGBA little-endian: 0xAABBGGRR
      this.layer = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(w, h) : document.createElement("canvas");
      this.layer.width = w;
      this.layer.height = h;
      this.layerCtx = this.layer.getContext("2d");
    } else {
      this.data.fill(0);
    }
  }

  /** A solid square dot `side` device px wide centred at (cx, cy), opaque: what a big
   * session's points are while they move (no coverage, no blending: a few stores). */
  dot(cx, cy, side, rgb) {
    const { w, h, words } = this;
    const x0 = Math.max(0, Math.round(cx - side / 2));
    const y0 = Math.max(0, Math.round(cy - side / 2));
    const x1 = Math.min(w, x0 + side);
    const y1 = Math.min(h, y0 + side);
    const packed = (0xff000000 | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
    for (let py = y0; py < y1; py++) words.fill(packed, py * w + x0, py * w + x1);
  }

  /** An antialiased disc at (cx, cy) of radius r (device px) in colour `rgb`, with a
   * light rim `rim` px wide (0: none), at opacity `alpha`; drawn over what is there.
   * Pixels fully inside are written whole (one 32-bit store); only the outer edge blends. */
  disc(cx, cy, r, rgb, alpha, rim) {
    const { w, h, data, words } = this;
    const x0 = Math.max(0, Math.floor(cx - r - 1));
    const x1 = Math.min(w - 1, Math.ceil(cx + r + 1));
    const y0 = Math.max(0, Math.floor(cy - r - 1));
    const y1 = Math.min(h - 1, Math.ceil(cy + r + 1));
    if (x0 > x1 || y0 > y1) return;
    const cr = rgb[0];
    const cg = rgb[1];
    const cb = rgb[2];
    const inner = r - rim;
    const outer2 = (r + 0.5) * (r + 0.5);
    const whole = r - 0.5; // within it the coverage is 1
    const whole2 = whole > 0 ? whole * whole : -1;
    const solid = inner - 0.5 > 0 ? (inner - 0.5) * (inner - 0.5) : -1; // no rim either
    const packed = alpha >= 1 ? (0xff000000 | (cb << 16) | (cg << 8) | cr) >>> 0 : 0;
    for (let py = y0; py <= y1; py++) {
      const dy = py + 0.5 - cy;
      const dy2 = dy * dy;
      let p = py * w + x0;
      for (let px = x0; px <= x1; px++, p++) {
        const dx = px + 0.5 - cx;
        const d2 = dx * dx + dy2;
        if (d2 >= outer2) continue;
        if (packed && d2 <= solid) {
          words[p] = packed;
          continue;
        }
        const d = Math.sqrt(d2);
        // towards white on the rim: overlapping circles stay apart
        let m = rim > 0 ? d - inner + 0.5 : 0;
        m = m <= 0 ? 0 : m >= 1 ? 0.85 : m * 0.85;
        const r1 = cr + (255 - cr) * m;
        const g1 = cg + (255 - cg) * m;
        const b1 = cb + (255 - cb) * m;
        if (packed && d2 <= whole2) {
          words[p] = (0xff000000 | (b1 << 16) | (g1 << 8) | r1) >>> 0;
          continue;
        }
        let a = r + 0.5 - d;
        if (a > 1) a = 1;
        a *= alpha;
        const k = p * 4;
        const da = data[k + 3] / 255;
        if (da === 0) {
          data[k] = r1;
          data[k + 1] = g1;
          data[k + 2] = b1;
          data[k + 3] = a * 255;
        } else {
          const keep = da * (1 - a);
          const oa = a + keep;
          data[k] = (r1 * a + data[k] * keep) / oa;
          data[k + 1] = (g1 * a + data[k + 1] * keep) / oa;
          data[k + 2] = (b1 * a + data[k + 2] * keep) / oa;
          data[k + 3] = oa * 255;
        }
      }
    }
  }

  /** Draw the buffer onto `ctx` covering (x, y, w, h) in ctx's units. */
  blit(ctx, x, y, w, h) {
    this.layerCtx.putImageData(this.image, 0, 0);
    ctx.drawImage(this.layer, x, y, w, h);
  }
}

// The overview's glyph mode (MAST Fig. 5c): a model is drawn as its SNAC chip where the
// zoom leaves room for one — at most `GLYPH.covers` other models' points under the chip
// and no other chip overlapping it — so zooming into a cluster turns its dots into chips. The most
// accurate models are placed first. The chips are the server's SNAC images (cached by
// `GlyphImages`, which asks for a repaint when one arrives). Pure apart from the cache.

import { BUCKET_COLORS } from "./scales.js";

/** A chip's box on screen (CSS px) and the most drawn at once. */
export const GLYPH = { w: 88, h: 26, max: 400, covers: 3 };

/** The SNAC images of the chips, fetched once each; `onLoad` runs when one arrives. */
export class GlyphImages {
  constructor(urlOf, onLoad) {
    this.urlOf = urlOf;
    this.onLoad = onLoad;
    this.images = new Map();
  }

  /** The loaded image of model `id`, or null (and its fetch starts). */
  get(id) {
    let img = this.images.get(id);
    if (!img) {
      img = new Image(GLYPH.w, GLYPH.h);
      img.onload = () => this.onLoad();
      img.src = this.urlOf(id);
      this.images.set(id, img);
    }
    return img.complete && img.naturalWidth > 0 ? img : null;
  }
}

/** Which models get a chip in `scene` (indices, most accurate first), and where (their
 * screen centres). Pure: from the positions on screen and the chip box. */
export function placeGlyphs(scene) {
  const { models: m, view, box: p, cu, cv, ca } = scene;
  const { k, x, y } = view;
  const { w, h, max } = GLYPH;
  const sx = new Float32Array(m.n);
  const sy = new Float32Array(m.n);
  const seen = new Uint8Array(m.n); // on screen (or just off it)
  const cells = new Map(); // screen cell (chip-sized) → indices of the points in it
  const key = (cx, cy) => cx * 65536 + cy;
  for (let i = 0; i < m.n; i++) {
    if (!(ca[i] > 0)) continue;
    const px = p.x + (cu[i] - x) * k * p.w;
    const py = p.y + p.h - (cv[i] - y) * k * p.h;
    if (px < p.x - w || px > p.x + p.w + w || py < p.y - h || py > p.y + p.h + h) continue;
    sx[i] = px;
    sy[i] = py;
    seen[i] = 1;
    const c = key(Math.floor((px - p.x + w) / w), Math.floor((py - p.y + h) / h));
    const list = cells.get(c);
    if (list) list.push(i);
    else cells.set(c, [i]);
  }
  const placed = [];
  const taken = new Map(); // cell → chips placed whose box touches it
  for (let j = m.n - 1; j >= 0 && placed.length < max; j--) {
    const i = m.order[j];
    if (!seen[i]) continue;
    const px = sx[i];
    const py = sy[i];
    if (px - w / 2 < p.x || px + w / 2 > p.x + p.w || py - h / 2 < p.y || py + h / 2 > p.y + p.h) continue;
    const cx = Math.floor((px - p.x + w) / w);
    const cy = Math.floor((py - p.y + h) / h);
    let room = true;
    let covered = 0;
    for (let dx = -1; dx <= 1 && room; dx++) {
      for (let dy = -1; dy <= 1 && room; dy++) {
        for (const o of cells.get(key(cx + dx, cy + dy)) ?? []) {
          if (o !== i && Math.abs(sx[o] - px) < w / 2 + 3 && Math.abs(sy[o] - py) < h / 2 + 3) {
            covered += 1; // another model's point would hide under the chip
            if (covered > GLYPH.covers) {
              room = false;
              break;
            }
          }
        }
        for (const o of taken.get(key(cx + dx, cy + dy)) ?? []) {
          if (Math.abs(sx[o] - px) < w + 2 && Math.abs(sy[o] - py) < h + 2) {
            room = false;
            break;
          }
        }
      }
    }
    if (!room) continue;
    placed.push(i);
    const c = key(cx, cy);
    if (taken.has(c)) taken.get(c).push(i);
    else taken.set(c, [i]);
  }
  return { placed, sx, sy };
}

/** Draws the chips of `placed` (see `placeGlyphs`): a white card framed in the model's
 * accuracy colour, its SNAC inside (a plain card until the image arrives). Returns the
 * ids drawn. */
export function paintGlyphs(ctx, scene, images, { placed, sx, sy }) {
  const { w, h } = GLYPH;
  const m = scene.models;
  const ids = [];
  for (const i of placed) {
    const x = sx[i] - w / 2;
    const y = sy[i] - h / 2;
    ctx.globalAlpha = Math.min(1, scene.ca[i]);
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = BUCKET_COLORS[m.bucket[i]];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, 3);
    ctx.fill();
    ctx.stroke();
    const img = images.get(m.ids[i]);
    if (img) ctx.drawImage(img, x + 2, y + 2, w - 4, h - 4);
    ids.push(m.ids[i]);
  }
  ctx.globalAlpha = 1;
  return ids;
}

// The element side of a canvas plot, shared by the overview and the one-shot search
// space: it keeps the plot box, the main canvas and the minimap sized to the box at the
// device's pixel ratio, and repaints (`_invalidate`, the host's) whenever they change.
import { MINI } from "./paint-minimap.js";

/** A class extending `Base` with the ref callbacks `_setCanvas`, `_setPlot`, `_setMini`
 * and `_measure`; the host provides `_resize` (a ResizeObserver), `_size` and
 * `_invalidate()`. */
export const canvasHost = (Base) =>
  class extends Base {
    _setCanvas(el) {
      if (!el || el === this._canvas) return;
      this._canvas = el;
      this._invalidate();
    }

    _setPlot(el) {
      if (!el || el === this._plot) return;
      this._plot = el;
      this._resize.observe(el);
      this._measure();
    }

    _setMini(el) {
      if (!el || el === this._mini) return;
      this._mini = el;
      this._sizeMini(window.devicePixelRatio || 1);
    }

    _sizeMini(dpr) {
      this._mini.width = MINI.w * dpr;
      this._mini.height = MINI.h * dpr;
    }

    _measure() {
      if (!this._plot || !this._canvas) return;
      const w = this._plot.clientWidth;
      const h = this._plot.clientHeight;
      const dpr = window.devicePixelRatio || 1;
      if (w === this._size.w && h === this._size.h && dpr === this._size.dpr) return;
      this._size = { w, h, dpr };
      this._canvas.width = Math.max(1, Math.round(w * dpr));
      this._canvas.height = Math.max(1, Math.round(h * dpr));
      if (this._mini) this._sizeMini(dpr);
      this._invalidate();
    }
  };

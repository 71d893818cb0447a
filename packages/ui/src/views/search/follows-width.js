// Views of the Search tab that draw SVG at their box's width (the supergraph, block
// info): they re-render when the box changes width by more than a pixel.

/** A class extending `Base` that keeps `this._width` at the width of the element given
 * to the ref callback `_setBox` (starting at `initial` px until it is measured). */
export const followsWidth = (Base, initial) =>
  class extends Base {
    constructor() {
      super();
      this._width = initial;
      this._box = null;
      this._resize = new ResizeObserver(([entry]) => {
        const w = Math.round(entry.contentRect.width);
        if (w && Math.abs(w - this._width) > 1) {
          this._width = w;
          this.requestRender();
        }
      });
    }

    disconnectedCallback() {
      super.disconnectedCallback();
      this._resize.disconnect();
    }

    _setBox(el) {
      if (!el || el === this._box) return;
      this._box = el;
      this._resize.observe(el);
    }
  };

// What the one-shot views share on one page that is not session state: the hovered
// subgraph (a scatter dot, a population member) or block (a block-info mark), and the
// blocks a set operation lit up. Kept on the page's Session (one per `src`), and
// announced as its "hover" change, which every one-shot view watches.

const KEY = Symbol("oneshot-ui");

/** The page's one-shot view state for `session`. */
export function searchUi(session) {
  if (!session[KEY]) session[KEY] = { mask: null, block: null, lit: null };
  return session[KEY];
}

function announce(session) {
  session.dispatchEvent(new CustomEvent("change", { detail: { what: "hover", envelopes: [] } }));
}

/** Hover a subgraph (`mask`: its block ids, or null) — the supergraph outlines it and
 * draws it as a SNAC. */
export function hoverMask(session, mask) {
  const ui = searchUi(session);
  const same = (ui.mask ?? []).join() === (mask ?? []).join() && (ui.mask === null) === (mask === null);
  if (same) return;
  ui.mask = mask;
  announce(session);
}

/** Hover one block (its id, or null). */
export function hoverBlock(session, block) {
  const ui = searchUi(session);
  if (ui.block === block) return;
  ui.block = block;
  announce(session);
}

/** Light up `blocks` as the result of a set operation (`mode`: union, intersection,
 * complement); null clears it. */
export function lightBlocks(session, lit) {
  searchUi(session).lit = lit;
  announce(session);
}

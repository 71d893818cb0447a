// One page's view state in its URL's hash (#selected=m4&tab=inspect&projection=search),
// so that a reload shows the same thing and two tabs can show two views of one session.
// What lives here and what is shared session state: packages/ui/README.md ("View state").
//
// Writes replace the history entry (no back-button step per click) and keep the
// query (the app's ?session=…) and any hash key this module does not own.

export const VIEW_KEYS = ["selected", "base", "compare", "sort", "tab", "projection", "class", "metric", "cap", "filter", "filtered"];

function params() {
  if (typeof location === "undefined") return new URLSearchParams();
  return new URLSearchParams(location.hash.replace(/^#/, ""));
}

/** The page's value for `key` (a string), or null. */
export function readView(key) {
  const v = params().get(key);
  return v === null || v === "" ? null : v;
}

/** Set (or, with null, remove) `key` in the page's URL; with `push` as a new history
 * entry (the filters: back / forward walk through them), else in place. */
export function writeView(key, value, { push = false } = {}) {
  if (typeof history === "undefined" || typeof location === "undefined") return false;
  const p = params();
  if (value === null || value === undefined || value === "") p.delete(key);
  else p.set(key, String(value));
  const hash = p.toString();
  const url = `${location.pathname}${location.search}${hash ? `#${hash}` : ""}`;
  if (url === `${location.pathname}${location.search}${location.hash}`) return false;
  if (push) history.pushState(history.state, "", url);
  else history.replaceState(history.state, "", url);
  return true;
}

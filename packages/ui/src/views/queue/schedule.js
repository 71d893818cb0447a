// When the queue's models start and when the queue is empty, with `slots` trainings
// side by side (the session's concurrency), not a sum of single-model times (issue 17:
// 194 queued models estimated "≈ 18 min" took ≈ 6 min). Pure.

/**
 * `running`: each running model's seconds left (null: not known); `queued`: each queued
 * model's estimate (null: none), next first; `slots`: how many train at once.
 * Returns `starts[i]`, the seconds until queued model i starts (null when it waits for
 * the slot of a model without an estimate, or of a running one with an unknown time
 * left), and `total`, the seconds until every estimated model has trained (the others
 * are left out, the caller says how many) or null when none is estimated.
 */
export function schedule(running, queued, slots) {
  const n = Math.max(1, Math.floor(slots) || 1, running.length);
  // a model of unknown time holds its slot for good: the starts after it that need
  // that slot are unknown, those that another slot takes are not
  let free = startSlots(running, n, Infinity);
  const starts = queued.map((estimate) => {
    const at = take(free, estimate ?? Infinity);
    return Number.isFinite(at) ? at : null;
  });
  // the total over the estimated models alone, as if the others were not there
  free = startSlots(running, n, 0);
  let total = null;
  for (const estimate of queued) {
    if (estimate !== null) total = Math.max(total ?? 0, take(free, estimate) + estimate);
  }
  return { starts, total };
}

function startSlots(running, n, unknown) {
  const free = running.map((left) => (left === null ? unknown : Math.max(0, left)));
  while (free.length < n) free.push(0);
  return free;
}

/** The earliest free slot's time, which `seconds` more then occupy. */
function take(free, seconds) {
  let k = 0;
  for (let i = 1; i < free.length; i += 1) if (free[i] < free[k]) k = i;
  const at = free[k];
  free[k] = at + seconds;
  return at;
}

// The initial sample's progress for the header: trained models of the session's first
// sample batch, and the time left at the rate seen so far (pure: the fold's counts).

import { formatSeconds } from "./theme.js";

/** The initial sample's progress: "47/100 trained, about 1 min left" (null once it is
 * done, or before it started). The rate is the trained models per second since the
 * first one started; `now` (ms) is null in a replay (no time left to estimate). */
export function sampleProgress(state, now) {
  const batch = firstBatch(state);
  let total = 0;
  let trained = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const m of state.models.values()) {
    if (m.origin?.type !== "sampled" || m.origin.batch !== batch) continue;
    total += 1;
    if (m.started_at) first = Math.min(first, Date.parse(m.started_at));
    if (m.status === "done" || m.status === "failed" || m.status === "cancelled") {
      trained += 1;
      if (m.finished_at) last = Math.max(last, Date.parse(m.finished_at));
    }
  }
  if (!total || trained >= total) return null;
  let left = "";
  if (now !== null && trained > 0 && Number.isFinite(first) && last > first) {
    const rate = trained / ((last - first) / 1000); // models per second
    const seconds = (total - trained) / rate - Math.max(0, (now - last) / 1000);
    left = `, about ${formatSeconds(Math.max(1, seconds))} left`;
  }
  return `${trained}/${total} trained${left}`;
}

/** The batch of the session's first sample (its initial models), or null. */
function firstBatch(state) {
  for (const m of state.models.values()) if (m.origin?.type === "sampled") return m.origin.batch;
  return null;
}


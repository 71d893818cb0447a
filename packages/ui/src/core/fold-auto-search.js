// The automated searches of a session (issue 21), the same rules as
// nas_core.events.fold_auto_search: state.auto_searches is a plain object, search id ->
// {search, spec, models, epochs, population, median_stop, started_seq, status,
// stopped_early}, in
// start order. What a search proposed is the models whose origin names it
// (`searchProposals`), as on the server.

function setStatus(status, unless) {
  return (s, e) => {
    const r = s.auto_searches[e.search];
    if (r && !unless.includes(r.status)) r.status = status;
  };
}

export const AUTO_SEARCH_HANDLERS = {
  auto_search_started(s, e, env) {
    if (s.auto_searches[e.search]) return;
    s.auto_searches[e.search] = {
      search: e.search,
      spec: e.spec,
      models: e.models ?? null,
      epochs: e.epochs ?? null,
      population: [...(e.scope ?? [])],
      median_stop: e.median_stop ?? false,
      started_seq: env.seq,
      status: "running",
      stopped_early: [],
    };
  },
  auto_search_paused: setStatus("paused", ["stopped", "paused"]),
  auto_search_resumed: setStatus("running", ["stopped", "running"]),
  auto_search_stopped: setStatus("stopped", ["stopped"]),
  auto_search_budget_changed(s, e) {
    const r = s.auto_searches[e.search];
    if (r) Object.assign(r, { models: e.models ?? null, epochs: e.epochs ?? null });
  },
  auto_search_constrained(s, e) {
    const r = s.auto_searches[e.search];
    if (r) r.spec = { ...r.spec, constraints: e.constraints };
  },
  auto_search_population_added(s, e) {
    const r = s.auto_searches[e.search];
    if (!r) return;
    for (const m of e.models) if (!r.population.includes(m)) r.population.push(m);
  },
  auto_search_median_stopped(s, e) {
    const r = s.auto_searches[e.search];
    if (r && !r.stopped_early.includes(e.model)) r.stopped_early.push(e.model);
  },
};

/** The models search `id` proposed, in creation order. */
export function searchProposals(state, id) {
  const out = [];
  for (const m of state.models.values()) {
    if (m.origin?.type === "auto_search" && m.origin.search === id) out.push(m);
  }
  return out;
}

/** [models proposed, epochs they were queued for] of search `id`. */
export function searchUsed(state, id) {
  const made = searchProposals(state, id);
  return [made.length, made.reduce((n, m) => n + (m.config?.epochs ?? 0), 0)];
}

// The one-shot commands the views post, built in one place (the names and bodies of
// the contract with nas_core.events.commands), and the few words shared about them.

/** The bundled supernet templates (nas_core.oneshot). */
export const TEMPLATES = ["lenet-digits-v1", "rank-digits-v1", "alexnet-cifar-v1"];

export const defineFromTemplate = (template) => ({ type: "define_supernet", template });

/** An empty supernet for the session's input: one layer holding the classifier. */
export function defineEmpty(state) {
  const classes = state.input?.classes ?? 10;
  return {
    type: "define_supernet",
    arch: {
      name: "supernet",
      input: state.input,
      layers: [
        { id: "L1", blocks: [{ id: "b1", components: [{ type: "flatten" }] }] },
        { id: "L2", blocks: [{ id: "b2", components: [{ type: "dense", units: classes }] }] },
      ],
      merge: "sum",
      path_mode: "single",
    },
  };
}

export const editSupernet = (supernet, edits) => ({ type: "edit_supernet", supernet, edits });
export const trainSupernet = (supernet) => ({ type: "train_supernet", supernet });
export const sampleSearchSpace = (supernet, count = 100) => ({ type: "sample_search_space", supernet, count });
export const startSearch = (supernet, iterations = 10) => ({ type: "start_search", supernet, iterations });
export const continueSearch = (search, iterations) => ({ type: "continue_search", search, iterations });
export const pauseSearch = (search) => ({ type: "pause_search", search });
/** A rectangle of the search-space scatter (two corners in the recorded positions' units). */
export const selectRegion = (search, points, mode = "pool") => ({ type: "select_region", search, shape: "rect", points, mode });
export const clearRegion = (search) => ({ type: "clear_region", search });
/** Union / intersection / complement of the blocks of `masks` (default: the region's members). */
export const highlightBlocks = (op, masks) => (masks ? { type: "highlight_blocks", op, masks } : { type: "highlight_blocks", op });
export const assembleCandidate = (search, rule = "fitness", threshold = 0.5) => ({ type: "assemble_candidate", search, rule, threshold });
export const rankCheck = (supernet, count = 30) => ({ type: "rank_check", supernet, count });

/** A supernet's training in words: "training 4/30", "trained", "failed: …". */
export function trainingText(net) {
  switch (net?.status) {
    case undefined:
    case null:
    case "defined":
      return "not trained";
    case "queued":
      return "training queued";
    case "running":
      return `training ${net.curve?.length ?? 0}/${net.config?.epochs ?? "?"}`;
    case "done":
      return `trained (${net.curve?.length ?? 0} epochs)`;
    case "failed":
      return `training failed${net.error ? `: ${net.error}` : ""}`;
    default:
      return net.status;
  }
}

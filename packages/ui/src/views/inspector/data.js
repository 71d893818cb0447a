// Which test examples a confusion-matrix cell holds (from the session's test labels and
// a model's predictions).

/** The test examples whose label is `truth` and whose prediction is `predicted` (at most
 * `limit`, in test-set order) and how many there are in all. */
export function cellExamples(testLabels, predictions, truth, predicted, limit = 8) {
  const found = [];
  let total = 0;
  const n = Math.min(testLabels.length, predictions.length);
  for (let i = 0; i < n; i += 1) {
    if (testLabels[i] === truth && predictions[i] === predicted) {
      total += 1;
      if (found.length < limit) found.push(i);
    }
  }
  return { indices: found, total };
}

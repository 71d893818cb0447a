// The session's data set as the views need it: class names, example training images of
// each class and the label of every test example (GET …/data/classes), fetched once per
// session and page, shared by the inspector and the data selector.

const cache = new Map();

/** A promise of {class_names, examples, test_labels}; rejects with the server's error. */
export function classData(session, perClass = 8) {
  const url = session.apiUrl(`/data/classes?per_class=${perClass}`);
  let promise = cache.get(url);
  if (!promise) {
    promise = fetch(url).then(async (response) => {
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body?.error ?? `HTTP ${response.status}`);
      return body;
    });
    cache.set(url, promise);
    promise.catch(() => cache.delete(url)); // a failure is not kept: the next view retries
  }
  return promise;
}

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

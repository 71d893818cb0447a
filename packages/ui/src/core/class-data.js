// The session's data set as the views need it: class names, example training images of
// each class and the label of every test example (GET …/data/classes), fetched once per
// session and page, shared by the inspector and the data selector.

const cache = new Map();

export const NO_DATA = Object.freeze({ ready: false, error: null, value: null });

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

/** Load the class data of `view.session` into `view.data` ({ready, error, value}) and
 * re-render the view; an answer for a session the view has left is dropped. */
export function loadClassData(view) {
  view.data = NO_DATA;
  const session = view.session;
  if (!session) return;
  const settle = (data) => {
    if (view.session !== session) return;
    view.data = data;
    view.requestRender();
  };
  classData(session).then(
    (value) => settle({ ready: true, error: null, value }),
    (error) => settle({ ready: true, error: error.message, value: null }),
  );
}

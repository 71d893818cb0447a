"""The study's tasks (issue 21): bundled digits, and a harder task made from it.

``noisy-digits``: every digits image shifted by up to one pixel in each direction
(zeros fill in), with Gaussian noise of sd 0.25 on the 0..1 scale, clipped; a
stratified fifth of it is the test split. Seeded, so the file is the same every time.
`noisy_digits` makes the arrays; the study writes them as an ``.npz`` file beside the
sessions (`nas_core.study.run`), which REMAP loads as any data file."""

from __future__ import annotations

import numpy as np

__all__ = ["NOISE_SD", "TASKS", "noisy_digits"]

NOISE_SD = 0.25
TASKS = ("digits", "noisy-digits")


def noisy_digits(seed: int = 0) -> dict[str, np.ndarray]:
    """The arrays of the ``noisy-digits`` task (``x_*``: (N, 8, 8) float32 in 0..1)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    rng = np.random.default_rng(seed)
    x = bunch.images.astype(np.float32) / np.float32(16.0)
    y = bunch.target.astype(np.int64)
    shifted = np.zeros_like(x)
    moves = rng.integers(-1, 2, size=(len(x), 2))
    for k, (dy, dx) in enumerate(moves):
        img = np.roll(x[k], (int(dy), int(dx)), axis=(0, 1))
        if dy == 1:
            img[0, :] = 0
        elif dy == -1:
            img[-1, :] = 0
        if dx == 1:
            img[:, 0] = 0
        elif dx == -1:
            img[:, -1] = 0
        shifted[k] = img
    noisy = np.clip(shifted + rng.normal(0.0, NOISE_SD, x.shape).astype(np.float32), 0, 1)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test[rng.choice(idx, size=round(0.2 * len(idx)), replace=False)] = True
    return {
        "x_train": noisy[~test].astype(np.float32),
        "y_train": y[~test],
        "x_test": noisy[test].astype(np.float32),
        "y_test": y[test],
        "class_names": np.array([str(c) for c in bunch.target_names]),
    }

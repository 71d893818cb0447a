"""MDS layouts that new points join without moving the old ones, and Procrustes alignment."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import DistancesError

__all__ = ["OutOfSampleMDS", "align"]

_METHODS = ("classical", "smacof")
_EIGEN_RTOL = 1e-10  # eigenvalues below this times the largest count as 0
_LANCZOS_FROM = 200  # points from which classical MDS finds its few eigenvectors by Lanczos
_SYMMETRY_RTOL = 1e-8  # |D - D.T| and |diag D| allowed, relative to max(1, max |D|)
_PLACE_MAX_ITER = 100  # descent steps placing new points (method="smacof")
_PLACE_TOL = 1e-9  # ... until no point moves more than this times the layout's span
_PLACE_CHUNK = 1 << 20  # new points × fitted points handled at once


class OutOfSampleMDS:
    """A 2-D (or `n_components`-D) MDS layout into which new points are placed later.

    Follows scikit-learn's estimator conventions: parameters are stored as given,
    `fit` learns, fitted attributes end in ``_``.

    ``method="classical"`` (the default) is Torgerson's classical MDS, exact and
    deterministic: the top eigenvectors of the doubly centred squared distances,
    scaled by the square roots of their eigenvalues (signs fixed so that each axis's
    largest coordinate is positive). ``method="smacof"`` is scikit-learn's metric MDS
    (SMACOF stress majorisation, as in the REMAP paper), started from the classical
    layout, so it too is deterministic; `random_state` is passed on to scikit-learn.

    `transform` places new points given their distances to the fitted points and never
    moves the fitted ones (the out-of-sample problem of Trosset & Priebe 2008):

    - classical: the closed-form out-of-sample embedding, i.e. the new point's row of
      the doubly centred matrix (centred with the fitted points' means) projected on the
      fitted eigenvectors, :math:`y = -\\tfrac12 \\Lambda^{-1/2} V^\\top (a - \\bar d)`
      with `a` its squared distances and :math:`\\bar d` the fitted rows' means of the
      squared distances (Gower's formula for adding a point);
    - smacof: the point that minimises the raw stress
      :math:`\\sum_i (d_i - \\lVert y - x_i \\rVert)^2` against the fixed layout, by
      stress majorisation started from the least-squares solution of
      :math:`\\lVert y - x_i \\rVert^2 = d_i^2`.

    On exact Euclidean distances of points in `n_components` dimensions both methods
    recover the layout up to a rigid motion and place new points where they truly are.

    Attributes after `fit`: ``embedding_`` (n, n_components), ``eigenvalues_`` (the
    classical eigenvalues used, clipped at 0), ``stress_`` (raw stress of the layout),
    ``n_features_in_`` (the number of fitted points).
    """

    def __init__(
        self, n_components: int = 2, method: str = "classical", random_state: Any = None
    ) -> None:
        self.n_components = n_components
        self.method = method
        self.random_state = random_state

    # scikit-learn's parameter protocol, so that sklearn.base.clone works
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            "n_components": self.n_components,
            "method": self.method,
            "random_state": self.random_state,
        }

    def set_params(self, **params: Any) -> OutOfSampleMDS:
        for name, value in params.items():
            if name not in self.get_params():
                raise DistancesError(
                    f"OutOfSampleMDS has no parameter {name!r}: use n_components, method "
                    "or random_state"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"OutOfSampleMDS({args})"

    def fit(self, D: Any, y: Any = None) -> OutOfSampleMDS:
        """Lay out the points whose distances are the square matrix `D`."""
        p = self._checked_components()
        if self.method not in _METHODS:
            raise DistancesError(f"method must be 'classical' or 'smacof', got {self.method!r}")
        D = _dissimilarities(D)
        n = len(D)
        squared = D * D
        row_mean = squared.mean(axis=1)
        layout, eigenvalues, vectors = _classical(squared, row_mean, p)
        scale = np.zeros_like(eigenvalues)
        positive = eigenvalues > 0
        scale[positive] = 1.0 / np.sqrt(eigenvalues[positive])
        if self.method == "classical":
            # y = -1/2 Λ^-1/2 Vᵀ (a - row means): precomputed as one (n, p) matrix
            self._offset = row_mean
            self._projection = vectors * (-0.5 * scale)
        else:
            layout = _smacof(D, layout, self.random_state)
            self._offset = (layout * layout).sum(axis=1)
            centred = layout - layout.mean(axis=0)
            # least squares for |y - x_i|² = d_i²: y = -1/2 pinv(X_c) (d² - |x_i|²)
            self._projection = -0.5 * np.linalg.pinv(centred).T
        self.embedding_ = layout
        self.eigenvalues_ = eigenvalues
        self.stress_ = _raw_stress(D, layout)
        self.n_features_in_ = n
        self._span = float(np.ptp(layout, axis=0).max())
        return self

    def fit_transform(self, D: Any, y: Any = None) -> np.ndarray:
        """`fit(D)` and return ``embedding_``."""
        return self.fit(D).embedding_

    def transform(self, D_new: Any) -> np.ndarray:
        """Place new points, given their distances (k, n) to the n fitted points: (k, p).

        The fitted points do not move; each new point is placed on its own (new points
        do not see each other). With ``method="classical"`` a point lands bit for bit
        where it lands in a batch of any size (`_projected`), so placing many points at
        once and one at a time give the same layout.
        """
        if not hasattr(self, "embedding_"):
            raise DistancesError("OutOfSampleMDS is not fitted yet: call fit(D) first")
        d = _new_distances(D_new, self.n_features_in_)
        placed = _projected(d * d - self._offset, self._projection)
        if self.method == "smacof" and len(placed):
            placed = _place(d, self.embedding_, placed, self._span)
        return placed

    def _checked_components(self) -> int:
        p = self.n_components
        if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
            raise DistancesError(f"n_components must be a positive integer, got {p!r}")
        return int(p)


def _projected(a: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """``a @ projection`` (k, n) x (n, p), each row by the same arithmetic whatever k: a
    sum over the n fitted points in their order, one product and one addition at a
    time (a matrix product's order, and so its last bits, depends on the shapes)."""
    k, n = a.shape
    if k == 1 and n:  # one point (a session's every new model): in Python floats, same ops
        columns = projection.T.tolist()
        values = a[0].tolist()
        out = []
        for column in columns:
            total = values[0] * column[0]
            for value, weight in zip(values[1:], column[1:], strict=True):
                total += value * weight
            out.append(total)
        return np.array([out], dtype=np.float64)
    out = np.zeros((k, projection.shape[1]))
    if n:
        np.multiply(a[:, :1], projection[0], out=out)
    for i in range(1, n):
        out += a[:, i : i + 1] * projection[i]
    return out


def align(new: Any, old: Any) -> np.ndarray:
    """`new` moved onto `old` by the Procrustes similarity that fits them best.

    `new` (N, p) is a recomputed layout whose first n rows are the same points as the
    n rows of `old` (n, p), N >= n. The rotation or reflection, uniform scale and
    translation that bring those n rows closest to `old` in least squares are applied to
    all N rows, so the points that were already there stay (nearly) put and the new
    ones follow, and the picture does not jump.
    """
    new_arr = _finite_matrix(new, "new")
    old_arr = _finite_matrix(old, "old")
    n, dims = old_arr.shape
    if new_arr.shape[1] != dims:
        raise DistancesError(
            f"new has {new_arr.shape[1]} columns but old has {dims}: both must be layouts "
            "in the same number of dimensions"
        )
    if len(new_arr) < n or n == 0:
        raise DistancesError(
            f"new has {len(new_arr)} rows and old {n}: new's first rows must be old's points "
            "(new may only add rows), and old needs at least one"
        )
    source = new_arr[:n]
    mean_new, mean_old = source.mean(axis=0), old_arr.mean(axis=0)
    a, b = source - mean_new, old_arr - mean_old
    norm = float((a * a).sum())
    if norm == 0.0:  # the old points coincide in `new`: only the shift is determined
        return new_arr - mean_new + mean_old
    u, s, vt = np.linalg.svd(a.T @ b)
    return (new_arr - mean_new) @ (u @ vt) * (float(s.sum()) / norm) + mean_old


def _classical(
    squared: np.ndarray, row_mean: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classical MDS: layout (n, p), eigenvalues (p,) clipped at 0, eigenvectors (n, p)."""
    n = len(squared)
    gram = squared - row_mean[:, None]
    gram -= row_mean[None, :]
    gram += row_mean.mean()
    gram *= -0.5
    top = min(p, n)
    values, vectors = _top_eigenpairs(gram, top)
    # Deterministic signs: each axis's largest coordinate (in absolute value) positive.
    flip = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(top)])
    vectors = vectors * np.where(flip == 0, 1.0, flip)
    # Eigenvalues at rounding level (or negative: D is not Euclidean there) are 0.
    values = np.where(values > values.max(initial=0.0) * _EIGEN_RTOL, values, 0.0)
    if top < p:  # fewer points than dimensions: the extra axes are 0
        values = np.concatenate([values, np.zeros(p - top)])
        vectors = np.hstack([vectors, np.zeros((n, p - top))])
    return vectors * np.sqrt(values), values, vectors


def _top_eigenpairs(gram: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """The `top` largest eigenvalues of the symmetric `gram`, largest first, and vectors.

    Lanczos (ARPACK, from a fixed start: deterministic) when few of many are wanted, a
    tenth of the time of a dense solver at n = 1,000; the dense solver otherwise.
    """
    n = len(gram)
    if n >= _LANCZOS_FROM and top < n // 4:
        from scipy.sparse.linalg import ArpackNoConvergence, eigsh

        start = np.random.default_rng(0).standard_normal(n)
        try:
            values, vectors = eigsh(gram, k=top, which="LA", v0=start)
        except ArpackNoConvergence:
            pass
        else:
            order = np.argsort(values)[::-1]
            return values[order], vectors[:, order]
    from scipy.linalg import eigh

    values, vectors = eigh(gram, subset_by_index=[n - top, n - 1])
    return values[::-1], vectors[:, ::-1]


def _smacof(D: np.ndarray, init: np.ndarray, random_state: Any) -> np.ndarray:
    """scikit-learn's metric SMACOF started from `init`."""
    if len(D) < 2:
        return init
    from sklearn.manifold import smacof

    layout, _ = smacof(
        D,
        metric=True,
        n_components=init.shape[1],
        init=init,
        n_init=1,
        random_state=random_state,
        normalized_stress=False,
    )
    return np.asarray(layout, dtype=np.float64)


def _raw_stress(D: np.ndarray, layout: np.ndarray) -> float:
    """Sum over pairs i < j of (D_ij - |x_i - x_j|)²."""
    if len(D) < 2:
        return 0.0
    from scipy.spatial.distance import pdist, squareform

    gap = squareform(D, checks=False) - pdist(layout)
    return float(gap @ gap)


def _place(d: np.ndarray, layout: np.ndarray, start: np.ndarray, span: float) -> np.ndarray:
    """Each new point at a minimum of its raw stress sum_i (d_i - |y - x_i|)² against the
    fixed layout, from `start`, a block of new points at a time."""
    out = np.empty_like(start)
    rows = max(1, _PLACE_CHUNK // max(1, len(layout)))
    tol = _PLACE_TOL * max(span, 1e-300)
    for lo in range(0, len(start), rows):
        out[lo : lo + rows] = _descend(d[lo : lo + rows], layout, start[lo : lo + rows], tol)
    return out


class _Stress:
    """The stress of new points y (k, p), its gradient and Hessian, against the layout."""

    def __init__(self, y: np.ndarray, d: np.ndarray, layout: np.ndarray) -> None:
        self.y = y
        self.diff = y[:, None, :] - layout[None, :, :]  # (k, n, p)
        r = np.sqrt((self.diff * self.diff).sum(axis=2))
        self.value = ((d - r) ** 2).sum(axis=1)
        self.ratio = np.divide(d, r, out=np.zeros_like(r), where=r > 0)  # d_i / r_i

    def majorised(self) -> np.ndarray:
        """The Guttman transform for free points: y <- mean_i (x_i + d_i (y - x_i) / r_i);
        it never increases the stress."""
        return self.y - ((1.0 - self.ratio)[:, :, None] * self.diff).mean(axis=1)

    def newton(self) -> tuple[np.ndarray, np.ndarray]:
        """The Newton step's target, and where it is defined (Hessian positive definite).

        gradient 2 sum_i (1 - d_i/r_i)(y - x_i); Hessian 2 sum_i [(1 - d_i/r_i) I +
        (d_i / r_i³) (y - x_i)(y - x_i)ᵀ].
        """
        n, p = self.diff.shape[1:]
        grad = ((1.0 - self.ratio)[:, :, None] * self.diff).sum(axis=1)
        weighted = self.diff * np.divide(
            self.ratio, (self.diff * self.diff).sum(axis=2), out=np.zeros_like(self.ratio),
            where=self.ratio > 0,
        )[:, :, None]  # fmt: skip
        hess = np.einsum("kni,knj->kij", weighted, self.diff)
        hess += (n - self.ratio.sum(axis=1))[:, None, None] * np.eye(p)
        ok = np.linalg.eigvalsh(hess)[:, 0] > 0
        step = np.zeros_like(grad)
        if ok.any():
            step[ok] = np.linalg.solve(hess[ok], grad[ok][:, :, None])[:, :, 0]
        return self.y - step, ok


def _descend(d: np.ndarray, layout: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
    """Newton steps where they lower the stress, majorisation steps (which never raise
    it) elsewhere, until no point moves more than `tol`."""
    here = _Stress(y, d, layout)
    for _ in range(_PLACE_MAX_ITER):
        target, ok = here.newton()
        if not ok.all():
            target[~ok] = here.majorised()[~ok]
        there = _Stress(target, d, layout)
        worse = there.value > here.value
        if worse.any():  # fall back on the majorisation step for those points
            target[worse] = here.majorised()[worse]
            there = _Stress(target, d, layout)
        moved = float(np.abs(target - here.y).max(initial=0.0))
        here = there
        if moved <= tol:
            break
    return here.y


def _dissimilarities(D: Any) -> np.ndarray:
    arr = _finite_matrix(D, "D")
    if arr.shape[0] != arr.shape[1] or not arr.size:
        raise DistancesError(
            f"D must be a square distance matrix of at least one point, got shape {arr.shape}"
        )
    if arr.min() < 0:
        i, j = np.unravel_index(arr.argmin(), arr.shape)
        raise DistancesError(f"D must be non-negative: D[{i}, {j}] = {float(arr[i, j])}")
    tol = _SYMMETRY_RTOL * max(1.0, float(np.abs(arr).max()))
    gap = np.abs(arr - arr.T)
    if gap.max() > tol:
        i, j = np.unravel_index(gap.argmax(), gap.shape)
        raise DistancesError(
            f"D must be symmetric: D[{i}, {j}] = {float(arr[i, j])} but "
            f"D[{j}, {i}] = {float(arr[j, i])}"
        )
    diagonal = np.abs(np.diagonal(arr))
    if diagonal.max() > tol:
        i = int(diagonal.argmax())
        raise DistancesError(f"D must have a zero diagonal: D[{i}, {i}] = {float(arr[i, i])}")
    return (arr + arr.T) / 2.0


def _new_distances(D_new: Any, n: int) -> np.ndarray:
    arr = _finite_matrix(D_new, "D_new")
    if arr.shape[1] != n:
        raise DistancesError(
            f"D_new must hold each new point's distances to the {n} fitted points, "
            f"got shape {arr.shape}"
        )
    if arr.size and arr.min() < 0:
        i, j = np.unravel_index(arr.argmin(), arr.shape)
        raise DistancesError(f"D_new must be non-negative: D_new[{i}, {j}] = {float(arr[i, j])}")
    return arr


def _finite_matrix(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DistancesError(f"{name} must be a 2-D array of numbers: {exc}") from None
    if arr.ndim != 2:
        hint = f"; for one point pass {name}[None, :]" if arr.ndim == 1 else ""
        raise DistancesError(f"{name} must be 2-D, got shape {arr.shape}{hint}")
    if not np.isfinite(arr).all():
        i, j = np.argwhere(~np.isfinite(arr))[0]
        raise DistancesError(f"{name} must be finite: {name}[{i}, {j}] = {float(arr[i, j])}")
    return arr

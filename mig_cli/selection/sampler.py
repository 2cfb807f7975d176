"""The MIG sampler (lazy greedy over sparse propagated vectors) and the baselines.

Exactly the rule of design.md: v_i[j] = s_i on the record's labels (s_i / |L_i| with norm);
P = diag(W) + alpha * offdiag(W) with W_jj = 1, columns normalised to sum 1; u_i = v_i P;
greedy on gain_i = u_i . phi'(X) (gradient) or sum_j phi(X_j + u_ij) - phi(X_j) (exact),
ties to the lowest row. Gains only fall as X grows, so a lazy max-heap returns the same
sequence as a full scan while touching a few rows per step.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import kernels
from .phi import Phi

GAIN_MODES = ("gradient", "exact")


def propagation_matrix(weights: sp.spmatrix, alpha: float) -> sp.csr_matrix:
    """P = I + alpha * offdiag(W), each column divided by its sum (M x M, float64)."""
    m = weights.shape[0]
    off = sp.csr_matrix(weights, dtype=np.float64, copy=True)
    off.setdiag(0.0)
    off.eliminate_zeros()
    p = (sp.identity(m, dtype=np.float64, format="csr") + alpha * off).tocsc()
    col_sums = np.asarray(p.sum(axis=0)).ravel()
    col_sums[col_sums == 0] = 1.0
    p = p @ sp.diags(1.0 / col_sums)
    p = p.tocsr()
    p.sort_indices()
    return p


def record_vectors(
    indptr: np.ndarray, node_ids: np.ndarray, scores: np.ndarray, num_nodes: int, norm: bool
) -> sp.csr_matrix:
    """V (N x M): v_i[j] = s_i (or s_i / |L_i| with norm) on the record's distinct nodes."""
    counts = np.diff(indptr)
    per_row = scores / np.maximum(counts, 1) if norm else scores
    data = np.repeat(np.asarray(per_row, dtype=np.float64), counts)
    v = sp.csr_matrix((data, node_ids, indptr), shape=(len(scores), num_nodes))
    v.sort_indices()
    return v


def propagate(v: sp.csr_matrix, p: sp.csr_matrix) -> sp.csr_matrix:
    u = (v @ p).tocsr()
    u.sort_indices()
    return u


def information(x: np.ndarray, phi: Phi) -> float:
    """I(D) = sum_j phi(X_j)."""
    return float(np.sum(phi.value(np.asarray(x, dtype=np.float64))))


def eligible_rows(n: int, k: int, exclude: np.ndarray | None) -> np.ndarray:
    """Row indices that may be chosen; k larger than their number is a ValueError."""
    rows = np.arange(n, dtype=np.int64)
    if exclude is not None:
        rows = rows[~np.asarray(exclude, dtype=bool)]
    if k > len(rows):
        raise ValueError(f"k={k} is larger than the {len(rows)} records that can be chosen")
    return rows


@dataclass
class Selection:
    """Selected rows in selection order, each with the gain it had when chosen."""

    rows: np.ndarray
    gains: np.ndarray
    state: np.ndarray | None = None  # X after the selection (MIG only)
    evaluations: int = 0
    information: float | None = None  # I(D) of the state after the selection (MIG only)
    start_information: float | None = None  # I(D) of the `given` records alone (MIG only)
    coverage: Any = None  # what the pool gave to select by (selection.coverage.Coverage)


class MigSampler:
    """Greedy information-gain maximiser over CSR propagated vectors."""

    def __init__(self, phi: Phi, gain: str = "gradient", backend: str = "auto") -> None:
        if gain not in GAIN_MODES:
            raise ValueError(f"unknown gain mode '{gain}' (choose from {', '.join(GAIN_MODES)})")
        if backend not in ("auto", "numba", "python"):
            raise ValueError("backend must be auto, numba or python")
        if backend == "numba" and kernels.lazy_greedy_compiled is None:
            raise ValueError("the numba backend is not available (pip install numba)")
        self.phi = phi
        self.gain = gain
        self.backend = (
            "numba"
            if backend in ("auto", "numba") and kernels.lazy_greedy_compiled is not None
            else "python"
        )

    def select(
        self,
        u: sp.csr_matrix,
        k: int,
        *,
        start: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
    ) -> Selection:
        """Pick k rows of `u`; `start` is the initial X, `exclude` a boolean mask of rows."""
        n, m = u.shape
        x = np.zeros(m) if start is None else np.array(start, dtype=np.float64)
        rows = eligible_rows(n, k, exclude)
        indptr = np.asarray(u.indptr, dtype=np.int64)  # no copies of the big arrays when
        indices = np.asarray(u.indices, dtype=np.int32)  # scipy already holds these dtypes
        data = np.asarray(u.data, dtype=np.float64)
        exact = self.gain == "exact"
        if self.backend == "numba":
            out, gains, evals = kernels.lazy_greedy_compiled(
                indptr, indices, data, x, rows, k, self.phi.kind, self.phi.p1, self.phi.p2, exact
            )
        else:
            out, gains, evals = self._lazy_python(indptr, indices, data, x, rows, k, exact)
        return Selection(np.asarray(out), np.asarray(gains), x, int(evals))

    def _cached(self, x: np.ndarray, exact: bool) -> np.ndarray:
        return self.phi.value(x) if exact else self.phi.derivative(x)

    def _row_gain(self, indptr, indices, data, x, cached, i, exact) -> float:
        lo, hi = indptr[i], indptr[i + 1]
        cols = indices[lo:hi]
        vals = data[lo:hi]
        terms = self.phi.value(x[cols] + vals) - cached[cols] if exact else vals * cached[cols]
        g = 0.0
        for t in terms.tolist():  # sequential, like the compiled kernel
            g += t
        return g

    def _lazy_python(self, indptr, indices, data, x, rows, k, exact):
        cached = self._cached(x, exact)
        # All first gains at once: scipy's CSR product sums each row left to right, exactly
        # like _row_gain, so the values are the ones a row-by-row loop would give.
        terms = self.phi.value(x[indices] + data) - cached[indices] if exact else None
        weights = sp.csr_matrix(
            (terms if exact else data, indices, indptr), shape=(len(indptr) - 1, len(x))
        )
        first = weights @ (np.ones(len(x)) if exact else cached)
        heap = [(-g, r, 0) for g, r in zip(first[rows].tolist(), rows.tolist())]
        heapq.heapify(heap)
        out, chosen_gains = [], []
        evaluations = 0
        t = 0
        while t < k and heap:
            neg, row, stamp = heap[0]
            if stamp == t:
                heapq.heappop(heap)
                out.append(row)
                chosen_gains.append(-neg)
                lo, hi = indptr[row], indptr[row + 1]
                cols = indices[lo:hi]
                x[cols] += data[lo:hi]
                cached[cols] = self._cached(x[cols], exact)
                t += 1
            else:
                g = self._row_gain(indptr, indices, data, x, cached, row, exact)
                evaluations += 1
                heapq.heapreplace(heap, (-g, row, t))
        return (
            np.array(out, dtype=np.int64),
            np.array(chosen_gains, dtype=np.float64),
            evaluations,
        )


class RandomSampler:
    """Uniform random subset (seeded), for comparison."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def select(self, scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> Selection:
        rows = eligible_rows(len(scores), k, exclude)
        chosen = np.random.default_rng(self.seed).permutation(rows)[:k]
        return Selection(chosen, np.full(k, np.nan))


class TopScoreSampler:
    """Highest scores first, ties to the lowest row: the quality-only baseline."""

    def select(self, scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> Selection:
        rows = eligible_rows(len(scores), k, exclude)
        order = rows[np.lexsort((rows, -scores[rows]))][:k]
        return Selection(order, scores[order].astype(np.float64))

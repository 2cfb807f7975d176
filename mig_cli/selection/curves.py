"""How information and label coverage grow as a subset's records are taken in order.

For an order r_1..r_k of pool rows (a subset in selection order), the *prefix curves* give, at
sampled points t (records taken), the information I(D_t) = sum_j phi(X_j) with
X = sum_{s <= t} u_{r_s} (design.md, "The MIG sampler, exactly", step 5) and the number of graph
nodes the first t records carry (the node coverage `mig stats` reports). The *gain of each pick*
is the sampler's gain of r_t given the state after r_1..r_{t-1}.

The curves are computed from the sparse propagated vectors u (`selection.mig_vectors`) chunk by
chunk: the rows between two sample points are summed with one sparse product, so a 1M-record
pool costs O(nnz + points * nodes), never a recomputation from scratch per point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .phi import Phi


def sample_points(k: int, max_points: int = 500) -> np.ndarray:
    """Sorted distinct counts 0..k (both ends included), at most `max_points` of them."""
    if k <= 0:
        return np.zeros(1, dtype=np.int64)
    if k + 1 <= max_points:
        return np.arange(k + 1, dtype=np.int64)
    return np.unique(np.linspace(0, k, max(2, max_points)).round().astype(np.int64))


@dataclass
class PrefixCurves:
    """I(D) and node coverage after each sampled number of records taken."""

    taken: np.ndarray  # int64, records taken (0 .. k)
    information: np.ndarray  # float64, I(D) of the first `taken` records
    covered: np.ndarray  # int64, distinct graph nodes carried by the first `taken` records

    @property
    def final_information(self) -> float:
        return float(self.information[-1])

    @property
    def final_covered(self) -> int:
        return int(self.covered[-1])


def _flat_node_ids(indptr: np.ndarray, ids: np.ndarray, order: np.ndarray):
    """Node ids of the rows in `order`, concatenated, with the position of their row."""
    starts = indptr[order]
    lengths = indptr[order + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    position = np.repeat(np.arange(len(order), dtype=np.int64), lengths)
    offsets = np.cumsum(lengths) - lengths
    flat = np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)
    return ids[flat], position


def coverage_curve(
    indptr: np.ndarray, ids: np.ndarray, order: np.ndarray, points: np.ndarray, num_nodes: int
) -> np.ndarray:
    """Distinct nodes carried by the first t rows of `order`, for each t in `points`.

    `indptr`/`ids` are the pool's labels encoded over the graph's nodes (CSR, as
    `LabelColumn.encode` returns them).
    """
    order = np.asarray(order, dtype=np.int64)
    nodes, position = _flat_node_ids(indptr, ids, order)
    first = np.full(num_nodes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, nodes, position)
    seen = np.sort(first[first < len(order) + 1])
    return np.searchsorted(seen, points, side="left").astype(np.int64)


def information_curve(
    u: sp.csr_matrix, order: np.ndarray, points: np.ndarray, phi: Phi
) -> np.ndarray:
    """I(D) of the first t rows of `order` (rows of `u`), for each t in `points` (sorted)."""
    order = np.asarray(order, dtype=np.int64)
    points = np.asarray(points, dtype=np.int64)
    m = u.shape[1]
    chunk_of = np.searchsorted(points, np.arange(1, len(order) + 1), side="left")
    # C[p, row] = how often `row` is taken between points[p-1] and points[p]
    c = sp.csr_matrix((np.ones(len(order)), (chunk_of, order)), shape=(len(points), u.shape[0]))
    sums = (c @ u).tocsr()
    x = np.zeros(m)
    out = np.empty(len(points))
    for p in range(len(points)):
        lo, hi = sums.indptr[p], sums.indptr[p + 1]
        x[sums.indices[lo:hi]] += sums.data[lo:hi]
        out[p] = float(np.sum(phi.value(x)))
    return out


def prefix_curves(
    u: sp.csr_matrix,
    indptr: np.ndarray,
    ids: np.ndarray,
    order: np.ndarray,
    phi: Phi,
    *,
    max_points: int = 500,
) -> PrefixCurves:
    """I(D) and node coverage along `order`, sampled at <= `max_points` points (ends included)."""
    points = sample_points(len(order), max_points)
    return PrefixCurves(
        taken=points,
        information=information_curve(u, order, points, phi),
        covered=coverage_curve(indptr, ids, order, points, u.shape[1]),
    )


def pick_gains(u: sp.csr_matrix, order: np.ndarray, phi: Phi, gain: str = "gradient") -> np.ndarray:
    """The gain each row of `order` had when taken after the ones before it (float64, len k).

    `gradient`: u_r . phi'(X) (the paper's rule, what `mig sample` reports); `exact`:
    sum_j phi(X_j + u_rj) - phi(X_j). For a MIG subset taken from X = 0 these are the gains its
    `--ranking` file lists.
    """
    if gain not in ("gradient", "exact"):
        raise ValueError(f"unknown gain mode '{gain}'")
    x = np.zeros(u.shape[1])
    indptr, indices, data = u.indptr, u.indices, u.data
    out = np.empty(len(order))
    exact = gain == "exact"
    for t, row in enumerate(np.asarray(order, dtype=np.int64).tolist()):
        lo, hi = indptr[row], indptr[row + 1]
        cols = indices[lo:hi]
        vals = data[lo:hi]
        before = x[cols]
        if exact:
            out[t] = float(np.sum(phi.value(before + vals) - phi.value(before)))
        else:
            out[t] = float(vals @ phi.derivative(before))
        x[cols] = before + vals
    return out


@dataclass
class BinnedSeries:
    """A long series summarised per bin of consecutive positions (for plotting)."""

    start: np.ndarray  # first position (1-based pick number) of each bin
    stop: np.ndarray  # last position of each bin
    mean: np.ndarray
    low: np.ndarray  # minimum in the bin
    high: np.ndarray  # maximum in the bin


def bin_series(values: np.ndarray, max_bins: int = 500) -> BinnedSeries:
    """Mean, min and max of `values` over <= `max_bins` bins of consecutive positions."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        empty = np.zeros(0)
        return BinnedSeries(empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty)
    edges = np.unique(np.linspace(0, n, min(n, max_bins) + 1).round().astype(np.int64))
    starts = edges[:-1]
    sums = np.add.reduceat(values, starts)
    sizes = np.diff(edges)
    return BinnedSeries(
        start=starts + 1,
        stop=edges[1:],
        mean=sums / sizes,
        low=np.minimum.reduceat(values, starts),
        high=np.maximum.reduceat(values, starts),
    )

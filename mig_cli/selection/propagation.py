"""Propagated record vectors, the input of the MIG sampler (design.md, "The MIG sampler, exactly").

v_i[j] = s_i on the record's labels (s_i / |L_i| with norm) (`record_vectors`, N x M CSR);
P = diag(W) + alpha * offdiag(W) with W_jj = 1, columns normalised to sum 1
(`propagation_matrix`, M x M CSR); u_i = v_i P (`propagate`). All float64, scipy.sparse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


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

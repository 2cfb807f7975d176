"""The label graph: nodes are labels, edges join labels whose embeddings are close.

`LabelGraph` holds node labels with their record counts and a directed edge list (the graph
folder stores both directions of every undirected edge). `similarity_edges` finds the pairs with
cosine >= threshold block by block, so memory stays bounded for 100K+ labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

GRAPH_FORMAT_VERSION = 1


@dataclass
class LabelGraph:
    labels: list[str]
    counts: np.ndarray  # int64, records carrying each label
    sources: np.ndarray  # int64 node index
    targets: np.ndarray  # int64 node index
    weights: np.ndarray  # float32
    meta: dict = field(default_factory=dict)

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    @property
    def num_edges(self) -> int:
        """Undirected edges (each stored in both directions)."""
        return len(self.sources) // 2

    def weight_matrix(self) -> sp.csr_matrix:
        """Off-diagonal weights W as an M x M CSR matrix (float64)."""
        m = self.num_nodes
        keep = self.sources != self.targets
        return sp.csr_matrix(
            (
                self.weights[keep].astype(np.float64),
                (self.sources[keep], self.targets[keep]),
            ),
            shape=(m, m),
        )

    def degrees(self) -> np.ndarray:
        return np.bincount(self.sources, minlength=self.num_nodes)


def select_nodes(
    vocab: list[str],
    counts: np.ndarray,
    *,
    max_nodes: int | None = None,
    min_count: int | None = None,
) -> tuple[list[str], np.ndarray]:
    """Labels kept as nodes: at least `min_count` records, then the `max_nodes` most frequent.

    Order: count descending, ties by label text. With neither limit every label is kept.
    """
    counts = np.asarray(counts, dtype=np.int64)
    order = sorted(range(len(vocab)), key=lambda i: (-int(counts[i]), vocab[i]))
    if min_count is not None:
        order = [i for i in order if counts[i] >= min_count]
    if max_nodes is not None:
        order = order[:max_nodes]
    return [vocab[i] for i in order], counts[order] if order else np.zeros(0, dtype=np.int64)


def similarity_edges(
    embeddings: np.ndarray,
    threshold: float,
    *,
    memory_bytes: int = 128 * 2**20,
    on_rows: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ordered pairs (i, j), i != j, with cosine(e_i, e_j) >= threshold, sorted.

    `embeddings` must be unit rows. Each unordered pair is computed once (row block against the
    columns at or after it), then stored in both directions with the same weight. A block of
    similarities never exceeds `memory_bytes` (float32): memory is O(M * d + block * M), never
    M x M.
    """
    emb = np.ascontiguousarray(embeddings, dtype=np.float32)
    m = emb.shape[0]
    block = max(1, min(m, memory_bytes // max(1, 4 * m)))
    lows, highs, ws = [], [], []
    for start in range(0, m, block):
        stop = min(m, start + block)
        sims = emb[start:stop] @ emb[start:].T
        rows, cols = np.nonzero(sims >= threshold)
        keep = cols > rows  # column offset `start` cancels: j > i within the upper triangle
        lows.append((rows[keep] + start).astype(np.int64))
        highs.append((cols[keep] + start).astype(np.int64))
        ws.append(sims[rows[keep], cols[keep]].astype(np.float32))
        if on_rows is not None:
            on_rows(stop - start)
    if not lows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float32)
    lo, hi, w = np.concatenate(lows), np.concatenate(highs), np.concatenate(ws)
    src = np.concatenate([lo, hi])
    dst = np.concatenate([hi, lo])
    weight = np.concatenate([w, w])
    order = np.lexsort((dst, src))
    return src[order], dst[order], weight[order]


def graph_from_embeddings(
    labels: list[str],
    counts: np.ndarray,
    embeddings: np.ndarray,
    threshold: float,
    meta: dict | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> LabelGraph:
    src, dst, w = similarity_edges(embeddings, threshold, on_rows=on_rows)
    return LabelGraph(list(labels), np.asarray(counts, dtype=np.int64), src, dst, w, meta or {})

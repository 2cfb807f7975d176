"""The label graph: nodes are labels, edges join labels whose embeddings are close.

`select_nodes` chooses the nodes, `similarity_edges` finds the label pairs with cosine >=
threshold block by block (memory stays bounded for 100K+ labels), and `build_graph` puts both
together from a pool's labels and an embedding function. The graph itself is
`mig_cli.records.label_graph.LabelGraph`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..records.annotations import LabelColumn
from ..records.label_graph import LabelGraph


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


def build_graph(
    labels: LabelColumn,
    embed: Callable[[list[str]], np.ndarray],
    *,
    edge_threshold: float = 0.9,
    max_nodes: int | None = None,
    min_count: int | None = None,
    meta: dict | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> LabelGraph:
    """Nodes from the pool's labels (see `select_nodes`), edges where cosine >= threshold."""
    vocab, counts = labels.vocabulary()
    nodes, node_counts = select_nodes(vocab, counts, max_nodes=max_nodes, min_count=min_count)
    vectors = embed(nodes) if nodes else np.zeros((0, 1), dtype=np.float32)
    info = {
        "edge_threshold": edge_threshold,
        "max_nodes": max_nodes,
        "min_count": min_count,
        "pool_labels": len(vocab),
    }
    info.update(meta or {})
    return graph_from_embeddings(
        nodes, node_counts, vectors, edge_threshold, meta=info, on_rows=on_rows
    )


def graph_without_edges(labels: list[str], counts: np.ndarray | None = None) -> LabelGraph:
    """Labels as independent nodes (P = identity): what `stats` uses without --graph."""
    empty = np.zeros(0, dtype=np.int64)
    c = np.zeros(len(labels), dtype=np.int64) if counts is None else counts
    return LabelGraph(list(labels), c, empty, empty.copy(), np.zeros(0, np.float32), {})

"""The label graph: node selection and blockwise similarity against a dense computation."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.records.annotations import LabelColumn
from mig_cli.selection.graph import build_graph, select_nodes, similarity_edges


def dense_edges(emb: np.ndarray, threshold: float):
    sims = emb @ emb.T
    out = []
    for i in range(len(emb)):
        for j in range(len(emb)):
            if i != j and sims[i, j] >= threshold:
                out.append((i, j))
    return out


@pytest.mark.parametrize("memory", [64, 4096, 2**20])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blockwise_edges_match_dense(seed, memory):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((15, 8))
    emb = centres[rng.integers(0, 15, 120)] + 0.3 * rng.standard_normal((120, 8))
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    src, dst, w = similarity_edges(emb, 0.8, memory_bytes=memory)
    got = list(zip(src.tolist(), dst.tolist()))
    assert got == sorted(dense_edges(emb, 0.8)) and len(got) > 0
    weight = {(a, b): x for a, b, x in zip(src.tolist(), dst.tolist(), w.tolist())}
    assert all(weight[(a, b)] == weight[(b, a)] for a, b in got)  # symmetric weights
    assert all(x >= 0.8 - 1e-6 for x in w)


def test_select_nodes_by_count_then_text():
    vocab = ["b", "a", "c", "d"]
    counts = np.array([2, 2, 5, 1])
    assert select_nodes(vocab, counts)[0] == ["c", "a", "b", "d"]
    assert select_nodes(vocab, counts, max_nodes=2)[0] == ["c", "a"]
    labels, kept = select_nodes(vocab, counts, min_count=2)
    assert labels == ["c", "a", "b"] and kept.tolist() == [5, 2, 2]
    assert select_nodes(vocab, counts, max_nodes=1, min_count=6)[0] == []


def test_build_graph_counts_records_not_repeats():
    labels = LabelColumn.from_lists([["x", "x", "y"], ["y"], ["z", "y"]])

    def embed(texts):
        vecs = np.array([[1.0, 0.0] if t != "z" else [0.0, 1.0] for t in texts], np.float32)
        return vecs

    graph = build_graph(labels, embed, edge_threshold=0.99)
    assert graph.labels == ["y", "x", "z"]
    assert graph.counts.tolist() == [3, 1, 1]
    assert graph.num_edges == 1  # x - y only
    assert graph.meta["edge_threshold"] == 0.99

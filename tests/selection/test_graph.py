"""The label graph: node selection and blockwise similarity against a dense computation."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.records.annotations import LabelColumn
from mig_cli.selection.graph import (
    auto_threshold,
    build_graph,
    calibrated_threshold,
    graph_summary,
    limit_degree,
    nearest_neighbour_cosines,
    select_nodes,
    similarity_edges,
    sparse_warning,
)


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


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("sample", [3, 1000])
def test_nearest_neighbour_cosines_match_dense(sample):
    emb = unit(np.random.default_rng(4).standard_normal((40, 6)))
    dense = emb @ emb.T
    np.fill_diagonal(dense, -np.inf)
    got = nearest_neighbour_cosines(emb, sample=sample, memory_bytes=64)
    if sample >= 40:
        np.testing.assert_allclose(got, dense.max(axis=1), rtol=1e-6)
    else:  # a seeded sample of rows, each against all rows
        assert len(got) == 3 and all(np.isclose(dense.max(axis=1), g).any() for g in got)


def test_auto_threshold_is_the_nn_quantile_clipped():
    emb = unit(np.random.default_rng(5).standard_normal((60, 12)))
    dense = emb @ emb.T
    np.fill_diagonal(dense, -np.inf)
    want = float(np.quantile(dense.max(axis=1), 0.2))
    assert 0.3 < want < 0.95  # the data lies inside the clip range
    assert auto_threshold(emb) == pytest.approx(want, rel=1e-6)
    # about 80% of the labels get a neighbour at the auto threshold
    src, _, _ = similarity_edges(emb, auto_threshold(emb))
    assert 0.75 <= len(np.unique(src)) / 60 <= 0.9
    orth = np.eye(4, dtype=np.float32)  # no pair is similar: clipped to the lower bound
    assert auto_threshold(orth) == pytest.approx(0.3)
    assert auto_threshold(orth[:1]) == 0.95


def test_build_graph_auto_records_the_threshold_used():
    labels = LabelColumn.from_lists([["a", "b"], ["c"], ["d"]])
    vecs = {"a": [1, 0, 0], "b": [0.95, 0.1, 0], "c": [0, 1, 0], "d": [0, 0, 1]}
    graph = build_graph(
        labels, lambda ts: unit(np.array([vecs[t] for t in ts], float)), edge_threshold="auto"
    )
    assert graph.meta["edge_threshold_rule"].startswith("auto")
    assert isinstance(graph.meta["edge_threshold"], float)
    assert graph.num_edges == 1  # a - b only: c and d are orthogonal to everything


def test_calibrated_threshold_table():
    assert calibrated_threshold("all-MiniLM-L6-v2") == 0.5
    assert calibrated_threshold("sentence-transformers/all-minilm-l6-v2") == 0.5
    assert calibrated_threshold("some/other-model") is None
    assert calibrated_threshold(None) is None


def test_graph_summary_and_sparse_warning():
    labels = LabelColumn.from_lists([["x", "y"], ["z"], ["w"]])
    same = lambda ts: unit(np.array([[1.0, 0.01 * i] for i, _ in enumerate(ts)]))  # noqa: E731
    dense = build_graph(labels, same, edge_threshold=0.5)
    assert graph_summary(dense) == {"nodes": 4, "edges": 6, "mean_degree": 3.0, "isolated": 0}
    assert sparse_warning(dense) is None
    apart = lambda ts: np.eye(len(ts), dtype=np.float32)  # noqa: E731
    empty = build_graph(labels, apart, edge_threshold=0.5)
    assert graph_summary(empty)["isolated"] == 4
    assert "nearly empty" in sparse_warning(empty)


@pytest.mark.slow
def test_minilm_calibration_on_the_bundled_taxonomy():
    """The table value and the auto rule agree on MiniLM, and the edges they give make sense."""
    from mig_cli.annotate.embedding import Embedder
    from mig_cli.annotate.tag_data import load_taxonomy_domains

    domains = load_taxonomy_domains()
    tags = sorted(set(domains) | set(domains.values()))
    emb = Embedder().encode(tags)
    assert abs(auto_threshold(emb) - calibrated_threshold("all-MiniLM-L6-v2")) < 0.04
    index = {t: i for i, t in enumerate(tags)}
    sims = emb @ emb.T
    at = calibrated_threshold("all-MiniLM-L6-v2")
    for a, b in [
        ("arithmetic word problem", "money word problem"),
        ("finance", "financial analysis"),
        ("architecture", "engineering"),
        ("code explanation", "explanation"),
    ]:
        assert sims[index[a], index[b]] >= at, (a, b)
    src, dst, w = similarity_edges(emb, at)
    assert 0.75 <= len(np.unique(src)) / len(tags) <= 0.9  # most tags get a neighbour
    assert len(src) / len(tags) <= 5  # and only a few: propagation stays local
    # the pairs just above the threshold are as related as the strong ones: as often inside
    # one taxonomy domain (a domain's name counts as inside its own domain)
    dom = [domains.get(t, t) for t in tags]
    same = np.array([dom[i] == dom[j] for i, j in zip(src, dst, strict=True)])
    low, high = (w < at + 0.05), (w >= 0.7)
    assert same[low].mean() >= same[high].mean() - 0.05


def test_limit_degree_keeps_the_strongest_edges():
    emb = unit(np.random.default_rng(7).standard_normal((80, 6)))
    src, dst, w = similarity_edges(emb, 0.0)
    mean_degree = len(src) / 80
    assert mean_degree > 10
    s2, d2, w2, cut = limit_degree(src, dst, w, 80, 10.0)
    assert cut is not None and len(s2) / 80 <= 10.0
    assert w2.min() == pytest.approx(cut) and (w[w >= cut].size == w2.size)
    # the same edges as a plain threshold at the raised value (both directions kept)
    s3, d3, w3 = similarity_edges(emb, cut)
    assert set(zip(s2.tolist(), d2.tolist())) == set(zip(s3.tolist(), d3.tolist()))
    # nothing to drop: unchanged
    same = limit_degree(src, dst, w, 80, 1000.0)
    assert same[3] is None and len(same[0]) == len(src)
    # ties at the cut are dropped together
    tie = np.ones(6, dtype=np.float32)
    s4, _, _, cut4 = limit_degree(
        np.array([0, 1, 0, 2, 1, 2]), np.array([1, 0, 2, 0, 2, 1]), tie, 3, 1.0
    )
    assert len(s4) == 0 and cut4 > 1.0


def test_build_graph_raises_a_default_threshold_on_a_dense_graph():
    labels = LabelColumn.from_lists([[f"l{i}" for i in range(40)]])
    emb = unit(np.random.default_rng(3).standard_normal((40, 3)))  # 3-d: many close pairs
    embed = lambda ts: emb[[int(t[1:]) for t in ts]]  # noqa: E731
    loose = build_graph(labels, embed, edge_threshold=0.2)
    capped = build_graph(labels, embed, edge_threshold=0.2, max_mean_degree=4.0)
    assert loose.num_edges * 2 / 40 > 4.0
    assert capped.num_edges * 2 / 40 <= 4.0
    assert capped.meta["edge_threshold"] > 0.2
    assert capped.meta["edge_threshold_requested"] == 0.2
    assert "raised" in capped.meta["edge_threshold_rule"]

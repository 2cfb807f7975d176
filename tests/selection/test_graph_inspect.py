"""Graph summary, threshold sweep, neighbours and label lookup, checked against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from mig_cli.records.label_graph import LabelGraph
from mig_cli.selection.graph import similarity_edges
from mig_cli.selection.graph_inspect import (
    components_of,
    find_label,
    neighbours,
    ranked_components,
    summarize_graph,
    threshold_sweep,
)
from tests.helpers import random_problem, to_graph


def reference(graph: LabelGraph) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(graph.num_nodes))
    g.add_edges_from(zip(graph.sources.tolist(), graph.targets.tolist()))
    return g


@pytest.mark.parametrize("seed,m", [(0, 40), (1, 200), (2, 7)])
def test_summary_matches_networkx(seed, m):
    labels, edges, _, _ = random_problem(seed, 10, m)
    graph = to_graph(labels, edges)
    graph.counts = np.arange(m, dtype=np.int64)
    s = summarize_graph(graph)
    g = reference(graph)
    comps = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
    isolates = set(nx.isolates(g))
    assert s.nodes == g.number_of_nodes() and s.edges == g.number_of_edges()
    assert s.mean_degree == pytest.approx(2 * g.number_of_edges() / m)
    assert s.components == len(comps) and s.largest_component == comps[0]
    assert s.components_2plus == sum(c >= 2 for c in comps)
    assert list(s.component_sizes) == comps
    assert s.isolated == len(isolates)
    # most frequent (highest count) isolated labels first
    expected = [labels[i] for i in sorted(isolates, key=lambda i: -i)][:10]
    assert s.isolated_labels == expected
    assert s.degree_histogram.counts.sum() == m
    degrees = dict(g.degree())
    assert [degrees[i] for i in range(m)] == s.degrees.tolist()
    assert s.weight_histogram.counts.sum() == g.number_of_edges()


def test_empty_graph_and_graph_without_edges():
    empty = LabelGraph(
        [],
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0, np.float32),
    )
    s = summarize_graph(empty)
    assert (s.nodes, s.edges, s.components, s.isolated) == (0, 0, 0, 0)
    lonely = LabelGraph(
        ["a", "b"],
        np.array([2, 5]),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0, np.float32),
    )
    s = summarize_graph(lonely)
    assert (s.components, s.isolated, s.largest_component) == (2, 2, 1)
    assert s.isolated_labels == ["b", "a"] and s.weight_histogram.counts.size == 0


def test_sweep_equals_a_graph_built_at_each_threshold():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(6, 16))
    emb = base[rng.integers(0, 6, size=120)] + 0.7 * rng.normal(size=(120, 16))
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    thresholds = [0.3, 0.45, 0.6, 0.75, 0.9]
    src, dst, w = similarity_edges(emb, min(thresholds))
    rows = threshold_sweep(len(emb), src, dst, w, thresholds)
    seen_edges = []
    for row, t in zip(rows, thresholds):
        s2, d2, w2 = similarity_edges(emb, t)
        g = LabelGraph([str(i) for i in range(120)], np.ones(120, np.int64), s2, d2, w2)
        s = summarize_graph(g)
        assert row.threshold == t
        assert (row.edges, row.components) == (s.edges, s.components)
        assert row.mean_degree == pytest.approx(s.mean_degree)
        assert row.isolated_share == pytest.approx(s.isolated_share)
        assert row.largest_share == pytest.approx(s.largest_share)
        seen_edges.append(row.edges)
    assert seen_edges == sorted(seen_edges, reverse=True) and seen_edges[0] > seen_edges[-1]


def test_ranked_components_number_the_largest_first():
    ids = components_of(6, np.array([0, 1, 3, 4, 4, 5]), np.array([1, 0, 4, 3, 5, 4]))
    ranked = ranked_components(ids)
    assert ranked.tolist() == [1, 1, 2, 0, 0, 0]


def test_neighbours_heaviest_first_and_label_lookup(tiny_graph):
    from mig_cli.records.graph_files import read_graph

    graph = read_graph(str(tiny_graph))
    node = graph.labels.index("python programming")
    assert neighbours(graph, node) == [("arithmetic word problem", pytest.approx(0.95), 1)]
    assert find_label(graph.labels, "python programming").exact
    assert find_label(graph.labels, "  Python   Programming ").exact
    fuzzy = find_label(graph.labels, "pyton programing")
    assert not fuzzy.exact and graph.labels[fuzzy.node] == "python programming"
    assert fuzzy.close[0][0] == "python programming" and 0.6 < fuzzy.close[0][1] < 1
    assert find_label(graph.labels, "zzzz").node is None

"""Look at a label graph: connected components, degrees, weight histogram, threshold sweep.

Everything here is pure: a `LabelGraph` (or edge arrays) in, numbers and dataclasses out.
Connected components come from `scipy.sparse.csgraph.connected_components` (already a
dependency, and fast on 100K+ nodes); a label with no edge is an *isolated label* and counts as a
component of its own.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..records.label_graph import LabelGraph


def components_of(num_nodes: int, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Component id of every node (int32, length `num_nodes`), edges taken as undirected.

    Ids are numbered by scipy; every isolated node gets an id of its own.
    """
    if num_nodes == 0:
        return np.zeros(0, dtype=np.int32)
    data = np.ones(len(sources), dtype=np.int8)
    adjacency = sp.csr_matrix((data, (sources, targets)), shape=(num_nodes, num_nodes))
    _, ids = connected_components(adjacency, directed=True, connection="weak")
    return ids.astype(np.int32)


def ranked_components(ids: np.ndarray) -> np.ndarray:
    """Renumber component ids by size: 0 = the largest component, ties by lowest node."""
    if len(ids) == 0:
        return ids
    sizes = np.bincount(ids)
    first = np.full(len(sizes), len(ids), dtype=np.int64)
    np.minimum.at(first, ids, np.arange(len(ids)))
    order = np.lexsort((first, -sizes))
    rank = np.empty(len(sizes), dtype=np.int32)
    rank[order] = np.arange(len(sizes), dtype=np.int32)
    return rank[ids]


def _undirected_degrees(num_nodes: int, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distinct neighbours of each node (self loops ignored; both directions counted once)."""
    keep = sources != targets
    a, b = sources[keep], targets[keep]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(lo.astype(np.int64) * max(num_nodes, 1) + hi)
    ends = np.concatenate([pairs // max(num_nodes, 1), pairs % max(num_nodes, 1)])
    return np.bincount(ends, minlength=num_nodes).astype(np.int64)


@dataclass
class Histogram:
    """Counts per bin: bin i covers [edges[i], edges[i+1]) (the last bin is closed)."""

    edges: np.ndarray
    counts: np.ndarray

    def rows(self) -> list[tuple[float, float, int]]:
        return [
            (float(self.edges[i]), float(self.edges[i + 1]), int(self.counts[i]))
            for i in range(len(self.counts))
        ]


@dataclass
class GraphSummary:
    """The shape of a label graph (design.md: nodes = labels, undirected weighted edges)."""

    nodes: int
    edges: int  # undirected
    mean_degree: float
    components: int  # including isolated labels, each a component of one
    components_2plus: int  # components of at least two labels
    largest_component: int  # nodes in the largest component
    isolated: int  # labels with no edge
    isolated_labels: list[str]  # the most frequent isolated labels first (at most `show`)
    largest_labels: list[str]  # the most frequent labels of the largest component
    degree_histogram: Histogram
    weight_histogram: Histogram
    component_sizes: np.ndarray  # sizes, largest first
    degrees: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))

    @property
    def isolated_share(self) -> float:
        return self.isolated / self.nodes if self.nodes else 0.0

    @property
    def largest_share(self) -> float:
        return self.largest_component / self.nodes if self.nodes else 0.0

    def as_dict(self) -> dict:
        return {
            "nodes": self.nodes,
            "edges": self.edges,
            "mean_degree": self.mean_degree,
            "components": self.components,
            "components_2plus": self.components_2plus,
            "largest_component": self.largest_component,
            "largest_share": self.largest_share,
            "isolated": self.isolated,
            "isolated_share": self.isolated_share,
            "isolated_labels": list(self.isolated_labels),
            "largest_labels": list(self.largest_labels),
            "degree_histogram": [
                {"from": a, "to": b, "count": c} for a, b, c in self.degree_histogram.rows()
            ],
            "weight_histogram": [
                {"from": a, "to": b, "count": c} for a, b, c in self.weight_histogram.rows()
            ],
        }


def degree_histogram(degrees: np.ndarray, max_bins: int = 20) -> Histogram:
    """Integer-aligned bins over 0..max degree: one bin per degree when they fit in `max_bins`."""
    top = int(degrees.max()) if len(degrees) else 0
    width = max(1, int(np.ceil((top + 1) / max_bins)))
    edges = np.arange(0, top + width + 1, width, dtype=np.float64)
    counts = np.bincount(degrees // width, minlength=len(edges) - 1)[: len(edges) - 1]
    return Histogram(edges, counts.astype(np.int64))


def weight_histogram(weights: np.ndarray, bins: int = 10) -> Histogram:
    """Histogram of the undirected edge weights over [min, max] (empty when there is no edge)."""
    if len(weights) == 0:
        return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64))
    lo, hi = float(weights.min()), float(weights.max())
    if hi - lo < 1e-6:
        lo, hi = lo - 0.005, hi + 0.005
    counts, edges = np.histogram(weights.astype(np.float64), bins=bins, range=(lo, hi))
    return Histogram(edges, counts.astype(np.int64))


def _by_count(labels: list[str], counts: np.ndarray, nodes: np.ndarray, show: int) -> list[str]:
    order = sorted(nodes.tolist(), key=lambda i: (-int(counts[i]), labels[i]))
    return [labels[i] for i in order[:show]]


def summarize_graph(graph: LabelGraph, *, bins: int = 10, show: int = 10) -> GraphSummary:
    """Nodes, edges, mean degree, components, largest component, isolated labels, histograms.

    Edges are counted once per unordered pair (the folder stores both directions); the mean
    degree is 2 * edges / nodes. `show` bounds the label lists.
    """
    m = graph.num_nodes
    src = np.asarray(graph.sources, dtype=np.int64)
    dst = np.asarray(graph.targets, dtype=np.int64)
    degrees = _undirected_degrees(m, src, dst)
    ids = components_of(m, src, dst)
    sizes = np.bincount(ids, minlength=int(ids.max()) + 1 if m else 0) if m else np.zeros(0, int)
    sizes_sorted = np.sort(sizes)[::-1]
    counts = np.asarray(graph.counts, dtype=np.int64)
    isolated_nodes = np.flatnonzero(degrees == 0)
    largest = int(np.argmax(sizes)) if m else -1
    undirected = (src < dst) & (src != dst)
    edges = int(degrees.sum() // 2)
    return GraphSummary(
        nodes=m,
        edges=edges,
        mean_degree=float(2 * edges / m) if m else 0.0,
        components=int(len(sizes)),
        components_2plus=int((sizes >= 2).sum()),
        largest_component=int(sizes_sorted[0]) if m else 0,
        isolated=int(len(isolated_nodes)),
        isolated_labels=_by_count(graph.labels, counts, isolated_nodes, show),
        largest_labels=_by_count(graph.labels, counts, np.flatnonzero(ids == largest), show)
        if m
        else [],
        degree_histogram=degree_histogram(degrees),
        weight_histogram=weight_histogram(np.asarray(graph.weights)[undirected], bins),
        component_sizes=sizes_sorted.astype(np.int64),
        degrees=degrees,
    )


@dataclass
class ThresholdRow:
    """The graph one edge threshold would give (same nodes, edges with weight >= threshold)."""

    threshold: float
    edges: int
    mean_degree: float
    components: int
    largest_share: float
    isolated_share: float


def threshold_sweep(
    num_nodes: int,
    sources: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    thresholds: list[float],
) -> list[ThresholdRow]:
    """One `ThresholdRow` per threshold from edges found once at the lowest threshold.

    `sources`/`targets`/`weights` must hold every pair with weight >= min(thresholds) (as
    `similarity_edges` returns them); each threshold keeps the edges with weight >= it, exactly
    what `build-graph --edge-threshold` would keep.
    """
    rows = []
    w = np.asarray(weights, dtype=np.float32)
    for t in thresholds:
        keep = w >= np.float32(t)
        s, d = sources[keep], targets[keep]
        degrees = _undirected_degrees(num_nodes, s, d)
        ids = components_of(num_nodes, s, d)
        sizes = np.bincount(ids) if num_nodes else np.zeros(0, dtype=np.int64)
        edges = int(degrees.sum() // 2)
        rows.append(
            ThresholdRow(
                threshold=float(t),
                edges=edges,
                mean_degree=2 * edges / num_nodes if num_nodes else 0.0,
                components=int(len(sizes)),
                largest_share=float(sizes.max() / num_nodes) if num_nodes else 0.0,
                isolated_share=float((degrees == 0).mean()) if num_nodes else 0.0,
            )
        )
    return rows


def neighbours(graph: LabelGraph, node: int, top: int = 20) -> list[tuple[str, float, int]]:
    """(label, weight, record count) of a node's neighbours, heaviest first, ties by label."""
    keep = (np.asarray(graph.sources) == node) & (np.asarray(graph.targets) != node)
    found = [
        (graph.labels[int(t)], float(w), int(graph.counts[int(t)]))
        for t, w in zip(np.asarray(graph.targets)[keep], np.asarray(graph.weights)[keep])
    ]
    found.sort(key=lambda x: (-x[1], x[0]))
    return found[:top]


@dataclass
class LabelMatch:
    """How a text typed by a user matched a node: `node` is None when nothing is close."""

    node: int | None
    exact: bool
    close: list[tuple[str, float]]  # (label, similarity ratio), best first


def find_label(labels: list[str], text: str, *, cutoff: float = 0.6, n: int = 5) -> LabelMatch:
    """The node whose label is `text` (after `normalize`-style folding), else the closest ones.

    Closeness is `difflib.SequenceMatcher.ratio` (via `difflib.get_close_matches`, standard
    library); candidates below `cutoff` are not offered.
    """
    index = {label: i for i, label in enumerate(labels)}
    key = " ".join(text.lower().split())
    if text in index:
        return LabelMatch(index[text], True, [])
    if key in index:
        return LabelMatch(index[key], True, [])
    close = difflib.get_close_matches(key, labels, n=n, cutoff=cutoff)
    scored = [(c, difflib.SequenceMatcher(None, key, c).ratio()) for c in close]
    return LabelMatch(index[close[0]] if close else None, False, scored)

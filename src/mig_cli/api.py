"""High-level operations on in-memory data: build a graph, select a subset, describe a pool.

These compose the pure pieces (annotations, graph, sampler, phi) without touching files;
`mig_cli.io` reads and writes, the CLI glues both together.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .annotations import Annotations, LabelColumn
from .graph import LabelGraph, graph_from_embeddings, select_nodes
from .phi import Phi, PowPhi
from .sampler import (
    MigSampler,
    RandomSampler,
    Selection,
    TopScoreSampler,
    information,
    propagate,
    propagation_matrix,
    record_vectors,
)


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


@dataclass
class MigModel:
    """Propagated vectors of a pool over a graph: the input of the sampler and of I(D)."""

    u: sp.csr_matrix
    p: sp.csr_matrix
    labelled: np.ndarray  # bool: record keeps >= 1 graph node


def mig_vectors(
    annotations: Annotations, graph: LabelGraph, *, prop_weight: float = 1.0, norm: bool = False
) -> MigModel:
    indptr, ids = annotations.labels.encode(graph.labels)
    v = record_vectors(indptr, ids, annotations.scores, graph.num_nodes, norm)
    p = propagation_matrix(graph.weight_matrix(), prop_weight)
    return MigModel(propagate(v, p), p, np.diff(indptr) > 0)


def select(
    annotations: Annotations,
    k: int,
    *,
    graph: LabelGraph | None = None,
    method: str = "mig",
    phi: Phi | None = None,
    gain: str = "gradient",
    prop_weight: float = 1.0,
    norm: bool = False,
    seed: int = 0,
    given: Annotations | None = None,
    exclude: np.ndarray | None = None,
    backend: str = "auto",
) -> Selection:
    """Choose k rows. `given` records (already chosen) start the state X; `exclude` masks rows."""
    if method == "random":
        return RandomSampler(seed).select(annotations.scores, k, exclude=exclude)
    if method == "top-score":
        return TopScoreSampler().select(annotations.scores, k, exclude=exclude)
    if method != "mig":
        raise ValueError(f"unknown method '{method}'")
    if graph is None:
        raise ValueError("the mig method needs a label graph")
    phi = phi or PowPhi()
    model = mig_vectors(annotations, graph, prop_weight=prop_weight, norm=norm)
    start = None
    if given is not None and len(given.scores):
        start = state_of(given, graph, prop_weight=prop_weight, norm=norm, p=model.p)
    return MigSampler(phi, gain, backend).select(model.u, k, start=start, exclude=exclude)


def state_of(
    annotations: Annotations,
    graph: LabelGraph,
    *,
    prop_weight: float = 1.0,
    norm: bool = False,
    p: sp.csr_matrix | None = None,
) -> np.ndarray:
    """X = sum of u_i over all records (`p`: the propagation matrix, when already built)."""
    return _encoded_state(annotations, graph, prop_weight, norm, p)[1]


def _encoded_state(
    annotations: Annotations,
    graph: LabelGraph,
    prop_weight: float,
    norm: bool,
    p: sp.csr_matrix | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The records' node ids (flat, as `LabelColumn.encode` gives them) and X."""
    indptr, ids = annotations.labels.encode(graph.labels)
    v = record_vectors(indptr, ids, annotations.scores, graph.num_nodes, norm)
    if p is None:
        p = propagation_matrix(graph.weight_matrix(), prop_weight)
    total = np.asarray(v.sum(axis=0)).ravel()
    return ids, np.asarray(p.T @ total).ravel()


@dataclass
class PoolStats:
    records: int
    labelled_records: int
    distinct_labels: int
    nodes: int
    covered_nodes: int
    information: float
    label_entropy: float
    score_mean: float
    score_p10: float
    score_p50: float
    score_p90: float
    labels_per_record: float
    top_labels: list[tuple[str, int]] = field(default_factory=list)

    @property
    def node_coverage(self) -> float:
        return self.covered_nodes / self.nodes if self.nodes else 0.0

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["node_coverage"] = self.node_coverage
        out["top_labels"] = [{"label": a, "count": b} for a, b in self.top_labels]
        return out


def pool_stats(
    annotations: Annotations,
    graph: LabelGraph,
    *,
    phi: Phi | None = None,
    prop_weight: float = 1.0,
    norm: bool = False,
    top: int = 5,
) -> PoolStats:
    """Size, coverage, information I(D), label entropy and score distribution of a pool."""
    phi = phi or PowPhi()
    labels = annotations.labels
    n = len(labels)
    vocab, counts = labels.vocabulary()
    ids, x = _encoded_state(annotations, graph, prop_weight, norm)
    covered = int(np.unique(ids).size)
    total = counts.sum()
    if len(vocab) > 1 and total > 0:
        p = counts[counts > 0] / total
        entropy = float(-(p * np.log(p)).sum() / math.log(len(vocab)))
    else:
        entropy = 0.0
    order = sorted(range(len(vocab)), key=lambda i: (-int(counts[i]), vocab[i]))[:top]
    scores = annotations.scores
    q = np.percentile(scores, [10, 50, 90]) if n else [math.nan] * 3
    per_row = np.diff(labels.offsets)
    return PoolStats(
        records=n,
        labelled_records=int((per_row > 0).sum()),
        distinct_labels=len(vocab),
        nodes=graph.num_nodes,
        covered_nodes=covered,
        information=information(x, phi),
        label_entropy=entropy,
        score_mean=float(scores.mean()) if n else math.nan,
        score_p10=float(q[0]),
        score_p50=float(q[1]),
        score_p90=float(q[2]),
        labels_per_record=float(per_row.mean()) if n else 0.0,
        top_labels=[(vocab[i], int(counts[i])) for i in order],
    )

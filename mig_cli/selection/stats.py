"""Describe a pool or subset: size, node coverage, information I(D), label entropy, scores."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..records.annotations import Annotations
from ..records.label_graph import LabelGraph
from .graph import graph_without_edges
from .phi import Phi, PowPhi
from .selection import information_of


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
    graph: LabelGraph | None = None,
    *,
    phi: Phi | None = None,
    prop_weight: float = 1.0,
    norm: bool = False,
    top: int = 5,
) -> PoolStats:
    """Size, coverage, information I(D), label entropy and score distribution of a pool.

    Without `graph`, the pool's labels are independent nodes (no edges), as `mig stats` does.
    """
    phi = phi or PowPhi()
    labels = annotations.labels
    n = len(labels)
    vocab, counts = labels.vocabulary()
    if graph is None:
        graph = graph_without_edges(sorted(vocab))
    ids, info = information_of(annotations, graph, phi, prop_weight=prop_weight, norm=norm)
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
        information=info,
        label_entropy=entropy,
        score_mean=float(scores.mean()) if n else math.nan,
        score_p10=float(q[0]),
        score_p50=float(q[1]),
        score_p90=float(q[2]),
        labels_per_record=float(per_row.mean()) if n else 0.0,
        top_labels=[(vocab[i], int(counts[i])) for i in order],
    )

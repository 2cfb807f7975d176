"""Seeded random pools and graphs shared by the tests."""

from __future__ import annotations

import numpy as np

from mig_cli.records.annotations import Annotations, LabelColumn
from mig_cli.records.label_graph import LabelGraph


def random_problem(seed: int, n: int, m: int, *, duplicates: int = 5, zero_scores: int = 3):
    rng = np.random.default_rng(seed)
    labels = [f"label-{i:03d}" for i in range(m)]
    lists = []
    for _ in range(n):
        size = int(rng.integers(0, 5))
        row = [labels[int(j)] for j in rng.integers(0, m, size=size)]
        if rng.random() < 0.1:
            row.append("not-a-node")
        lists.append(row)
    scores = rng.uniform(0.5, 6.0, size=n)
    for _ in range(duplicates):  # exact copies: their ties must go to the lowest row
        src, dst = rng.integers(0, n, size=2)
        lists[dst] = list(lists[src])
        scores[dst] = scores[src]
    scores[rng.integers(0, n, size=zero_scores)] = 0.0
    edges = {}
    for _ in range(m * 2):
        a, b = rng.integers(0, m, size=2)
        if a != b:
            w = float(np.float32(rng.uniform(0.9, 1.0)))  # as stored
            edges[(labels[a], labels[b])] = w
            edges[(labels[b], labels[a])] = w
    return labels, edges, lists, scores


def to_graph(labels, edges) -> LabelGraph:
    index = {x: i for i, x in enumerate(labels)}
    src = np.array([index[a] for a, _ in edges], dtype=np.int64)
    dst = np.array([index[b] for _, b in edges], dtype=np.int64)
    w = np.array(list(edges.values()), dtype=np.float32)
    return LabelGraph(labels, np.zeros(len(labels), dtype=np.int64), src, dst, w, {})


def to_annotations(lists, scores) -> Annotations:
    return Annotations(LabelColumn.from_lists(lists), np.asarray(scores, dtype=np.float64))

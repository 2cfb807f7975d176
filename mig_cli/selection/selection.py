"""Select a subset from annotations and a label graph, with MIG or a baseline.

`mig_vectors` builds the propagated vectors u (design.md "The MIG sampler, exactly", steps 1-2),
`select` runs the chosen sampler, `state_of` gives the state X of a set of records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..records.annotations import Annotations
from ..records.label_graph import LabelGraph
from .phi import Phi, PowPhi
from .sampler import (
    MigSampler,
    RandomSampler,
    Selection,
    TopScoreSampler,
    propagate,
    propagation_matrix,
    record_vectors,
)


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
    return encoded_state(annotations, graph, prop_weight, norm, p)[1]


def encoded_state(
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

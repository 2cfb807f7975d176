"""What a pool gives a sampler to select by, and the refusal when it gives nothing.

A record adds information under MIG only when it keeps at least one label that is a node of the
graph and has a score above 0 (design.md: other records have gain 0 and come last, in row
order); under `top-score` only when its score is above 0; `random` needs neither. `coverage`
counts these records and the pool's labels that are not nodes; `refuse_without_information`
raises a `DataError` when no record can be told apart from another, instead of returning the
first K rows with I(D) = 0; `coverage_warnings` words the shares worth a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError
from ..records.annotations import Annotations
from ..records.label_graph import LabelGraph

# a warning is given when more than this share of the records can never be chosen
NEVER_CHOSEN_WARN_SHARE = 0.10


@dataclass
class Coverage:
    """Counts over the records that may be chosen (those not excluded)."""

    method: str
    records: int
    zero_score: int  # score == 0
    off_graph: int  # no label that is a node (0 unless method is mig)
    informative: int  # records with a gain above 0
    distinct_labels: int = 0  # over the whole pool
    labels_off_graph: int = 0  # distinct labels that are not nodes
    graph_nodes: int = 0

    @property
    def never_chosen(self) -> int:
        """Records with gain 0: they are chosen only after every informative record, in order."""
        return self.records - self.informative

    @property
    def labels_off_graph_share(self) -> float:
        return self.labels_off_graph / self.distinct_labels if self.distinct_labels else 0.0


def labels_off_graph(annotations: Annotations, graph: LabelGraph) -> tuple[int, int]:
    """(distinct labels of the pool, how many of them are not nodes of the graph)."""
    values = annotations.labels.values
    if len(values) == 0:
        return 0, 0
    distinct = pc.unique(values)
    known = pc.is_in(distinct, value_set=pa.array(graph.labels, type=pa.string()))
    off = len(distinct) - int(pc.sum(known).as_py() or 0)
    return len(distinct), off


def coverage(
    annotations: Annotations,
    method: str,
    *,
    graph: LabelGraph | None = None,
    on_graph: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
) -> Coverage:
    """Count what the records give `method` to select by.

    `on_graph` (bool per row: the record keeps a label that is a node) is computed from `graph`
    when not given. Records in `exclude` are left out of every record count.
    """
    scores = annotations.scores
    keep = np.ones(len(scores), dtype=bool) if exclude is None else ~np.asarray(exclude, bool)
    positive = scores > 0
    cov = Coverage(method, int(keep.sum()), int((keep & ~positive).sum()), 0, 0)
    if method == "random":
        cov.informative = cov.records
        return cov
    if method != "mig":
        cov.informative = int((keep & positive).sum())
        return cov
    if graph is None:
        raise ValueError("the mig method needs a label graph")
    if on_graph is None:
        indptr, _ = annotations.labels.encode(graph.labels)
        on_graph = np.diff(indptr) > 0
    cov.off_graph = int((keep & ~on_graph).sum())
    cov.informative = int((keep & on_graph & positive).sum())
    cov.distinct_labels, cov.labels_off_graph = labels_off_graph(annotations, graph)
    cov.graph_nodes = graph.num_nodes
    return cov


def refuse_without_information(cov: Coverage, source: str | None = None) -> None:
    """Raise `DataError` when no record that may be chosen adds any information."""
    if cov.records == 0 or cov.informative > 0:
        return
    if cov.method == "mig" and cov.distinct_labels and cov.labels_off_graph == cov.distinct_labels:
        raise DataError(
            f"none of the pool's {cov.distinct_labels:,} distinct labels is a node of the graph "
            f"({cov.graph_nodes:,} nodes): the graph was built from another pool or another "
            "labels field; build one from this pool (mig build-graph) or leave out --graph",
            source=source,
        )
    if cov.method == "mig":
        raise DataError(
            f"nothing to select by: none of the {cov.records:,} records has both a label on the "
            f"graph and a score above 0 ({cov.off_graph:,} have no label on the graph, "
            f"{cov.zero_score:,} have score 0); check --labels-field / --score-field, or use "
            "--method random",
            source=source,
        )
    raise DataError(
        f"nothing to select by: every one of the {cov.records:,} records has score 0; check "
        "--score-field, or use --method random",
        source=source,
    )


def coverage_warnings(cov: Coverage, k: int | None = None, *, graph_given: bool = False) -> list:
    """Plain-text warnings: a large share of records never chosen, labels not on the graph."""
    out = []
    if cov.method == "mig" and graph_given and cov.labels_off_graph:
        out.append(
            f"{cov.labels_off_graph:,} of the pool's {cov.distinct_labels:,} distinct labels "
            f"({cov.labels_off_graph_share:.1%}) are not nodes of the graph and are ignored"
        )
    if cov.records and cov.never_chosen / cov.records > NEVER_CHOSEN_WARN_SHARE:
        why = [f"{cov.zero_score:,} with score 0"]
        if cov.method == "mig":
            why.insert(0, f"{cov.off_graph:,} with no label on the graph")
        out.append(
            f"{cov.never_chosen:,} of {cov.records:,} records "
            f"({cov.never_chosen / cov.records:.1%}) add no information and are chosen only "
            f"after all others, in file order ({', '.join(why)})"
        )
    if k is not None and cov.informative < k <= cov.records:
        out.append(
            f"only {cov.informative:,} records add information; the last "
            f"{k - cov.informative:,} of the {k:,} are taken in file order"
        )
    return out

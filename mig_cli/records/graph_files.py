"""The label-graph folder: nodes.parquet, edges.parquet and meta.json (design.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import GraphError
from .atomic_files import atomic_folder
from .label_graph import GRAPH_FORMAT_VERSION, LabelGraph

NODES_FILE, EDGES_FILE, META_FILE = "nodes.parquet", "edges.parquet", "meta.json"
GRAPH_FILES = (NODES_FILE, EDGES_FILE, META_FILE)


def write_graph(graph: LabelGraph, folder: str) -> None:
    """Write nodes.parquet, edges.parquet and meta.json into `folder`, swapped in whole.

    The files are written into a temporary folder beside `folder`, which then replaces it, so a
    failed run leaves the earlier graph (or nothing) and never a mix. An existing `folder` that
    holds other files is refused (`UsageError`).
    """
    with atomic_folder(folder, allowed=GRAPH_FILES) as out:
        _write_graph_files(graph, out)


def _write_graph_files(graph: LabelGraph, out: Path) -> None:
    labels = pa.array(graph.labels, type=pa.string())
    nodes = pa.table({"label": labels, "count": pa.array(graph.counts, type=pa.int64())})
    edges = pa.table(
        {
            "source": labels.take(pa.array(graph.sources, type=pa.int64())),
            "target": labels.take(pa.array(graph.targets, type=pa.int64())),
            "weight": pa.array(graph.weights, type=pa.float32()),
        }
    )
    pq.write_table(nodes, out / NODES_FILE)
    pq.write_table(edges, out / EDGES_FILE)
    meta = {"version": GRAPH_FORMAT_VERSION, **graph.meta}
    meta.update(nodes=graph.num_nodes, edges=graph.num_edges)
    (out / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _graph_table(folder: Path, name: str, columns: dict[str, str]) -> pa.Table:
    path = folder / name
    if not path.exists():
        raise GraphError(f"{folder}: graph folder is missing {name}")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise GraphError(f"{path}: cannot read Parquet: {exc}") from None
    for column, kind in columns.items():
        if column not in table.column_names:
            raise GraphError(
                f"{path}: missing column '{column}' (has: {', '.join(table.column_names)})"
            )
        typ = table.column(column).type
        ok = {
            "string": pa.types.is_string(typ) or pa.types.is_large_string(typ),
            "int": pa.types.is_integer(typ),
            "float": pa.types.is_floating(typ) or pa.types.is_integer(typ),
        }[kind]
        if not ok:
            raise GraphError(f"{path}: column '{column}' must be {kind}, got {typ}")
        if table.column(column).null_count:
            raise GraphError(f"{path}: column '{column}' has missing values")
    return table


def read_graph(folder: str) -> LabelGraph:
    """Read a graph folder written by `write_graph`, by hand or by another tool."""
    root = Path(folder)
    if not root.is_dir():
        raise GraphError(f"{folder}: no such graph folder")
    nodes = _graph_table(root, NODES_FILE, {"label": "string"})
    edges = _graph_table(root, EDGES_FILE, {"source": "string", "target": "string"})
    labels = nodes.column("label").to_pylist()
    index: dict[str, int] = {}
    for row, label in enumerate(labels):
        if label in index:
            raise GraphError(f"{root / NODES_FILE}: row {row + 1}: duplicate label '{label}'")
        index[label] = row
    if "count" in nodes.column_names:
        counts = nodes.column("count").to_numpy().astype(np.int64)
    else:
        counts = np.zeros(len(labels), dtype=np.int64)
    src_labels = edges.column("source").to_pylist()
    dst_labels = edges.column("target").to_pylist()
    src = np.empty(len(src_labels), dtype=np.int64)
    dst = np.empty(len(dst_labels), dtype=np.int64)
    for row, (a, b) in enumerate(zip(src_labels, dst_labels)):
        for label, column in ((a, "source"), (b, "target")):
            if label not in index:
                raise GraphError(
                    f"{root / EDGES_FILE}: row {row + 1}: {column} '{label}' is not a node"
                )
        src[row], dst[row] = index[a], index[b]
    if "weight" in edges.column_names:
        weights = edges.column("weight").to_numpy().astype(np.float32)
    else:
        weights = np.ones(len(src), dtype=np.float32)
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise GraphError(f"{root / EDGES_FILE}: row {row + 1}: weight must be finite and >= 0")
    meta: dict = {}
    if (root / META_FILE).exists():
        try:
            meta = json.loads((root / META_FILE).read_text())
        except json.JSONDecodeError as exc:
            raise GraphError(f"{root / META_FILE}: not valid JSON ({exc.msg})") from None
    return LabelGraph(labels, counts, src, dst, weights, meta)

"""Writing the subsets of one `mig sample` run: each nested size, each with its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import tomllib

from ..records.annotations import Annotations
from ..records.label_graph import LabelGraph
from ..records.manifest import graph_fingerprint, write_manifest
from ..records.pool import Pool
from ..records.pool_index import write_rows
from ..selection.phi import Phi
from ..selection.quota import group_codes
from ..selection.sampler import Selection
from ..selection.selection import information_of
from .common import err_console
from .controls import (
    QuotaSpec,
    concat_annotations,
    manifest_target,
    nested_path,
    quota_values,
    take_annotations,
)
from .replay import annotation_info, base_manifest


@dataclass
class SampleRun:
    """What one selection was made from, for writing its subsets and manifests."""

    pool: Pool
    annotations: Annotations
    graph: LabelGraph | None
    selection: Selection
    phi: Phi
    prop_weight: float
    norm: bool
    given: Annotations | None  # --given records (they start the state)
    costs: np.ndarray | None
    why: str = ""  # why fewer records than asked were selected (for the warning)
    lazy_copies: np.ndarray | None = None  # lazy dedup: per pick, the copies the greedy met
    save_graph: str | None = None  # --save-graph: the folder that keeps the graph built here
    files: list[str] = field(default_factory=list)  # outputs written so far (removed on failure)


def _auto_annotation(pool) -> dict | None:
    """When `mig sample` annotated a raw pool itself: the annotated copy and how it was made."""
    if getattr(pool, "rows_from", None) is None or getattr(pool, "path", None) is None:
        return None
    from .auto_annotate import annotation_stamp

    return {"annotated_pool": str(Path(pool.path).resolve()), **(annotation_stamp(pool.path) or {})}


def _prefix_information(run: SampleRun, rows: np.ndarray) -> float | None:
    if run.graph is None or run.selection.information is None:
        return None
    if len(rows) == len(run.selection.rows):
        return run.selection.information
    chosen = take_annotations(run.annotations, rows)
    if run.given is not None:
        chosen = concat_annotations(run.given, chosen)
    _, info = information_of(chosen, run.graph, run.phi, prop_weight=run.prop_weight, norm=run.norm)
    return info


def _id_lookup(pool: Pool):
    """A function rows -> their ids, when every row has an id and the ids are unique; else None.

    Arrow pools are checked with pyarrow compute (no Python string per row).
    """
    column = pool.top_column("id")
    if column is not None:
        if column.null_count or pc.count_distinct(column).as_py() != len(column):
            return None
        return lambda rows: [str(v) for v in column.take(pa.array(rows, pa.int64())).to_pylist()]
    ids = pool.ids()
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        return None
    return lambda rows: [ids[r] for r in rows.tolist()]


def write_subsets(
    run: SampleRun,
    sizes: list[int],
    target: str,
    manifest: str | None,
    options: dict[str, Any],
    counts: dict[str, Any],
    spec: QuotaSpec,
    cost_info: dict | None,
    labels_field: str | None,
    score_field: str | None,
    preset: Any,
) -> list[dict]:
    """Write each nested prefix (or the one subset) and its manifest; returns the manifests."""
    selection = run.selection
    nested = len(sizes) > 1
    plan = [(k, nested_path(target, k) if nested else target) for k in sizes] or [(None, target)]
    config = options.get("config")
    config_data = None
    if config:
        with open(config, "rb") as fh:
            config_data = tomllib.load(fh)
    ids_of = _id_lookup(run.pool)
    base = base_manifest(options, config_data)
    if run.graph is not None:
        base["graph"] = {
            "fingerprint": graph_fingerprint(run.graph),
            "nodes": run.graph.num_nodes,
            "edges": run.graph.num_edges,
            "meta": run.graph.meta,
        }
        if run.save_graph:
            base["graph"]["folder"] = str(Path(run.save_graph).resolve())
    pool_fields = {
        "labels_field": labels_field or "labels",
        "score_field": score_field or "score",
        "preset": getattr(preset, "value", preset),
    }
    base["annotations"] = annotation_info(
        pool_fields, run.graph.meta if run.graph else None, _auto_annotation(run.pool)
    )
    group_values = quota_values(run.pool, spec.field) if spec.field else []
    written = []
    for k, path in plan:
        rows = selection.rows[:k] if k is not None else selection.rows
        if k is not None and len(rows) < k:
            err_console.print(
                f"[yellow]Warning:[/] only {len(rows):,} records were selected; "
                f"{Path(path).name} holds them all, not {k:,}"
                + (f" ({run.why})" if run.why else "")
            )
        source = getattr(run.pool, "rows_from", None) or run.pool  # the input of an annotated copy
        write_rows(source, rows.tolist(), path)  # a Pool or a PoolIndex
        if path != "-":
            run.files.append(path)
        body = dict(base)
        body["counts"] = {**counts, "selected": len(rows)}
        if run.lazy_copies is not None:  # the copies of this prefix's picks the greedy met
            body["counts"]["duplicates_skipped"] = int(run.lazy_copies[: len(rows)].sum())
        if run.costs is not None:
            body["cost"] = {**(cost_info or {}), "total": float(run.costs[rows].sum())}
            body["budget"] = options.get("budget_tokens")
            body["guard"] = selection.guard or None
        if spec.field:
            values = [group_values[r] for r in rows.tolist()]
            body["quota"] = {
                "field": spec.field,
                "max_share": spec.max_share,
                "min_count": spec.min_count,
            }
            codes, labels = group_codes(values)
            body["quota"]["groups"] = {
                labels[g]: int(c) for g, c in enumerate(np.bincount(codes, minlength=len(labels)))
            }
        body["subset"] = {
            "k": k,
            "path": str(Path(path).resolve()) if path != "-" else "<stdout>",
            "rows": rows,
            "ids": ids_of(rows) if ids_of is not None else None,
            "gains": selection.gains[: len(rows)],
        }
        body["information"] = _prefix_information(run, rows)
        where = manifest_target(path, manifest, nested, k or 0)
        if where is not None:
            write_manifest(where, body)
            run.files.append(where)
        written.append(body)
    return written


def remove_outputs(run: SampleRun) -> None:
    """Remove what a failed run wrote (a run that fails leaves no output at all)."""
    import contextlib
    import os

    for path in reversed(run.files):
        with contextlib.suppress(OSError):
            os.unlink(path)
    run.files.clear()

"""The Ray side of `--engine ray`: what each actor runs (`ShardWorker`, `annotate_shard`).

A `ShardWorker` is a Ray Data actor (`ray.data.Dataset.map_batches` with an
`ActorPoolStrategy`, driven by `ray_engine`): it builds its annotator once from a picklable
zero-argument factory, then each call reads one shard itself (`records.shards.iter_shard`),
annotates it batch by batch exactly as the local engine does (`engine.annotate_batch`) and
writes `part-NNNNN.parquet` plus a small JSON summary into the state folder, atomically (the
summary last: it marks the shard done). A `MigError` in a shard comes back as a summary with
`error`, `exit` and `line`, for the driver to report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import MigError
from ..records.atomic_files import atomic_open, atomic_path
from ..records.rows import RawRow
from ..records.shards import iter_shard
from ..records.writers import record_line, records_table
from .engine import annotate_batch

TAGGER_COUNTERS = ("seen", "unreadable", "bridged")  # TaxonomyTagger's, summed by the driver


def annotate_shard(shard: dict, annotator: Any, job: dict) -> dict:
    """Annotate one shard, write its part and summary into `job['state']`; the summary.

    The summary carries how far the tagger's `TAGGER_COUNTERS` moved in this shard (`counters`),
    so that the driver can warn about unreadable scripts as the local engine does."""
    state = Path(job["state"])
    name = f"part-{shard['shard']:05d}"
    summary: dict[str, Any] = {"shard": shard["shard"], "rows": 0, "annotated": 0}
    summary.update(skipped=[], dropped=[], unusable=0)
    before = getattr(annotator, "unusable", 0)
    tagger = getattr(annotator, "tagger", None)
    counted = {k: getattr(tagger, k, 0) for k in TAGGER_COUNTERS}
    records: list[dict] = []
    batch: list[RawRow] = []
    rows = iter_shard(shard)
    while True:
        batch = [raw for _, raw in zip(range(job["batch_size"]), rows)]
        if not batch:
            break
        entry = annotate_batch(0, batch, annotator, job["strict"], job["source"])
        reasons = {int(row): reason for row, reason in entry["skipped"]}
        it = iter(entry["values"])
        for raw in batch:
            summary["rows"] += 1
            if raw.record is None:
                summary["dropped"].append([raw.line, raw.error or "unreadable"])
                continue
            record = dict(raw.record)
            value = next(it)
            if job.get("extra_field"):  # [value, extra] pairs, as in engine.run_annotation
                value, record[job["extra_field"]] = value
            record[job["field"]] = value
            records.append(record)
            if raw.row in reasons:
                summary["skipped"].append([raw.line, reasons[raw.row]])
            else:
                summary["annotated"] += 1
    summary["unusable"] = getattr(annotator, "unusable", 0) - before
    summary["counters"] = {k: getattr(tagger, k, 0) - v for k, v in counted.items()}
    if job["columns"]:  # a folder of shards, or one Parquet file at the end
        table = records_table(records, job["output"]) if records else pa.table({})
    else:  # one JSON file at the end: each record's exact JSON line
        lines = [record_line(r, job["source"]) for r in records]
        table = pa.table({"record": pa.array(lines, pa.binary())})
    with atomic_path(state / f"{name}.parquet") as tmp:
        pq.write_table(table, tmp)
    with atomic_open(state / f"{name}.json", "wb") as fh:  # written last: marks the shard done
        fh.write(orjson.dumps(summary))
    return summary


class ShardWorker:
    """A Ray Data actor: builds the annotator once, then annotates one shard per call."""

    def __init__(self, factory: Callable[[], Any], job: dict) -> None:
        os.environ["MIG_NO_PROGRESS"] = "1"
        self.annotator = factory()
        self.job = job

    def __call__(self, batch: dict) -> dict:
        out = []
        for text in batch["shard"]:
            shard = json.loads(str(text))
            try:
                summary = annotate_shard(shard, self.annotator, self.job)
            except MigError as exc:  # reported by the driver, with the shard's line
                summary = {"shard": shard["shard"], "error": str(exc), "exit": exc.exit_code}
                summary["line"] = getattr(exc, "line", None) or 0
            out.append(json.dumps(summary))
        return {"summary": out}

"""Resumable, batched annotation of a pool: the engine behind `mig tag` and `mig score`.

An `Annotator` turns a batch of records into one value per record (labels or a score) or a
`Skipped` reason. `run_annotation` streams the input in fixed batches (batch b is always rows
[b*B, (b+1)*B)), appends each finished batch to a checkpoint, and on a re-run skips the batches
already done, so a killed run resumes and ends with the same file an uninterrupted run writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import DataError
from ..records.checkpoint import Checkpoint, file_identity
from ..records.rows import RawRow, iter_rows
from ..records.writers import AnnotatedWriter


@dataclass(frozen=True)
class Skipped:
    """A record that could not be annotated, and why."""

    reason: str
    bad_input: bool = True  # False: the record was fine but the model's reply was unusable


class Annotator(Protocol):
    field: str
    skip_value: Any  # written for skipped records

    def config(self) -> dict: ...

    def annotate(self, records: Sequence[dict]) -> list[Any]: ...


@dataclass
class AnnotationReport:
    rows: int = 0
    annotated: int = 0
    resumed_rows: int = 0
    discarded_checkpoint: bool = False
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    dropped: list[tuple[int, str]] = field(default_factory=list)  # unparseable lines

    @property
    def problems(self) -> list[tuple[int, str]]:
        return sorted(self.dropped + self.skipped)


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[tuple[int, list[RawRow]]]:
    batch: list[RawRow] = []
    index = 0
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield index, batch
            index += 1
            batch = []
    if batch:
        yield index, batch


def run_annotation(
    source: str,
    output: str,
    annotator: Annotator,
    *,
    batch_size: int = 256,
    strict: bool = False,
    restart: bool = False,
    on_rows: Callable[[int], None] | None = None,
) -> AnnotationReport:
    """Annotate every record of `source` into `output`; resume from a checkpoint if present."""
    report = AnnotationReport()
    resumable = source != "-" and output != "-"
    checkpoint = None
    done: dict[int, dict] = {}
    if resumable:
        header = {
            "version": 1,
            "input": file_identity(source),
            "field": annotator.field,
            "annotator": annotator.config(),
            "batch_size": batch_size,
        }
        checkpoint = Checkpoint(output, header)
        done = checkpoint.open(restart=restart)
        report.discarded_checkpoint = checkpoint.discarded
    results: dict[int, dict] = dict(done)
    spool: list[list[RawRow]] | None = [] if source == "-" else None
    for index, batch in _batches(iter_rows(source), batch_size):
        if spool is not None:
            spool.append(batch)
        if index in results:
            report.resumed_rows += len(batch)
            if on_rows:
                on_rows(len(batch))
            continue
        good = [raw for raw in batch if raw.record is not None]
        values = annotator.annotate([raw.record for raw in good]) if good else []
        by_row = {raw.row: value for raw, value in zip(good, values, strict=True)}
        out_values: list[Any] = []
        skipped: list[list] = []
        for raw in batch:  # in row order, so --strict stops at the first problem
            if raw.record is None:
                if strict:
                    raise DataError(raw.error or "unreadable", source=source, line=raw.line)
                continue
            value = by_row[raw.row]
            if isinstance(value, Skipped):
                if strict and value.bad_input:
                    raise DataError(value.reason, source=source, line=raw.line)
                skipped.append([raw.row, value.reason])
                value = annotator.skip_value
            out_values.append(value)
        entry = {"batch": index, "values": out_values, "skipped": skipped}
        if checkpoint is not None:
            checkpoint.add(index, out_values, skipped)
        results[index] = entry
        if on_rows:
            on_rows(len(batch))
    rows = iter_rows(source) if spool is None else (r for b in spool for r in b)
    writer = AnnotatedWriter(output)
    ok = False
    try:
        for index, batch in _batches(rows, batch_size):
            entry = results[index]
            values = iter(entry["values"])
            reasons = {int(row): reason for row, reason in entry["skipped"]}
            out = []
            for raw in batch:
                report.rows += 1
                if raw.record is None:
                    report.dropped.append((raw.line, raw.error or "unreadable"))
                    continue
                record = dict(raw.record)
                record[annotator.field] = next(values)
                out.append(record)
                if raw.row in reasons:
                    report.skipped.append((raw.line, reasons[raw.row]))
                else:
                    report.annotated += 1
            writer.write(out)
        ok = True
    finally:
        writer.close(ok)
    if checkpoint is not None:
        checkpoint.remove()
    return report

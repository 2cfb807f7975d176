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
from ..records.checkpoint import Checkpoint, OutputLock
from ..records.input_files import open_input
from ..records.rows import RawRow, content_hash, iter_rows
from ..records.writers import AnnotatedWriter, output_format


@dataclass(frozen=True)
class Skipped:
    """A record that could not be annotated, and why."""

    reason: str
    bad_input: bool = True  # False: the record was fine but the model's reply was unusable


class Annotator(Protocol):
    field: str
    skip_value: Any  # written for skipped records
    # optional `extra_field: str | None`: when set, each value is a pair [value, extra] and
    # the extra goes to that field (e.g. `score_components`)

    def config(self) -> dict: ...

    def annotate(self, records: Sequence[dict]) -> list[Any]: ...


@dataclass
class AnnotationReport:
    rows: int = 0
    annotated: int = 0
    resumed_rows: int = 0
    discarded_checkpoint: bool = False
    checkpoint_changes: list[str] = field(default_factory=list)  # what differed, dotted
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
    on_start: Callable[[int | None], None] | None = None,
    nothing_hint: str = "",
) -> AnnotationReport:
    """Annotate every record of `source` into `output`; resume from a checkpoint if present.

    The input is opened once (`input_files.open_input`: a pipe or stdin is spooled, so it is read
    exactly once); `on_start` gets the row count before the work starts. The output is locked
    for the run (`OutputLock`: a second run on the same output fails at once). The checkpoint
    is keyed on the input's content hash (sha256, streamed) and every option that shapes the
    values, so an input edited in place or other options start afresh. When no record at all
    could be annotated, raises DataError (with `nothing_hint` appended) and writes nothing.
    """
    output_format(output)  # an unknown extension is refused before any work
    info = open_input(source)
    with OutputLock(output):
        return _run(
            info, output, annotator, batch_size, strict, restart, on_rows, on_start, nothing_hint
        )


def _run(info, output, annotator, batch_size, strict, restart, on_rows, on_start, hint):
    report = AnnotationReport()
    if on_start is not None:
        from ..records.rows import count_rows

        on_start(count_rows(info))
    checkpoint = None
    done: dict[int, dict] = {}
    if info.resumable and output != "-":
        header = {
            "version": 2,
            "input": content_hash(info),
            "field": annotator.field,
            "annotator": annotator.config(),
            "batch_size": batch_size,
            "strict": strict,
        }
        checkpoint = Checkpoint(output, header)
        done = checkpoint.open(restart=restart)
        report.discarded_checkpoint = checkpoint.discarded
        report.checkpoint_changes = checkpoint.changed
    results: dict[int, dict] = dict(done)
    rows_seen = unusable = 0
    first_problems: list[tuple[int, str]] = []
    try:
        for index, batch in _batches(iter_rows(info), batch_size):
            rows_seen += len(batch)
            if index in results:
                report.resumed_rows += len(batch)
                entry = results[index]
            else:
                entry = annotate_batch(index, batch, annotator, strict, info.source)
                if checkpoint is not None:
                    checkpoint.add(index, entry["values"], entry["skipped"])
                results[index] = entry
            reasons = {int(row): reason for row, reason in entry["skipped"]}
            for raw in batch:
                problem = raw.error if raw.record is None else reasons.get(raw.row)
                if problem is not None:
                    unusable += 1
                    if len(first_problems) < 3:
                        first_problems.append((raw.line, problem))
            if on_rows:
                on_rows(len(batch))
    except BaseException:
        if checkpoint is not None and not checkpoint.batches:
            checkpoint.remove()  # nothing finished: leave no checkpoint behind
        raise
    if not rows_seen:
        if checkpoint is not None:
            checkpoint.remove()
        raise DataError("the pool is empty (no records); nothing was written", source=info.source)
    if unusable == rows_seen:
        if checkpoint is not None:
            checkpoint.remove()
        shown = "; ".join(f"line {line}: {why}" for line, why in first_problems)
        raise DataError(
            f"no record could be annotated: all {rows_seen:,} were skipped or unreadable "
            f"({shown}){'; ' + hint if hint else ''}; nothing was written",
            source=info.source,
        )
    writer = AnnotatedWriter(output)
    ok = False
    try:
        for index, batch in _batches(iter_rows(info), batch_size):
            entry = results[index]
            values = iter(entry["values"])
            reasons = {int(row): reason for row, reason in entry["skipped"]}
            out, lines = [], []
            for raw in batch:
                report.rows += 1
                if raw.record is None:
                    report.dropped.append((raw.line, raw.error or "unreadable"))
                    continue
                record = dict(raw.record)
                value = next(values)
                extra = getattr(annotator, "extra_field", None)
                if extra:  # the annotator gives [value, extra value] (e.g. score components)
                    value, record[extra] = value
                record[annotator.field] = value
                out.append(record)
                lines.append(raw.line)
                if raw.row in reasons:
                    report.skipped.append((raw.line, reasons[raw.row]))
                else:
                    report.annotated += 1
            writer.write(out, lines, info.source)
        ok = True
    finally:
        writer.close(ok)
    if checkpoint is not None:
        checkpoint.remove()
    return report


def annotate_batch(index: int, batch: list[RawRow], annotator, strict: bool, source: str) -> dict:
    """Annotate the readable rows of one batch: {"batch": index, "values": one value per readable
    row in order (`annotator.skip_value` for a skipped one), "skipped": [[row, reason], ...]}.
    With `strict`, an unreadable row or a bad input is a `DataError` naming its line."""
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
    return {"batch": index, "values": out_values, "skipped": skipped}

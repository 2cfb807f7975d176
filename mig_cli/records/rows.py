"""Streaming the rows of a pool with bounded memory (the annotation engine's input)."""

from __future__ import annotations

import contextlib
import gzip
import sys
from collections.abc import Iterator

import orjson
import pyarrow.parquet as pq

from ..errors import DataError
from .formats import STDIN, _lenient_json, pool_format, read_pool


class RawRow:
    """One input row for streaming work: the parsed record or why it could not be parsed."""

    __slots__ = ("row", "line", "record", "error")

    def __init__(self, row: int, line: int, record: dict | None, error: str | None = None):
        self.row, self.line, self.record, self.error = row, line, record, error


def count_rows(path: str) -> int:
    """Rows in a pool without parsing it (lines with content for JSONL; metadata for Parquet)."""
    fmt = pool_format(path)
    if fmt == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if fmt in ("datasets", "hub"):
        return len(read_pool(path))
    total = 0
    opener = gzip.open if fmt == "jsonl.gz" else open
    try:
        with opener(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    total += 1
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    return total


def iter_rows(path: str) -> Iterator[RawRow]:
    """Stream the rows of a pool with bounded memory; bad JSON lines come back with an error."""
    fmt = pool_format(path)
    if fmt == "parquet":
        row = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                row += 1
                yield RawRow(row - 1, row, record)
        return
    if fmt in ("datasets", "hub"):
        for i, record in enumerate(read_pool(path).rows()):
            yield RawRow(i, i + 1, record)
        return
    opener = gzip.open if fmt == "jsonl.gz" else open
    row = 0
    try:
        fh = sys.stdin.buffer if path == STDIN else opener(path, "rb")
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    with contextlib.ExitStack() as stack:
        if path != STDIN:
            stack.enter_context(fh)
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                error = None if isinstance(record, dict) else "expected a JSON object"
            except orjson.JSONDecodeError as exc:
                record = _lenient_json(line)
                error = None if record is not None else f"not valid JSON ({str(exc).split(':')[0]})"
            if error:
                record = None
            yield RawRow(row, number, record, error)
            row += 1

"""Streaming the rows of a pool with bounded memory (the annotation engine's input).

Goes through `input_files.open_input`, like `read_pool`: the same inputs are accepted and the same
broken ones refused. An input that can be read only once (stdin, a pipe, a FIFO) is spooled to
a temporary file when it is opened, so counting, annotating and writing read it again safely.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pyarrow as pa

from ..errors import DataError
from .formats import parquet_file, read_table
from .input_files import GZIP_ERRORS, InputFile, gzip_error, open_bytes, open_input, read_all
from .jsonl_text import check_single_object, iter_lines, parse_array, parse_line, starts_array

_PEEK = 4096


class RawRow:
    """One input row for streaming work: the parsed record or why it could not be parsed."""

    __slots__ = ("row", "line", "record", "error")

    def __init__(self, row: int, line: int, record: dict | None, error: str | None = None):
        self.row, self.line, self.record, self.error = row, line, record, error


def _is_array(info: InputFile) -> bool:
    with open_bytes(info) as fh:
        try:
            head = fh.read(_PEEK)
        except GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
    return starts_array(head.removeprefix(b"\xef\xbb\xbf"))


def count_rows(path: str | InputFile) -> int:
    """Rows in a pool (lines with content for JSONL; metadata for Parquet)."""
    info = open_input(path)
    if info.kind == "parquet":
        return parquet_file(info).metadata.num_rows
    if info.kind == "parquet-folder":
        from .shards import count_parquet_folder

        return count_parquet_folder(info.name)
    if info.kind != "text" or _is_array(info):
        return sum(1 for _ in iter_rows(info))
    total = 0
    with open_bytes(info) as fh:
        try:
            for line in iter_lines(fh):
                if line.strip():
                    total += 1
        except GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
    return total


def iter_rows(path: str | InputFile) -> Iterator[RawRow]:
    """Stream the rows of a pool; bad JSON lines come back with an error (not raised)."""
    info = open_input(path)
    if info.kind == "parquet":
        yield from _parquet_rows(info)
        return
    if info.kind == "parquet-folder":
        from .shards import iter_parquet_folder

        yield from iter_parquet_folder(info.name)
        return
    if info.kind != "text":
        for i, record in enumerate(read_table(info).to_pylist()):
            yield RawRow(i, i + 1, record)
        return
    if _is_array(info):
        items = parse_array(read_all(info), info.source)
        if items is not None:
            for i, item in enumerate(items):
                ok = isinstance(item, dict)
                yield RawRow(i, i + 1, item if ok else None, None if ok else "not a JSON object")
            return
    row = 0
    with open_bytes(info) as fh:
        lines = iter_lines(fh)
        number = 0
        while True:
            try:
                line = next(lines)
            except StopIteration:
                break
            except GZIP_ERRORS as exc:
                raise gzip_error(info, exc) from None
            number += 1
            if not line.strip():
                continue
            record, error = parse_line(line)
            if row == 0 and error is not None and line.lstrip().startswith(b"{"):
                check_single_object(info)
            yield RawRow(row, number, record, error)
            row += 1


def _parquet_rows(info: InputFile) -> Iterator[RawRow]:
    row = 0
    try:
        for batch in parquet_file(info).iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                row += 1
                yield RawRow(row - 1, row, record)
    except (pa.ArrowException, OSError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise DataError(
            f"cannot read Parquet at row {row + 1}: {text[0] if text else exc}",
            source=info.source,
        ) from None


def content_hash(path: str | InputFile) -> str:
    """sha256 of an input's bytes as stored (streamed; every file of a datasets folder)."""
    info = open_input(path)
    h = hashlib.sha256()
    if info.path is None:
        return "hub:" + info.name
    files = (
        sorted(p for p in info.path.rglob("*") if p.is_file())
        if info.path.is_dir()
        else [info.path]
    )
    for file in files:
        h.update(str(file.relative_to(info.path) if file != info.path else "").encode() + b"\0")
        try:
            with open(file, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", source=str(file)) from None
    return "sha256:" + h.hexdigest()

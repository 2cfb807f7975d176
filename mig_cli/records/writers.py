"""Writing pools, subsets and small tables; every writer is atomic.

Writers write to a hidden temporary file in the target folder and rename it when complete, so
a failed run never leaves a partial file (`atomic_files`). `.gz` outputs are byte-reproducible
(no time or name in the gzip header).

Record formats by extension: `.jsonl` / `.ndjson` (one JSON object a line), the same with
`.gz`, `.json` (one JSON array), `.parquet`; `-` is stdout (JSONL). Any other extension is
refused (`UsageError`), never silently written as JSONL.
"""

from __future__ import annotations

import contextlib
import gzip
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError, UsageError
from .atomic_files import atomic_open, atomic_path
from .input_files import STDIN, open_input, read_all
from .jsonl_text import parse_jsonl
from .jsonvalues import dump_record
from .pool import Pool

RECORD_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl.gz",
    ".ndjson.gz": "jsonl.gz",
    ".json.gz": "json.gz",
    ".json": "json",
    ".parquet": "parquet",
}
TABLE_FORMATS = (".csv", ".tsv", ".parquet", ".jsonl", ".json")


@contextlib.contextmanager
def open_output(path: Path, compressed: bool) -> Iterator[IO[bytes]]:
    """A binary file for writing; gzip without a time or a name in its header."""
    with open(path, "wb") as raw:
        if not compressed:
            yield raw
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
            yield fh


def record_line(record: dict, source: str | None = None, line: int | None = None) -> bytes:
    """One record as a JSON line whose values read back exactly; DataError naming the field."""
    try:
        return dump_record(record)
    except ValueError as exc:
        raise DataError(f"{exc}; write .parquet instead", source=source, line=line) from None


def subset_lines(pool: Pool, rows: Sequence[int]) -> Iterator[bytes]:
    """JSONL lines of the chosen rows: byte for byte from JSONL input."""
    if pool.lines is not None:
        for r in rows:
            yield pool.lines[r]
        return
    if pool.records is not None:
        for r in rows:
            yield record_line(pool.records[r], pool.source, pool.line_of(r))
        return
    assert pool.table is not None
    taken = pool.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()
    for r, record in zip(rows, taken, strict=True):
        yield record_line(record, pool.source, int(r) + 1)


def output_format(path: str) -> str:
    """'jsonl', 'jsonl.gz', 'json', 'json.gz' or 'parquet' by extension; UsageError otherwise."""
    if path == STDIN:
        return "jsonl"
    name = path.lower()
    for suffix in sorted(RECORD_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return RECORD_FORMATS[suffix]
    p = Path(path)
    if p.exists() and not p.is_file() and not p.is_dir():  # /dev/stdout, a FIFO
        return "jsonl"
    known = ", ".join(sorted(RECORD_FORMATS))
    raise UsageError(f"{path}: cannot write records to this file type (use {known}, or -)")


def _column_error(records: list[dict], what: str) -> DataError:
    names: dict[str, None] = {}
    for r in records:
        names.update(dict.fromkeys(r))
    for name in names:
        try:
            pa.array([r.get(name) for r in records])
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            return DataError(
                f"field '{name}' cannot be stored as Parquet ({exc}); write .jsonl instead",
                source=what,
            )
    return DataError("cannot store these records as Parquet; write .jsonl instead", source=what)


def records_table(records: list[dict], what: str) -> pa.Table:
    """Records as an Arrow table (`pa.Table.from_pylist`); a `DataError` naming the first field
    that cannot be stored as Parquet (`what` names the output in the message)."""
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        raise _column_error(records, what) from None


def _only_nulls_differ(src: pa.DataType, dst: pa.DataType) -> bool:
    """True when `src` is `dst` with some parts of unknown (null) type: a safe cast."""
    if src == dst or pa.types.is_null(src):
        return True
    if pa.types.is_list(src) and pa.types.is_list(dst):
        return _only_nulls_differ(src.value_type, dst.value_type)
    if pa.types.is_large_list(src) and pa.types.is_large_list(dst):
        return _only_nulls_differ(src.value_type, dst.value_type)
    if pa.types.is_struct(src) and pa.types.is_struct(dst):
        names = {dst.field(i).name: dst.field(i).type for i in range(dst.num_fields)}
        return all(
            src.field(i).name in names
            and _only_nulls_differ(src.field(i).type, names[src.field(i).name])
            for i in range(src.num_fields)
        )
    return False


def conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """`table` in `schema` when that changes no value; DataError naming the field otherwise.

    Parquet keeps one type per column: a field that holds 7 in one batch and `true` in the
    next is refused (never cast), as is a field that first appears after the first batch.
    """
    columns = []
    for field in schema:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if column.type != field.type:
            if column.null_count != len(column) and not _only_nulls_differ(column.type, field.type):
                raise DataError(
                    f"field '{field.name}' holds {field.type} in earlier records and "
                    f"{column.type} in later ones; Parquet keeps one type per column "
                    "(write .jsonl instead)",
                    source=what,
                )
            column = column.cast(field.type)
        columns.append(column)
    for name in table.column_names:
        if name not in schema.names and table.column(name).null_count != table.num_rows:
            raise DataError(
                f"field '{name}' first appears after the first batch; Parquet keeps the "
                "columns of the first batch (write .jsonl instead)",
                source=what,
            )
    return pa.Table.from_arrays(columns, schema=schema)


def _write_json_array(fh: IO[bytes], lines: Iterator[bytes]) -> None:
    fh.write(b"[")
    first = True
    for line in lines:
        fh.write(b"\n" if first else b",\n")
        fh.write(line.rstrip(b"\r\n"))
        first = False
    fh.write(b"\n]\n")


def write_pool_rows(pool: Pool, rows: Sequence[int], path: str) -> None:
    """Write the chosen rows of `pool`, in order, to `path` (format by extension; '-' stdout)."""
    fmt = output_format(path)
    if path == STDIN:
        out = sys.stdout.buffer
        for line in subset_lines(pool, rows):
            out.write(line)
        out.flush()
        return
    if fmt == "parquet":
        if pool.table is not None:
            table = pool.table.take(pa.array(np.asarray(rows, dtype=np.int64)))
        else:
            assert pool.records is not None
            table = records_table([pool.records[r] for r in rows], path)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return
    with atomic_path(path) as tmp, open_output(tmp, fmt.endswith(".gz")) as fh:
        if fmt.startswith("json") and not fmt.startswith("jsonl"):
            _write_json_array(fh, subset_lines(pool, rows))
        else:
            for line in subset_lines(pool, rows):
                fh.write(line)


def table_format(path: str) -> str:
    name = path.lower()
    for suffix in TABLE_FORMATS:
        if name.endswith(suffix):
            return suffix[1:]
    raise UsageError(
        f"{path}: cannot write a table to this file type (use .csv, .tsv, "
        ".parquet, .jsonl or .json)"
    )


def write_table(rows: dict[str, Sequence], path: str) -> None:
    """A small table (ranking) as .csv, .tsv, .parquet, .jsonl or .json (an array)."""
    fmt = table_format(path)
    table = pa.table(rows)
    if fmt == "parquet":
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return
    if fmt in ("jsonl", "json"):
        lines = (record_line(r) for r in table.to_pylist())
        with atomic_open(path, "wb") as fh:
            if fmt == "json":
                _write_json_array(fh, lines)
            else:
                fh.writelines(lines)
        return
    import pyarrow.csv as pacsv

    delimiter = "\t" if fmt == "tsv" else ","
    with atomic_path(path) as tmp:
        pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(delimiter=delimiter))


def read_table(path: str) -> pa.Table:
    fmt = table_format(path)
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt in ("jsonl", "json"):
        info = open_input(path)
        return pa.Table.from_pylist(parse_jsonl(read_all(info), info.source).records or [])
    import pyarrow.csv as pacsv

    delimiter = "\t" if fmt == "tsv" else ","
    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))


class AnnotatedWriter:
    """Writes records with one field added, streaming, to .jsonl(.gz) / .json / .parquet or '-'.

    JSON outputs hold the values read, exactly (`jsonvalues.dump_record`); Parquet outputs keep
    the first batch's column types and refuse a batch that would change one (`conform`).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fmt = output_format(path)
        self._stack = contextlib.ExitStack()
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        self._array = self.fmt in ("json", "json.gz")
        self._count = 0
        if path == STDIN:
            self._fh = sys.stdout.buffer
        else:
            self._tmp = self._stack.enter_context(atomic_path(path))
            if self.fmt == "parquet":
                self._fh = None
            else:
                compressed = self.fmt.endswith(".gz")
                self._fh = self._stack.enter_context(open_output(self._tmp, compressed))

    def write(
        self, records: list[dict], lines: Sequence[int] | None = None, source: str | None = None
    ) -> None:
        """Append records; `lines` and `source` say where each came from (for errors)."""
        if not records:
            return
        if self.fmt == "parquet" and self.path != STDIN:
            table = records_table(records, self.path)
            if self._writer is None:
                self._writer = pq.ParquetWriter(str(self._tmp), table.schema)
            self._writer.write_table(conform(table, self._writer.schema, self.path))
            return
        assert self._fh is not None
        for i, record in enumerate(records):
            where = lines[i] if lines is not None else None
            line = record_line(record, source or self.path, where)
            if self._array:
                self._fh.write(b"[\n" if self._count == 0 else b",\n")
                line = line[:-1]
            self._fh.write(line)
            self._count += 1

    def close(self, ok: bool = True) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._array and ok and self._fh is not None:
            self._fh.write(b"[]\n" if self._count == 0 else b"\n]\n")
        if self.path == STDIN:
            sys.stdout.flush()
            return
        if ok:
            self._stack.close()
        else:
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)

"""Writing pools, subsets and small tables; every writer is atomic.

Writers write to a temporary file in the target folder and rename it when complete, so a failed
run never leaves a partial file.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .formats import STDIN, _read_bytes, parse_jsonl
from .pool import Pool


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    with atomic_path(target) as tmp, open(tmp, mode) as fh:
        yield fh


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_open(target, "w") as fh:
        fh.write(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def record_line(record: dict) -> bytes:
    return orjson.dumps(record, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"


def subset_lines(pool: Pool, rows: Sequence[int]) -> Iterator[bytes]:
    """JSONL lines of the chosen rows: byte for byte from JSONL input."""
    if pool.lines is not None:
        for r in rows:
            yield pool.lines[r]
        return
    assert pool.table is not None
    for record in pool.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist():
        yield record_line(record)


def output_format(path: str) -> str:
    if path == STDIN:
        return "jsonl"
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".gz"):
        return "jsonl.gz"
    return "jsonl"


def _records_table(records: list[dict], what: str) -> pa.Table:
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise DataError(
            f"cannot store these records as Parquet ({exc}); write .jsonl instead", source=what
        ) from None


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
            table = _records_table([pool.records[r] for r in rows], path)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return
    with atomic_path(path) as tmp:
        opener = gzip.open if fmt == "jsonl.gz" else open
        with opener(tmp, "wb") as fh:
            for line in subset_lines(pool, rows):
                fh.write(line)


def write_table(rows: dict[str, Sequence], path: str) -> None:
    """A small table (ranking) as .csv, .tsv, .parquet or .jsonl by extension."""
    name = path.lower()
    table = pa.table(rows)
    if name.endswith(".parquet"):
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return
    if name.endswith((".jsonl", ".json")):
        with atomic_open(path, "wb") as fh:
            for record in table.to_pylist():
                fh.write(record_line(record))
        return
    import pyarrow.csv as pacsv

    delimiter = "\t" if name.endswith(".tsv") else ","
    with atomic_path(path) as tmp:
        pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(delimiter=delimiter))


def read_table(path: str) -> pa.Table:
    name = path.lower()
    if name.endswith(".parquet"):
        return pq.read_table(path)
    if name.endswith((".jsonl", ".json")):
        return pa.Table.from_pylist(parse_jsonl(_read_bytes(path), path).records or [])
    import pyarrow.csv as pacsv

    delimiter = "\t" if name.endswith(".tsv") else ","
    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))


class AnnotatedWriter:
    """Writes records with one field added, streaming, to .jsonl / .jsonl.gz / .parquet or '-'."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fmt = output_format(path)
        self._stack = contextlib.ExitStack()
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        if path == STDIN:
            self._fh = sys.stdout.buffer
        else:
            self._tmp = self._stack.enter_context(atomic_path(path))
            if self.fmt == "parquet":
                self._fh = None
            else:
                opener = gzip.open if self.fmt == "jsonl.gz" else open
                self._fh = self._stack.enter_context(opener(self._tmp, "wb"))

    def write(self, records: list[dict]) -> None:
        if not records:
            return
        if self.fmt == "parquet" and self.path != STDIN:
            table = _records_table(records, self.path)
            if self._writer is None:
                self._writer = pq.ParquetWriter(str(self._tmp), table.schema)
            try:
                self._writer.write_table(table.cast(self._writer.schema))
            except (pa.ArrowException, ValueError) as exc:
                raise DataError(
                    f"records change shape across batches ({exc}); write .jsonl instead",
                    source=self.path,
                ) from None
            return
        self._fh.writelines(record_line(r) for r in records)

    def close(self, ok: bool = True) -> None:
        if self._writer is not None:
            self._writer.close()
        if self.path == STDIN:
            sys.stdout.flush()
            return
        if ok:
            self._stack.close()
        else:
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)

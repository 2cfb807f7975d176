"""Writing pools, subsets and small tables; every writer is atomic.

Writers write to a hidden temporary file in the target folder (`.NAME.PID.XXXX.tmp`) and
rename it when complete, so a failed run never leaves a partial file; temporary files left by a
killed run (their process is gone) are removed by the next write to the same target. Files
are created with the usual permissions (0666 minus the umask; an existing file keeps its mode).
`.gz` outputs are byte-reproducible (no time or name in the gzip header).

Record formats by extension: `.jsonl` / `.ndjson` (one JSON object a line), the same with
`.gz`, `.json` (one JSON array), `.parquet`; `-` is stdout (JSONL). Any other extension is
refused (`UsageError`), never silently written as JSONL.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError, UsageError
from .formats import STDIN, open_input, parse_jsonl, read_all
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(target: Path) -> list[Path]:
    """Remove `.NAME.PID.*.tmp` files beside `target` whose process is gone."""
    removed = []
    with contextlib.suppress(OSError):
        for tmp in target.parent.glob(f".{target.name}.*.tmp"):
            parts = tmp.name[len(target.name) + 2 :].split(".")
            if len(parts) >= 2 and parts[0].isdigit() and not _alive(int(parts[0])):
                with contextlib.suppress(OSError):
                    if tmp.is_dir():
                        shutil.rmtree(tmp)
                    else:
                        tmp.unlink()
                    removed.append(tmp)
    return removed


def _final_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


class WriteError(DataError, OSError):
    """A file that could not be written, named as the user gave it (exit 1). Still an OSError,
    so that callers who let a write fail (caches: a warning, the run goes on) keep doing so."""


def cannot_write(target: str | os.PathLike, exc: OSError) -> WriteError:
    """An OSError met while writing `target` (or its hidden temporary file) as a `WriteError`
    that names the user's path, never the temporary one."""
    what = exc.strerror or str(exc) or type(exc).__name__
    error = WriteError(f"cannot write {target}: {what}")
    error.errno = exc.errno
    return error


@contextlib.contextmanager
def _writing(target: str | os.PathLike, tmp: str | os.PathLike | None = None) -> Iterator[None]:
    """OSErrors -> `cannot_write(target)`; with `tmp`, only those about `tmp` or `target` (or
    naming no file: a full disk), so that an error reading an input keeps its own name."""
    try:
        yield
    except OSError as exc:
        about = {os.fspath(target), os.fspath(Path(target).parent)}
        if tmp is not None:
            about.add(os.fspath(tmp))
        named = exc.filename is None or os.fspath(exc.filename) in about
        if tmp is None or named or str(exc.filename).startswith(os.fspath(tmp)):
            raise cannot_write(target, exc) from None
        raise


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only on success.

    Any OSError (the folder cannot be made or written, a full disk) becomes a `DataError`
    "cannot write TARGET: ..." naming `target`; the temporary file is removed.
    """
    shown = target
    target = Path(target)
    with _writing(shown):
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(target)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
        )
        os.close(fd)
    try:
        with _writing(shown, tmp):
            yield Path(tmp)
            os.chmod(tmp, _final_mode(target))
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_folder_target(target: str | os.PathLike, allowed: Sequence[str] = ()) -> None:
    """`UsageError` unless `target` is absent, or a folder holding only `allowed` names (an
    earlier output of the same kind) that may be replaced whole. Call it before the work."""
    target = Path(target)
    if not target.exists():
        return
    if not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
    if foreign and allowed:
        raise UsageError(
            f"{target}: folder holds other files ({', '.join(foreign[:3])}); "
            "refusing to replace it (name a new or empty folder)"
        )


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike, allowed: Sequence[str] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; swap it in whole only on success.

    An existing `target` is replaced only when it holds nothing but `allowed` names (it is an
    earlier output of the same kind); otherwise `UsageError`, and nothing is touched.
    """
    shown = target
    target = Path(target)
    check_folder_target(target, allowed)
    with _writing(shown):
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(target)
        tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
            )
        )
    try:
        with _writing(shown, tmp):
            yield tmp
            os.chmod(tmp, 0o777 & ~_umask())
            if target.exists():
                old = tmp.with_name(tmp.name[: -len(".tmp")] + ".old.tmp")
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    with atomic_path(target) as tmp, open(tmp, mode) as fh:
        yield fh


@contextlib.contextmanager
def open_output(path: Path, compressed: bool) -> Iterator[IO[bytes]]:
    """A binary file for writing; gzip without a time or a name in its header."""
    with open(path, "wb") as raw:
        if not compressed:
            yield raw
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
            yield fh


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_open(target, "w") as fh:
        fh.write(text)


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


def _records_table(records: list[dict], what: str) -> pa.Table:
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
            table = _records_table([pool.records[r] for r in rows], path)
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
            table = _records_table(records, self.path)
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

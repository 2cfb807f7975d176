"""Shards of a pool: fixed row ranges that distributed workers read on their own.

`plan_shards(path, shard_rows)` cuts a pool into shards of `shard_rows` rows (the last one
shorter): shard s is always rows [s*shard_rows, (s+1)*shard_rows), so a re-run with the same
input and size gets the same shards (what lets a killed distributed run redo only the
unfinished ones). Each shard is a small JSON-able dict that says where its rows are:

- JSONL (plain or gzip): the byte offset of its first line and that line's number, found by
  one scan of the file (no parsing); a worker seeks there (gzip is decompressed up to it);
- Parquet, or a folder of Parquet shards: (file, first row, last row) pieces, from metadata;
- anything else `input_files.open_input` reads (a JSON array, a datasets folder): one shard.

`iter_shard(shard)` yields the same `RawRow`s (row index, line number, record or error) that
`rows.iter_rows` yields for those rows of the whole pool.

A folder of Parquet shards (`part-00000.parquet`, ... as `mig tag --engine ray -o FOLDER/`
writes them, or any folder of `*.parquet` files) is a pool: its rows are the files' rows, files
in name order. Hidden files, names starting with `_` (`_SUCCESS`, `_metadata` markers) and mig
manifests (`*.manifest.json`) are ignored; any other file or subfolder beside the Parquet files
is refused (`folder_kind`), never skipped: it would be data silently left out (FINDINGS #4).
A folder of JSONL files is refused with what is supported (concatenate it, or convert it).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .input_files import BOM, GZIP_ERRORS, InputFile, gzip_error, open_bytes, open_input
from .jsonl_text import iter_lines, parse_line
from .rows import RawRow, iter_rows

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


def _ignored(name: str) -> bool:
    """Hidden files, `_SUCCESS`-style markers and mig's own manifests: not data."""
    return name.startswith((".", "_")) or name.endswith(".manifest.json")


def folder_kind(path: str) -> str:
    """What a folder input is: 'parquet-folder' or 'datasets' (a `save_to_disk` folder).

    'datasets' when it holds `state.json` or `dataset_dict.json`, or no Parquet/JSONL file
    (the datasets reader then says what is missing). Raises `DataError` naming the first stray
    entry (in name order) of a folder holding Parquet files and anything else, and for a folder
    of JSONL files (not a supported pool; the message says what is).
    """
    folder = Path(path)
    if (folder / "state.json").exists() or (folder / "dataset_dict.json").exists():
        return "datasets"
    entries = sorted((p for p in folder.iterdir() if not _ignored(p.name)), key=lambda p: p.name)
    parquet = [p for p in entries if p.is_file() and p.suffix == ".parquet"]
    if parquet:
        stray = next((p for p in entries if p not in parquet), None)
        if stray is not None:
            what = "a subfolder" if stray.is_dir() else "not a Parquet file"
            raise DataError(
                f"{stray.name} is {what}; a folder pool holds only Parquet shards "
                "(hidden files, _SUCCESS markers and *.manifest.json are ignored): "
                "move it out, or name the files one at a time",
                source=path,
            )
        return "parquet-folder"
    jsonl = next((p for p in entries if p.name.endswith(JSONL_SUFFIXES)), None)
    if jsonl is not None:
        raise DataError(
            f"is a folder of JSONL files ({jsonl.name}, ...); a folder pool is a folder of "
            "Parquet shards or a datasets save_to_disk folder: concatenate the JSONL files "
            f"into one (cat {path.rstrip('/')}/*.jsonl > pool.jsonl) and pass that file",
            source=path,
        )
    return "datasets"


def is_parquet_folder(path: str) -> bool:
    """A folder that `folder_kind` reads as Parquet shards (it may raise `DataError`)."""
    return Path(path).is_dir() and folder_kind(path) == "parquet-folder"


def _visible_parquet(folder: Path) -> Iterator[Path]:
    for p in folder.iterdir():
        if p.is_file() and p.suffix == ".parquet" and not _ignored(p.name):
            yield p


def parquet_folder_files(path: str) -> list[Path]:
    """The Parquet files of a folder pool, in name order; DataError when there are none."""
    folder = Path(path)
    files = sorted(_visible_parquet(folder), key=lambda p: p.name)
    if not files:
        raise DataError("the folder holds no .parquet files", source=path)
    return files


def read_parquet_folder(path: str) -> pa.Table:
    """All rows of a folder of Parquet shards as one table (schemas unified by name)."""
    tables = []
    for file in parquet_folder_files(path):
        try:
            tables.append(pq.read_table(file))
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"cannot read Parquet: {exc}", source=str(file)) from None
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowException, ValueError) as exc:
        raise DataError(f"the shards' columns do not agree: {exc}", source=path) from None


def count_parquet_folder(path: str) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in parquet_folder_files(path))


def iter_parquet_folder(path: str) -> Iterator[RawRow]:
    row = 0
    for file in parquet_folder_files(path):
        for batch in pq.ParquetFile(file).iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                row += 1
                yield RawRow(row - 1, row, record)


# ----------------------------------------------------------------------------- planning
def plan_shards(path: str, shard_rows: int) -> list[dict]:
    """Shards of `shard_rows` rows of a pool (any input `input_files.open_input` reads but stdin).

    JSONL (plain or gzip) and Parquet (a file or a folder of shards) are cut by rows; an input
    that cannot be cut (a JSON array, a datasets folder, a Hub name) is one shard.
    """
    from .rows import _is_array, count_rows

    if shard_rows < 1:
        raise ValueError("shard_rows must be at least 1")
    info = open_input(path)
    if info.kind == "text" and not _is_array(info):
        return _plan_jsonl(info, shard_rows)
    if info.kind not in ("parquet", "parquet-folder"):
        return [
            {"shard": 0, "kind": "whole", "path": path, "start_row": 0, "rows": count_rows(info)}
        ]
    files = [Path(path)] if info.kind == "parquet" else parquet_folder_files(path)
    counts = []
    for f in files:
        try:
            counts.append(pq.ParquetFile(f).metadata.num_rows)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"cannot read Parquet: {exc}", source=str(f)) from None
    total = sum(counts)
    shards = []
    for s, start in enumerate(range(0, total, shard_rows)):
        stop = min(total, start + shard_rows)
        pieces, base = [], 0
        for f, n in zip(files, counts):
            lo, hi = max(start, base), min(stop, base + n)
            if lo < hi:
                pieces.append([str(f.resolve()), lo - base, hi - base])
            base += n
        shards.append({"shard": s, "kind": "parquet", "start_row": start, "pieces": pieces})
    return shards


def _plan_jsonl(info: InputFile, shard_rows: int) -> list[dict]:
    assert info.path is not None
    shards: list[dict] = []
    row = number = 0
    source = str(info.path.resolve())
    with open_bytes(info) as fh:
        offset = len(BOM) if fh.read(len(BOM)) == BOM else 0  # iter_lines drops a leading BOM
        fh.seek(0)
        try:
            for line in iter_lines(fh):
                number += 1
                if line.strip():
                    if row % shard_rows == 0:
                        shards.append(
                            {
                                "shard": len(shards),
                                "kind": "jsonl",
                                "path": source,
                                "compressed": info.compressed,
                                "start_row": row,
                                "rows": 0,
                                "offset": offset,
                                "line": number,
                            }
                        )
                    shards[-1]["rows"] += 1
                    row += 1
                offset += len(line)
        except GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
    return shards


# ----------------------------------------------------------------------------- reading
def iter_shard(shard: dict) -> Iterator[RawRow]:
    """The rows of one shard, as `iter_rows` yields them for the whole pool."""
    if shard["kind"] == "whole":
        yield from iter_rows(shard["path"])
        return
    if shard["kind"] == "parquet":
        row = shard["start_row"]
        for file, lo, hi in shard["pieces"]:
            parquet = pq.ParquetFile(file)
            base = 0
            for group in range(parquet.num_row_groups):  # only the row groups it overlaps
                n = parquet.metadata.row_group(group).num_rows
                a, b = max(lo, base), min(hi, base + n)
                if a < b:
                    table = parquet.read_row_group(group).slice(a - base, b - a)
                    for record in table.to_pylist():
                        yield RawRow(row, row + 1, record)
                        row += 1
                base += n
        return
    row, number, left = shard["start_row"], shard["line"], shard["rows"]
    opener = gzip.open if shard["compressed"] else open
    with opener(shard["path"], "rb") as fh:
        fh.seek(shard["offset"])
        for line in iter_lines(fh):
            if left == 0:
                break
            if line.strip():
                record, error = parse_line(line)
                yield RawRow(row, number, record, error)
                row += 1
                left -= 1
            number += 1

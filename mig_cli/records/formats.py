"""Reading pools: JSONL(.gz), Parquet, `datasets` folders, Hub names and stdin.

Readers return a `Pool`; every failure is a `DataError` naming the file (and line for JSONL).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .pool import Pool, gc_paused

STDIN = "-"
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


def pool_format(path: str) -> str:
    """'jsonl', 'jsonl.gz', 'parquet', 'datasets' or 'hub' for an input name."""
    if path == STDIN:
        return "jsonl"
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        return "datasets"
    if name.endswith(".gz"):
        return "jsonl.gz"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if not p.exists() and "/" in path and not path.startswith((".", "/")):
        return "hub"
    return "jsonl"


def _lenient_json(line: bytes) -> Any:
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def parse_jsonl(data: bytes, source: str) -> Pool:
    """Split JSONL bytes into lines (kept byte for byte) and parse each as a JSON object."""
    with gc_paused():
        return _parse_jsonl(data, source)


def _parse_jsonl(data: bytes, source: str) -> Pool:
    lines = data.splitlines(keepends=True)
    kept: list[bytes] = []
    records: list[dict] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            record = _lenient_json(line)  # NaN / Infinity literals, reported later as scores
            if record is None:
                reason = str(exc).split(":")[0]
                raise DataError(f"not valid JSON ({reason})", source=source, line=number) from None
        if not isinstance(record, dict):
            raise DataError(
                f"expected a JSON object, got {type(record).__name__}", source=source, line=number
            )
        kept.append(line if line.endswith(b"\n") else line + b"\n")
        records.append(record)
        numbers.append(number)
    return Pool(source, records=records, lines=kept, line_numbers=np.array(numbers, dtype=np.int64))


def _read_bytes(path: str) -> bytes:
    if path == STDIN:
        return sys.stdin.buffer.read()
    try:
        if path.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read: {exc}", source=path) from None


def _read_datasets_folder(path: str) -> pa.Table:
    folder = Path(path)
    state = folder / "state.json"
    if (folder / "dataset_dict.json").exists():
        splits = json.loads((folder / "dataset_dict.json").read_text()).get("splits", [])
        raise DataError(
            f"this is a DatasetDict; name one split folder ({', '.join(map(str, splits))})",
            source=path,
        )
    if not state.exists():
        raise DataError("not a datasets folder (no state.json from save_to_disk)", source=path)
    files = [f["filename"] for f in json.loads(state.read_text()).get("_data_files", [])]
    tables = []
    for name in files:
        with pa.memory_map(str(folder / name)) as source:
            tables.append(pa.ipc.open_stream(source).read_all())
    if not tables:
        raise DataError("the datasets folder holds no data files", source=path)
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _read_hub(name: str) -> pa.Table:
    try:
        import datasets  # type: ignore[import-not-found]
    except ImportError:
        raise DataError("no such file (and `datasets` is not installed)", source=name) from None
    try:
        return datasets.load_dataset(name, split="train").data.table
    except Exception as exc:  # noqa: BLE001 - any hub failure is reported in one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"no such file, and not loadable from the Hub: {first}", source=name
        ) from None


def read_pool(path: str) -> Pool:
    """Read a pool from JSONL(.gz), Parquet, a `datasets` folder, a Hub name or stdin ('-')."""
    fmt = pool_format(path)
    source = "<stdin>" if path == STDIN else path
    if fmt in ("jsonl", "jsonl.gz"):
        return parse_jsonl(_read_bytes(path), source)
    if fmt == "parquet":
        try:
            table = pq.read_table(path)
        except FileNotFoundError:
            raise DataError("no such file", source=path) from None
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"cannot read Parquet: {exc}", source=path) from None
        return Pool(source, table=table)
    if fmt == "datasets":
        return Pool(source, table=_read_datasets_folder(path))
    return Pool(source, table=_read_hub(path))

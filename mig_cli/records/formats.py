"""Reading pools: `read_pool`, the whole-pool reader every command uses, and Arrow inputs.

`read_pool` opens its input through `input_files.open_input` (the one reader path, shared with
the streaming `rows.iter_rows`), so every command accepts the same inputs and refuses bad ones
with the same one-line `DataError` naming the file (and the line for JSONL):

- JSONL (`.jsonl`, `.ndjson`, `.json` or any other name), gzip-compressed or not (recognised by
  its content, not its name); a UTF-8 byte-order mark is skipped; lines may end in LF, CRLF or
  CR alone (parsed by `jsonl_text`);
- a JSON array of objects (the `alpaca_data.json` layout, pretty-printed or on one line), also
  compressed;
- Parquet (recognised by its `PAR1` magic);
- a `datasets` `save_to_disk` folder (`state.json` + Arrow stream files);
- a Hub dataset name (`org/name`, when `datasets` is installed and the network is there);
- `-` (stdin), a pipe, a FIFO or `<(...)`: read exactly once, into a temporary spool file that
  is removed at exit, so that it can be read again (counted, annotated, written).

This module reads the Arrow inputs (`read_table`: Parquet, `datasets` folders, the Hub).
Values are parsed exactly (see `jsonvalues`): integers of any size, NaN literals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .input_files import InputFile, open_input, read_all
from .jsonl_text import parse_jsonl
from .pool import Pool


def parquet_file(info: InputFile) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(str(info.path))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"cannot read Parquet: {_one_line(exc)}", source=info.source) from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_parquet(info: InputFile) -> pa.Table:
    try:
        return parquet_file(info).read()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"cannot read Parquet: {_one_line(exc)}", source=info.source) from None


def read_datasets_folder(info: InputFile) -> pa.Table:
    """The table of a `datasets` `save_to_disk` folder (state.json names the Arrow files)."""
    folder = Path(info.name)
    path = info.source

    def load_json(name: str) -> object:
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except OSError as exc:
            raise DataError(f"cannot read {name}: {exc.strerror or exc}", source=path) from None
        except (ValueError, RecursionError) as exc:
            raise DataError(f"{name} is not valid JSON ({exc})", source=path) from None

    if (folder / "dataset_dict.json").exists():
        splits = load_json("dataset_dict.json")
        names = splits.get("splits", []) if isinstance(splits, dict) else []
        raise DataError(
            f"this is a DatasetDict; name one split folder ({', '.join(map(str, names))})",
            source=path,
        )
    if not (folder / "state.json").exists():
        raise DataError(
            "is a folder, not a datasets folder (no state.json from save_to_disk)", source=path
        )
    state = load_json("state.json")
    entries = state.get("_data_files") if isinstance(state, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("filename"), str) for e in entries
    ):
        raise DataError("state.json has no list of data files ('_data_files')", source=path)
    tables = []
    for entry in entries:
        name = entry["filename"]
        file = folder / name
        if not file.is_file():
            raise DataError(f"the data file {name} named by state.json is missing", source=path)
        try:
            with pa.memory_map(str(file)) as stream:
                tables.append(pa.ipc.open_stream(stream).read_all())
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DataError(f"cannot read {name}: {_one_line(exc)}", source=path) from None
    if not tables:
        raise DataError("the datasets folder holds no data files", source=path)
    try:
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    except pa.ArrowException as exc:
        raise DataError(f"the data files disagree: {_one_line(exc)}", source=path) from None


def _read_hub(name: str) -> pa.Table:
    try:
        import datasets  # type: ignore[import-not-found]
    except ImportError:
        raise DataError("no such file (and `datasets` is not installed)", source=name) from None
    try:
        return datasets.load_dataset(name, split="train").data.table
    except Exception as exc:  # noqa: BLE001 - any hub failure is reported in one line
        raise DataError(
            f"no such file, and not loadable from the Hub: {_one_line(exc)}", source=name
        ) from None


def read_table(info: InputFile) -> pa.Table:
    """The Arrow table of a Parquet, `datasets` or Hub input."""
    if info.kind == "parquet":
        return read_parquet(info)
    if info.kind == "datasets":
        return read_datasets_folder(info)
    if info.kind == "parquet-folder":
        from .shards import read_parquet_folder

        return read_parquet_folder(info.name)
    return _read_hub(info.name)


def read_pool(path: str | InputFile) -> Pool:
    """Read a pool: JSONL(.gz), a JSON array, Parquet, a `datasets` folder, a Hub name, stdin."""
    info = open_input(path)
    if info.kind == "text":
        return parse_jsonl(read_all(info), info.source)
    return Pool(info.source, table=read_table(info))

"""Reading pools: the one reader path every command uses.

`open_input(name)` looks at what a name is and says how to read it (`InputFile`); `read_pool`
reads a whole pool into memory, and `rows.iter_rows` streams it. Both go through `open_input`,
so every command accepts the same inputs and refuses bad ones with the same one-line
`DataError` naming the file (and the line for JSONL):

- JSONL (`.jsonl`, `.ndjson`, `.json` or any other name), gzip-compressed or not (recognised by
  its content, not its name); a UTF-8 byte-order mark is skipped; lines may end in LF, CRLF or
  CR alone;
- a JSON array of objects (the `alpaca_data.json` layout, pretty-printed or on one line), also
  compressed;
- Parquet (recognised by its `PAR1` magic);
- a `datasets` `save_to_disk` folder (`state.json` + Arrow stream files);
- a Hub dataset name (`org/name`, when `datasets` is installed and the network is there);
- `-` (stdin), a pipe, a FIFO or `<(...)`: read exactly once, into a temporary spool file that
  is removed at exit, so that it can be read again (counted, annotated, written).

Values are parsed exactly (see `jsonvalues`): integers of any size, NaN literals.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import gzip
import json
import os
import shutil
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .jsonvalues import _DIGITS_AS_ZERO, _NINETEEN, dump_record, load_record
from .pool import Pool, gc_paused

STDIN = "-"
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_CHUNK = 1 << 20
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


@dataclass
class InputFile:
    """An input, looked at once: what it is and where its bytes can be read (again).

    `kind` is 'text' (JSONL or a JSON array, maybe gzip-compressed), 'parquet', 'datasets' or
    'hub'; `path` is a seekable file (a spool for pipes and stdin) or the folder.
    """

    name: str
    source: str
    kind: str
    path: Path | None = None
    compressed: bool = False
    spooled: bool = False

    @property
    def resumable(self) -> bool:
        """A re-run can find the same bytes again (not stdin or a pipe)."""
        return not self.spooled and self.kind != "hub"


_SPOOLS: list[Path] = []


@atexit.register
def _remove_spools() -> None:
    for path in _SPOOLS:
        with contextlib.suppress(OSError):
            path.unlink()


def _spool(stream: IO[bytes], source: str) -> Path:
    """Copy a stream that can be read only once into a temporary file."""
    fd, name = tempfile.mkstemp(prefix="mig-input-", suffix=".spool")
    _SPOOLS.append(Path(name))
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", source=source) from None
    return Path(name)


def _stat_error(exc: OSError, name: str) -> DataError:
    if exc.errno == errno.ELOOP:
        return DataError("a symbolic link loop", source=name)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return DataError("no such file", source=name)
    if exc.errno == errno.EACCES:
        return DataError("permission denied", source=name)
    return DataError(f"cannot read: {exc.strerror or exc}", source=name)


def _looks_like_hub(name: str) -> bool:
    return "/" in name and not name.startswith((".", "/", "~")) and name.count("/") == 1


def open_input(name: str | InputFile) -> InputFile:
    """Look at an input name once: a file, a folder, a pipe or stdin, or a Hub dataset."""
    if isinstance(name, InputFile):
        return name
    if name == STDIN:
        spool = _spool(sys.stdin.buffer, "<stdin>")
        return _sniff(InputFile(name, "<stdin>", "text", spool, spooled=True))
    try:
        st = os.stat(name)
    except OSError as exc:
        if exc.errno == errno.ENOENT and _looks_like_hub(name) and not os.path.lexists(name):
            return InputFile(name, name, "hub")
        raise _stat_error(exc, name) from None
    if stat.S_ISDIR(st.st_mode):
        return InputFile(name, name, _folder_kind(name), Path(name))
    try:
        fh = open(name, "rb")  # noqa: SIM115 - closed below or handed to the spool
    except OSError as exc:
        raise _stat_error(exc, name) from None
    with fh:
        if stat.S_ISREG(st.st_mode):
            return _sniff(InputFile(name, name, "text", Path(name)))
        return _sniff(InputFile(name, name, "text", _spool(fh, name), spooled=True))


def _folder_kind(path: str) -> str:
    """'parquet-folder' for a folder of Parquet shards (see `shards.folder_kind`), else
    'datasets'; DataError for a folder mixing Parquet and other files, or of JSONL files."""
    from .shards import folder_kind

    return folder_kind(path)


def _sniff(info: InputFile) -> InputFile:
    assert info.path is not None
    try:
        with open(info.path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise _stat_error(exc, info.source) from None
    if head.startswith(GZIP_MAGIC):
        info.compressed = True
    elif head == PARQUET_MAGIC:
        info.kind = "parquet"
    return info


@contextlib.contextmanager
def open_bytes(info: InputFile) -> Iterator[IO[bytes]]:
    """The (decompressed) bytes of a text input."""
    assert info.path is not None
    try:
        fh = gzip.open(info.path, "rb") if info.compressed else open(info.path, "rb")
    except OSError as exc:
        raise _stat_error(exc, info.source) from None
    with fh:
        yield fh


def read_all(info: InputFile) -> bytes:
    """Every (decompressed) byte of a text input, as one string; the BOM removed."""
    with open_bytes(info) as fh:
        try:
            data = fh.read()
        except _GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", source=info.source) from None
    return data[len(BOM) :] if data.startswith(BOM) else data


def gzip_error(info: InputFile, exc: BaseException) -> DataError:
    what = "truncated" if isinstance(exc, EOFError) else "corrupt"
    return DataError(f"{what} gzip data ({exc})", source=info.source)


def iter_lines(fh: IO[bytes]) -> Iterator[bytes]:
    """Lines of a byte stream, ending in LF, CRLF or CR alone (kept); the BOM removed."""
    carry = b""
    first = True
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            break
        if first:
            first = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
        parts = (carry + chunk).splitlines(keepends=True)
        # the last piece may be cut (or be a CR whose LF comes in the next chunk)
        carry = parts.pop() if parts and not parts[-1].endswith(b"\n") else b""
        yield from parts
    if carry:
        yield carry


def as_line(line: bytes) -> bytes:
    """A kept line ending in a single LF (CRLF kept as is; a lone CR becomes LF)."""
    if line.endswith(b"\n"):
        return line
    return line.rstrip(b"\r") + b"\n"


def parse_line(line: bytes) -> tuple[dict | None, str | None]:
    """One JSONL line as (record, None) or (None, why it cannot be read)."""
    try:
        record = load_record(line)
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {_json_type(record)}"
    return record, None


def _json_type(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def starts_array(data: bytes) -> bool:
    head = data.lstrip()
    return head.startswith(b"[")


def parse_array(data: bytes, source: str) -> list | None:
    """The records of a JSON array document; None when the text is JSONL after all."""
    try:
        value = load_record(data)
    except ValueError as exc:
        first = data.lstrip().split(b"\n", 1)[0]
        if _whole(first):
            return None  # the first line is a document on its own: this is JSONL
        raise DataError(f"not a valid JSON array ({_position(data, exc)})", source=source) from None
    if not isinstance(value, list):
        return None
    return value


def _whole(line: bytes) -> bool:
    try:
        load_record(line)
    except ValueError:
        return False
    return True


def _position(data: bytes, exc: ValueError) -> str:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as err:
        return str(err)
    except Exception:  # noqa: BLE001 - only used to word the message
        pass
    return str(exc)


_SINGLE_OBJECT = (
    "holds one JSON object spread over several lines, not one record per line (JSONL) "
    "or a JSON array of records"
)


def check_single_object(info: InputFile) -> None:
    """DataError when a text input whose first line is broken is one multi-line object."""
    assert info.path is not None
    if info.path.stat().st_size > 256 * 1024 * 1024:
        return
    data = read_all(info)
    with contextlib.suppress(ValueError):
        if isinstance(load_record(data), dict) and b"\n" in data.strip():
            raise DataError(_SINGLE_OBJECT, source=info.source)


def parse_jsonl(data: bytes, source: str) -> Pool:
    """Split JSONL bytes (or a JSON array) into records; JSONL lines are kept byte for byte."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    with gc_paused():
        if starts_array(data):
            items = parse_array(data, source)
            if items is not None:
                return _array_pool(items, source)
        return _parse_jsonl(data, source)


def _array_pool(items: list, source: str) -> Pool:
    records: list[dict] = []
    lines: list[bytes] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise DataError(
                f"expected a JSON object, got {_json_type(item)} (array item {number})",
                source=source,
                line=number,
            )
        records.append(item)
        try:
            lines.append(dump_record(item))
        except ValueError as exc:
            raise DataError(str(exc), source=source, line=number) from None
    numbers = np.arange(1, len(records) + 1, dtype=np.int64)
    return Pool(source, records=records, lines=lines, line_numbers=numbers)


def _parse_jsonl(data: bytes, source: str) -> Pool:
    kept: list[bytes] = []
    records: list[dict] = []
    numbers: list[int] = []
    loads, digits, nineteen = orjson.loads, _DIGITS_AS_ZERO, _NINETEEN
    careful = nineteen in data.translate(digits)  # some line may hold a 64-bit+ integer
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        if not line or line.isspace():
            continue
        record = None
        if not careful or nineteen not in line.translate(digits):  # orjson is exact here
            try:
                record = loads(line)
            except orjson.JSONDecodeError:
                pass
        if type(record) is not dict:
            record, error = parse_line(line)
            if error is not None:
                if not records and line.lstrip().startswith(b"{"):
                    with contextlib.suppress(ValueError):
                        if isinstance(load_record(data), dict):
                            raise DataError(_SINGLE_OBJECT, source=source) from None
                raise DataError(error, source=source, line=number)
        kept.append(line if line.endswith(b"\n") else as_line(line))
        records.append(record)  # type: ignore[arg-type]
        numbers.append(number)
    return Pool(source, records=records, lines=kept, line_numbers=np.array(numbers, dtype=np.int64))


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
